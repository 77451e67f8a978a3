"""realtime.publishers over the in-memory channel layer."""

import asyncio
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from comments.services import comment_create
from realtime import publishers
from realtime.groups import story as story_group

STORY_ID = "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10"
COMMENT_ID = "8d7b6a2e-2c3f-4a55-8b36-0a1d2b3c4d5e"
PARENT_ID = "0b6a0e0c-6d1e-4e55-9c1f-7a8b9c0d1e2f"


@pytest.fixture
def listener(settings):
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
