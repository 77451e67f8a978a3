"""Reads of the moderation app: profiles, standings, moderation queues and histories."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from comments.errors import InvalidID
from comments.models import HELD_STATUSES, Comment, CommentAction, CommentStatus, Site
from comments.selectors import CommentPage
from moderation.models import (
    ModerationQueue,
    Profile,
    Role,
    SiteBan,
    SiteModerationSettings,
    UserStanding,
    UserStatusAction,
)


def profile_get_for_user(*, user: AbstractBaseUser | AnonymousUser | None) -> Profile | None:
    """Return the profile of an authenticated ``user``, or None for anonymous viewers.

    Caches the profile on the user object for the rest of the request. Users created
    outside sign-up (``createsuperuser``, a host site's own accounts) have no profile
    yet: call :func:`moderation.services.profile_ensure` where one is needed.
    """
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_talk_profile_cache", None)
    if cached is not None:
        return cached
    profile = Profile.objects.filter(user_id=user.pk).first()
    if profile is not None:
        user._talk_profile_cache = profile  # type: ignore[union-attr]
    return profile


def profile_get(*, profile_id: uuid.UUID) -> Profile | None:
    """Return the profile with ``profile_id`` (its user selected), or None."""
    return Profile.objects.select_related("user").filter(pk=profile_id).first()


def standing_get(*, profile: Profile) -> UserStanding:
    """Return ``profile``'s standing; an unsaved default (in good standing) when none."""
    try:
        return profile.standing
    except UserStanding.DoesNotExist:
        return UserStanding(profile=profile)


def site_ban_exists(*, profile: Profile, site_id) -> bool:
    """Return True if ``profile`` is banned from the site ``site_id``."""
    return SiteBan.objects.filter(profile=profile, site_id=site_id).exists()


def site_moderation_settings_get(*, site: Site) -> SiteModerationSettings:
    """Return the site's moderation settings; unsaved defaults when never configured."""
    try:
        return site.moderation_settings
    except SiteModerationSettings.DoesNotExist:
        return SiteModerationSettings(site=site)


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def profile_moderation_site_ids(*, profile: Profile | None) -> list[uuid.UUID] | None:
    """Return the ids of the sites ``profile`` may moderate; None means every site.

    Returns:
        None for ADMINs and unscoped MODERATORs, the ``moderation_sites`` ids for
        site-scoped MODERATORs, and ``[]`` for everyone else (anonymous included).
        One query, none when ``moderation_sites`` was prefetched.
    """
    if profile is None or not profile.has_role(Role.MODERATOR):
        return []
    if profile.role == Role.ADMIN:
        return None
    # .all(), not values_list(): a caller that prefetched the sites (a request asking
    # for five queues) pays no query, and m2m changes clear that prefetch.
    scoped = [site.pk for site in profile.moderation_sites.all()]
    return scoped or None


def profile_can_moderate(*, profile: Profile | None, site_id) -> bool:
    """Return True if ``profile`` may moderate comments and users of site ``site_id``.

    ADMINs may moderate everywhere; MODERATORs everywhere unless ``moderation_sites``
    lists some sites, then only there (Coral's site-scoped moderators).

    Args:
        site_id: a UUID or its string form.
    """
    scope = profile_moderation_site_ids(profile=profile)
    if scope is None:
        return True
    return _as_uuid(site_id) in scope


def profile_is_unscoped_moderator(*, profile: Profile | None) -> bool:
    """Return True for ADMINs and MODERATORs not limited to some sites (Coral: unscoped)."""
    return (
        profile is not None
        and profile.has_role(Role.MODERATOR)
        and (profile_moderation_site_ids(profile=profile) is None)
    )


# Moderation queues (Coral: graph/resolvers/ModerationQueues.ts)

_QUEUE_FILTERS: dict[ModerationQueue, Q] = {
    # Published and reported: Coral counts only NONE (an APPROVED comment was decided).
    ModerationQueue.REPORTED: Q(status=CommentStatus.NONE, open_flag_count__gt=0),
    ModerationQueue.PENDING: Q(status__in=HELD_STATUSES),
    ModerationQueue.UNMODERATED: Q(status__in=(CommentStatus.NONE, *HELD_STATUSES)),
    ModerationQueue.APPROVED: Q(status=CommentStatus.APPROVED),
    ModerationQueue.REJECTED: Q(status=CommentStatus.REJECTED),
}


def comment_queues(*, status: str, open_flag_count: int) -> set[ModerationQueue]:
    """Return the queues a comment with this status and open-flag count belongs to."""
    queues = set()
    if status == CommentStatus.NONE and open_flag_count > 0:
        queues.add(ModerationQueue.REPORTED)
    if status in HELD_STATUSES:
        queues.add(ModerationQueue.PENDING)
    if status in (CommentStatus.NONE, *HELD_STATUSES):
        queues.add(ModerationQueue.UNMODERATED)
    if status == CommentStatus.APPROVED:
        queues.add(ModerationQueue.APPROVED)
    if status == CommentStatus.REJECTED:
        queues.add(ModerationQueue.REJECTED)
    return queues


def _moderated_comments(*, moderator: Profile | None, site_id=None, story_id=None) -> QuerySet:
    scope = profile_moderation_site_ids(profile=moderator)
    queryset = Comment.objects.all()
    if scope is not None:
        queryset = queryset.filter(site_id__in=scope)
    if site_id is not None:
        queryset = queryset.filter(site_id=site_id)
    if story_id is not None:
        queryset = queryset.filter(story_id=story_id)
    return queryset


def moderation_queue_list(
    *, queue: str, moderator: Profile | None, site_id=None, story_id=None
) -> QuerySet[Comment]:
    """List the comments of ``queue`` that ``moderator`` may moderate, newest first.

    Args:
        queue: a :class:`~moderation.models.ModerationQueue` value.
        site_id, story_id: optional filters (UUIDs or their strings); a site outside a
            scoped moderator's sites gives an empty list.
    Returns:
        Comments ordered by ``-created_at, -id`` with ``story``, ``site``, ``author``
        (and its ``standing``) and ``parent`` selected; empty for non-moderators.
    """
    return (
        _moderated_comments(moderator=moderator, site_id=site_id, story_id=story_id)
        .filter(_QUEUE_FILTERS[ModerationQueue(queue)])
        .select_related("story", "site", "author", "author__standing", "parent")
        .order_by("-created_at", "-id")
    )


def moderation_queue_counts(
    *, moderator: Profile | None, site_id=None, story_id=None
) -> dict[str, int]:
    """Count every queue's comments that ``moderator`` may moderate, in one query.

    Returns:
        ``{queue value: count}`` for each :class:`~moderation.models.ModerationQueue`
        (``"REPORTED"``, ``"PENDING"``, ``"UNMODERATED"``, ``"APPROVED"``, ``"REJECTED"``).
    """
    counts = _moderated_comments(moderator=moderator, site_id=site_id, story_id=story_id).aggregate(
        **{
            queue.value: Count("pk", filter=condition)
            for queue, condition in _QUEUE_FILTERS.items()
        }
    )
    return {queue.value: counts[queue.value] or 0 for queue in ModerationQueue}


def _queue_cursor(comment: Comment) -> str:
    raw = json.dumps(["Q", comment.created_at.isoformat(), str(comment.pk)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _queue_cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        marker, created_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if marker != "Q":
            raise ValueError(marker)
        return datetime.fromisoformat(created_at), uuid.UUID(pk)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidID("That cursor is not a moderation queue cursor.", field="after") from exc


def moderation_queue_page(
    *,
    queue: str,
    moderator: Profile | None,
    site_id=None,
    story_id=None,
    first: int = 20,
    after: str | None = None,
) -> CommentPage:
    """Return one page of :func:`moderation_queue_list`, newest first (keyset paginated).

    Args:
        first: page size, already capped by the caller (1..100).
        after: ``end_cursor`` of the previous page of a queue.
    Returns:
        A :class:`~comments.selectors.CommentPage`; one query.
    Raises:
        InvalidID: ``after`` is not a queue cursor.
    """
    queryset = moderation_queue_list(
        queue=queue, moderator=moderator, site_id=site_id, story_id=story_id
    )
    if after:
        created_at, pk = _queue_cursor_decode(after)
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        )
    rows = list(queryset[: first + 1])
    items = rows[:first]
    return CommentPage(
        items=items,
        cursors=[_queue_cursor(c) for c in items],
        has_next_page=len(rows) > first,
        has_previous_page=bool(after),
    )


# User status (Coral's UserStatus)


@dataclass(frozen=True)
class ProfileStatus:
    """A user's current moderation status, in the shape of Coral's ``UserStatus``.

    ``current`` lists Coral's USER_STATUS values that apply (``["ACTIVE"]`` when none).
    """

    current: list[str]
    is_banned: bool
    ban_sites: list[Site] = field(default_factory=list)
    suspended_until: datetime | None = None
    is_premod: bool = False
    warning_message: str | None = None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None

    @property
    def has_warning(self) -> bool:
        return self.warning_message is not None


def profile_status_get(*, profile: Profile, now: datetime | None = None) -> ProfileStatus:
    """Return ``profile``'s current status (two queries: standing, site bans).

    Args:
        now: the instant to judge suspensions at (UTC-aware); default now.
    Returns:
        A :class:`ProfileStatus`; ``suspended_until`` only while the suspension runs,
        ``warning_message`` only while the warning is unacknowledged, ``ban_sites`` the
        sites of site bans, by name.
    """
    standing = standing_get(profile=profile)
    now = now or timezone.now()
    sites = list(Site.objects.filter(bans__profile=profile).order_by("name", "id"))
    suspended = standing.is_suspended(now=now)
    warned = standing.has_active_warning
    current = [
        name
        for name, active in (
            ("BANNED", standing.is_banned),
            ("SUSPENDED", suspended),
            ("PREMOD", standing.is_premod),
            ("WARNED", warned),
        )
        if active
    ]
    return ProfileStatus(
        current=current or ["ACTIVE"],
        is_banned=standing.is_banned,
        ban_sites=sites,
        suspended_until=standing.suspended_until if suspended else None,
        is_premod=standing.is_premod,
        warning_message=standing.warning_message if warned else None,
    )


def profile_status_history(*, profile: Profile) -> QuerySet[UserStatusAction]:
    """List every act on ``profile``'s standing and role, newest first.

    Returns:
        :class:`~moderation.models.UserStatusAction` rows with ``actor`` and ``site``
        selected, ordered ``-created_at, -id``.
    """
    return (
        UserStatusAction.objects.filter(profile=profile)
        .select_related("actor", "site")
        .order_by("-created_at", "-id")
    )


def comment_moderation_history(*, comment: Comment) -> QuerySet[CommentAction]:
    """List ``comment``'s audit log (creation, edits, decisions, features), oldest first.

    Returns:
        :class:`~comments.models.CommentAction` rows with ``actor`` selected, ordered
        ``created_at, id``.
    """
    return (
        CommentAction.objects.filter(comment=comment)
        .select_related("actor")
        .order_by("created_at", "id")
    )
