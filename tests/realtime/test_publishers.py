"""realtime.publishers over the in-memory channel layer."""

import asyncio
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from comments.models import CommentStatus
from comments.services import comment_create
from moderation.services import comment_status_set
from realtime import groups, publishers
from realtime.groups import story as story_group
from tests.factories import CommentFactory, StoryFactory

STORY_ID = "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10"
COMMENT_ID = "8d7b6a2e-2c3f-4a55-8b36-0a1d2b3c4d5e"
PARENT_ID = "0b6a0e0c-6d1e-4e55-9c1f-7a8b9c0d1e2f"


@pytest.fixture
def listener(settings, db):
    """A channel in ``talk.story.<STORY_ID>``; yields a function returning its next event
    (or None after a short wait)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(story_group(STORY_ID), channel)

    async def _next(timeout: float):
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout)
        except TimeoutError:
            return None

    def next_event(timeout: float = 0.05):
        return async_to_sync(_next)(timeout)

    yield next_event
    async_to_sync(layer.flush)()


EVENTS = [
    (
        publishers.publish_comment_created,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "parent_id": PARENT_ID, "status": "NONE"},
        {
            "type": "comment.created",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "parent_id": PARENT_ID,
            "status": "NONE",
        },
    ),
    (
        publishers.publish_comment_created,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "parent_id": None, "status": "PREMOD"},
        {
            "type": "comment.created",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "parent_id": None,
            "status": "PREMOD",
        },
    ),
    (
        publishers.publish_comment_edited,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID},
        {"type": "comment.edited", "comment_id": COMMENT_ID, "story_id": STORY_ID},
    ),
    (
        publishers.publish_comment_status_updated,
        {
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "old_status": "NONE",
            "new_status": "REJECTED",
        },
        {
            "type": "comment.status_updated",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "old_status": "NONE",
            "new_status": "REJECTED",
        },
    ),
    (
        publishers.publish_comment_reaction_updated,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "reaction_count": 3},
        {
            "type": "comment.reaction_updated",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "reaction_count": 3,
        },
    ),
]


@pytest.mark.parametrize(
    ("publish", "kwargs", "expected"), EVENTS, ids=[e[2]["type"] for e in EVENTS]
)
def test_group_member_receives_exactly_the_event(listener, publish, kwargs, expected):
    publish(**kwargs)

    event = listener()
    assert event == expected
    assert json.loads(json.dumps(event)) == event
    assert listener() is None


def test_other_story_groups_receive_nothing(listener):
    publishers.publish_comment_edited(comment_id=COMMENT_ID, story_id=PARENT_ID)

    assert listener() is None


def test_group_names_are_valid_channel_group_names():
    name = story_group(STORY_ID)

    assert name == f"talk.story.{STORY_ID}"
    assert len(name) < 100
    assert get_channel_layer().match_type_and_length(name)
    assert get_channel_layer().group_name_regex.match(name)


def test_realtime_disabled_sends_nothing(settings, listener):
    settings.TALK = {"REALTIME_ENABLED": False}

    publishers.publish_comment_edited(comment_id=COMMENT_ID, story_id=STORY_ID)

    assert listener() is None


def test_no_channel_layer_is_a_no_op(settings):
    settings.CHANNEL_LAYERS = {}

    publishers.publish_comment_edited(comment_id=COMMENT_ID, story_id=STORY_ID)


def test_failing_layer_is_logged_not_raised(monkeypatch, caplog):
    class BrokenLayer:
        async def group_send(self, group, event):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(publishers, "get_channel_layer", BrokenLayer)

    with caplog.at_level(logging.ERROR, logger="realtime.publishers"):
        publishers.publish_comment_edited(comment_id=COMMENT_ID, story_id=STORY_ID)

    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        f"realtime: could not publish comment.edited to talk.story.{STORY_ID}"
    )
    assert isinstance(record.exc_info[1], ConnectionError)


@pytest.mark.django_db
def test_comment_create_publishes_after_commit(
    settings, story, profile, django_capture_on_commit_callbacks
):
    # given
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(story_group(str(story.pk)), channel)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(story_id=story.pk, author=profile.user, body="Live!")

    # then
    event = async_to_sync(layer.receive)(channel)
    assert event == {
        "type": "comment.created",
        "comment_id": str(comment.pk),
        "story_id": str(story.pk),
        "parent_id": None,
        "status": "NONE",
    }
    async_to_sync(layer.flush)()


SITE_ID = "1e1f0c2a-54a4-4b4b-9a59-0d0c6d3e1f10"
USER_ID = "2e2f0c2a-54a4-4b4b-9a59-0d0c6d3e1f10"

MORE_EVENTS = [
    (
        publishers.publish_comment_entered_moderation_queue,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "site_id": SITE_ID, "queue": "PENDING"},
        groups.moderation(SITE_ID),
        {
            "type": "comment.entered_moderation_queue",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "site_id": SITE_ID,
            "queue": "PENDING",
        },
    ),
    (
        publishers.publish_comment_left_moderation_queue,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "site_id": SITE_ID, "queue": "REPORTED"},
        groups.moderation(SITE_ID),
        {
            "type": "comment.left_moderation_queue",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "site_id": SITE_ID,
            "queue": "REPORTED",
        },
    ),
    (
        publishers.publish_comment_featured,
        {"comment_id": COMMENT_ID, "story_id": STORY_ID, "site_id": SITE_ID},
        groups.moderation(SITE_ID),
        {
            "type": "comment.featured",
            "comment_id": COMMENT_ID,
            "story_id": STORY_ID,
            "site_id": SITE_ID,
        },
    ),
]


class Recorder:
    """Channels in any groups; ``events(group)`` returns what each received, in order."""

    def __init__(self):
        self.layer = get_channel_layer()
        self.channels = {}

    def join(self, *names):
        for name in names:
            channel = async_to_sync(self.layer.new_channel)()
            async_to_sync(self.layer.group_add)(name, channel)
            self.channels[name] = channel
        return self

    def events(self, name):
        async def drain():
            received = []
            while True:
                try:
                    received.append(
                        await asyncio.wait_for(self.layer.receive(self.channels[name]), 0.05)
                    )
                except TimeoutError:
                    return received

        return async_to_sync(drain)()


@pytest.fixture
def recorder(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield Recorder()
    async_to_sync(get_channel_layer().flush)()


@pytest.mark.parametrize(
    ("publish", "kwargs", "group", "expected"),
    MORE_EVENTS,
    ids=[e[3]["type"] for e in MORE_EVENTS],
)
def test_moderation_events_go_to_the_sites_group(recorder, publish, kwargs, group, expected):
    recorder.join(group, story_group(STORY_ID))

    publish(**kwargs)

    assert recorder.events(group) == [expected]
    assert json.loads(json.dumps(expected)) == expected
    assert recorder.events(story_group(STORY_ID)) == []
    assert groups.of_event(expected) == group


@pytest.mark.parametrize(
    ("event", "group"),
    [
        ({"type": "comment.created", "story_id": STORY_ID}, f"talk.story.{STORY_ID}"),
        ({"type": "comment.moderated", "site_id": SITE_ID}, f"talk.moderation.{SITE_ID}"),
        ({"type": "comment.reply_created", "user_id": USER_ID}, f"talk.user.{USER_ID}"),
        ({"type": "comment.created"}, None),
        ({"type": "realtime.barrier", "token": "x"}, None),
        ({}, None),
    ],
)
def test_the_group_of_an_event_follows_from_its_type(event, group):
    assert groups.of_event(event) == group


@pytest.mark.django_db
def test_featured_without_site_looks_it_up(recorder, story, profile):
    comment = CommentFactory(story=story, author=profile)
    recorder.join(groups.moderation(str(story.site_id)))

    publishers.publish_comment_featured(comment_id=str(comment.pk), story_id=str(story.pk))

    assert recorder.events(groups.moderation(str(story.site_id))) == [
        {
            "type": "comment.featured",
            "comment_id": str(comment.pk),
            "story_id": str(story.pk),
            "site_id": str(story.site_id),
        }
    ]


@pytest.mark.django_db
def test_a_held_comment_enters_pending_and_unmoderated(
    recorder, site, profile, django_capture_on_commit_callbacks
):
    # given
    story = StoryFactory(site=site, premod_enabled=True)
    moderation = groups.moderation(str(site.pk))
    recorder.join(moderation, story_group(str(story.pk)))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(story_id=story.pk, author=profile.user, body="Hold me")

    # then
    ids = {"comment_id": str(comment.pk), "story_id": str(story.pk), "site_id": str(site.pk)}
    assert recorder.events(moderation) == [
        {"type": "comment.entered_moderation_queue", **ids, "queue": "PENDING"},
        {"type": "comment.entered_moderation_queue", **ids, "queue": "UNMODERATED"},
    ]
    assert [e["status"] for e in recorder.events(story_group(str(story.pk)))] == ["PREMOD"]


@pytest.mark.django_db
def test_a_decision_tells_moderators_and_the_parent_author(
    recorder, story, profile, other_profile, moderator_profile, django_capture_on_commit_callbacks
):
    # given: bob's held reply to alice's comment
    parent = CommentFactory(story=story, author=profile)
    reply = CommentFactory(
        story=story, author=other_profile, parent=parent, status=CommentStatus.PREMOD
    )
    moderation = groups.moderation(str(story.site_id))
    recorder.join(moderation, groups.user(str(profile.pk)), groups.user(str(other_profile.pk)))

    # when: a moderator approves it
    with django_capture_on_commit_callbacks(execute=True):
        comment_status_set(comment=reply, status=CommentStatus.APPROVED, actor=moderator_profile)

    # then
    ids = {"comment_id": str(reply.pk), "story_id": str(story.pk), "site_id": str(story.site_id)}
    assert recorder.events(moderation) == [
        {
            "type": "comment.moderated",
            **ids,
            "old_status": "PREMOD",
            "new_status": "APPROVED",
            "actor_id": str(moderator_profile.pk),
        },
        {"type": "comment.left_moderation_queue", **ids, "queue": "PENDING"},
        {"type": "comment.left_moderation_queue", **ids, "queue": "UNMODERATED"},
    ]
    assert recorder.events(groups.user(str(profile.pk))) == [
        {
            "type": "comment.reply_created",
            "comment_id": str(reply.pk),
            "story_id": str(story.pk),
            "parent_id": str(parent.pk),
            "user_id": str(profile.pk),
        }
    ]
    assert recorder.events(groups.user(str(other_profile.pk))) == []


@pytest.mark.django_db
def test_a_visible_reply_tells_the_parent_author_but_not_a_self_reply(
    recorder, story, profile, other_profile, django_capture_on_commit_callbacks
):
    parent = CommentFactory(story=story, author=profile)
    recorder.join(groups.user(str(profile.pk)), groups.moderation(str(story.site_id)))

    with django_capture_on_commit_callbacks(execute=True):
        own = comment_create(
            story_id=story.pk, author=profile.user, body="Me again", parent_id=parent.pk
        )
        reply = comment_create(
            story_id=story.pk, author=other_profile.user, body="Hi", parent_id=parent.pk
        )

    assert [e["comment_id"] for e in recorder.events(groups.user(str(profile.pk)))] == [
        str(reply.pk)
    ]
    assert [
        (e["comment_id"], e["queue"])
        for e in recorder.events(groups.moderation(str(story.site_id)))
    ] == [(str(own.pk), "UNMODERATED"), (str(reply.pk), "UNMODERATED")]


def test_status_enums_are_sent_as_plain_strings(listener):
    publishers.publish_comment_status_updated(
        comment_id=COMMENT_ID,
        story_id=STORY_ID,
        old_status=CommentStatus.PREMOD,
        new_status=CommentStatus.APPROVED,
    )

    event = listener()
    assert (type(event["old_status"]), type(event["new_status"])) == (str, str)
    assert (event["old_status"], event["new_status"]) == ("PREMOD", "APPROVED")
