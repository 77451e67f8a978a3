"""User acts: suspensions, pre-moderation, warnings, notes; who may act on users."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from comments.errors import NotAuthenticated, PermissionDenied
from moderation import services
from moderation.errors import (
    MessageRequired,
    NoteInvalid,
    SuspensionTimeoutInvalid,
    UserAlreadyPremod,
    UserAlreadySuspended,
)
from moderation.models import (
    ModeratorNote,
    Role,
    SiteBan,
    UserStanding,
    UserStatusAction,
    UserStatusKind,
)
from moderation.services import user_status
from tests.factories import ProfileFactory
from tests.moderation.world import (
    ACTORS,
    MODERATORS,
    build_world,
    history,
    snapshot,
    standing,
    status_of,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def frozen(monkeypatch):
    """Make ``timezone.now()`` return NOW (and later, what the test sets)."""
    clock = {"now": NOW}
    monkeypatch.setattr(user_status.timezone, "now", lambda: clock["now"])
    return clock


# suspension, pre-moderation, warning


def test_suspension_runs_until_its_end(world, frozen):
    services.user_suspend(
        profile=world.author, moderator=world.actors["moderator"], seconds=3600, message="Cool off"
    )

    row = standing(world.author)
    until = NOW + timedelta(hours=1)
    assert (row.suspended_until, row.suspension_message) == (until, "Cool off")
    assert history(world.author) == [
        (UserStatusKind.SUSPEND, "moderator", "Cool off", until, None, "")
    ]
    with pytest.raises(UserAlreadySuspended):
        services.user_suspend(profile=world.author, moderator=world.actors["admin"], seconds=60)

    # once over, a new suspension may start
    frozen["now"] = until + timedelta(seconds=1)
    services.user_suspend(profile=world.author, moderator=world.actors["admin"], seconds=60)
    assert standing(world.author).suspended_until == until + timedelta(seconds=61)


@pytest.mark.parametrize("seconds", [0, -5, 365 * 24 * 3600 + 1])
def test_suspension_length_is_bounded(world, seconds):
    before = snapshot()

    with pytest.raises(SuspensionTimeoutInvalid):
        services.user_suspend(
            profile=world.author, moderator=world.actors["moderator"], seconds=seconds
        )

    assert snapshot() == before


def test_removing_a_suspension_ends_it_once(world):
    moderator = world.actors["moderator"]
    services.user_suspend(profile=world.author, moderator=moderator, seconds=600)

    services.user_suspension_remove(profile=world.author, moderator=moderator)
    services.user_suspension_remove(profile=world.author, moderator=moderator)

    assert standing(world.author).suspended_until is None
    assert [row[0] for row in history(world.author)] == [
        UserStatusKind.SUSPEND,
        UserStatusKind.REMOVE_SUSPENSION,
    ]


def test_premod_on_and_off(world):
    moderator = world.actors["moderator"]

    services.user_premod(profile=world.author, moderator=moderator)
    with pytest.raises(UserAlreadyPremod):
        services.user_premod(profile=world.author, moderator=moderator)
    assert standing(world.author).is_premod is True
    services.user_premod_remove(profile=world.author, moderator=moderator)
    services.user_premod_remove(profile=world.author, moderator=moderator)

    assert standing(world.author).is_premod is False
    assert [row[0] for row in history(world.author)] == [
        UserStatusKind.PREMOD,
        UserStatusKind.REMOVE_PREMOD,
    ]


def test_warning_shows_until_acknowledged(world, frozen):
    moderator = world.actors["moderator"]
    services.user_warn(profile=world.author, moderator=moderator, message=" Mind the rules. ")
    assert status_of(world.author).warning_message == "Mind the rules."

    services.user_warning_acknowledge(profile=world.author)
    services.user_warning_acknowledge(profile=world.author)  # nothing left to acknowledge

    row = standing(world.author)
    assert (row.warning_message, row.warning_acknowledged_at) == ("Mind the rules.", NOW)
    assert status_of(world.author).current == ["ACTIVE"]
    assert history(world.author) == [
        (UserStatusKind.WARN, "moderator", "Mind the rules.", None, None, ""),
        (UserStatusKind.ACKNOWLEDGE_WARNING, "author", "Mind the rules.", None, None, ""),
    ]


def test_a_new_warning_needs_a_new_acknowledgement(world):
    moderator = world.actors["moderator"]
    services.user_warn(profile=world.author, moderator=moderator, message="One")
    services.user_warning_acknowledge(profile=world.author)

    services.user_warn(profile=world.author, moderator=moderator, message="Two")

    assert status_of(world.author).warning_message == "Two"
    services.user_warning_remove(profile=world.author, moderator=moderator)
    assert status_of(world.author).warning_message is None
    assert standing(world.author).warning_message == ""


def test_blank_warning_is_refused(world):
    with pytest.raises(MessageRequired):
        services.user_warn(profile=world.author, moderator=world.actors["moderator"], message=" ")


# who may act on users


USER_ACTS = {
    "ban": lambda w, actor: services.user_ban(profile=w.author, moderator=actor),
    "site_ban_a": lambda w, actor: services.user_ban(
        profile=w.author, moderator=actor, site_ids=[w.site_a.pk]
    ),
    "ban_remove": lambda w, actor: services.user_ban_remove(profile=w.author, moderator=actor),
    "site_ban_remove_a": lambda w, actor: services.user_ban_remove(
        profile=w.author, moderator=actor, site_ids=[w.site_a.pk]
    ),
    "suspend": lambda w, actor: services.user_suspend(
        profile=w.author, moderator=actor, seconds=60
    ),
    "suspension_remove": lambda w, actor: services.user_suspension_remove(
        profile=w.author, moderator=actor
    ),
    "premod": lambda w, actor: services.user_premod(profile=w.author, moderator=actor),
    "premod_remove": lambda w, actor: services.user_premod_remove(
        profile=w.author, moderator=actor
    ),
    "warn": lambda w, actor: services.user_warn(profile=w.author, moderator=actor, message="Hey"),
    "warning_remove": lambda w, actor: services.user_warning_remove(
        profile=w.author, moderator=actor
    ),
}


def _given(world, act: str) -> None:
    """Put the author in the state a removal removes."""
    if act == "ban_remove":
        UserStanding.objects.create(profile=world.author, is_banned=True)
        SiteBan.objects.create(profile=world.author, site=world.site_b)
    elif act == "site_ban_remove_a":
        SiteBan.objects.create(profile=world.author, site=world.site_a)
    elif act == "suspension_remove":
        UserStanding.objects.create(
            profile=world.author, suspended_until=timezone.now() + timedelta(hours=1)
        )
    elif act == "premod_remove":
        UserStanding.objects.create(profile=world.author, is_premod=True)
    elif act == "warning_remove":
        UserStanding.objects.create(profile=world.author, warning_message="Careful")


@pytest.mark.parametrize("act", USER_ACTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_user_act_permissions(world, act, actor):
    # given
    _given(world, act)
    before = snapshot()

    # when / then: exactly one audit row per change for moderators and admins
    if actor in MODERATORS:
        USER_ACTS[act](world, world.actors[actor])
        rows = UserStatusAction.objects.filter(profile=world.author)
        assert rows.count() == (2 if act == "ban_remove" else 1)
        assert set(rows.values_list("actor", flat=True)) == {world.actors[actor].pk}
    else:
        with pytest.raises(PermissionDenied):
            USER_ACTS[act](world, world.actors[actor])
        assert snapshot() == before


@pytest.mark.parametrize("act", USER_ACTS)
def test_nobody_moderates_themselves(world, act):
    admin = world.actors["admin"]
    before = snapshot()

    with pytest.raises(PermissionDenied):
        USER_ACTS[act](replace(world, author=admin), admin)

    assert snapshot() == before


@pytest.mark.parametrize("target", ["other_site_moderator", "admin"])
def test_only_admins_moderate_moderators_and_admins(world, target):
    profile = world.actors[target]
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.user_ban(profile=profile, moderator=world.actors["moderator"])
    assert snapshot() == before

    other_admin = ProfileFactory(role=Role.ADMIN)
    services.user_ban(profile=profile, moderator=other_admin)
    assert standing(profile).is_banned is True


# moderator notes


@pytest.mark.parametrize("actor", [*ACTORS[1:], "site_a_moderator"])
def test_moderators_of_any_scope_write_notes(world, actor):
    author = world.site_a_moderator if actor == "site_a_moderator" else world.actors[actor]
    allowed = actor in (*MODERATORS, "other_site_moderator", "site_a_moderator")

    if allowed:
        note = services.moderator_note_create(profile=world.author, moderator=author, body=" Hm ")
        assert (note.profile, note.author, note.body) == (world.author, author, "Hm")
    else:
        with pytest.raises(PermissionDenied):
            services.moderator_note_create(profile=world.author, moderator=author, body="Hm")
        assert not ModeratorNote.objects.exists()


@pytest.mark.parametrize("body", ["   ", "x" * 2001])
def test_note_body_is_bounded(world, body):
    with pytest.raises(NoteInvalid):
        services.moderator_note_create(
            profile=world.author, moderator=world.actors["moderator"], body=body
        )


def test_notes_are_deleted_by_their_author_or_an_admin(world):
    moderator = world.actors["moderator"]
    first = services.moderator_note_create(profile=world.author, moderator=moderator, body="1")
    second = services.moderator_note_create(profile=world.author, moderator=moderator, body="2")

    with pytest.raises(PermissionDenied):
        services.moderator_note_delete(note=first, moderator=world.site_a_moderator)
    services.moderator_note_delete(note=first, moderator=moderator)
    services.moderator_note_delete(note=second, moderator=world.actors["admin"])

    assert not ModeratorNote.objects.exists()


# the interface guard


@pytest.mark.parametrize("actor", ACTORS)
def test_profile_get_moderator(world, actor):
    profile = world.actors[actor]
    user = profile.user if profile else None

    if actor == "anonymous":
        with pytest.raises(NotAuthenticated):
            services.profile_get_moderator(user=user)
    elif actor in (*MODERATORS, "other_site_moderator"):
        assert services.profile_get_moderator(user=user) == profile
    else:
        with pytest.raises(PermissionDenied):
            services.profile_get_moderator(user=user)
