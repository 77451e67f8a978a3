"""Channel group names: ASCII letters, digits, '-', '_', '.', under 100 chars.

Three kinds of group (DESIGN.md §6): a story's stream, a site's moderation queues, and
one signed-in user's own notifications. :func:`of_event` names the group an event was
sent to, from the event alone, so a node can route it to its local subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def story(story_id: str) -> str:
    """Group of sockets watching one story's stream."""
    return f"talk.story.{story_id}"


def moderation(site_id: str) -> str:
    """Group of moderators watching one site's moderation queues."""
    return f"talk.moderation.{site_id}"


def user(profile_id: str) -> str:
    """Group of one signed-in user's sockets (replies to their comments)."""
    return f"talk.user.{profile_id}"


# Event type -> (group function, the event key holding the group's id). Every event type
# is sent to exactly one kind of group: a node receives a message once per group it
# joined, and must know which group the message came through.
EVENT_SCOPES = {
    "comment.created": (story, "story_id"),
    "comment.edited": (story, "story_id"),
    "comment.status_updated": (story, "story_id"),
    "comment.reaction_updated": (story, "story_id"),
    "comment.entered_moderation_queue": (moderation, "site_id"),
    "comment.left_moderation_queue": (moderation, "site_id"),
    "comment.moderated": (moderation, "site_id"),
    "comment.featured": (moderation, "site_id"),
    "comment.reply_created": (user, "user_id"),
}


def of_event(event: Mapping[str, Any]) -> str | None:
    """Return the group ``event`` is sent to, or None for an unknown or malformed event."""
    scope = EVENT_SCOPES.get(event.get("type", ""))
    if scope is None:
        return None
    make, key = scope
    value = event.get(key)
    return make(str(value)) if value else None
