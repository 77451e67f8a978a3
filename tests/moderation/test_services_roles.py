"""profile_role_set (Coral's role rules) and the Django groups the roles map onto."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from comments.errors import PermissionDenied
from moderation import services
from moderation.errors import RoleInvalid, SiteIDsRequired
from moderation.models import Profile, Role, UserStatusAction, UserStatusKind
from tests.factories import ProfileFactory
from tests.moderation.world import build_world, moderator, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world():
    return build_world()


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def talk_groups(profile: Profile) -> list[str]:
    return sorted(
        profile.user.groups.filter(name__startswith="Talk ").values_list("name", flat=True)
    )


def sites_of(profile: Profile) -> set:
    return set(Profile.objects.get(pk=profile.pk).moderation_sites.values_list("name", flat=True))


# groups


def test_migrate_created_the_groups_with_their_permissions():
    moderators = group_permissions("Talk moderators")
    admins = group_permissions("Talk admins")

    assert group_permissions("Talk staff") == set()
    assert {
        "talk_moderation.moderate_comment",
        "talk_moderation.moderate_user",
        "talk_comments.view_comment",
        "talk_comments.change_comment",
        "talk_moderation.view_userstanding",
    } <= moderators
    assert "talk_moderation.configure_site" not in moderators
    assert "talk_moderation.change_profile" not in moderators
    assert moderators < admins
    assert admins - moderators == {
        "talk_moderation.configure_site",
        "talk_comments.add_site",
        "talk_comments.change_site",
        "talk_comments.change_commentflag",
        "talk_moderation.change_profile",
        "talk_moderation.delete_moderatornote",
        "talk_moderation.add_sitemoderationsettings",
        "talk_moderation.change_sitemoderationsettings",
    }
    assert not any(".delete_comment" in p for p in admins)


def test_ensuring_the_groups_is_idempotent():
    Group.objects.get(name="Talk moderators").permissions.clear()

    first = services.talk_groups_ensure()
    second = services.talk_groups_ensure()

    assert first == second
    assert Group.objects.filter(name__startswith="Talk ").count() == 3
    assert "talk_moderation.moderate_user" in group_permissions("Talk moderators")


# Django side of a role


def test_roles_sync_groups_and_admin_access(world):
    admin = world.actors["admin"]
    target = world.actors["commenter"]
    other = Group.objects.create(name="Newsletter editors")
    target.user.groups.add(other)

    services.profile_role_set(profile=target, role=Role.MODERATOR, actor=admin)
    user = User.objects.get(pk=target.user_id)
    assert (talk_groups(target), user.is_staff) == (["Talk moderators"], True)
    assert user.has_perm("talk_moderation.moderate_comment")
    assert not user.has_perm("talk_moderation.configure_site")

    services.profile_role_set(profile=target, role=Role.ADMIN, actor=admin)
    user = User.objects.get(pk=target.user_id)
    assert (talk_groups(target), user.is_staff) == (["Talk admins"], True)
    assert user.has_perm("talk_moderation.configure_site")

    services.profile_role_set(profile=target, role=Role.STAFF, actor=admin)
    user = User.objects.get(pk=target.user_id)
    assert (talk_groups(target), user.is_staff) == (["Talk staff"], False)

    services.profile_role_set(profile=target, role=Role.COMMENTER, actor=admin)
    user = User.objects.get(pk=target.user_id)
    assert (talk_groups(target), user.is_staff) == ([], False)
    assert list(user.groups.values_list("name", flat=True)) == ["Newsletter editors"]
    assert list(
        UserStatusAction.objects.filter(profile=target)
        .order_by("created_at", "id")
        .values_list("kind", "role", "message")
    ) == [
        (UserStatusKind.ROLE_CHANGE, Role.MODERATOR, "Moderates every site."),
        (UserStatusKind.ROLE_CHANGE, Role.ADMIN, ""),
        (UserStatusKind.ROLE_CHANGE, Role.STAFF, ""),
        (UserStatusKind.ROLE_CHANGE, Role.COMMENTER, ""),
    ]


def test_a_demoted_superuser_keeps_admin_access(world):
    target = ProfileFactory(role=Role.ADMIN, user__is_superuser=True, user__is_staff=True)

    services.profile_role_set(profile=target, role=Role.COMMENTER, actor=world.actors["admin"])

    assert User.objects.get(pk=target.user_id).is_staff is True
    assert talk_groups(target) == []


def test_unclaimed_profiles_just_get_the_role(world):
    unclaimed = ProfileFactory(user=None, username="disqus-reader")

    services.profile_role_set(
        profile=unclaimed,
        role=Role.MODERATOR,
        actor=world.actors["admin"],
        site_ids=[world.site_a.pk],
    )

    assert Profile.objects.get(pk=unclaimed.pk).role == Role.MODERATOR
    assert sites_of(unclaimed) == {"Alpha Daily"}


def test_same_role_and_sites_is_a_no_op(world):
    before = snapshot()

    services.profile_role_set(
        profile=world.actors["moderator"], role=Role.MODERATOR, actor=world.actors["admin"]
    )

    assert snapshot() == before


def test_unknown_role_is_refused(world):
    with pytest.raises(RoleInvalid):
        services.profile_role_set(profile=world.author, role="OWNER", actor=world.actors["admin"])


# Coral's rules: (actor, target, new role, sites) -> resulting sites, or the error


def _profile(world, name: str) -> Profile:
    if name == "site_a_moderator":
        return world.site_a_moderator
    if name == "ab_moderator":
        return moderator(sites=[world.site_a, world.site_b])
    if name == "other_admin":
        return ProfileFactory(role=Role.ADMIN)
    return world.actors[name]


RULES = [
    # admins change anyone, to anything
    ("admin", "commenter", Role.ADMIN, None, set()),
    ("admin", "other_admin", Role.COMMENTER, None, set()),
    ("admin", "moderator", Role.MODERATOR, ["b"], {"Beta Times"}),
    # unscoped moderators: anyone but admins, up to MODERATOR
    ("moderator", "commenter", Role.STAFF, None, set()),
    ("moderator", "commenter", Role.MODERATOR, None, set()),
    ("moderator", "commenter", Role.MODERATOR, ["a", "b"], {"Alpha Daily", "Beta Times"}),
    ("moderator", "other_site_moderator", Role.COMMENTER, None, set()),
    ("moderator", "commenter", Role.ADMIN, None, PermissionDenied),
    ("moderator", "other_admin", Role.COMMENTER, None, PermissionDenied),
    # site moderators: only their own sites, on commenters and site moderators
    ("site_a_moderator", "commenter", Role.MODERATOR, ["a"], {"Alpha Daily"}),
    (
        "site_a_moderator",
        "other_site_moderator",
        Role.MODERATOR,
        ["a"],
        {"Alpha Daily", "Beta Times"},
    ),
    ("site_a_moderator", "ab_moderator", Role.MODERATOR, ["a"], {"Alpha Daily", "Beta Times"}),
    ("site_a_moderator", "commenter", Role.MODERATOR, ["b"], PermissionDenied),
    ("site_a_moderator", "commenter", Role.MODERATOR, None, SiteIDsRequired),
    ("site_a_moderator", "commenter", Role.STAFF, None, PermissionDenied),
    ("site_a_moderator", "staff", Role.MODERATOR, ["a"], PermissionDenied),
    ("site_a_moderator", "ab_moderator", Role.COMMENTER, None, PermissionDenied),
    ("site_a_moderator", "other_site_moderator", Role.COMMENTER, None, PermissionDenied),
    ("site_a_moderator", "moderator", Role.COMMENTER, None, PermissionDenied),
    ("site_a_moderator", "admin", Role.COMMENTER, None, PermissionDenied),
    # everyone else: nothing
    ("staff", "commenter", Role.MEMBER, None, PermissionDenied),
    ("commenter", "commenter", Role.STAFF, None, PermissionDenied),
    ("commenter", "staff", Role.COMMENTER, None, PermissionDenied),
    # nobody changes their own role
    ("admin", "admin", Role.COMMENTER, None, PermissionDenied),
    ("moderator", "moderator", Role.STAFF, None, PermissionDenied),
]


@pytest.mark.parametrize(("actor", "target", "role", "sites", "expected"), RULES)
def test_role_rules(world, actor, target, role, sites, expected):
    # given
    actor_profile, target_profile = _profile(world, actor), _profile(world, target)
    site_ids = None
    if sites is not None:
        site_ids = [{"a": world.site_a.pk, "b": world.site_b.pk}[s] for s in sites]
    before = snapshot()

    # when / then
    if isinstance(expected, set):
        result = services.profile_role_set(
            profile=target_profile, role=role, actor=actor_profile, site_ids=site_ids
        )
        assert (result.role, sites_of(result)) == (role, expected)
    else:
        with pytest.raises(expected):
            services.profile_role_set(
                profile=target_profile, role=role, actor=actor_profile, site_ids=site_ids
            )
        assert snapshot() == before
