"""The comment and moderation services dispatch Coral's webhook events."""

import pytest

from comments.models import Comment, Story
from comments.services import comment_create, comment_flag_create
from moderation.models import Role
from moderation.services import comment_approve
from tests.factories import CommentFactory, ProfileFactory


@pytest.fixture
def dispatched(monkeypatch):
    calls = []

    def record(*, event, site_id, data):
        calls.append((event, data.get("queue"), data["commentID"]))

    monkeypatch.setattr("comments.services.webhook_event_dispatch", record)
    monkeypatch.setattr("moderation.services.comment_status.webhook_event_dispatch", record)
    return calls


@pytest.mark.django_db
def test_published_comment_dispatches_created_and_unmoderated(story, profile, dispatched):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Hello")
    assert dispatched == [
        ("COMMENT_CREATED", None, str(comment.pk)),
        ("COMMENT_ENTERED_MODERATION_QUEUE", "UNMODERATED", str(comment.pk)),
    ]


@pytest.mark.django_db
def test_reply_dispatches_reply_created(story, profile, dispatched):
    parent = CommentFactory(story=story)
    reply = comment_create(story_id=story.pk, author=profile.user, body="Hi", parent_id=parent.pk)
    assert dispatched[0] == ("COMMENT_REPLY_CREATED", None, str(reply.pk))


@pytest.mark.django_db
def test_held_comment_enters_pending_then_leaves_on_approval(story, profile, dispatched):
    # given: a pre-moderated story
    Story.objects.filter(pk=story.pk).update(premod_enabled=True)
    comment = comment_create(story_id=story.pk, author=profile.user, body="Held")
    # then: no COMMENT_CREATED for an unpublished comment (as Coral)
    assert dispatched == [
        ("COMMENT_ENTERED_MODERATION_QUEUE", "PENDING", str(comment.pk)),
        ("COMMENT_ENTERED_MODERATION_QUEUE", "UNMODERATED", str(comment.pk)),
    ]
    dispatched.clear()
    # when
    comment_approve(comment=comment, moderator=ProfileFactory(role=Role.ADMIN))
    # then
    assert dispatched == [
        ("COMMENT_LEFT_MODERATION_QUEUE", "PENDING", str(comment.pk)),
        ("COMMENT_LEFT_MODERATION_QUEUE", "UNMODERATED", str(comment.pk)),
    ]


@pytest.mark.django_db
def test_first_report_enters_reported_and_a_second_does_not(story, dispatched):
    comment = CommentFactory(story=story)
    comment_flag_create(
        comment_id=comment.pk, reporter=ProfileFactory().user, reason="COMMENT_REPORTED_SPAM"
    )
    comment_flag_create(
        comment_id=comment.pk, reporter=ProfileFactory().user, reason="COMMENT_REPORTED_SPAM"
    )
    assert dispatched == [("COMMENT_ENTERED_MODERATION_QUEUE", "REPORTED", str(comment.pk))]


@pytest.mark.django_db
def test_reports_entering_and_leaving_are_published_to_moderators(
    story, dispatched, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    published = []
    for name in ("entered", "left"):
        monkeypatch.setattr(
            f"moderation.services.comment_status.publish_comment_{name}_moderation_queue",
            lambda name=name, **kwargs: published.append((name, kwargs["queue"])),
        )
    comment = CommentFactory(story=story)
    # when: a first report, then a moderator's decision resolving it
    with django_capture_on_commit_callbacks(execute=True):
        comment_flag_create(
            comment_id=comment.pk, reporter=ProfileFactory().user, reason="COMMENT_REPORTED_SPAM"
        )
    with django_capture_on_commit_callbacks(execute=True):
        comment_approve(comment=comment, moderator=ProfileFactory(role=Role.ADMIN))
    # then
    assert published == [("entered", "REPORTED"), ("left", "REPORTED")]


@pytest.mark.django_db
def test_creating_a_comment_reads_its_story_once(story, profile, dispatched):
    # The webhooks get the story's URL from the story already loaded, not a second read.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        comment_create(story_id=story.pk, author=profile.user, body="Hello")
    story_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "talk_comments_story"' in q["sql"]
    ]
    assert len(story_reads) == 1, story_reads
    assert dispatched[0] == ("COMMENT_CREATED", None, str(Comment.objects.get().pk))
