"""comment_edit."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from comments import services
from comments.errors import (
    CommentEmpty,
    CommentNotFound,
    EditWindowExpired,
    NotAuthenticated,
    NotAuthor,
    StoryClosed,
)
from comments.models import (
    ActionKind,
    Comment,
    CommentAction,
    CommentRevision,
    CommentStatus,
    Story,
)
from comments.services import comment_create, comment_edit
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(record_calls):
    return record_calls(services, "publish_comment_edited")


def test_author_edits_within_window(story, profile, published, django_capture_on_commit_callbacks):
    # given
    comment = comment_create(story_id=story.pk, author=profile.user, body="Frist")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        comment_edit(comment_id=comment.pk, editor=profile.user, body="<i>First</i>")

    # then
    saved = Comment.objects.get(pk=comment.pk)
    assert saved.body == "<i>First</i>"
    assert saved.edited_at is not None
    assert saved.edited_at >= saved.created_at
    assert list(CommentRevision.objects.filter(comment=comment).values_list("body", flat=True)) == [
        "Frist",
        "<i>First</i>",
    ]
    assert list(CommentAction.objects.filter(comment=comment).values_list("kind", flat=True)) == [
        ActionKind.CREATED,
        ActionKind.EDITED,
    ]
    assert published == [
        ("publish_comment_edited", {"comment_id": str(comment.pk), "story_id": str(story.pk)})
    ]


def test_other_user_cannot_edit(story, profile, other_profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Mine")

    with pytest.raises(NotAuthor):
        comment_edit(comment_id=comment.pk, editor=other_profile.user, body="Yours now")

    saved = Comment.objects.get(pk=comment.pk)
    assert (saved.body, saved.edited_at) == ("Mine", None)
    assert CommentRevision.objects.filter(comment=comment).count() == 1


def test_moderator_cannot_edit_someone_elses_comment(story, profile, moderator_profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Mine")

    with pytest.raises(NotAuthor):
        comment_edit(comment_id=comment.pk, editor=moderator_profile.user, body="Edited")


def test_anonymous_cannot_edit(story, profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Mine")

    with pytest.raises(NotAuthenticated):
        comment_edit(comment_id=comment.pk, editor=AnonymousUser(), body="x")


def test_edit_after_window_raises(story, profile):
    # given: posted 31 s ago with the default 30 s window
    comment = CommentFactory(
        story=story, author=profile, created_at=timezone.now() - timedelta(seconds=31)
    )

    # when
    with pytest.raises(EditWindowExpired):
        comment_edit(comment_id=comment.pk, editor=profile.user, body="Too late")

    # then
    assert Comment.objects.get(pk=comment.pk).edited_at is None
    assert CommentAction.objects.filter(comment=comment).count() == 0


def test_edit_window_follows_setting(settings, story, profile):
    settings.TALK = {"EDIT_WINDOW_SECONDS": 120}
    comment = CommentFactory(
        story=story, author=profile, created_at=timezone.now() - timedelta(seconds=90)
    )

    comment_edit(comment_id=comment.pk, editor=profile.user, body="Still allowed")

    assert Comment.objects.get(pk=comment.pk).body == "Still allowed"


def test_rejected_comment_cannot_be_edited(story, profile):
    comment = CommentFactory(story=story, author=profile, status=CommentStatus.REJECTED)

    with pytest.raises(EditWindowExpired):
        comment_edit(comment_id=comment.pk, editor=profile.user, body="Please")


def test_edit_on_closed_story_raises(story, profile):
    comment = CommentFactory(story=story, author=profile)
    Story.objects.filter(pk=story.pk).update(closed_at=timezone.now())

    with pytest.raises(StoryClosed):
        comment_edit(comment_id=comment.pk, editor=profile.user, body="x")


def test_edit_of_missing_comment_raises(db, profile):
    with pytest.raises(CommentNotFound):
        comment_edit(comment_id=CommentFactory.build().pk, editor=profile.user, body="x")


def test_empty_edit_raises_and_keeps_body(story, profile):
    comment = CommentFactory(story=story, author=profile, body="<p>Keep</p>")

    with pytest.raises(CommentEmpty):
        comment_edit(comment_id=comment.pk, editor=profile.user, body="<p></p>")

    assert Comment.objects.get(pk=comment.pk).body == "<p>Keep</p>"


def test_edit_on_premod_story_holds_an_approved_comment_again(story, profile):
    # given: a comment a moderator approved on a pre-moderated story
    story.premod_enabled = True
    story.save()
    comment = CommentFactory(story=story, author=profile, status=CommentStatus.APPROVED)
    story.refresh_from_db()
    assert story.comment_count == 1

    # when
    edited = comment_edit(comment_id=comment.pk, editor=profile.user, body="Changed")

    # then
    story.refresh_from_db()
    assert edited.status == CommentStatus.PREMOD
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.PREMOD
    assert story.comment_count == 0
    change = CommentAction.objects.get(comment=comment, kind=ActionKind.STATUS_CHANGED)
    assert (change.actor, change.from_status, change.to_status, change.reasons) == (
        None,
        CommentStatus.APPROVED,
        CommentStatus.PREMOD,
        ["PREMOD"],
    )
