"""Writes about identities: profiles and local accounts."""

from __future__ import annotations

import re

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from comments.conf import talk_settings
from comments.errors import (
    EmailInvalid,
    EmailTaken,
    InvalidCredentials,
    NotAuthenticated,
    PasswordInvalid,
    UsernameInvalid,
    UsernameTaken,
)
from comments.ratelimit import rate_limit_hit
from moderation.models import Profile, Role
from moderation.selectors import profile_get_for_user


def profile_ensure(*, user: AbstractBaseUser) -> Profile:
    """Return ``user``'s profile, creating it (role from staff flags) on first use.

    Raises:
        NotAuthenticated: ``user`` is anonymous.
    """
    profile = profile_get_for_user(user=user)
    if profile is not None:
        return profile
    if not user.is_authenticated:
        raise NotAuthenticated()
    role = Role.ADMIN if getattr(user, "is_superuser", False) else Role.COMMENTER
    profile, _ = Profile.objects.get_or_create(
        user=user, defaults={"username": user.get_username()[:100], "role": role}
    )
    user._talk_profile_cache = profile  # type: ignore[attr-defined]
    return profile


def account_sign_up(*, request: HttpRequest, email: str, password: str, username: str) -> Profile:
    """Create a local account (Django user + COMMENTER profile) and sign it in.

    Args:
        email: unique case-insensitively among users.
        username: Coral's rule, TALK["USERNAME_PATTERN"] (3-30 of ``[A-Za-z0-9_.]``),
            unique case-insensitively.
        password: checked by AUTH_PASSWORD_VALIDATORS.
    Raises:
        RateLimited (per IP), EmailInvalid, EmailTaken, UsernameInvalid, UsernameTaken,
        PasswordInvalid.
    """
    email = email.strip().lower()
    username = username.strip()
    rate_limit_hit(operation="sign_up", keys={"ip": request.META.get("REMOTE_ADDR")})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise EmailInvalid(field="email") from exc
    if not re.fullmatch(talk_settings.USERNAME_PATTERN, username):
        raise UsernameInvalid(field="username")
    user_model = get_user_model()
    if user_model.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="email")
    if user_model.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(field="username")
    candidate = user_model(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise PasswordInvalid(" ".join(exc.messages), field="password") from exc
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(username=username, email=email, password=password)
            profile = Profile.objects.create(user=user, username=username)
    except IntegrityError as exc:  # a concurrent sign-up won the race
        raise UsernameTaken(field="username") from exc
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return profile


def account_sign_in(*, request: HttpRequest, email: str, password: str) -> Profile:
    """Sign in with e-mail and password; start a session.

    Raises:
        RateLimited: too many attempts from this IP or for this e-mail (10 per 10 min).
        InvalidCredentials: no such e-mail, wrong password, or inactive user (one error
            for all three, so e-mail addresses cannot be probed).
    """
    rate_limit_hit(
        operation="sign_in",
        keys={"ip": request.META.get("REMOTE_ADDR"), "email": email.strip().lower()},
    )
    user_model = get_user_model()
    match = user_model.objects.filter(email__iexact=email.strip()).first()
    user = None
    if match is not None:
        user = authenticate(request, username=match.get_username(), password=password)
    if user is None:
        raise InvalidCredentials()
    login(request, user)
    return profile_ensure(user=user)


def account_sign_out(*, request: HttpRequest) -> None:
    """End the session of the current viewer (a no-op when anonymous)."""
    logout(request)
