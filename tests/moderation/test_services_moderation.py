"""Comment acts: comment_approve, comment_reject, comment_feature, comment_unfeature."""

from __future__ import annotations

import pytest

from comments.errors import CommentNotVisible, PermissionDenied
from comments.models import ActionKind, CommentAction, CommentFlag, CommentStatus
from moderation import services
from moderation.errors import RejectionNoteRequired, RejectionReasonInvalid
from moderation.models import RejectionReason
from moderation.services import comment_status as comment_services
from tests.factories import CommentFactory
from tests.moderation.world import ACTORS, MODERATORS, build_world, flag, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def published(record_calls):
    return record_calls(
        comment_services, "publish_comment_status_updated", "publish_comment_featured"
    )


def actions(comment) -> list[tuple]:
    return list(
        CommentAction.objects.filter(comment=comment)
        .order_by("created_at", "id")
        .values_list("kind", "actor_id", "from_status", "to_status", "rejection_reason", "note")
    )


# approve / reject: counters, flags, audit, events


def test_approving_a_held_reply_counts_it_resolves_flags_and_audits(
    story, moderator_profile, published, django_capture_on_commit_callbacks
):
    # given: a visible comment with one visible reply and one held reply (with a flag)
    parent = CommentFactory(story=story)
    CommentFactory(parent=parent)
    held = CommentFactory(parent=parent, status=CommentStatus.PREMOD)
    flag(held, 1)
    story.refresh_from_db()
    parent.refresh_from_db()
    assert (story.comment_count, parent.reply_count) == (2, 1)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.comment_approve(comment=held, moderator=moderator_profile)

    # then
    story.refresh_from_db()
    parent.refresh_from_db()
    assert approved.status == CommentStatus.APPROVED
    assert (story.comment_count, parent.reply_count) == (3, 2)
    assert (approved.open_flag_count, approved.flag_count) == (0, 1)
    assert list(CommentFlag.objects.filter(comment=held).values_list("is_resolved", flat=True)) == [
        True
    ]
    mod = moderator_profile.pk
    assert actions(held) == [
        (ActionKind.STATUS_CHANGED, mod, "PREMOD", "APPROVED", "", ""),
        (ActionKind.FLAGS_RESOLVED, mod, "", "", "", "1 report(s) resolved."),
    ]
    assert published == [
        (
            "publish_comment_status_updated",
            {
                "comment_id": str(held.pk),
                "story_id": str(story.pk),
                "old_status": "PREMOD",
                "new_status": "APPROVED",
                "actor_id": str(mod),
            },
        )
    ]


def test_rejecting_a_flagged_reply_uncounts_it_and_records_the_reason(
    story, moderator_profile, published, django_capture_on_commit_callbacks
):
    # given
    parent = CommentFactory(story=story)
    reply = CommentFactory(parent=parent)
    CommentFactory(parent=parent)
    flag(reply, 2)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        rejected = services.comment_reject(
            comment=reply,
            moderator=moderator_profile,
            reason=RejectionReason.OTHER,
            note="  Doxxing a neighbour.  ",
        )

    # then
    story.refresh_from_db()
    parent.refresh_from_db()
    assert rejected.status == CommentStatus.REJECTED
    assert (story.comment_count, parent.reply_count) == (2, 1)
    assert rejected.open_flag_count == 0
    assert not CommentFlag.objects.filter(comment=reply, is_resolved=False).exists()
    mod = moderator_profile.pk
    assert actions(reply) == [
        (ActionKind.STATUS_CHANGED, mod, "NONE", "REJECTED", "OTHER", "Doxxing a neighbour."),
        (ActionKind.FLAGS_RESOLVED, mod, "", "", "", "2 report(s) resolved."),
    ]
    assert [name for name, _ in published] == ["publish_comment_status_updated"]


def test_rejecting_then_approving_restores_counters_exactly(story, moderator_profile):
    parent = CommentFactory(story=story)
    reply = CommentFactory(parent=parent)

    services.comment_reject(comment=reply, moderator=moderator_profile, reason="SPAM")
    services.comment_reject(comment=reply, moderator=moderator_profile, reason="SPAM")
    services.comment_approve(comment=reply, moderator=moderator_profile)

    story.refresh_from_db()
    parent.refresh_from_db()
    assert (story.comment_count, parent.reply_count) == (2, 1)
    assert [a[2:4] for a in actions(reply)] == [("NONE", "REJECTED"), ("REJECTED", "APPROVED")]


def test_approving_an_approved_comment_only_resolves_new_reports(story, moderator_profile):
    comment = CommentFactory(story=story, status=CommentStatus.APPROVED)
    flag(comment, 1)

    services.comment_approve(comment=comment, moderator=moderator_profile)
    services.comment_approve(comment=comment, moderator=moderator_profile)

    comment.refresh_from_db()
    assert (comment.status, comment.open_flag_count) == (CommentStatus.APPROVED, 0)
    assert [a[0] for a in actions(comment)] == [ActionKind.FLAGS_RESOLVED]


@pytest.mark.parametrize(
    ("reason", "note", "error"),
    [
        ("OTHER", "   ", RejectionNoteRequired),
        ("RUDE", "", RejectionReasonInvalid),
    ],
)
def test_invalid_rejection_changes_nothing(story, moderator_profile, reason, note, error):
    comment = CommentFactory(story=story)
    before = snapshot()

    with pytest.raises(error):
        services.comment_reject(
            comment=comment, moderator=moderator_profile, reason=reason, note=note
        )

    assert snapshot() == before


# feature / unfeature


def test_featuring_a_published_comment_approves_and_tags_it(
    story, moderator_profile, published, django_capture_on_commit_callbacks
):
    comment = CommentFactory(story=story, tags=["STAFF"])
    flag(comment, 1)

    with django_capture_on_commit_callbacks(execute=True):
        featured = services.comment_feature(comment=comment, moderator=moderator_profile)

    assert (featured.status, featured.tags, featured.open_flag_count) == (
        CommentStatus.APPROVED,
        ["STAFF", "FEATURED"],
        0,
    )
    story.refresh_from_db()
    assert story.comment_count == 1
    assert [a[0] for a in actions(comment)] == [
        ActionKind.STATUS_CHANGED,
        ActionKind.FLAGS_RESOLVED,
        ActionKind.FEATURED,
    ]
    ids = {"comment_id": str(comment.pk), "story_id": str(story.pk)}
    assert published == [
        (
            "publish_comment_status_updated",
            {
                **ids,
                "old_status": "NONE",
                "new_status": "APPROVED",
                "actor_id": str(moderator_profile.pk),
            },
        ),
        ("publish_comment_featured", {**ids, "site_id": str(story.site_id)}),
    ]


def test_featuring_twice_and_unfeaturing_twice_audit_once_each(story, moderator_profile):
    comment = CommentFactory(story=story, status=CommentStatus.APPROVED)

    services.comment_feature(comment=comment, moderator=moderator_profile)
    services.comment_feature(comment=comment, moderator=moderator_profile)
    services.comment_unfeature(comment=comment, moderator=moderator_profile)
    unfeatured = services.comment_unfeature(comment=comment, moderator=moderator_profile)

    assert (unfeatured.status, unfeatured.tags) == (CommentStatus.APPROVED, [])
    assert [a[0] for a in actions(comment)] == [ActionKind.FEATURED, ActionKind.UNFEATURED]


@pytest.mark.parametrize("status", [CommentStatus.PREMOD, CommentStatus.REJECTED])
def test_hidden_comments_cannot_be_featured(story, moderator_profile, status):
    comment = CommentFactory(story=story, status=status)
    before = snapshot()

    with pytest.raises(CommentNotVisible):
        services.comment_feature(comment=comment, moderator=moderator_profile)

    assert snapshot() == before


# who may act on comments


COMMENT_ACTS = {
    "approve": lambda comment, actor: services.comment_approve(comment=comment, moderator=actor),
    "reject": lambda comment, actor: services.comment_reject(
        comment=comment, moderator=actor, reason="ABUSIVE"
    ),
    "feature": lambda comment, actor: services.comment_feature(comment=comment, moderator=actor),
    "unfeature": lambda comment, actor: services.comment_unfeature(
        comment=comment, moderator=actor
    ),
}


@pytest.mark.parametrize("act", COMMENT_ACTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_comment_act_permissions(world, act, actor):
    # given: a flagged published comment on site A (featured, for unfeature)
    comment = world.comment("a_flagged")
    if act == "unfeature":
        type(comment).objects.filter(pk=comment.pk).update(tags=["FEATURED"])
        comment.refresh_from_db()
    before = snapshot()

    # when / then
    if actor in MODERATORS:
        result = COMMENT_ACTS[act](comment, world.actors[actor])
        expected = {
            "approve": ("APPROVED", [], 0),
            "reject": ("REJECTED", [], 0),
            "feature": ("APPROVED", ["FEATURED"], 0),
            "unfeature": ("NONE", [], 2),
        }[act]
        assert (result.status, result.tags, result.open_flag_count) == expected
    else:
        with pytest.raises(PermissionDenied):
            COMMENT_ACTS[act](comment, world.actors[actor])
        assert snapshot() == before


@pytest.mark.parametrize("act", COMMENT_ACTS)
def test_site_moderator_acts_on_own_site_only(world, act):
    on_a = world.comment("a_none")
    on_b = world.comment("b_none")
    if act == "unfeature":
        type(on_a).objects.filter(pk__in=[on_a.pk, on_b.pk]).update(tags=["FEATURED"])

    COMMENT_ACTS[act](on_a, world.site_a_moderator)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        COMMENT_ACTS[act](on_b, world.site_a_moderator)

    assert snapshot() == before
    acts_on_a = CommentAction.objects.filter(comment=on_a, actor=world.site_a_moderator)
    assert acts_on_a.count() == (2 if act == "feature" else 1)  # feature approves first
