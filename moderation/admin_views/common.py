"""Shared by the console's views: permissions, the moderator, safe redirects, labels."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from comments.errors import TalkError
from comments.models import CommentStatus, DetectedReason, FlagReason, Site
from moderation import services
from moderation.models import Profile, RejectionReason
from moderation.selectors import profile_moderation_site_ids

MODERATE_COMMENT = "talk_moderation.moderate_comment"
MODERATE_USER = "talk_moderation.moderate_user"
STATUS_LABELS = {
    CommentStatus.NONE: "Published",
    CommentStatus.APPROVED: "Approved",
    CommentStatus.REJECTED: "Rejected",
    CommentStatus.PREMOD: "Pre-moderation",
    CommentStatus.SYSTEM_WITHHELD: "Withheld",
}


def require_permission(request: HttpRequest, *permissions: str) -> None:
    """Raise PermissionDenied (403) unless the user has one of ``permissions``."""
    if not any(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def moderator_get(request: HttpRequest) -> Profile:
    """The moderator's profile; 403 for roles below MODERATOR (whatever their permissions)."""
    try:
        return services.profile_get_moderator(user=request.user)
    except TalkError as exc:
        raise PermissionDenied(exc.message) from exc


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def moderated_sites(moderator: Profile) -> QuerySet[Site]:
    """Sites ``moderator`` may moderate, by name (none for non-moderators)."""
    scope = profile_moderation_site_ids(profile=moderator)
    sites = Site.objects.order_by("name", "id")
    return sites if scope is None else sites.filter(pk__in=scope)


REASON_LABELS = {
    **dict(FlagReason.choices),
    **dict(DetectedReason.choices),
    **dict(RejectionReason.choices),
}


def reason_label(value: str) -> str:
    """The label of a flag, detection or rejection reason code (the code if unknown)."""
    return str(REASON_LABELS.get(value, value)) if value else ""
