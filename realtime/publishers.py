"""The only module that sends to the channel layer; called from ``on_commit`` only.

Every publisher is a no-op when ``TALK["REALTIME_ENABLED"]`` is False or no channel layer
is configured. A failing channel layer is logged, never raised: the comment is already
committed, and a subscriber that missed the event catches up by cursor on resume.

Derived events. ``comment.created`` and ``comment.status_updated`` also tell moderators
(``comment.entered_moderation_queue`` / ``comment.left_moderation_queue`` for the queues
that follow from the status alone, PENDING and UNMODERATED, see :func:`moderation_queues`;
and ``comment.moderated``) and the author of the parent comment
(``comment.reply_created``). Callers must not publish those queue changes again. REPORTED
depends on open reports, which a status does not tell: whoever opens the first report of
a published comment, or resolves its reports (dismissed, or decided), publishes REPORTED
with :func:`publish_comment_entered_moderation_queue` /
:func:`publish_comment_left_moderation_queue`.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from comments.conf import talk_settings
from comments.models import VISIBLE_STATUSES
from moderation.selectors import comment_queues
from realtime import groups
from realtime.events import (
    QUEUE_PENDING,
    QUEUE_UNMODERATED,
    CommentCreated,
    CommentEdited,
    CommentEnteredModerationQueue,
    CommentFeatured,
    CommentLeftModerationQueue,
    CommentModerated,
    CommentReactionUpdated,
    CommentReplyCreated,
    CommentStatusUpdated,
)
from realtime.selectors import CommentFacts, comment_event_facts

logger = logging.getLogger(__name__)


def _enabled() -> bool:
    return bool(talk_settings.REALTIME_ENABLED) and get_channel_layer() is not None


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


def _facts(comment_id: str) -> CommentFacts | None:
    try:
        return comment_event_facts(comment_id=comment_id)
    except Exception:  # noqa: BLE001 - a derived event must never break the primary one
        logger.exception("realtime: could not read comment %s for derived events", comment_id)
        return None


def moderation_queues(*, status: str) -> set[str]:
    """Return the status-driven moderation queues (Coral's) of a comment with ``status``.

    PENDING and UNMODERATED of :func:`moderation.selectors.comment_queues`; REPORTED is
    not derived here (see the module doc).
    """
    queues = comment_queues(status=status, open_flag_count=0)
    return {str(queue) for queue in queues if queue in (QUEUE_PENDING, QUEUE_UNMODERATED)}


def publish_comment_created(
    *, comment_id: str, story_id: str, parent_id: str | None, status: str
) -> None:
    """Fan out ``comment.created`` to sockets watching ``story_id``. Payload: ids only.

    Also: ``comment.entered_moderation_queue`` for each queue the new comment is in, and
    ``comment.reply_created`` to the parent's author when a visible reply was posted.
    """
    event: CommentCreated = {
        "type": "comment.created",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "parent_id": str(parent_id) if parent_id is not None else None,
        "status": str(status),
    }
    group_send(groups.story(story_id), event)
    if not _enabled():
        return
    facts = _facts(comment_id)
    if facts is None:
        return
    for queue in sorted(moderation_queues(status=status)):
        publish_comment_entered_moderation_queue(
            comment_id=comment_id, story_id=story_id, site_id=facts.site_id, queue=queue
        )
    if status in VISIBLE_STATUSES:
        _publish_reply_created(facts)


def publish_comment_edited(*, comment_id: str, story_id: str) -> None:
    """Fan out ``comment.edited`` to sockets watching ``story_id``."""
    event: CommentEdited = {
        "type": "comment.edited",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
    }
    group_send(groups.story(story_id), event)


def publish_comment_status_updated(
    *,
    comment_id: str,
    story_id: str,
    old_status: str,
    new_status: str,
    actor_id: str | None = None,
) -> None:
    """Fan out ``comment.status_updated`` (moderation decisions) for ``story_id``.

    Also, to the site's moderators: ``comment.moderated`` (with ``actor_id``, the deciding
    moderator's profile id, None for the system) and the queues the comment left and
    entered; and ``comment.reply_created`` to the parent's author when a reply was released.
    """
    event: CommentStatusUpdated = {
        "type": "comment.status_updated",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "old_status": str(old_status),
        "new_status": str(new_status),
    }
    group_send(groups.story(story_id), event)
    if not _enabled():
        return
    facts = _facts(comment_id)
    if facts is None:
        return
    moderated: CommentModerated = {
        "type": "comment.moderated",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "site_id": facts.site_id,
        "old_status": str(old_status),
        "new_status": str(new_status),
        "actor_id": str(actor_id) if actor_id is not None else None,
    }
    group_send(groups.moderation(facts.site_id), moderated)
    before = moderation_queues(status=old_status)
    after = moderation_queues(status=new_status)
    for queue in sorted(before - after):
        publish_comment_left_moderation_queue(
            comment_id=comment_id, story_id=story_id, site_id=facts.site_id, queue=queue
        )
    for queue in sorted(after - before):
        publish_comment_entered_moderation_queue(
            comment_id=comment_id, story_id=story_id, site_id=facts.site_id, queue=queue
        )
    if new_status in VISIBLE_STATUSES and old_status not in VISIBLE_STATUSES:
        _publish_reply_created(facts)


def publish_comment_reaction_updated(
    *, comment_id: str, story_id: str, reaction_count: int
) -> None:
    """Fan out ``comment.reaction_updated`` with the new count for ``story_id``."""
    event: CommentReactionUpdated = {
        "type": "comment.reaction_updated",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "reaction_count": reaction_count,
    }
    group_send(groups.story(story_id), event)


def publish_comment_entered_moderation_queue(
    *, comment_id: str, story_id: str, site_id: str, queue: str
) -> None:
    """Tell ``site_id``'s moderators that a comment entered ``queue``.

    Args:
        queue: UNMODERATED, PENDING or REPORTED (Coral's MODERATION_QUEUE).
    """
    event: CommentEnteredModerationQueue = {
        "type": "comment.entered_moderation_queue",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "site_id": str(site_id),
        "queue": str(queue),
    }
    group_send(groups.moderation(site_id), event)


def publish_comment_left_moderation_queue(
    *, comment_id: str, story_id: str, site_id: str, queue: str
) -> None:
    """Tell ``site_id``'s moderators that a comment left ``queue`` (decided, or its
    reports dismissed).

    Args:
        queue: UNMODERATED, PENDING or REPORTED (Coral's MODERATION_QUEUE).
    """
    event: CommentLeftModerationQueue = {
        "type": "comment.left_moderation_queue",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "site_id": str(site_id),
        "queue": str(queue),
    }
    group_send(groups.moderation(site_id), event)


def publish_comment_featured(*, comment_id: str, story_id: str, site_id: str | None = None) -> None:
    """Tell the site's moderators that a comment was featured.

    Args:
        site_id: the comment's site; looked up from the comment when None.
    """
    if site_id is None:
        if not _enabled():
            return
        facts = _facts(comment_id)
        if facts is None:
            return
        site_id = facts.site_id
    event: CommentFeatured = {
        "type": "comment.featured",
        "comment_id": str(comment_id),
        "story_id": str(story_id),
        "site_id": str(site_id),
    }
    group_send(groups.moderation(site_id), event)


def _publish_reply_created(facts: CommentFacts) -> None:
    """Tell the parent's author about a visible reply (never about their own replies)."""
    if facts.parent_id is None or facts.parent_author_id is None:
        return
    if facts.parent_author_id == facts.author_id:
        return
    event: CommentReplyCreated = {
        "type": "comment.reply_created",
        "comment_id": facts.comment_id,
        "story_id": facts.story_id,
        "parent_id": facts.parent_id,
        "user_id": facts.parent_author_id,
    }
    group_send(groups.user(facts.parent_author_id), event)
