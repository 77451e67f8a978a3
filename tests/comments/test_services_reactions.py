"""comment_reaction_create, comment_reaction_remove and comment_flag_create."""

import pytest
from django.contrib.auth.models import AnonymousUser

from comments import services
from comments.errors import (
    AlreadyFlagged,
    CommentNotFound,
    CommentNotVisible,
    FlagNoteRequired,
    NotAuthenticated,
)
from comments.models import CommentFlag, CommentReaction, CommentStatus, FlagReason
from comments.services import (
    comment_flag_create,
    comment_reaction_create,
    comment_reaction_remove,
)
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

HIDDEN = [CommentStatus.PREMOD, CommentStatus.REJECTED, CommentStatus.SYSTEM_WITHHELD]


@pytest.fixture
def comment(story):
    return CommentFactory(story=story)


@pytest.fixture
def published(record_calls):
    return record_calls(services, "publish_comment_reaction_updated")


def test_reaction_counts_once_per_reader(
    comment, profile, other_profile, published, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = comment_reaction_create(comment_id=comment.pk, author=profile.user)
        again = comment_reaction_create(comment_id=comment.pk, author=profile.user)
        other = comment_reaction_create(comment_id=comment.pk, author=other_profile.user)

    # then
    comment.refresh_from_db()
    assert (first.reaction_count, again.reaction_count, other.reaction_count) == (1, 1, 2)
    assert comment.reaction_count == 2
    assert set(CommentReaction.objects.values_list("author_id", flat=True)) == {
        profile.pk,
        other_profile.pk,
    }
    event = {"comment_id": str(comment.pk), "story_id": str(comment.story_id)}
    assert published == [
        ("publish_comment_reaction_updated", {**event, "reaction_count": 1}),
        ("publish_comment_reaction_updated", {**event, "reaction_count": 2}),
    ]


def test_remove_reaction_decrements_and_is_idempotent(
    comment, profile, other_profile, published, django_capture_on_commit_callbacks
):
    # given
    comment_reaction_create(comment_id=comment.pk, author=profile.user)
    comment_reaction_create(comment_id=comment.pk, author=other_profile.user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        removed = comment_reaction_remove(comment_id=comment.pk, author=profile.user)
        again = comment_reaction_remove(comment_id=comment.pk, author=profile.user)

    # then
    comment.refresh_from_db()
    assert (removed.reaction_count, again.reaction_count, comment.reaction_count) == (1, 1, 1)
    assert CommentReaction.objects.get().author_id == other_profile.pk
    assert published == [
        (
            "publish_comment_reaction_updated",
            {"comment_id": str(comment.pk), "story_id": str(comment.story_id), "reaction_count": 1},
        )
    ]


def test_remove_without_reaction_changes_nothing(comment, profile):
    result = comment_reaction_remove(comment_id=comment.pk, author=profile.user)

    comment.refresh_from_db()
    assert result.reaction_count == comment.reaction_count == 0
    assert CommentReaction.objects.count() == 0


@pytest.mark.parametrize("status", HIDDEN)
def test_reaction_on_hidden_comment_raises(story, profile, status):
    hidden = CommentFactory(story=story, status=status)

    with pytest.raises(CommentNotVisible):
        comment_reaction_create(comment_id=hidden.pk, author=profile.user)

    hidden.refresh_from_db()
    assert hidden.reaction_count == 0
    assert CommentReaction.objects.count() == 0


def test_reaction_on_missing_comment_raises(db, profile):
    missing = CommentFactory.build().pk

    with pytest.raises(CommentNotFound):
        comment_reaction_create(comment_id=missing, author=profile.user)
    with pytest.raises(CommentNotFound):
        comment_reaction_remove(comment_id=missing, author=profile.user)


def test_anonymous_cannot_react(comment):
    with pytest.raises(NotAuthenticated):
        comment_reaction_create(comment_id=comment.pk, author=AnonymousUser())
    with pytest.raises(NotAuthenticated):
        comment_reaction_remove(comment_id=comment.pk, author=AnonymousUser())

    comment.refresh_from_db()
    assert comment.reaction_count == 0


def test_flag_records_reason_and_counts(comment, profile, other_profile):
    # when
    flag = comment_flag_create(
        comment_id=comment.pk, reporter=profile.user, reason="COMMENT_REPORTED_SPAM"
    )
    comment_flag_create(
        comment_id=comment.pk,
        reporter=other_profile.user,
        reason=FlagReason.COMMENT_REPORTED_OTHER,
        note="  Off-topic advertising  ",
    )

    # then
    comment.refresh_from_db()
    assert comment.flag_count == 2
    saved = CommentFlag.objects.get(pk=flag.pk)
    assert (saved.comment_id, saved.reporter_id, saved.reason, saved.note) == (
        comment.pk,
        profile.pk,
        FlagReason.COMMENT_REPORTED_SPAM,
        "",
    )
    assert CommentFlag.objects.get(reporter=other_profile).note == "Off-topic advertising"
    assert saved.is_resolved is False


@pytest.mark.parametrize("note", ["", "   "])
def test_other_reason_requires_a_note(comment, profile, note):
    with pytest.raises(FlagNoteRequired) as excinfo:
        comment_flag_create(
            comment_id=comment.pk,
            reporter=profile.user,
            reason=FlagReason.COMMENT_REPORTED_OTHER,
            note=note,
        )

    comment.refresh_from_db()
    assert excinfo.value.field == "additionalDetails"
    assert comment.flag_count == 0
    assert CommentFlag.objects.count() == 0


def test_flagging_twice_raises_already_flagged(comment, profile):
    comment_flag_create(
        comment_id=comment.pk, reporter=profile.user, reason="COMMENT_REPORTED_ABUSIVE"
    )

    with pytest.raises(AlreadyFlagged):
        comment_flag_create(
            comment_id=comment.pk, reporter=profile.user, reason="COMMENT_REPORTED_SPAM"
        )

    comment.refresh_from_db()
    assert comment.flag_count == 1
    assert CommentFlag.objects.get().reason == FlagReason.COMMENT_REPORTED_ABUSIVE


def test_flag_note_is_cut_at_500_characters(comment, profile):
    flag = comment_flag_create(
        comment_id=comment.pk,
        reporter=profile.user,
        reason="COMMENT_REPORTED_OTHER",
        note="n" * 600,
    )

    assert len(CommentFlag.objects.get(pk=flag.pk).note) == 500


@pytest.mark.parametrize("status", HIDDEN)
def test_flag_on_hidden_comment_raises(story, profile, status):
    hidden = CommentFactory(story=story, status=status)

    with pytest.raises(CommentNotVisible):
        comment_flag_create(
            comment_id=hidden.pk, reporter=profile.user, reason="COMMENT_REPORTED_SPAM"
        )

    hidden.refresh_from_db()
    assert hidden.flag_count == 0
    assert CommentFlag.objects.count() == 0


def test_anonymous_cannot_flag(comment):
    with pytest.raises(NotAuthenticated):
        comment_flag_create(
            comment_id=comment.pk, reporter=AnonymousUser(), reason="COMMENT_REPORTED_SPAM"
        )

    assert CommentFlag.objects.count() == 0
