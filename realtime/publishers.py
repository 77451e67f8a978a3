"""The only module that sends to the channel layer; called from ``on_commit`` only.

Every publisher is a no-op when ``TALK["REALTIME_ENABLED"]`` is False or no channel layer
is configured. A failing channel layer is logged, never raised: the comment is already
committed, and a subscriber that missed the event catches up by cursor on resume.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from comments.conf import talk_settings
from realtime import groups
from realtime.events import (
    CommentCreated,
    CommentEdited,
    CommentReactionUpdated,
    CommentStatusUpdated,
)

logger = logging.getLogger(__name__)


def group_send(group: str, event: Any) -> None:
    """Send ``event`` to ``group``; log and swallow channel-layer failures."""
    if not talk_settings.REALTIME_ENABLED:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - the layer is best-effort by design (see module doc)
        logger.exception("realtime: could not publish %s to %s", event.get("type"), group)


def publish_comment_created(
    *, comment_id: str, story_id: str, parent_id: str | None, status: str
) -> None:
    """Fan out ``comment.created`` to sockets watching ``story_id``. Payload: ids only."""
    event: CommentCreated = {
        "type": "comment.created",
        "comment_id": comment_id,
        "story_id": story_id,
        "parent_id": parent_id,
        "status": status,
    }
    group_send(groups.story(story_id), event)


def publish_comment_edited(*, comment_id: str, story_id: str) -> None:
    """Fan out ``comment.edited`` to sockets watching ``story_id``."""
    event: CommentEdited = {
        "type": "comment.edited",
        "comment_id": comment_id,
        "story_id": story_id,
    }
    group_send(groups.story(story_id), event)


def publish_comment_status_updated(
    *, comment_id: str, story_id: str, old_status: str, new_status: str
) -> None:
    """Fan out ``comment.status_updated`` (moderation decisions) for ``story_id``."""
    event: CommentStatusUpdated = {
        "type": "comment.status_updated",
        "comment_id": comment_id,
        "story_id": story_id,
        "old_status": old_status,
        "new_status": new_status,
    }
    group_send(groups.story(story_id), event)


def publish_comment_reaction_updated(
    *, comment_id: str, story_id: str, reaction_count: int
) -> None:
    """Fan out ``comment.reaction_updated`` with the new count for ``story_id``."""
    event: CommentReactionUpdated = {
        "type": "comment.reaction_updated",
        "comment_id": comment_id,
        "story_id": story_id,
        "reaction_count": reaction_count,
    }
    group_send(groups.story(story_id), event)
