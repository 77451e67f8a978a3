"""Who is on the other end of a socket, and from which page (origin).

Identity comes from the session cookie (Channels' ``AuthMiddlewareStack`` in
``talk_project/asgi.py``) or, later, a token in the ``connection_init`` payload: see
:func:`authenticate_connection_params`. The origin is checked twice: on connect (Talk's
own origin, or one some site allows) and per subscription (the site of the story or
queue must allow it), so a page of one newsroom cannot follow another's streams with a
reader's cookie. A client that sends no ``Origin`` is not a browser, cannot ride on a
reader's cookie, and passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from comments.selectors import url_origin
from moderation.models import Profile, Role
from moderation.selectors import profile_get_for_user
from realtime.selectors import moderator_site_scope, site_origins

# Keys of a connection_init payload that carry a credential (Apollo, urql and gql use
# "authorization" or "token"; graphql-ws passes whatever the client put there).
CREDENTIAL_KEYS = ("token", "authorization", "Authorization", "authToken")


def authenticate_connection_params(payload: Mapping[str, Any]):
    """Return the user a ``connection_init`` credential names, or None.

    This is the hook for bearer tokens (Coral's JWTs, a host site's SSO tokens). Talk
    has no tokens yet, so it returns None; a connection that sent a credential which
    does not verify is closed with 4403, never downgraded to anonymous.

    Args:
        payload: the ``connection_init`` payload (a JSON object).
    Returns:
        A Django user, or None when no credential verifies.
    """
    return None


def has_credential(payload: Mapping[str, Any]) -> bool:
    """Return True when ``payload`` carries a non-empty credential."""
    return any(payload.get(key) for key in CREDENTIAL_KEYS)


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """Return the first value of header ``name`` (lower-case bytes) in an ASGI scope."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def normalise_origin(origin: str | None) -> str | None:
    """Return ``scheme://host[:port]`` lower-cased (:func:`comments.selectors.url_origin`),
    or None for a missing, opaque (``null``) or malformed origin."""
    if not origin or origin == "null":
        return None
    return url_origin(origin)


def is_same_origin(origin: str, host: str | None) -> bool:
    """Return True when ``origin`` is Talk's own: the Host the socket was opened on,
    itself allowed by ALLOWED_HOSTS (the embed's iframe is served by Talk)."""
    if not host:
        return False
    if urlsplit(origin).netloc != host.lower():
        return False
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


@dataclass(frozen=True)
class OriginPolicy:
    """Where a socket's page comes from.

    ``origin`` is None for non-browser clients; ``is_self`` for Talk's own pages.
    """

    origin: str | None
    is_self: bool

    def allows(self, site_origins_: list[str]) -> bool:
        """Return True if a site with these allowed origins may be followed from here."""
        return self.origin is None or self.is_self or self.origin in site_origins_


def origin_policy(scope: Mapping[str, Any]) -> OriginPolicy | None:
    """Return the socket's origin policy, or None when the origin is not acceptable
    (neither Talk's own nor allowed by any site). Reads the sites (one query)."""
    raw = header(scope, b"origin")
    origin = normalise_origin(raw)
    if origin is None:
        return OriginPolicy(origin=None, is_self=False) if not raw else None
    if is_same_origin(origin, header(scope, b"host")):
        return OriginPolicy(origin=origin, is_self=True)
    if any(origin in origins for origins in site_origins().values()):
        return OriginPolicy(origin=origin, is_self=False)
    return None


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a socket (or anonymous), resolved once at connection_init.

    ``site_scope`` lists the sites a moderator may moderate; None means all of them.
    """

    user: Any = field(default_factory=AnonymousUser)
    profile: Profile | None = None
    site_scope: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.profile is not None

    @property
    def is_moderator(self) -> bool:
        return self.profile is not None and self.profile.has_role(Role.MODERATOR)

    def may_moderate(self, site_id: str) -> bool:
        return self.is_moderator and (self.site_scope is None or site_id in self.site_scope)


def viewer_for_user(user) -> Viewer:
    """Return the :class:`Viewer` of a Django user (anonymous when None or signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer()
    profile = profile_get_for_user(user=user)
    if profile is None:
        # Users made outside sign-up (createsuperuser, a host site) get a profile on
        # first use; over a socket we only read, so such a user is a plain reader.
        return Viewer(user=user)
    scope = moderator_site_scope(profile=profile) if profile.has_role(Role.MODERATOR) else None
    return Viewer(user=user, profile=profile, site_scope=scope)
