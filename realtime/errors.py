"""Errors of live subscriptions, sent as the graphql-transport-ws ``error`` message."""

from __future__ import annotations

from comments.errors import PermissionDenied, TalkError


class OriginNotAllowed(PermissionDenied):
    code = "ORIGIN_NOT_ALLOWED"
    default_message = "This page may not follow that site's comments."


class ModeratorsOnly(PermissionDenied):
    code = "MODERATORS_ONLY"
    default_message = "Only the site's moderators can subscribe to this."


class ResumeTooFar(TalkError):
    """More comments were missed than a resume sends; the client should reload."""

    code = "RESUME_TOO_FAR"
    default_message = "Too many comments were missed to resume; reload the stream."


class TooManySubscriptions(TalkError):
    code = "TOO_MANY_SUBSCRIPTIONS"
    default_message = "This connection has too many active subscriptions."
