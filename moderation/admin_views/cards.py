"""Comment cards: what the queue and comment pages show about each comment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.timesince import timesince

from comments.models import Comment, CommentFlag, CommentTag
from comments.sanitize import visible_text
from moderation.admin_views.common import STATUS_LABELS
from moderation.models import Role
from moderation.selectors import standing_get

EXCERPT_CHARS = 160


def age(moment) -> str:
    """Say how long ago ``moment`` was: "just now" under a minute, else "5 minutes ago"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


def excerpt(body: str, chars: int = EXCERPT_CHARS) -> str:
    """The visible text of a sanitised ``body``, cut to ``chars`` characters."""
    return Truncator(visible_text(body)).chars(chars)


@dataclass
class Card:
    """What a queue card shows about one comment (see ``_card.html``)."""

    comment: Comment
    badges: list[tuple[str, str]] = field(default_factory=list)
    flags: list[CommentFlag] = field(default_factory=list)

    @property
    def is_featured(self) -> bool:
        return CommentTag.FEATURED in (self.comment.tags or [])

    @cached_property
    def open_flags(self) -> list[CommentFlag]:
        return [flag for flag in self.flags if not flag.is_resolved]

    @cached_property
    def flag_summary(self) -> list[tuple[str, int, bool]]:
        """(reason label, how many, raised by the system) for the open flags, in order."""
        summary: dict[str, list] = {}
        for flag in self.open_flags:
            entry = summary.setdefault(
                flag.reason, [flag.get_reason_display(), 0, flag.reporter_id is None]
            )
            entry[1] += 1
        return [tuple(entry) for entry in summary.values()]

    @cached_property
    def parent_excerpt(self) -> str:
        parent = self.comment.parent
        return excerpt(parent.body) if parent is not None else ""

    @property
    def excerpt(self) -> str:
        return excerpt(self.comment.body, 80)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.comment.status, self.comment.status)

    @property
    def age(self) -> str:
        return age(self.comment.created_at)

    @property
    def has_flag_notes(self) -> bool:
        return any(flag.note for flag in self.open_flags)


def with_card_data(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """Add what cards show to a selector's queryset, in a constant number of queries."""
    return comments.select_related("author__standing", "parent__author").prefetch_related(
        Prefetch("flags", queryset=CommentFlag.objects.select_related("reporter")),
        "author__site_bans",
    )


def author_badges(comment: Comment, *, now) -> list[tuple[str, str]]:
    """(css modifier, label) for the author's current standing and role."""
    author = comment.author
    if author is None:
        return [("deleted", "Deleted account")]
    standing = standing_get(profile=author)
    badges = []
    if author.has_role(Role.STAFF):
        badges.append(("role", author.get_role_display()))
    if standing.is_banned:
        badges.append(("banned", "Banned"))
    elif any(ban.site_id == comment.site_id for ban in author.site_bans.all()):
        badges.append(("banned", "Banned on this site"))
    if standing.is_suspended(now=now):
        badges.append(("suspended", "Suspended"))
    if standing.is_premod:
        badges.append(("premod", "Always pre-moderated"))
    if standing.has_active_warning:
        badges.append(("warned", "Warned"))
    return badges


def build_cards(comments) -> list[Card]:
    """Cards for ``comments`` (a :func:`with_card_data` queryset or list of its rows)."""
    now = timezone.now()
    return [
        Card(comment=c, badges=author_badges(c, now=now), flags=list(c.flags.all()))
        for c in comments
    ]
