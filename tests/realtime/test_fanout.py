"""The node's shared fan-out: one execution per visibility class, one group membership
per process, and resumes that miss nothing and repeat nothing."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from graphql_relay import to_global_id

from comments.models import CommentStatus
from comments.selectors import CommentOrder, comment_cursor
from comments.services import comment_create
from moderation.services import comment_approve
from realtime import fanout, groups, topics
from realtime.visibility import ViewerClass
from tests.factories import CommentFactory
from tests.realtime.conftest import run, session_cookie, wait_active

pytestmark = pytest.mark.django_db(transaction=True)

ENTERED = """
subscription Entered($storyID: ID!, $after: String) {
  commentEntered(storyID: $storyID, after: $after) { cursor comment { id body } }
}"""
ENTERED_WITH_PRESENCE = """
subscription Entered($storyID: ID!) {
  commentEntered(storyID: $storyID) { comment { id viewerActionPresence { reaction } } }
}"""


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


def entered_id(payload) -> str:
    return payload["data"]["commentEntered"]["comment"]["id"]


# -- sharing ------------------------------------------------------------------------------


def test_one_execution_and_identical_payloads_for_a_class(
    live, story, profile, other_profile, in_memory_layer
):
    # given: five readers (three anonymous, two signed in) with the same document
    cookies = [session_cookie(profile), session_cookie(other_profile)]

    async def scenario():
        clients = [await live().start() for _ in range(3)]
        clients += [await live(cookie=cookie).start() for cookie in cookies]
        for client in clients:
            await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(5)
        fanout.metrics.reset()

        # when
        comment = await post(story, profile, "Shared payload")

        # then
        frames = [await client.communicator.receive_from() for client in clients]
        assert fanout.metrics.executions == 1
        assert fanout.metrics.sends == 5
        assert len(set(frames)) == 1
        assert gid("Comment", comment) in frames[0]
        assert in_memory_layer.groups[groups.story(str(story.pk))].keys() == {
            fanout.get_hub().channel
        }
        for client in clients:
            await client.close()

    run(scenario)


def test_each_class_executes_once(live, story, profile, other_profile, moderator_profile):
    cookies = {p.username: session_cookie(p) for p in (profile, other_profile, moderator_profile)}

    async def scenario():
        # given: two anonymous readers, a moderator, and two signed-in readers whose
        # document selects a viewer-specific field (one execution each)
        readers = [await live().start() for _ in range(2)]
        moderator = await live(cookie=cookies["mod"]).start()
        viewers = [await live(cookie=cookies[name]).start() for name in ("alice", "bob")]
        for client in (*readers, moderator):
            await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        for client in viewers:
            await client.subscribe("1", ENTERED_WITH_PRESENCE, {"storyID": gid("Story", story)})
        await wait_active(5)
        fanout.metrics.reset()

        # when
        await post(story, profile, "Three classes and two viewers")

        # then: public, moderator, and one per viewer
        for client in (*readers, moderator, *viewers):
            await client.next_payload("1")
        assert fanout.metrics.executions == 4
        assert fanout.metrics.sends == 5
        assert fanout.metrics.group_joins == 0  # the group was joined once, before
        for client in (*readers, moderator, *viewers):
            await client.close()

    run(scenario)


def test_a_process_joins_each_group_once(live, story):
    async def scenario():
        clients = [await live().start() for _ in range(4)]
        for client in clients:
            await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
            await client.subscribe("2", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(8)
        assert fanout.metrics.group_joins == 1
        hub = fanout.get_hub()
        assert len(hub.members[groups.story(str(story.pk))]) == 8
        for client in clients:
            await client.close()
        assert hub.members == {}

    run(scenario)


# -- resume -------------------------------------------------------------------------------


def test_reconnecting_with_the_cursor_misses_nothing_and_repeats_nothing(
    live, story, profile, other_profile, moderator_profile
):
    old_held = CommentFactory(story=story, author=profile, status=CommentStatus.PREMOD)

    async def scenario():
        # given: a reader saw C1, then lost the connection
        reader = await live().start()
        await reader.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(1)
        c1 = await post(story, profile, "C1")
        seen = await reader.next_payload("1")
        assert entered_id(seen) == gid("Comment", c1)
        cursor = seen["data"]["commentEntered"]["cursor"]
        await reader.close()

        # when: comments arrive while it is away (one held then approved, one reply, and
        # an older held comment approved), then it resumes from its cursor
        story.premod_enabled = True
        await database_sync_to_async(story.save)()
        held = await post(story, other_profile, "Held, then approved")
        story.premod_enabled = False
        await database_sync_to_async(story.save)()
        c2 = await post(story, other_profile, "C2")
        reply = await post(story, other_profile, "Reply to C1", parent=c1)
        c3 = await post(story, profile, "C3")
        for comment in (held, old_held):
            await database_sync_to_async(comment_approve)(
                comment=comment, moderator=moderator_profile
            )
        back = await live().start()
        await back.subscribe("1", ENTERED, {"storyID": gid("Story", story), "after": cursor})
        missed = [entered_id(await back.next_payload("1")) for _ in range(5)]
        c4 = await post(story, profile, "C4, live")
        live_one = await back.next_payload("1")

        # then: exactly what was missed, oldest first, then live, once each
        assert missed == [gid("Comment", c) for c in (held, c2, reply, c3, old_held)]
        assert entered_id(live_one) == gid("Comment", c4)
        assert await back.nothing()
        await back.close()

    run(scenario)


def test_live_events_during_the_backlog_are_sent_once(live, story, profile, monkeypatch):
    # given: a comment is posted (and published) while the backlog is being read
    first = comment_create(story_id=story.pk, author=profile.user, body="Before")
    cursor = comment_cursor(first, CommentOrder.CREATED_AT_ASC)
    during = []
    read_backlog = topics.CommentEntered.backlog

    def backlog(self, params):
        during.append(comment_create(story_id=story.pk, author=profile.user, body="During"))
        return read_backlog(self, params)

    monkeypatch.setattr(topics.CommentEntered, "backlog", backlog)

    async def scenario():
        client = await live().start()
        # when
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story), "after": cursor})
        got = entered_id(await client.next_payload("1"))
        after = await post(story, profile, "After")
        then = entered_id(await client.next_payload("1"))

        # then
        assert [got, then] == [gid("Comment", during[0]), gid("Comment", after)]
        assert await client.nothing()
        await client.close()

    run(scenario)


def test_a_late_live_copy_of_a_backlog_comment_is_dropped_once():
    sent = []

    class Socket:
        def send_frame(self, text):
            sent.append(text)

    sub = fanout.LiveSubscription(
        subscriber=Socket(),
        operation_id="1",
        source=None,
        document=None,
        document_key="",
        variables=None,
        operation_name=None,
        viewer_class=ViewerClass(("public",), None),
        skip={"c1"},
    )

    sub.deliver('{"n":1}', "c1")  # still in flight when the backlog was sent
    sub.deliver('{"n":2}', "c1")  # entered again later: sent
    sub.deliver('{"n":3}', "c2")

    assert sent == [
        '{"id":"1","type":"next","payload":{"n":2}}',
        '{"id":"1","type":"next","payload":{"n":3}}',
    ]


def test_a_desc_cursor_resumes_too(live, story, profile):
    first = comment_create(story_id=story.pk, author=profile.user, body="First")
    second = comment_create(story_id=story.pk, author=profile.user, body="Second")
    cursor = comment_cursor(first, CommentOrder.CREATED_AT_DESC)

    async def scenario():
        client = await live().start()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story), "after": cursor})
        assert entered_id(await client.next_payload("1")) == gid("Comment", second)
        assert await client.nothing()
        await client.close()

    run(scenario)


def test_resuming_from_too_far_back_is_an_error(live, story, profile, monkeypatch):
    monkeypatch.setattr(topics, "RESUME_MAX_COMMENTS", 2)
    first = comment_create(story_id=story.pk, author=profile.user, body="First")
    for n in range(3):
        CommentFactory(story=story, author=profile, text=f"Missed {n}")
    cursor = comment_cursor(first, CommentOrder.CREATED_AT_ASC)

    async def scenario():
        client = await live().start()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story), "after": cursor})
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "RESUME_TOO_FAR"
        await post(story, profile, "Not delivered: the subscription ended")
        assert await client.nothing()
        assert fanout.get_hub().members == {}
        await client.close()

    run(scenario)


@pytest.mark.parametrize("cursor", ["garbage", "WyJSRVBMSUVTX0RFU0MiLDEsIngiLCJ5Il0"])
def test_an_invalid_cursor_is_an_error(live, story, cursor):
    async def scenario():
        client = await live().start()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story), "after": cursor})
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"] == {
            "code": "INVALID_ID",
            "field": "after",
        }
        await client.close()

    run(scenario)
