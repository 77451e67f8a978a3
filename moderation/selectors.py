"""Reads about profiles."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from comments.models import Site
from moderation.models import Profile, Role, SiteBan, SiteModerationSettings, UserStanding


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


def profile_can_moderate(*, profile: Profile | None, site_id) -> bool:
    """Return True if ``profile`` may moderate comments and users of site ``site_id``.

    ADMINs may moderate everywhere; MODERATORs everywhere unless ``moderation_sites``
    lists some sites, then only there (Coral's site-scoped moderators).
    """
    if profile is None or not profile.has_role(Role.MODERATOR):
        return False
    if profile.role == Role.ADMIN:
        return True
    scoped = list(profile.moderation_sites.values_list("id", flat=True))
    return not scoped or site_id in scoped
