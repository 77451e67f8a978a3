"""Moderation queues, their counts, scopes, pages, statuses and histories."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.errors import InvalidID
from comments.models import Comment
from moderation import services
from moderation.models import ModerationQueue, SiteBan, UserStanding
from moderation.selectors import (
    comment_moderation_history,
    comment_queues,
    moderation_queue_counts,
    moderation_queue_list,
    moderation_queue_page,
    profile_can_moderate,
    profile_moderation_site_ids,
    profile_status_get,
    profile_status_history,
)
from tests.moderation.world import build_world

pytestmark = pytest.mark.django_db

# Every queue's content for a moderator of every site, newest first.
ALL = {
    "REPORTED": ["b_flagged", "a_flagged"],
    "PENDING": ["b_withheld", "b_premod", "a2_premod", "a_withheld", "a_premod"],
    "UNMODERATED": [
        "b_withheld",
        "b_premod",
        "b_flagged",
        "b_none",
        "a2_premod",
        "a2_none",
        "a_withheld",
        "a_premod",
        "a_reply",
        "a_flagged",
        "a_none",
    ],
    "APPROVED": ["b_approved", "a_approved_flagged", "a_approved"],
    "REJECTED": ["b_rejected", "a_rejected"],
}


def only(prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        queue: [name for name in names if name.startswith(prefixes)] for queue, names in ALL.items()
    }


@pytest.fixture
def world():
    return build_world()


def queues_seen(world, moderator, **filters) -> dict[str, list[str]]:
    return {
        queue.value: world.names(moderation_queue_list(queue=queue, moderator=moderator, **filters))
        for queue in ModerationQueue
    }


def counts_of(expected: dict[str, list[str]]) -> dict[str, int]:
    return {queue: len(names) for queue, names in expected.items()}


@pytest.mark.parametrize("actor", ["moderator", "admin"])
def test_unscoped_moderators_see_every_site(world, actor):
    moderator = world.actors[actor]

    assert queues_seen(world, moderator) == ALL
    assert moderation_queue_counts(moderator=moderator) == counts_of(ALL)


@pytest.mark.parametrize(
    ("filters", "prefixes"),
    [
        ({"site_id": "site_a"}, ("a_", "a2_")),
        ({"site_id": "site_b"}, ("b_",)),
        ({"story_id": "story_a1"}, ("a_",)),
        ({"story_id": "story_a2"}, ("a2_",)),
        ({"site_id": "site_b", "story_id": "story_a1"}, ("nothing",)),
    ],
)
def test_filters_by_site_and_story(world, filters, prefixes):
    moderator = world.actors["moderator"]
    # ids as the admin console passes them: strings from a query string
    resolved = {key: str(getattr(world, value).pk) for key, value in filters.items()}

    expected = only(prefixes)
    assert queues_seen(world, moderator, **resolved) == expected
    assert moderation_queue_counts(moderator=moderator, **resolved) == counts_of(expected)


def test_site_moderators_see_only_their_sites(world):
    amod, bmod = world.site_a_moderator, world.actors["other_site_moderator"]

    assert queues_seen(world, amod) == only(("a_", "a2_"))
    assert queues_seen(world, bmod) == only(("b_",))
    assert moderation_queue_counts(moderator=amod) == counts_of(only(("a_", "a2_")))
    # asking for a site they do not moderate gives nothing
    assert queues_seen(world, amod, site_id=world.site_b.pk) == only(("nothing",))
    assert moderation_queue_counts(moderator=amod, site_id=world.site_b.pk) == counts_of(
        only(("nothing",))
    )


@pytest.mark.parametrize("actor", ["anonymous", "commenter", "staff"])
def test_non_moderators_see_nothing(world, actor):
    profile = world.actors[actor]

    assert queues_seen(world, profile) == only(("nothing",))
    assert set(moderation_queue_counts(moderator=profile).values()) == {0}


def test_queue_membership_matches_the_lists(world):
    moderator = world.actors["admin"]
    for name, comment in world.comments.items():
        comment.refresh_from_db()
        expected = {q for q, names in queues_seen(world, moderator).items() if name in names}
        assert comment_queues(status=comment.status, open_flag_count=comment.open_flag_count) == {
            ModerationQueue(q) for q in expected
        }, name


def test_deciding_moves_comments_between_queues(world):
    moderator = world.actors["moderator"]

    services.comment_approve(comment=world.comment("a_flagged"), moderator=moderator)
    services.comment_reject(comment=world.comment("b_premod"), moderator=moderator, reason="SPAM")

    counts = moderation_queue_counts(moderator=moderator)
    assert counts == {
        "REPORTED": 1,
        "PENDING": 4,
        "UNMODERATED": 9,
        "APPROVED": 4,
        "REJECTED": 3,
    }


def test_lists_and_counts_cost_fixed_queries(world, django_assert_num_queries):
    admin, moderator = world.actors["admin"], world.actors["moderator"]

    with django_assert_num_queries(1):
        comments = list(moderation_queue_list(queue="UNMODERATED", moderator=admin))
        [
            (c.story.url, c.site.name, c.author.username, c.parent_id and c.parent.body)
            for c in comments
        ]
    with django_assert_num_queries(2):  # + the moderator's sites
        list(moderation_queue_list(queue="REPORTED", moderator=moderator))
    with django_assert_num_queries(1):
        moderation_queue_counts(moderator=admin, site_id=world.site_a.pk)


def test_pages_walk_a_queue_newest_first(world):
    moderator = world.actors["moderator"]
    seen, after, pages = [], None, 0

    while True:
        page = moderation_queue_page(queue="UNMODERATED", moderator=moderator, first=4, after=after)
        pages += 1
        seen.extend(world.names(page.items))
        assert page.has_previous_page is bool(after)
        if not page.has_next_page:
            break
        after = page.end_cursor

    assert (pages, seen) == (3, ALL["UNMODERATED"])


def test_pages_break_ties_on_the_id(world):
    moderator = world.actors["moderator"]
    same = timezone.now() - timedelta(days=1)
    Comment.objects.filter(pk__in=[c.pk for c in world.comments.values()]).update(created_at=same)
    by_id = sorted(world.comments.items(), key=lambda item: item[1].pk, reverse=True)
    expected = [name for name, _ in by_id if name in ALL["UNMODERATED"]]

    first = moderation_queue_page(queue="UNMODERATED", moderator=moderator, first=6)
    rest = moderation_queue_page(
        queue="UNMODERATED", moderator=moderator, first=100, after=first.end_cursor
    )

    assert world.names(first.items + rest.items) == expected


@pytest.mark.parametrize("cursor", ["nonsense", "WyJYIiwxXQ"])
def test_foreign_cursors_are_refused(world, cursor):
    with pytest.raises(InvalidID):
        moderation_queue_page(queue="REPORTED", moderator=world.actors["admin"], after=cursor)


# scopes


def test_moderation_scopes(world):
    amod = world.site_a_moderator

    assert profile_moderation_site_ids(profile=world.actors["admin"]) is None
    assert profile_moderation_site_ids(profile=world.actors["moderator"]) is None
    assert profile_moderation_site_ids(profile=amod) == [world.site_a.pk]
    assert profile_moderation_site_ids(profile=world.actors["staff"]) == []
    assert profile_can_moderate(profile=amod, site_id=str(world.site_a.pk)) is True
    assert profile_can_moderate(profile=amod, site_id=world.site_b.pk) is False
    assert profile_can_moderate(profile=amod, site_id="not-a-uuid") is False
    assert profile_can_moderate(profile=None, site_id=world.site_a.pk) is False


# statuses and histories


def test_status_of_a_user_in_good_standing(world):
    status = profile_status_get(profile=world.author)

    assert (status.current, status.is_banned, status.ban_sites) == (["ACTIVE"], False, [])
    assert (status.suspended_until, status.is_premod, status.warning_message) == (
        None,
        False,
        None,
    )
    assert not UserStanding.objects.exists()


def test_status_lists_everything_that_applies(world):
    now = timezone.now()
    UserStanding.objects.create(
        profile=world.author,
        is_banned=True,
        suspended_until=now + timedelta(minutes=5),
        is_premod=True,
        warning_message="Careful",
    )
    SiteBan.objects.create(profile=world.author, site=world.site_b)
    SiteBan.objects.create(profile=world.author, site=world.site_a)

    status = profile_status_get(profile=world.author, now=now)

    assert status.current == ["BANNED", "SUSPENDED", "PREMOD", "WARNED"]
    assert [site.name for site in status.ban_sites] == ["Alpha Daily", "Beta Times"]
    assert (status.suspended_until, status.warning_message) == (
        now + timedelta(minutes=5),
        "Careful",
    )
    later = profile_status_get(profile=world.author, now=now + timedelta(minutes=6))
    assert (later.current, later.suspended_until) == (["BANNED", "PREMOD", "WARNED"], None)


def test_histories(world, django_assert_num_queries):
    admin, moderator = world.actors["admin"], world.actors["moderator"]
    comment = world.comment("a_premod")
    services.comment_approve(comment=comment, moderator=moderator)
    services.comment_reject(comment=comment, moderator=admin, reason="SPAM")
    services.user_ban(profile=world.author, moderator=moderator, site_ids=[world.site_a.pk])
    services.user_warn(profile=world.author, moderator=admin, message="Stop")

    with django_assert_num_queries(1):
        comment_rows = [
            (a.to_status, a.actor.username) for a in comment_moderation_history(comment=comment)
        ]
    with django_assert_num_queries(1):
        user_rows = [
            (a.kind, a.actor.username, a.site and a.site.name)
            for a in profile_status_history(profile=world.author)
        ]

    assert comment_rows == [("APPROVED", "moderator"), ("REJECTED", "admin")]
    assert user_rows == [("WARN", "admin", None), ("SITE_BAN", "moderator", "Alpha Daily")]
