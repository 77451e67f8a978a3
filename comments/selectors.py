"""Reads: sites, stories and pages of comments (keyset pagination, no N+1)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from django.db import connection
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from comments.errors import InvalidID
from comments.models import HELD_STATUSES, VISIBLE_STATUSES, Comment, Site, Story
from moderation.models import Profile


class CommentOrder(StrEnum):
    """Coral's COMMENT_SORT values."""

    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    REPLIES_DESC = "REPLIES_DESC"
    REACTION_DESC = "REACTION_DESC"


# Sort keys per order: (field, descending). Every order ends with created_at then id, so
# the order is total and cursors are stable (DESIGN.md §3: the pk is the tie-breaker).
_ORDER_KEYS: dict[CommentOrder, list[tuple[str, bool]]] = {
    CommentOrder.CREATED_AT_DESC: [("created_at", True), ("id", True)],
    CommentOrder.CREATED_AT_ASC: [("created_at", False), ("id", False)],
    CommentOrder.REPLIES_DESC: [("reply_count", True), ("created_at", True), ("id", True)],
    CommentOrder.REACTION_DESC: [
        ("reaction_count", True),
        ("created_at", True),
        ("id", True),
    ],
}


@dataclass(frozen=True)
class CommentPage:
    """One page of a comment connection.

    ``items`` are in the requested order; ``cursors`` align with them; ``has_next_page``
    tells whether another page follows the last item.
    """

    items: list[Comment]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool = False

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None


def _cursor_value(comment: Comment, field: str) -> object:
    value = getattr(comment, field)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def comment_cursor(comment: Comment, order: CommentOrder) -> str:
    """Return the opaque cursor of ``comment`` within a connection sorted by ``order``."""
    values = [_cursor_value(comment, field) for field, _ in _ORDER_KEYS[order]]
    raw = json.dumps([order.value, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def comment_cursor_decode(cursor: str, order: CommentOrder) -> list[object]:
    """Return the sort-key values a cursor of ``order`` holds, last the comment's id.

    Raises:
        InvalidID: not a cursor of ``order`` (field ``after``).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, list) or data[0] != order.value:
            raise ValueError("cursor of another order")
        values = data[1:]
        keys = _ORDER_KEYS[order]
        if len(values) != len(keys):
            raise ValueError("wrong length")
        parsed: list[object] = []
        for (field, _), value in zip(keys, values, strict=True):
            if field == "created_at":
                parsed.append(datetime.fromisoformat(str(value)))
            elif field == "id":
                parsed.append(uuid.UUID(str(value)))
            else:
                parsed.append(int(value))
        return parsed
    except (ValueError, TypeError, KeyError, IndexError, binascii.Error) as exc:
        raise InvalidID("That cursor is not valid for this order.", field="after") from exc


def _after_q(order: CommentOrder, values: list[object]) -> Q:
    """Keyset condition: rows strictly after ``values`` in ``order``.

    For keys (k1, k2, k3) that is k1 > v1, or k1 = v1 and k2 > v2, or k1 = v1, k2 = v2
    and k3 > v3 (with < for descending keys).
    """
    keys = _ORDER_KEYS[order]
    condition = Q()
    for i, (field, descending) in enumerate(keys):
        term = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            term &= Q(**{keys[j][0]: values[j]})
        condition |= term
    return condition


def _order_by(order: CommentOrder) -> list[str]:
    return [f"-{field}" if desc else field for field, desc in _ORDER_KEYS[order]]


def comment_visibility_q(*, viewer: Profile | None) -> Q:
    """Return the filter of comments ``viewer`` may read in a stream.

    Readers see NONE and APPROVED comments; an author also sees their own held comments
    (PREMOD, SYSTEM_WITHHELD: shown as awaiting review), never their rejected ones.
    """
    visible = Q(status__in=VISIBLE_STATUSES)
    if viewer is not None:
        visible |= Q(author_id=viewer.pk, status__in=HELD_STATUSES)
    return visible


def _base_queryset(*, viewer: Profile | None) -> QuerySet[Comment]:
    return Comment.objects.filter(comment_visibility_q(viewer=viewer)).select_related("author")


def comment_page(
    *,
    story_id: uuid.UUID,
    viewer: Profile | None,
    parent_id: uuid.UUID | None = None,
    order: CommentOrder = CommentOrder.CREATED_AT_DESC,
    first: int = 20,
    after: str | None = None,
) -> CommentPage:
    """Return one page of the story's comments under ``parent_id`` (None: top level).

    Args:
        first: page size, already capped by the caller (1..MAX_PAGE_SIZE).
        after: cursor of the last comment of the previous page, from this same order.
    Returns:
        A :class:`CommentPage`; comments come with ``author`` selected. One query.
    Raises:
        InvalidID: ``after`` is not a cursor of this order.
    """
    queryset = _base_queryset(viewer=viewer).filter(story_id=story_id, parent_id=parent_id)
    if after:
        queryset = queryset.filter(_after_q(order, comment_cursor_decode(after, order)))
    rows = list(queryset.order_by(*_order_by(order))[: first + 1])
    items = rows[:first]
    return CommentPage(
        items=items,
        cursors=[comment_cursor(c, order) for c in items],
        has_next_page=len(rows) > first,
        has_previous_page=bool(after),
    )


def comment_reply_pages(
    *,
    parent_ids: Iterable[uuid.UUID],
    viewer: Profile | None,
    order: CommentOrder = CommentOrder.CREATED_AT_ASC,
    first: int = 3,
) -> dict[uuid.UUID, CommentPage]:
    """Return the first page of replies for each of ``parent_ids``, keyed by parent id.

    One query on backends with window functions (SQLite, PostgreSQL); one query per
    parent elsewhere (MongoDB has no ROW_NUMBER in django-mongodb-backend 5.2).
    """
    ids = list(parent_ids)
    pages: dict[uuid.UUID, CommentPage] = {}
    if not ids:
        return pages
    grouped: dict[uuid.UUID, list[Comment]] = {pid: [] for pid in ids}
    if connection.features.supports_over_clause:
        ranked = (
            _base_queryset(viewer=viewer)
            .filter(parent_id__in=ids)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("parent_id")],
                    order_by=[
                        F(field).desc() if desc else F(field).asc()
                        for field, desc in _ORDER_KEYS[order]
                    ],
                )
            )
            .filter(rank__lte=first + 1)
            .order_by("parent_id", "rank")
        )
        for comment in ranked:
            grouped[comment.parent_id].append(comment)
    else:  # pragma: no cover - exercised on MongoDB only
        for pid in ids:
            grouped[pid] = list(
                _base_queryset(viewer=viewer)
                .filter(parent_id=pid)
                .order_by(*_order_by(order))[: first + 1]
            )
    for pid, rows in grouped.items():
        items = rows[:first]
        pages[pid] = CommentPage(
            items=items,
            cursors=[comment_cursor(c, order) for c in items],
            has_next_page=len(rows) > first,
        )
    return pages


def comment_get(*, comment_id: uuid.UUID) -> Comment | None:
    """Return the comment with its story, site and author selected, or None."""
    return (
        Comment.objects.select_related("story", "story__site", "author")
        .filter(pk=comment_id)
        .first()
    )


def comment_get_visible(*, comment_id: uuid.UUID, viewer: Profile | None) -> Comment | None:
    """Return the comment if ``viewer`` may read it (see :func:`comment_visibility_q`)."""
    return (
        Comment.objects.select_related("story", "story__site", "author")
        .filter(comment_visibility_q(viewer=viewer), pk=comment_id)
        .first()
    )


def comment_ids_reacted(*, viewer: Profile | None, comment_ids: Iterable[uuid.UUID]) -> set:
    """Return the subset of ``comment_ids`` that ``viewer`` has reacted to (one query)."""
    ids = list(comment_ids)
    if viewer is None or not ids:
        return set()
    return set(viewer.reactions.filter(comment_id__in=ids).values_list("comment_id", flat=True))


def url_origin(url: str) -> str | None:
    """Return ``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, else None
    (also for a malformed port such as ``:99999`` or ``:x``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # urlsplit drops an IPv6 host's brackets; an origin keeps them (RFC 6454 §6.1).
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    origin = f"{parts.scheme}://{host}"
    if port:
        origin += f":{port}"
    return origin.lower()


def site_get_for_url(*, url: str) -> Site | None:
    """Return the site whose allowed origins contain ``url``'s origin, or whose domain is
    its host; None when no site claims it."""
    origin = url_origin(url)
    if origin is None:
        return None
    host = urlsplit(url).hostname or ""
    for site in Site.objects.all():
        if site.allows_origin(origin) or site.domain.lower() == host.lower():
            return site
    return None


def story_get(*, story_id: uuid.UUID) -> Story | None:
    """Return the story with its site selected, or None."""
    return Story.objects.select_related("site").filter(pk=story_id).first()


def story_get_by_url(*, url: str) -> Story | None:
    """Return the story whose canonical URL is ``url`` on any site, or None."""
    return Story.objects.select_related("site").filter(url=url.strip()).order_by("id").first()


def story_list(*, limit: int = 50) -> QuerySet[Story]:
    """List stories with the most visible comments first, then newest; ``site`` joined."""
    return Story.objects.select_related("site").order_by("-comment_count", "-created_at", "id")[
        :limit
    ]
