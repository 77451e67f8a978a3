"""Helpers shared by resolvers: the viewer, global ids, per-request caches."""

from __future__ import annotations

import uuid

from graphql import GraphQLError
from graphql_relay import from_global_id, to_global_id

from comments.errors import InvalidID, TalkError
from moderation.models import Profile
from moderation.selectors import profile_get_for_user


def viewer_profile(info) -> Profile | None:
    """Return the profile of the signed-in viewer, or None (cached per request)."""
    return profile_get_for_user(user=getattr(info.context, "user", None))


def decode_id(global_id: str | None, type_name: str, *, field: str, optional: bool = False):
    """Decode a Relay global id of ``type_name`` into a UUID.

    Raises:
        InvalidID: malformed, of another type, or missing when required.
    """
    if not global_id:
        if optional:
            return None
        raise InvalidID(f"{field} is required.", field=field)
    try:
        decoded_type, raw = from_global_id(global_id)
        if decoded_type != type_name:
            raise ValueError(decoded_type)
        return uuid.UUID(raw)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidID(f"{field} is not a valid {type_name} id.", field=field) from exc


def encode_id(type_name: str, pk: uuid.UUID) -> str:
    return to_global_id(type_name, str(pk))


def graphql_error(exc: TalkError) -> GraphQLError:
    """Turn a domain error raised in a query into a GraphQL error with its code."""
    return GraphQLError(exc.message, extensions={"code": exc.code, "field": exc.field})


def request_cache(info) -> dict:
    """A dict living as long as the request (reaction/flag presence, prefetched pages)."""
    context = info.context
    cache = getattr(context, "_talk_graphql_cache", None)
    if cache is None:
        cache = {}
        context._talk_graphql_cache = cache
    return cache


def request_ip(request) -> str | None:
    """The client's address as Django sees it (proxy handling belongs to the server)."""
    return request.META.get("REMOTE_ADDR")
