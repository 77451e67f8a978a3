"""comment_create."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from comments import services, signals
from comments.errors import (
    CommentEmpty,
    CommentTooLong,
    NotAuthenticated,
    ParentNotFound,
    StoryClosed,
    StoryNotFound,
)
from comments.models import (
    ActionKind,
    Comment,
    CommentAction,
    CommentRevision,
    CommentStatus,
)
from comments.services import comment_create
from moderation.models import Profile, Role
from tests.factories import CommentFactory, ProfileFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        "comments": Comment.objects.count(),
        "actions": CommentAction.objects.count(),
        "revisions": CommentRevision.objects.count(),
    }


@pytest.fixture
def published(record_calls):
    return record_calls(services, "publish_comment_created")


def test_visible_comment_increments_story_count(story, profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="<p>First!</p>")

    story.refresh_from_db()
    saved = Comment.objects.get(pk=comment.pk)
    assert saved.status == CommentStatus.NONE
    assert saved.body == "<p>First!</p>"
    assert saved.author == profile
    assert saved.site_id == story.site_id
    assert (saved.parent_id, saved.ancestor_ids, saved.depth) == (None, [], 0)
    assert story.comment_count == 1


def test_reply_increments_parent_reply_count_and_story_count(story, profile, other_profile):
    # given
    parent = comment_create(story_id=story.pk, author=profile.user, body="Top")

    # when
    reply = comment_create(
        story_id=story.pk, author=other_profile.user, body="Reply", parent_id=parent.pk
    )

    # then
    parent.refresh_from_db()
    story.refresh_from_db()
    assert parent.reply_count == 1
    assert story.comment_count == 2
    assert Comment.objects.get(pk=reply.pk).parent_id == parent.pk


def test_ancestor_ids_and_depth_at_each_level(story, profile):
    # given
    root = comment_create(story_id=story.pk, author=profile.user, body="depth 0")

    # when
    child = comment_create(story_id=story.pk, author=profile.user, body="1", parent_id=root.pk)
    grandchild = comment_create(
        story_id=story.pk, author=profile.user, body="2", parent_id=child.pk
    )
    great = comment_create(
        story_id=story.pk, author=profile.user, body="3", parent_id=grandchild.pk
    )

    # then
    rows = {c.pk: c for c in Comment.objects.all()}
    assert (rows[root.pk].depth, rows[root.pk].ancestor_ids) == (0, [])
    assert (rows[child.pk].depth, rows[child.pk].ancestor_ids) == (1, [str(root.pk)])
    assert (rows[grandchild.pk].depth, rows[grandchild.pk].ancestor_ids) == (
        2,
        [str(root.pk), str(child.pk)],
    )
    assert (rows[great.pk].depth, rows[great.pk].ancestor_ids) == (
        3,
        [str(root.pk), str(child.pk), str(grandchild.pk)],
    )
    assert [rows[pk].reply_count for pk in (root.pk, child.pk, grandchild.pk, great.pk)] == [
        1,
        1,
        1,
        0,
    ]


def test_creation_writes_created_action_and_first_revision(story, profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="<b>Hello</b>")

    action = CommentAction.objects.get(comment=comment)
    revision = CommentRevision.objects.get(comment=comment)
    assert (action.kind, action.actor_id, action.from_status, action.to_status) == (
        ActionKind.CREATED,
        profile.pk,
        "",
        CommentStatus.NONE,
    )
    assert action.reasons == []
    assert revision.body == "<b>Hello</b>"
    assert revision.created_at == comment.created_at


def test_body_is_sanitised_before_saving(story, profile):
    comment = comment_create(
        story_id=story.pk,
        author=profile.user,
        body='  <script>x()</script><p onclick="y()">Hi <a href="javascript:z()">there</a></p> ',
    )

    assert Comment.objects.get(pk=comment.pk).body == '<p>Hi <a rel="nofollow ugc">there</a></p>'


@pytest.mark.parametrize(
    ("story_premod", "site_premod", "expected"),
    [
        (True, False, CommentStatus.PREMOD),
        (None, True, CommentStatus.PREMOD),
        (False, True, CommentStatus.NONE),
        (None, False, CommentStatus.NONE),
    ],
)
def test_premod_story_or_site_holds_comment(story, profile, story_premod, site_premod, expected):
    # given
    story.premod_enabled = story_premod
    story.save()
    story.site.premod_enabled = site_premod
    story.site.save()

    # when
    comment = comment_create(story_id=story.pk, author=profile.user, body="Held?")

    # then
    story.refresh_from_db()
    assert Comment.objects.get(pk=comment.pk).status == expected
    assert story.comment_count == (0 if expected == CommentStatus.PREMOD else 1)


def test_held_reply_leaves_counters_unchanged_and_records_reason(story, profile):
    # given
    parent = CommentFactory(story=story)
    story.premod_enabled = True
    story.save()

    # when
    reply = comment_create(story_id=story.pk, author=profile.user, body="x", parent_id=parent.pk)

    # then
    parent.refresh_from_db()
    story.refresh_from_db()
    assert (parent.reply_count, story.comment_count) == (0, 1)
    action = CommentAction.objects.get(comment=reply)
    assert (action.to_status, action.reasons) == (CommentStatus.PREMOD, ["PREMOD"])


@pytest.mark.parametrize("role", [Role.STAFF, Role.MODERATOR, Role.ADMIN])
def test_staff_author_is_approved_even_on_premod_story(story, role):
    # given
    staff = ProfileFactory(role=role)
    story.premod_enabled = True
    story.save()

    # when
    comment = comment_create(story_id=story.pk, author=staff.user, body="Official")

    # then
    story.refresh_from_db()
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.APPROVED
    assert story.comment_count == 1


def test_member_author_is_not_auto_approved(story):
    member = ProfileFactory(role=Role.MEMBER)

    comment = comment_create(story_id=story.pk, author=member.user, body="Hi")

    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.NONE


def test_superuser_without_profile_gets_admin_profile_and_approval(story):
    admin = UserFactory(is_superuser=True, is_staff=True)

    comment = comment_create(story_id=story.pk, author=admin, body="Admin here")

    profile = Profile.objects.get(user=admin)
    assert profile.role == Role.ADMIN
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.APPROVED


def test_closed_story_raises_and_writes_nothing(story, profile):
    # given
    story.closed_at = timezone.now() - timedelta(seconds=1)
    story.save()
    before = row_counts()

    # when
    with pytest.raises(StoryClosed):
        comment_create(story_id=story.pk, author=profile.user, body="Too late")

    # then
    story.refresh_from_db()
    assert row_counts() == before == {"comments": 0, "actions": 0, "revisions": 0}
    assert story.comment_count == 0


def test_story_closing_in_the_future_accepts(story, profile):
    story.closed_at = timezone.now() + timedelta(hours=1)
    story.save()

    comment_create(story_id=story.pk, author=profile.user, body="Just in time")

    assert Comment.objects.filter(story=story).count() == 1


def test_unknown_story_raises_story_not_found(db, profile):
    missing = StoryFactory.build().pk

    with pytest.raises(StoryNotFound):
        comment_create(story_id=missing, author=profile.user, body="Hi")

    assert row_counts() == {"comments": 0, "actions": 0, "revisions": 0}


def test_anonymous_author_raises_not_authenticated(story):
    with pytest.raises(NotAuthenticated):
        comment_create(story_id=story.pk, author=AnonymousUser(), body="Hi")

    assert row_counts() == {"comments": 0, "actions": 0, "revisions": 0}
    assert Profile.objects.count() == 0


@pytest.mark.parametrize("body", ["", "   ", "<p> </p>", "<script>alert(1)</script>", "<br><br>"])
def test_body_empty_after_sanitising_raises(story, profile, body):
    with pytest.raises(CommentEmpty) as excinfo:
        comment_create(story_id=story.pk, author=profile.user, body=body)

    assert excinfo.value.field == "body"
    assert row_counts() == {"comments": 0, "actions": 0, "revisions": 0}


def test_visible_characters_are_limited_by_setting(settings, story, profile):
    settings.TALK = {"MAX_COMMENT_CHARS": 10}

    at_limit = comment_create(story_id=story.pk, author=profile.user, body="<b>0123456789</b>")
    with pytest.raises(CommentTooLong) as excinfo:
        comment_create(story_id=story.pk, author=profile.user, body="<b>0123456789x</b>")

    assert Comment.objects.get().pk == at_limit.pk
    assert excinfo.value.message == "Comments are limited to 10 characters."
    assert excinfo.value.field == "body"


def test_escaped_entities_count_as_one_character(settings, story, profile):
    settings.TALK = {"MAX_COMMENT_CHARS": 3}

    comment_create(story_id=story.pk, author=profile.user, body="a&amp;b")

    assert Comment.objects.get().body == "a&amp;b"


def test_raw_html_is_limited_before_sanitising(settings, story, profile):
    settings.TALK = {"MAX_COMMENT_HTML_CHARS": 20}

    with pytest.raises(CommentTooLong):
        comment_create(story_id=story.pk, author=profile.user, body="<b></b>" * 3)

    assert row_counts() == {"comments": 0, "actions": 0, "revisions": 0}


def test_parent_on_another_story_raises_parent_not_found(story, profile):
    # given
    elsewhere = CommentFactory(story=StoryFactory(site=story.site))
    before = row_counts()

    # when
    with pytest.raises(ParentNotFound) as excinfo:
        comment_create(story_id=story.pk, author=profile.user, body="Hi", parent_id=elsewhere.pk)

    # then
    elsewhere.refresh_from_db()
    assert excinfo.value.field == "parentID"
    assert row_counts() == before
    assert elsewhere.reply_count == 0


@pytest.mark.parametrize(
    "status", [CommentStatus.PREMOD, CommentStatus.REJECTED, CommentStatus.SYSTEM_WITHHELD]
)
def test_hidden_parent_raises_parent_not_found(story, profile, status):
    hidden = CommentFactory(story=story, status=status)
    before = row_counts()

    with pytest.raises(ParentNotFound):
        comment_create(story_id=story.pk, author=profile.user, body="Hi", parent_id=hidden.pk)

    assert row_counts() == before


def test_approved_parent_accepts_replies(story, profile):
    parent = CommentFactory(story=story, status=CommentStatus.APPROVED)

    comment_create(story_id=story.pk, author=profile.user, body="Hi", parent_id=parent.pk)

    parent.refresh_from_db()
    assert parent.reply_count == 1


def test_publish_and_signal_run_only_after_commit(
    story, profile, published, django_capture_on_commit_callbacks
):
    # given
    received = []

    def receiver(sender, comment, **kwargs):
        received.append((sender, comment.pk))

    signals.comment_posted.connect(receiver)
    parent = CommentFactory(story=story)

    # when
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            comment = comment_create(
                story_id=story.pk, author=profile.user, body="Hi", parent_id=parent.pk
            )
            assert received == []
            assert published == []
    finally:
        signals.comment_posted.disconnect(receiver)

    # then
    # publish, COMMENT_REPLY_CREATED and UNMODERATED-queue webhooks, then the signal
    assert len(callbacks) == 4
    assert published == [
        (
            "publish_comment_created",
            {
                "comment_id": str(comment.pk),
                "story_id": str(story.pk),
                "parent_id": str(parent.pk),
                "status": "NONE",
            },
        )
    ]
    assert received == [(Comment, comment.pk)]


def test_failed_create_schedules_nothing(
    story, profile, published, django_capture_on_commit_callbacks
):
    story.closed_at = timezone.now()
    story.save()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(StoryClosed):
        comment_create(story_id=story.pk, author=profile.user, body="Hi")

    assert callbacks == []
    assert published == []
