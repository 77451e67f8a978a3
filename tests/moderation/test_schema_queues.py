"""moderationQueues, User.status and the viewer's warning over GraphQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from moderation.models import SiteBan, UserStanding
from tests.factories import CommentFactory
from tests.moderation.test_selectors import ALL
from tests.moderation.world import ACTORS, MODERATORS, build_world

pytestmark = pytest.mark.django_db

QUEUES = """
    query Queues($siteID: ID, $storyID: ID, $first: Int, $after: String) {
      moderationQueues(siteID: $siteID, storyID: $storyID) {
        reported { queue count comments(first: $first, after: $after) { ...page } }
        pending { queue count comments(first: $first, after: $after) { ...page } }
        unmoderated { queue count comments(first: $first, after: $after) { ...page } }
        approved { queue count comments(first: $first, after: $after) { ...page } }
        rejected { queue count comments(first: $first, after: $after) { ...page } }
      }
    }
    fragment page on CommentsConnection {
      edges { cursor node { id status author { username } story { id } } }
      pageInfo { hasNextPage endCursor }
    }
"""

COUNTS = """
    query Counts($siteID: ID) {
      moderationQueues(siteID: $siteID) { reported { count } pending { count } }
    }
"""

USER_STATUS = """
    query Status($id: ID!) {
      node(id: $id) {
        ... on User {
          username
          status {
            current
            ban { active sites { name } }
            suspension { active until }
            premod { active }
            warning { active message }
          }
        }
      }
    }
"""

VIEWER_WARNING = """
    query { viewer { username status { current warning { active message } } } }
"""


def gid(kind: str, pk) -> str:
    return to_global_id(kind, str(pk))


@pytest.fixture
def world():
    return build_world()


def by_queue(world, data: dict) -> dict[str, list[str]]:
    names = {gid("Comment", c.pk): name for name, c in world.comments.items()}
    return {
        key.upper(): [names[e["node"]["id"]] for e in queue["comments"]["edges"]]
        for key, queue in data.items()
    }


# moderationQueues


def test_moderators_get_every_queue_with_counts(world, graphql_for):
    result = graphql_for(world.actors["moderator"])(QUEUES)

    data = result["data"]["moderationQueues"]
    assert by_queue(world, data) == ALL
    assert {key: (q["queue"], q["count"]) for key, q in data.items()} == {
        key.lower(): (key, len(names)) for key, names in ALL.items()
    }
    edge = data["reported"]["comments"]["edges"][0]["node"]
    assert edge == {
        "id": gid("Comment", world.comments["b_flagged"].pk),
        "status": "NONE",
        "author": {"username": "author"},
        "story": {"id": gid("Story", world.story_b.pk)},
    }


def test_site_moderators_see_their_sites(world, graphql_for):
    graphql = graphql_for(world.site_a_moderator)

    data = graphql(QUEUES)["data"]["moderationQueues"]
    denied = graphql(QUEUES, {"siteID": gid("Site", world.site_b.pk)})

    expected = {q: [n for n in names if n.startswith(("a_", "a2_"))] for q, names in ALL.items()}
    assert by_queue(world, data) == expected
    assert denied["data"] == {"moderationQueues": None}
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in denied["errors"]] == [
        ("PERMISSION_DENIED", "siteID")
    ]


def test_filters_by_site_and_story(world, graphql_for):
    graphql = graphql_for(world.actors["admin"])

    by_site = graphql(QUEUES, {"siteID": gid("Site", world.site_b.pk)})["data"]
    by_story = graphql(QUEUES, {"storyID": gid("Story", world.story_a2.pk)})["data"]

    assert by_queue(world, by_site["moderationQueues"]) == {
        q: [n for n in names if n.startswith("b_")] for q, names in ALL.items()
    }
    assert by_queue(world, by_story["moderationQueues"]) == {
        q: [n for n in names if n.startswith("a2_")] for q, names in ALL.items()
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_only_moderators_see_the_queues(world, graphql_for, actor):
    result = graphql_for(world.actors[actor])(COUNTS)

    if actor in MODERATORS or actor == "other_site_moderator":
        counts = result["data"]["moderationQueues"]
        expected = (2, 5) if actor in MODERATORS else (1, 2)
        assert (counts["reported"]["count"], counts["pending"]["count"]) == expected
    else:
        code = "NOT_AUTHENTICATED" if actor == "anonymous" else "PERMISSION_DENIED"
        assert result["data"] == {"moderationQueues": None}
        assert [e["extensions"]["code"] for e in result["errors"]] == [code]


def test_queue_pages_follow_cursors(world, graphql_for):
    graphql = graphql_for(world.actors["moderator"])
    seen, after = [], None

    for _ in range(3):
        data = graphql(QUEUES, {"first": 5, "after": after})["data"]["moderationQueues"]
        page = data["unmoderated"]["comments"]
        seen.extend(by_queue(world, {"unmoderated": data["unmoderated"]})["UNMODERATED"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break

    assert seen == ALL["UNMODERATED"]


@pytest.mark.parametrize(("first", "code"), [(101, "PAGE_SIZE_INVALID"), (0, "PAGE_SIZE_INVALID")])
def test_page_size_is_capped(world, graphql_for, first, code):
    result = graphql_for(world.actors["moderator"])(QUEUES, {"first": first})

    assert result["data"] == {"moderationQueues": None}
    assert {e["extensions"]["code"] for e in result["errors"]} == {code}


def test_a_bad_cursor_is_an_error(world, graphql_for):
    result = graphql_for(world.actors["moderator"])(QUEUES, {"after": "bogus"})

    assert {e["extensions"]["code"] for e in result["errors"]} == {"INVALID_ID"}


@pytest.mark.parametrize("by_site", [False, True])
def test_queues_cost_fixed_queries(world, graphql_for, django_assert_num_queries, by_site):
    # given: the same document over the world, then over twice the comments
    graphql = graphql_for(world.site_a_moderator)
    variables = {"siteID": gid("Site", world.site_a.pk)} if by_site else {}
    graphql(COUNTS)  # warm the session

    # when / then: session, user, profile, the moderator's sites, counts, one page per
    # queue: 10 however many comments there are
    with django_assert_num_queries(10):
        graphql(QUEUES, variables)
    for comment in list(world.comments.values()):
        CommentFactory(story=comment.story, status=comment.status)
    with django_assert_num_queries(10):
        result = graphql(QUEUES, variables)
    assert result["data"]["moderationQueues"]["unmoderated"]["count"] == 14


# User.status and the viewer's warning


@pytest.fixture
def troubled(world):
    """The author: banned from site B, suspended, pre-moderated, warned."""
    until = timezone.now() + timedelta(hours=2)
    UserStanding.objects.create(
        profile=world.author,
        suspended_until=until,
        is_premod=True,
        warning_message="Mind the rules",
    )
    SiteBan.objects.create(profile=world.author, site=world.site_b)
    return until


@pytest.mark.parametrize("actor", [*ACTORS, "author"])
def test_status_is_for_moderators_and_the_user_themself(world, graphql_for, troubled, actor):
    viewer = world.author if actor == "author" else world.actors[actor]

    result = graphql_for(viewer)(USER_STATUS, {"id": gid("User", world.author.pk)})

    status = result["data"]["node"]["status"]
    if actor in (*MODERATORS, "other_site_moderator", "author"):
        assert status == {
            "current": ["SUSPENDED", "PREMOD", "WARNED"],
            "ban": {"active": False, "sites": [{"name": "Beta Times"}]},
            "suspension": {"active": True, "until": troubled.isoformat()},
            "premod": {"active": True},
            "warning": {"active": True, "message": "Mind the rules"},
        }
    else:
        assert status is None


def test_a_user_in_good_standing_is_active(world, graphql_for):
    result = graphql_for(world.actors["moderator"])(
        USER_STATUS, {"id": gid("User", world.author.pk)}
    )

    assert result["data"]["node"]["status"] == {
        "current": ["ACTIVE"],
        "ban": {"active": False, "sites": []},
        "suspension": {"active": False, "until": None},
        "premod": {"active": False},
        "warning": {"active": False, "message": None},
    }


def test_viewer_sees_the_warning_until_acknowledging_it(world, graphql_for, troubled):
    graphql = graphql_for(world.author)

    before = graphql(VIEWER_WARNING)["data"]["viewer"]
    graphql("mutation { acknowledgeWarning { errors { code } } }")
    after = graphql(VIEWER_WARNING)["data"]["viewer"]

    assert before["status"]["warning"] == {"active": True, "message": "Mind the rules"}
    assert after["status"] == {
        "current": ["SUSPENDED", "PREMOD"],
        "warning": {"active": False, "message": None},
    }
