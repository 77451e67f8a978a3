"""Moderators' acts on users: bans, suspensions, pre-moderation, warnings, notes.

Coral: ``services/users/users.ts`` and the ``@auth`` rules of the user-moderation
mutations. Who may act:

- global acts (ban everywhere, removing it, suspend, pre-moderate, warn, and their
  removals) need an *unscoped* moderator or an admin, since they reach every site;
- a site ban (or its removal) needs a moderator of every site named;
- nobody acts on themselves, and only admins act on moderators and admins.

Each act writes one :class:`~moderation.models.UserStatusAction` per change; a denied or
invalid call raises before writing anything.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from comments.errors import NotAuthenticated, PermissionDenied, SiteNotFound
from comments.models import Site
from moderation.errors import (
    MessageRequired,
    NoteInvalid,
    SiteIDsRequired,
    SuspensionTimeoutInvalid,
    UserAlreadyBanned,
    UserAlreadyPremod,
    UserAlreadySuspended,
)
from moderation.models import (
    ModeratorNote,
    Profile,
    Role,
    SiteBan,
    UserStanding,
    UserStatusAction,
    UserStatusKind,
)
from moderation.selectors import profile_can_moderate, profile_is_unscoped_moderator
from moderation.services.accounts import profile_ensure
from tasks.services import job_enqueue_on_commit

MAX_SUSPENSION_SECONDS = 365 * 24 * 3600
MAX_MESSAGE_CHARS = 2000
MAX_NOTE_CHARS = 2000


def profile_get_moderator(*, user: AbstractBaseUser | AnonymousUser | None) -> Profile:
    """Return the profile of ``user`` if it is a MODERATOR (of any scope) or an ADMIN.

    Interfaces call this before looking anything up, so non-moderators learn nothing
    about which ids exist.

    Raises:
        NotAuthenticated: ``user`` is anonymous.
        PermissionDenied: the role is below MODERATOR.
    """
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    profile = profile_ensure(user=user)
    if not profile.has_role(Role.MODERATOR):
        raise PermissionDenied()
    return profile


def _require_target(*, moderator: Profile, profile: Profile) -> None:
    if moderator.pk == profile.pk:
        raise PermissionDenied("You cannot moderate your own account.")
    if profile.has_role(Role.MODERATOR) and moderator.role != Role.ADMIN:
        raise PermissionDenied("Only admins can moderate moderators and admins.")


def _require_unscoped(*, moderator: Profile, profile: Profile) -> None:
    if not profile_is_unscoped_moderator(profile=moderator):
        raise PermissionDenied("Only moderators of every site and admins can do this.")
    _require_target(moderator=moderator, profile=profile)


def _sites_get(*, moderator: Profile, profile: Profile, site_ids: list) -> list[Site]:
    """Return the sites of ``site_ids`` if ``moderator`` moderates each of them.

    Raises:
        SiteIDsRequired, SiteNotFound, PermissionDenied.
    """
    try:
        ids = {uuid.UUID(str(site_id)) for site_id in site_ids}
    except ValueError as exc:
        raise SiteNotFound(field="siteIDs") from exc
    if not ids:
        raise SiteIDsRequired(field="siteIDs")
    for site_id in ids:
        if not profile_can_moderate(profile=moderator, site_id=site_id):
            raise PermissionDenied("You may not moderate users on one of these sites.")
    _require_target(moderator=moderator, profile=profile)
    sites = list(Site.objects.filter(pk__in=ids).order_by("name", "id"))
    if len(sites) != len(ids):
        raise SiteNotFound(field="siteIDs")
    return sites


def _standing_for_update(*, profile: Profile) -> UserStanding:
    standing, _ = UserStanding.objects.select_for_update().get_or_create(profile=profile)
    return standing


def _standing_existing_for_update(*, profile: Profile) -> UserStanding | None:
    return UserStanding.objects.select_for_update().filter(profile=profile).first()


def _audit(*, profile: Profile, actor: Profile, kind: str, **fields) -> None:
    UserStatusAction.objects.create(profile=profile, actor=actor, kind=kind, **fields)


def _rejector_enqueue(*, profile: Profile, moderator: Profile, site_ids: list | None) -> None:
    # Imported here: moderation.tasks imports the services (STYLE.md §1 direction).
    from moderation.tasks import user_comments_reject_task

    job_enqueue_on_commit(
        partial(
            user_comments_reject_task.delay,
            profile_id=str(profile.pk),
            actor_id=str(moderator.pk),
            site_ids=[str(site_id) for site_id in site_ids] if site_ids is not None else None,
        )
    )


def user_ban(
    *,
    profile: Profile,
    moderator: Profile,
    message: str = "",
    site_ids: list | None = None,
    reject_existing_comments: bool = False,
) -> UserStanding:
    """Ban ``profile`` everywhere, or from some sites (Coral's site bans).

    Args:
        message: shown to the user (Coral e-mails it); at most 2000 chars after strip.
        site_ids: None bans everywhere (unscoped moderators and admins only); a list of
            site ids bans from those sites only (moderators of each of them).
        reject_existing_comments: also reject the user's published and held comments
            (on the banned sites only, for a site ban), by a task enqueued on commit.
    Returns:
        The user's standing (site bans are :class:`~moderation.models.SiteBan` rows).
    Raises:
        PermissionDenied: see the module docstring.
        SiteIDsRequired: ``site_ids`` is an empty list.
        SiteNotFound: an id names no site.
        UserAlreadyBanned: banned everywhere already, or from every site named.
    """
    message = message.strip()[:MAX_MESSAGE_CHARS]
    if site_ids is None:
        _require_unscoped(moderator=moderator, profile=profile)
        with transaction.atomic():
            standing = _standing_for_update(profile=profile)
            if standing.is_banned:
                raise UserAlreadyBanned()
            standing.is_banned = True
            standing.save(update_fields=["is_banned"])
            _audit(profile=profile, actor=moderator, kind=UserStatusKind.BAN, message=message)
            if reject_existing_comments:
                _rejector_enqueue(profile=profile, moderator=moderator, site_ids=None)
        return standing
    sites = _sites_get(moderator=moderator, profile=profile, site_ids=site_ids)
    with transaction.atomic():
        standing = _standing_for_update(profile=profile)  # serialises acts on this user
        if standing.is_banned:
            raise UserAlreadyBanned("This user is already banned everywhere.")
        added = [
            site for site in sites if SiteBan.objects.get_or_create(profile=profile, site=site)[1]
        ]
        if not added:
            raise UserAlreadyBanned("This user is already banned from these sites.")
        for site in added:
            _audit(
                profile=profile,
                actor=moderator,
                kind=UserStatusKind.SITE_BAN,
                message=message,
                site=site,
            )
        if reject_existing_comments:
            _rejector_enqueue(
                profile=profile, moderator=moderator, site_ids=[site.pk for site in sites]
            )
    return standing


def user_ban_remove(
    *, profile: Profile, moderator: Profile, site_ids: list | None = None
) -> UserStanding:
    """Lift ``profile``'s bans; a no-op for bans that do not exist.

    Args:
        site_ids: None lifts the ban everywhere *and* every site ban (unscoped moderators
            and admins only, as Coral's removeUserBan); a list lifts those site bans.
    Returns:
        The user's standing.
    Raises:
        PermissionDenied, SiteIDsRequired, SiteNotFound.
    """
    if site_ids is None:
        _require_unscoped(moderator=moderator, profile=profile)
        sites = None
    else:
        sites = _sites_get(moderator=moderator, profile=profile, site_ids=site_ids)
    with transaction.atomic():
        standing = _standing_existing_for_update(profile=profile)
        if sites is None and standing is not None and standing.is_banned:
            standing.is_banned = False
            standing.save(update_fields=["is_banned"])
            _audit(profile=profile, actor=moderator, kind=UserStatusKind.REMOVE_BAN)
        bans = SiteBan.objects.filter(profile=profile).select_related("site")
        if sites is not None:
            bans = bans.filter(site__in=sites)
        for ban in list(bans.order_by("site__name", "site_id")):
            ban.delete()
            _audit(
                profile=profile,
                actor=moderator,
                kind=UserStatusKind.REMOVE_SITE_BAN,
                site=ban.site,
            )
    return standing or UserStanding(profile=profile)


def user_suspend(
    *, profile: Profile, moderator: Profile, seconds: int, message: str = ""
) -> UserStanding:
    """Suspend ``profile`` from commenting everywhere for ``seconds``.

    Args:
        seconds: 1 to 31,536,000 (one year).
        message: shown with the suspension; at most 2000 chars after strip.
    Returns:
        The standing, ``suspended_until`` = now + ``seconds`` (UTC-aware).
    Raises:
        PermissionDenied: not an unscoped moderator or admin (see module docstring).
        SuspensionTimeoutInvalid: ``seconds`` out of range.
        UserAlreadySuspended: a suspension is running (lift it first to change it).
    """
    _require_unscoped(moderator=moderator, profile=profile)
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_SUSPENSION_SECONDS:
        raise SuspensionTimeoutInvalid(field="timeout")
    message = message.strip()[:MAX_MESSAGE_CHARS]
    with transaction.atomic():
        standing = _standing_for_update(profile=profile)
        now = timezone.now()
        if standing.is_suspended(now=now):
            raise UserAlreadySuspended()
        standing.suspended_until = now + timedelta(seconds=seconds)
        standing.suspension_message = message
        standing.save(update_fields=["suspended_until", "suspension_message"])
        _audit(
            profile=profile,
            actor=moderator,
            kind=UserStatusKind.SUSPEND,
            message=message,
            until=standing.suspended_until,
        )
    return standing


def user_suspension_remove(*, profile: Profile, moderator: Profile) -> UserStanding:
    """End ``profile``'s running suspension now; a no-op when none runs.

    Raises:
        PermissionDenied: not an unscoped moderator or admin.
    """
    _require_unscoped(moderator=moderator, profile=profile)
    with transaction.atomic():
        standing = _standing_existing_for_update(profile=profile)
        if standing is None or not standing.is_suspended():
            return standing or UserStanding(profile=profile)
        standing.suspended_until = None
        standing.suspension_message = ""
        standing.save(update_fields=["suspended_until", "suspension_message"])
        _audit(profile=profile, actor=moderator, kind=UserStatusKind.REMOVE_SUSPENSION)
    return standing


def user_premod(*, profile: Profile, moderator: Profile) -> UserStanding:
    """Hold every future comment of ``profile`` for review (Coral's always-premod).

    Raises:
        PermissionDenied: not an unscoped moderator or admin.
        UserAlreadyPremod: already pre-moderated.
    """
    _require_unscoped(moderator=moderator, profile=profile)
    with transaction.atomic():
        standing = _standing_for_update(profile=profile)
        if standing.is_premod:
            raise UserAlreadyPremod()
        standing.is_premod = True
        standing.save(update_fields=["is_premod"])
        _audit(profile=profile, actor=moderator, kind=UserStatusKind.PREMOD)
    return standing


def user_premod_remove(*, profile: Profile, moderator: Profile) -> UserStanding:
    """Stop pre-moderating ``profile``; a no-op when not pre-moderated.

    Raises:
        PermissionDenied: not an unscoped moderator or admin.
    """
    _require_unscoped(moderator=moderator, profile=profile)
    with transaction.atomic():
        standing = _standing_existing_for_update(profile=profile)
        if standing is None or not standing.is_premod:
            return standing or UserStanding(profile=profile)
        standing.is_premod = False
        standing.save(update_fields=["is_premod"])
        _audit(profile=profile, actor=moderator, kind=UserStatusKind.REMOVE_PREMOD)
    return standing


def user_warn(*, profile: Profile, moderator: Profile, message: str) -> UserStanding:
    """Warn ``profile``: ``message`` is shown to them until they acknowledge it.

    Warning a warned user replaces the message and asks for a new acknowledgement.

    Args:
        message: 1 to 2000 chars after strip.
    Raises:
        PermissionDenied: not an unscoped moderator or admin.
        MessageRequired: ``message`` is blank.
    """
    _require_unscoped(moderator=moderator, profile=profile)
    message = message.strip()[:MAX_MESSAGE_CHARS]
    if not message:
        raise MessageRequired(field="message")
    with transaction.atomic():
        standing = _standing_for_update(profile=profile)
        standing.warning_message = message
        standing.warning_acknowledged_at = None
        standing.save(update_fields=["warning_message", "warning_acknowledged_at"])
        _audit(profile=profile, actor=moderator, kind=UserStatusKind.WARN, message=message)
    return standing


def user_warning_remove(*, profile: Profile, moderator: Profile) -> UserStanding:
    """Withdraw ``profile``'s warning; a no-op when there is none.

    Raises:
        PermissionDenied: not an unscoped moderator or admin.
    """
    _require_unscoped(moderator=moderator, profile=profile)
    with transaction.atomic():
        standing = _standing_existing_for_update(profile=profile)
        if standing is None or not standing.warning_message:
            return standing or UserStanding(profile=profile)
        standing.warning_message = ""
        standing.warning_acknowledged_at = None
        standing.save(update_fields=["warning_message", "warning_acknowledged_at"])
        _audit(profile=profile, actor=moderator, kind=UserStatusKind.REMOVE_WARNING)
    return standing


def user_warning_acknowledge(*, profile: Profile) -> UserStanding:
    """Record that ``profile`` (the viewer) read their warning; a no-op when none is
    active. The message stays in the standing for moderators."""
    with transaction.atomic():
        standing = _standing_existing_for_update(profile=profile)
        if standing is None or not standing.has_active_warning:
            return standing or UserStanding(profile=profile)
        standing.warning_acknowledged_at = timezone.now()
        standing.save(update_fields=["warning_acknowledged_at"])
        _audit(
            profile=profile,
            actor=profile,
            kind=UserStatusKind.ACKNOWLEDGE_WARNING,
            message=standing.warning_message,
        )
    return standing


def moderator_note_create(*, profile: Profile, moderator: Profile, body: str) -> ModeratorNote:
    """Add a private note about ``profile``, visible to moderators only.

    Args:
        body: 1 to 2000 chars after strip.
    Raises:
        PermissionDenied: ``moderator`` is not a MODERATOR (any scope) or ADMIN.
        NoteInvalid: blank or too long.
    """
    if not moderator.has_role(Role.MODERATOR):
        raise PermissionDenied()
    body = body.strip()
    if not 1 <= len(body) <= MAX_NOTE_CHARS:
        raise NoteInvalid(field="body")
    return ModeratorNote.objects.create(profile=profile, author=moderator, body=body)


def moderator_note_delete(*, note: ModeratorNote, moderator: Profile) -> None:
    """Delete a moderator note: its author (while a moderator) or an admin may.

    Raises:
        PermissionDenied: anyone else.
    """
    is_author = note.author_id == moderator.pk and moderator.has_role(Role.MODERATOR)
    if not (is_author or moderator.role == Role.ADMIN):
        raise PermissionDenied("Only the note's author or an admin can delete it.")
    note.delete()
