"""Roles, moderators' site scopes, and the Django groups they map onto.

Coral's ``common/lib/permissions/rules.ts``: admins change anyone; moderators of every
site (unscoped) change anyone but admins, to any role up to MODERATOR; site-scoped
moderators only grant or withdraw moderation of *their own* sites. The Django side: the
STAFF, MODERATOR and ADMIN roles put the user in one of :data:`TALK_GROUPS` (whose
permissions gate the admin console), and MODERATOR/ADMIN open the admin site
(``is_staff``).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from comments.errors import PermissionDenied, SiteNotFound
from comments.models import Site
from moderation.errors import RoleInvalid, SiteIDsRequired
from moderation.models import ROLE_ORDER, Profile, Role, UserStatusAction, UserStatusKind
from moderation.selectors import profile_moderation_site_ids

_TALK_MODELS = {
    "talk_comments": (
        "site",
        "story",
        "comment",
        "commentrevision",
        "commentreaction",
        "commentflag",
        "commentaction",
    ),
    "talk_moderation": (
        "profile",
        "userstanding",
        "siteban",
        "userstatusaction",
        "moderatornote",
        "sitemoderationsettings",
    ),
}
_VIEW_ALL = [f"{app}.view_{model}" for app, models in _TALK_MODELS.items() for model in models]
_MODERATOR_PERMISSIONS = [
    "talk_moderation.moderate_comment",
    "talk_moderation.moderate_user",
    *_VIEW_ALL,
    "talk_comments.change_comment",  # decisions go through the services' admin actions
    "talk_comments.change_story",  # open/close, pre-moderation
    "talk_moderation.add_moderatornote",
]
_ADMIN_PERMISSIONS = [
    *_MODERATOR_PERMISSIONS,
    "talk_moderation.configure_site",
    "talk_comments.add_site",
    "talk_comments.change_site",
    "talk_comments.change_commentflag",
    "talk_moderation.change_profile",
    "talk_moderation.delete_moderatornote",
    "talk_moderation.add_sitemoderationsettings",
    "talk_moderation.change_sitemoderationsettings",
]

# Role -> (group name, permissions as "app_label.codename"). Lower roles have no group.
# STAFF is a badge with auto-approval and no admin access (Coral): its group grants nothing
# and only lets host sites recognise newsroom staff.
TALK_GROUPS: dict[str, tuple[str, list[str]]] = {
    Role.STAFF: ("Talk staff", []),
    Role.MODERATOR: ("Talk moderators", _MODERATOR_PERMISSIONS),
    Role.ADMIN: ("Talk admins", _ADMIN_PERMISSIONS),
}


def talk_groups_ensure(*, using: str = "default") -> dict[str, Group]:
    """Create or update the Talk groups with exactly their permissions; idempotent.

    Runs after ``migrate`` (``moderation.apps``) and before every role change. A
    permission whose model is not migrated yet is skipped (the next run adds it).

    Returns:
        ``{role: Group}`` for STAFF, MODERATOR and ADMIN.
    """
    groups: dict[str, Group] = {}
    with transaction.atomic(using=using):
        for role, (name, permissions) in TALK_GROUPS.items():
            group, _ = Group.objects.using(using).get_or_create(name=name)
            condition = Q(pk__in=[])
            for permission in permissions:
                app_label, codename = permission.split(".")
                condition |= Q(content_type__app_label=app_label, codename=codename)
            group.permissions.set(Permission.objects.using(using).filter(condition))
            groups[role] = group
    return groups


def _rank(role: str) -> int:
    return ROLE_ORDER.index(Role(role))


def _sites_of(site_ids: list | None) -> set[uuid.UUID]:
    if not site_ids:
        return set()
    try:
        ids = {uuid.UUID(str(site_id)) for site_id in site_ids}
    except ValueError as exc:
        raise SiteNotFound(field="siteIDs") from exc
    if Site.objects.filter(pk__in=ids).count() != len(ids):
        raise SiteNotFound(field="siteIDs")
    return ids


def _new_sites(
    *, actor: Profile, profile: Profile, role: Role, sites: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Apply Coral's three rules; return the target's moderation sites after the change."""
    if actor.pk == profile.pk:
        raise PermissionDenied("You cannot change your own role.")
    actor_scope = profile_moderation_site_ids(profile=actor)
    if actor.role == Role.ADMIN:
        return sites if role == Role.MODERATOR else set()
    if not actor.has_role(Role.MODERATOR):
        raise PermissionDenied()
    if profile.role == Role.ADMIN or _rank(role) > _rank(Role.MODERATOR):
        raise PermissionDenied("Only admins can grant or withdraw the ADMIN role.")
    if actor_scope is None:  # an unscoped moderator
        return sites if role == Role.MODERATOR else set()
    # A site-scoped moderator: only their own sites, on commenters and site moderators.
    own = set(actor_scope)
    target_sites = set(profile.moderation_sites.values_list("id", flat=True))
    target_is_site_moderator = profile.role == Role.MODERATOR and bool(target_sites)
    if not (profile.role == Role.COMMENTER or target_is_site_moderator):
        raise PermissionDenied("Site moderators can only change commenters and site moderators.")
    if role == Role.MODERATOR:
        if not sites:
            raise SiteIDsRequired(field="siteIDs")
        if not sites <= own:
            raise PermissionDenied("You can only grant moderation of your own sites.")
        return (target_sites - own) | sites
    if role == Role.COMMENTER and target_sites <= own:
        return set()
    raise PermissionDenied("Site moderators can only make site moderators or commenters.")


def profile_role_set(
    *, profile: Profile, role: str, actor: Profile, site_ids: list | None = None
) -> Profile:
    """Give ``profile`` the role ``role`` (and, for MODERATOR, its sites) as ``actor``.

    Syncs the Django side: the user joins the group of :data:`TALK_GROUPS` for the role
    (and leaves the others); ``is_staff`` is set for MODERATOR and ADMIN and cleared for
    lower roles (never for superusers). Unclaimed profiles (no user) just get the role.

    Args:
        role: a :class:`~moderation.models.Role` value.
        site_ids: for MODERATOR, the sites to moderate; None or empty means every site.
            Ignored for other roles (they have no sites). For a site-scoped actor these
            replace only the actor's own sites among the target's.
    Returns:
        The profile, refreshed.
    Raises:
        RoleInvalid: unknown role.
        SiteNotFound: a site id names no site.
        SiteIDsRequired: a site-scoped actor made a moderator without sites.
        PermissionDenied: the change breaks the rules in the module docstring, or
            ``actor`` is ``profile``.
    """
    try:
        new_role = Role(role)
    except ValueError as exc:
        raise RoleInvalid(field="role") from exc
    sites = _sites_of(site_ids) if new_role == Role.MODERATOR else set()
    new_sites = _new_sites(actor=actor, profile=profile, role=new_role, sites=sites)
    groups = talk_groups_ensure()
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk)
        old_sites = set(locked.moderation_sites.values_list("id", flat=True))
        if locked.role == new_role and old_sites == new_sites:
            return locked
        Profile.objects.filter(pk=locked.pk).update(role=new_role)
        locked.moderation_sites.set(new_sites)
        UserStatusAction.objects.create(
            profile=locked,
            actor=actor,
            kind=UserStatusKind.ROLE_CHANGE,
            role=new_role,
            message=_scope_text(new_role, new_sites),
        )
        user = locked.user
        if user is not None:
            user.groups.remove(*groups.values())
            if new_role in groups:
                user.groups.add(groups[new_role])
            elevated = new_role in (Role.MODERATOR, Role.ADMIN)
            if user.is_staff != elevated and not (user.is_superuser and not elevated):
                user.is_staff = elevated
                user.save(update_fields=["is_staff"])
    profile.refresh_from_db()
    return profile


def _scope_text(role: Role, sites: set[uuid.UUID]) -> str:
    if role != Role.MODERATOR:
        return ""
    if not sites:
        return "Moderates every site."
    names = Site.objects.filter(pk__in=sites).order_by("name").values_list("name", flat=True)
    return "Moderates: " + ", ".join(names)
