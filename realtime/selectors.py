"""Reads the realtime app needs: event facts, moderator scopes, and resume backlogs.

These read other apps' models without changing them (STYLE.md §1: realtime may read
across apps). Everything here is synchronous; consumers call it through
``database_sync_to_async``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from comments.errors import InvalidID
from comments.models import (
    HELD_STATUSES,
    VISIBLE_STATUSES,
    ActionKind,
    Comment,
    CommentAction,
    CommentStatus,
    Site,
)
from comments.selectors import CommentOrder, comment_cursor_decode
from moderation.models import Profile
from moderation.selectors import profile_moderation_site_ids

# Statuses a comment can be released from: anything hidden from readers.
HIDDEN_STATUSES = (*HELD_STATUSES, CommentStatus.REJECTED)


@dataclass(frozen=True)
class CommentFacts:
    """What publishers need to derive moderation and per-user events from a comment."""

    comment_id: str
    story_id: str
    site_id: str
    author_id: str | None
    parent_id: str | None
    parent_author_id: str | None


def comment_event_facts(*, comment_id: str) -> CommentFacts | None:
    """Return the ids around ``comment_id`` (one query), or None if it is gone."""
    row = (
        Comment.objects.filter(pk=comment_id)
        .values("story_id", "site_id", "author_id", "parent_id", "parent__author_id")
        .first()
    )
    if row is None:
        return None

    def text(value) -> str | None:
        return str(value) if value is not None else None

    return CommentFacts(
        comment_id=str(comment_id),
        story_id=str(row["story_id"]),
        site_id=str(row["site_id"]),
        author_id=text(row["author_id"]),
        parent_id=text(row["parent_id"]),
        parent_author_id=text(row["parent__author_id"]),
    )


def moderator_site_scope(*, profile: Profile) -> frozenset[str] | None:
    """Return the ids of the sites ``profile`` may moderate; None means every site.

    The moderation app decides (``profile_moderation_site_ids``: admins and unscoped
    moderators moderate everywhere, a moderator with ``moderation_sites`` only there).
    """
    ids = profile_moderation_site_ids(profile=profile)
    return None if ids is None else frozenset(str(pk) for pk in ids)


def site_ids_list() -> list[str]:
    """Return the ids of all sites, in the sites' order (name, then id)."""
    return [str(pk) for pk in Site.objects.values_list("pk", flat=True)]


def site_origins(*, site_ids: list[str] | None = None) -> dict[str, list[str]]:
    """Return each site's allowed embed origins (lower-case, no trailing slash), by id."""
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=site_ids)
    return {
        str(pk): [str(o).rstrip("/").lower() for o in origins or []]
        for pk, origins in sites.values_list("pk", "allowed_origins")
    }


def comment_position(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Return the (created_at, id) a comment cursor points at.

    Accepts the cursors of CREATED_AT_ASC connections (the ``cursor`` of live payloads)
    and of CREATED_AT_DESC ones (the stream's default order): both name one comment.

    Raises:
        InvalidID: not a cursor of either order (field ``after``).
    """
    for order in (CommentOrder.CREATED_AT_ASC, CommentOrder.CREATED_AT_DESC):
        try:
            created_at, comment_id = comment_cursor_decode(cursor, order)
        except InvalidID:
            continue
        return created_at, comment_id  # type: ignore[return-value]
    raise InvalidID("That cursor is not a comment cursor.", field="after")


@dataclass(frozen=True)
class MissedComment:
    """A comment a resuming subscriber missed, with when it became visible."""

    comment: Comment
    entered_at: datetime


def comment_list_entered_after(
    *, story_id: uuid.UUID, after: tuple[datetime, uuid.UUID], limit: int
) -> list[MissedComment]:
    """List the visible comments of a story that entered it after position ``after``.

    A comment entered when it was posted, if it was visible then, or when a moderator
    released it (a status change from a hidden status to NONE/APPROVED). Comments posted
    after ``after`` count at their creation; older ones count if released after the
    creation time of ``after``.

    Args:
        after: (created_at, id) of the last comment the subscriber saw.
        limit: at most this many comments (callers pass their cap + 1 to detect more).
    Returns:
        Comments with ``story``, ``site`` and ``author`` selected, oldest entry first;
        each comment once. Two queries, plus one for released comments if any.
    """
    created_at, comment_id = after
    later = Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=comment_id)
    base = Comment.objects.select_related("story", "story__site", "author").filter(
        story_id=story_id, status__in=VISIBLE_STATUSES
    )
    posted = list(base.filter(later).order_by("created_at", "id")[:limit])
    missed = {c.pk: MissedComment(comment=c, entered_at=c.created_at) for c in posted}
    releases = (
        CommentAction.objects.filter(
            comment__story_id=story_id,
            kind=ActionKind.STATUS_CHANGED,
            from_status__in=HIDDEN_STATUSES,
            to_status__in=VISIBLE_STATUSES,
            created_at__gt=created_at,
        )
        .exclude(comment_id__in=list(missed))
        .order_by("created_at", "id")
        .values_list("comment_id", "created_at")[:limit]
    )
    released_at: dict[uuid.UUID, datetime] = {}
    for cid, at in releases:
        released_at[cid] = max(at, released_at.get(cid, at))
    if released_at:
        for comment in base.filter(pk__in=list(released_at)).exclude(later):
            missed[comment.pk] = MissedComment(comment=comment, entered_at=released_at[comment.pk])
    ordered = sorted(
        missed.values(), key=lambda m: (m.entered_at, m.comment.created_at, m.comment.pk)
    )
    return ordered[:limit]
