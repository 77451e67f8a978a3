"""User bans: everywhere and per site, their removal, and the rejector's enqueueing."""

from __future__ import annotations

import pytest

from comments.errors import PermissionDenied, SiteNotFound
from moderation import services, tasks
from moderation.errors import SiteIDsRequired, UserAlreadyBanned
from moderation.models import SiteBan, UserStatusKind
from tests.moderation.world import build_world, history, snapshot, standing, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def enqueued(monkeypatch):
    """Record the rejector task's ``delay`` calls instead of queueing them."""
    calls: list[dict] = []
    monkeypatch.setattr(
        tasks.user_comments_reject_task, "delay", lambda **kwargs: calls.append(kwargs)
    )
    return calls


# bans


def test_ban_everywhere_audits_and_enqueues_the_rejector_on_commit(
    world, enqueued, django_capture_on_commit_callbacks
):
    moderator = world.actors["moderator"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.user_ban(
            profile=world.author,
            moderator=moderator,
            message=" Repeated abuse. ",
            reject_existing_comments=True,
        )
    assert enqueued == []  # not before commit
    for callback in callbacks:
        callback()

    assert standing(world.author).is_banned is True
    assert history(world.author) == [
        (UserStatusKind.BAN, "moderator", "Repeated abuse.", None, None, "")
    ]
    assert enqueued == [
        {"profile_id": str(world.author.pk), "actor_id": str(moderator.pk), "site_ids": None}
    ]
    assert status_of(world.author).current == ["BANNED"]


def test_ban_without_rejecting_enqueues_nothing(
    world, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.user_ban(profile=world.author, moderator=world.actors["admin"])

    assert enqueued == []


def test_banning_a_banned_user_fails_and_changes_nothing(world):
    services.user_ban(profile=world.author, moderator=world.actors["admin"])
    before = snapshot()

    with pytest.raises(UserAlreadyBanned):
        services.user_ban(profile=world.author, moderator=world.actors["moderator"])
    with pytest.raises(UserAlreadyBanned):
        services.user_ban(
            profile=world.author, moderator=world.actors["moderator"], site_ids=[world.site_a.pk]
        )

    assert snapshot() == before


def test_site_ban_bans_named_sites_once_each(world, enqueued, django_capture_on_commit_callbacks):
    moderator = world.actors["moderator"]
    services.user_ban(profile=world.author, moderator=moderator, site_ids=[world.site_a.pk])

    with django_capture_on_commit_callbacks(execute=True):
        services.user_ban(
            profile=world.author,
            moderator=moderator,
            message="Spam",
            site_ids=[str(world.site_a.pk), str(world.site_b.pk)],
            reject_existing_comments=True,
        )

    assert set(SiteBan.objects.values_list("profile_id", "site_id")) == {
        (world.author.pk, world.site_a.pk),
        (world.author.pk, world.site_b.pk),
    }
    assert history(world.author) == [
        (UserStatusKind.SITE_BAN, "moderator", "", None, "Alpha Daily", ""),
        (UserStatusKind.SITE_BAN, "moderator", "Spam", None, "Beta Times", ""),
    ]
    assert enqueued == [
        {
            "profile_id": str(world.author.pk),
            "actor_id": str(moderator.pk),
            "site_ids": [str(world.site_a.pk), str(world.site_b.pk)],
        }
    ]
    status = status_of(world.author)
    assert (status.is_banned, [s.name for s in status.ban_sites]) == (
        False,
        ["Alpha Daily", "Beta Times"],
    )
    with pytest.raises(UserAlreadyBanned):
        services.user_ban(profile=world.author, moderator=moderator, site_ids=[world.site_b.pk])


@pytest.mark.parametrize(
    ("site_ids", "error"),
    [([], SiteIDsRequired), (["5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10"], SiteNotFound)],
)
def test_site_ban_needs_existing_sites(world, site_ids, error):
    before = snapshot()

    with pytest.raises(error):
        services.user_ban(
            profile=world.author, moderator=world.actors["moderator"], site_ids=site_ids
        )

    assert snapshot() == before


def test_site_moderator_site_bans_on_own_sites_only(world):
    amod = world.site_a_moderator
    services.user_ban(profile=world.author, moderator=amod, site_ids=[world.site_a.pk])
    before = snapshot()

    for site_ids in ([world.site_b.pk], [world.site_a.pk, world.site_b.pk], None):
        with pytest.raises(PermissionDenied):
            services.user_ban(profile=world.author, moderator=amod, site_ids=site_ids)
    with pytest.raises(PermissionDenied):
        services.user_ban_remove(profile=world.author, moderator=amod)

    assert snapshot() == before
    services.user_ban_remove(profile=world.author, moderator=amod, site_ids=[world.site_a.pk])
    assert not SiteBan.objects.exists()


def test_removing_the_ban_everywhere_lifts_site_bans_too(world):
    admin = world.actors["admin"]
    services.user_ban(profile=world.author, moderator=admin, site_ids=[world.site_b.pk])
    services.user_ban(profile=world.author, moderator=admin)

    services.user_ban_remove(profile=world.author, moderator=world.actors["moderator"])

    assert standing(world.author).is_banned is False
    assert not SiteBan.objects.exists()
    assert [row[0] for row in history(world.author)] == [
        UserStatusKind.SITE_BAN,
        UserStatusKind.BAN,
        UserStatusKind.REMOVE_BAN,
        UserStatusKind.REMOVE_SITE_BAN,
    ]


def test_removing_absent_bans_is_a_no_op(world):
    before = snapshot()

    services.user_ban_remove(profile=world.author, moderator=world.actors["moderator"])
    services.user_ban_remove(
        profile=world.author, moderator=world.actors["moderator"], site_ids=[world.site_a.pk]
    )

    assert snapshot() == before
