"""What each subscription delivers, to whom: readers, moderators, the viewer themself."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from graphql_relay import to_global_id

from comments.services import comment_create, comment_edit, comment_reaction_create
from moderation.models import Role
from moderation.services import comment_approve, comment_feature, comment_reject
from realtime import publishers
from tests.factories import ProfileFactory, SiteFactory, StoryFactory
from tests.realtime.conftest import run, session_cookie, wait_active

pytestmark = pytest.mark.django_db(transaction=True)

ENTERED = """
subscription Entered($storyID: ID!) {
  commentEntered(storyID: $storyID) { comment { id body status } }
}"""
EDITED = """
subscription Edited($storyID: ID!) { commentEdited(storyID: $storyID) { comment { id body } } }"""
REACTIONS = """
subscription Reactions($storyID: ID!) {
  commentReactionUpdated(storyID: $storyID) { comment { id actionCounts { reaction { total } } } }
}"""
QUEUE_ENTERED = """
subscription Queue($siteID: ID, $queue: MODERATION_QUEUE) {
  commentEnteredModerationQueue(siteID: $siteID, queue: $queue) { queue comment { id status } }
}"""
QUEUE_LEFT = """
subscription Left($siteID: ID) {
  commentLeftModerationQueue(siteID: $siteID) { queue comment { id status } }
}"""
STATUS = """
subscription Status {
  commentStatusUpdated { previousStatus newStatus moderator { username } comment { id } }
}"""
FEATURED = "subscription { commentFeatured { comment { id tags { code } } } }"
REPLIES = "subscription { commentReplyCreated { comment { id body author { username } } } }"


def gid(type_name, obj) -> str:
    return to_global_id(type_name, str(obj.pk))


@database_sync_to_async
def post(story, profile, body, parent=None):
    return comment_create(
        story_id=story.pk,
        author=profile.user,
        body=body,
        parent_id=parent.pk if parent is not None else None,
    )


@pytest.fixture
def premod_story(site):
    return StoryFactory(site=site, premod_enabled=True, title="Held for review")


@pytest.fixture
def cookies(profile, other_profile, moderator_profile):
    return {
        "alice": session_cookie(profile),
        "bob": session_cookie(other_profile),
        "mod": session_cookie(moderator_profile),
    }


def test_held_comment_reaches_moderators_queue_but_never_readers(
    live, premod_story, profile, cookies
):
    async def scenario():
        # given: a reader, the author and a moderator watch the pre-moderated story
        reader = await live().start()
        author = await live(cookie=cookies["alice"]).start()
        moderator = await live(cookie=cookies["mod"]).start()
        for client in (reader, author):
            await client.subscribe("s", ENTERED, {"storyID": gid("Story", premod_story)})
        await moderator.subscribe(
            "q", QUEUE_ENTERED, {"siteID": gid("Site", premod_story.site), "queue": "PENDING"}
        )
        await moderator.subscribe("s", ENTERED, {"storyID": gid("Story", premod_story)})
        await wait_active(4)

        # when
        held = await post(premod_story, profile, "Please hold me")

        # then
        payload = await moderator.next_payload("q")
        assert payload == {
            "data": {
                "commentEnteredModerationQueue": {
                    "queue": "PENDING",
                    "comment": {"id": gid("Comment", held), "status": "PREMOD"},
                }
            }
        }
        for client in (reader, author, moderator):
            assert await client.nothing()
            await client.close()

    run(scenario)


def test_approving_a_held_comment_enters_it_for_readers_and_leaves_the_queue(
    live, premod_story, profile, moderator_profile, cookies
):
    held = comment_create(story_id=premod_story.pk, author=profile.user, body="Held then OK")

    async def scenario():
        reader = await live().start()
        moderator = await live(cookie=cookies["mod"]).start()
        await reader.subscribe("s", ENTERED, {"storyID": gid("Story", premod_story)})
        await moderator.subscribe("left", QUEUE_LEFT, {"siteID": gid("Site", premod_story.site)})
        await wait_active(2)

        await database_sync_to_async(comment_approve)(comment=held, moderator=moderator_profile)

        entered = await reader.next_payload("s")
        assert entered["data"]["commentEntered"]["comment"] == {
            "id": gid("Comment", held),
            "body": held.body,
            "status": "APPROVED",
        }
        left = [await moderator.next_payload("left") for _ in range(2)]
        assert sorted(p["data"]["commentLeftModerationQueue"]["queue"] for p in left) == [
            "PENDING",
            "UNMODERATED",
        ]
        assert await reader.nothing()
        await reader.close()
        await moderator.close()

    run(scenario)


def test_rejecting_a_visible_comment_enters_nothing(live, story, profile, moderator_profile):
    visible = comment_create(story_id=story.pk, author=profile.user, body="Soon rejected")

    async def scenario():
        reader = await live().start()
        await reader.subscribe("s", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(1)
        await database_sync_to_async(comment_reject)(
            comment=visible, moderator=moderator_profile, reason="SPAM"
        )
        assert await reader.nothing()
        await reader.close()

    run(scenario)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (QUEUE_ENTERED, {}),
        (QUEUE_LEFT, {}),
        (STATUS, {}),
        (FEATURED, {}),
    ],
    ids=["entered-queue", "left-queue", "status", "featured"],
)
@pytest.mark.parametrize("who", ["anonymous", "commenter"])
def test_moderator_subscriptions_give_others_an_error_and_nothing_else(
    live, site, profile, cookies, query, variables, who
):
    held_story = StoryFactory(site=site, premod_enabled=True)

    async def scenario():
        client = await live(cookie=cookies["alice"] if who == "commenter" else None).start()
        await client.subscribe("m", query, variables)
        message = await client.receive()
        assert message["id"] == "m"
        assert message["type"] == "error"
        assert [e["extensions"]["code"] for e in message["payload"]] == ["MODERATORS_ONLY"]
        await post(held_story, profile, "Held")
        assert await client.nothing()
        await client.send({"type": "ping"})  # the socket stays open
        assert await client.receive() == {"type": "pong"}
        await client.close()

    run(scenario)


def test_moderator_limited_to_some_sites_follows_only_those(live, site, profile):
    other_site = SiteFactory()
    scoped = ProfileFactory(role=Role.MODERATOR)
    scoped.moderation_sites.set([other_site])
    cookie = session_cookie(scoped)
    here, there = StoryFactory(site=site), StoryFactory(site=other_site)

    async def scenario():
        client = await live(cookie=cookie).start()
        await client.subscribe("here", QUEUE_ENTERED, {"siteID": gid("Site", site)})
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "MODERATORS_ONLY"
        await client.subscribe("all", QUEUE_ENTERED, {})
        await wait_active(1)
        await post(here, profile, "Not my site")
        assert await client.nothing()
        theirs = await post(there, profile, "My site")
        payload = await client.next_payload("all")
        assert payload["data"]["commentEnteredModerationQueue"] == {
            "queue": "UNMODERATED",
            "comment": {"id": gid("Comment", theirs), "status": "NONE"},
        }
        await client.close()

    run(scenario)


def test_status_updates_and_features_reach_moderators(
    live, story, profile, moderator_profile, cookies
):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Feature me")

    async def scenario():
        moderator = await live(cookie=cookies["mod"]).start()
        await moderator.subscribe("status", STATUS)
        await moderator.subscribe("featured", FEATURED)
        await wait_active(2)

        await database_sync_to_async(comment_feature)(comment=comment, moderator=moderator_profile)

        messages = [await moderator.receive() for _ in range(2)]
        by_id = {m["id"]: m["payload"]["data"] for m in messages}
        assert by_id["status"] == {
            "commentStatusUpdated": {
                "previousStatus": "NONE",
                "newStatus": "APPROVED",
                "moderator": {"username": "mod"},
                "comment": {"id": gid("Comment", comment)},
            }
        }
        assert by_id["featured"] == {
            "commentFeatured": {
                "comment": {"id": gid("Comment", comment), "tags": [{"code": "FEATURED"}]}
            }
        }
        await moderator.close()

    run(scenario)


def test_edits_and_reaction_counts_reach_readers(live, story, profile, other_profile):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Typo heer")

    async def scenario():
        reader = await live().start()
        await reader.subscribe("edit", EDITED, {"storyID": gid("Story", story)})
        await reader.subscribe("react", REACTIONS, {"storyID": gid("Story", story)})
        await wait_active(2)

        await database_sync_to_async(comment_edit)(
            comment_id=comment.pk, editor=profile.user, body="Typo here"
        )
        edited = await reader.next_payload("edit")
        assert edited["data"]["commentEdited"]["comment"] == {
            "id": gid("Comment", comment),
            "body": "Typo here",
        }
        await database_sync_to_async(comment_reaction_create)(
            comment_id=comment.pk, author=other_profile.user
        )
        reacted = await reader.next_payload("react")
        assert reacted["data"]["commentReactionUpdated"]["comment"] == {
            "id": gid("Comment", comment),
            "actionCounts": {"reaction": {"total": 1}},
        }
        await reader.close()

    run(scenario)


def test_replies_to_my_comments_reach_me_only(live, story, profile, other_profile, cookies):
    mine = comment_create(story_id=story.pk, author=profile.user, body="My comment")
    theirs = comment_create(story_id=story.pk, author=other_profile.user, body="Their comment")

    async def scenario():
        alice = await live(cookie=cookies["alice"]).start()
        bob = await live(cookie=cookies["bob"]).start()
        await alice.subscribe("r", REPLIES)
        await bob.subscribe("r", REPLIES)
        await wait_active(2)

        reply = await post(story, other_profile, "Bob answers Alice", parent=mine)
        await post(story, other_profile, "Bob answers himself", parent=theirs)
        await post(story, profile, "Alice answers herself", parent=mine)

        payload = await alice.next_payload("r")
        assert payload["data"]["commentReplyCreated"]["comment"] == {
            "id": gid("Comment", reply),
            "body": "Bob answers Alice",
            "author": {"username": "bob"},
        }
        assert await alice.nothing()
        assert await bob.nothing()
        await alice.close()
        await bob.close()

    run(scenario)


def test_reply_subscription_needs_a_signed_in_viewer(live):
    async def scenario():
        client = await live().start()
        await client.subscribe("r", REPLIES)
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
        await client.close()

    run(scenario)


def test_featured_publisher_looks_up_the_site(live, story, profile, cookies):
    comment = comment_create(story_id=story.pk, author=profile.user, body="Featured")

    async def scenario():
        moderator = await live(cookie=cookies["mod"]).start()
        await moderator.subscribe("f", FEATURED)
        await wait_active(1)
        await database_sync_to_async(publishers.publish_comment_featured)(
            comment_id=str(comment.pk), story_id=str(story.pk)
        )
        payload = await moderator.next_payload("f")
        assert payload["data"]["commentFeatured"]["comment"]["id"] == gid("Comment", comment)
        await moderator.close()

    run(scenario)


def test_subscription_over_http_is_an_error(graphql, story):
    result = graphql(ENTERED, {"storyID": gid("Story", story)})

    assert result["data"] is None
    assert result["errors"][0]["message"] == (
        "Subscriptions are served over the websocket endpoint /api/graphql/live "
        "(protocol graphql-transport-ws)."
    )
