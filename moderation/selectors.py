"""Reads about profiles."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from moderation.models import Profile


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
