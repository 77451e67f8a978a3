"""The graphql-transport-ws consumer: every close code, error path and message type.

Over ``WebsocketCommunicator`` with the in-memory channel layer (STYLE.md §12).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from graphql_relay import to_global_id

from comments.services import comment_create
from realtime import consumers
from tests.conftest import EMBED_ORIGIN
from tests.factories import StoryFactory
from tests.realtime.conftest import run, session_cookie, wait_active

pytestmark = pytest.mark.django_db(transaction=True)

ENTERED = """
subscription Entered($storyID: ID!) {
  commentEntered(storyID: $storyID) { cursor comment { id body } }
}"""
STORY_QUERY = "query Story($id: ID!) { story(id: $id) { url metadata { title } } }"
CREATE = """
mutation Create($input: CreateCommentInput!) {
  createComment(input: $input) { errors { code } comment { id body } }
}"""


def gid(type_name, obj) -> str:
    return to_global_id(type_name, str(obj.pk))


def post(story, profile, body="A comment"):
    return database_sync_to_async(comment_create)(story_id=story.pk, author=profile.user, body=body)


# -- the handshake ----------------------------------------------------------------------


def test_connection_init_is_acknowledged(live):
    async def scenario():
        client = live()
        assert await client.connect() == (True, "graphql-transport-ws")
        await client.send({"type": "connection_init", "payload": {}})
        assert await client.receive() == {"type": "connection_ack"}
        await client.close()

    run(scenario)


def test_missing_subprotocol_closes_4406(live):
    async def scenario():
        client = live(subprotocols=("graphql-ws",))
        connected, _ = await client.connect()
        assert connected
        assert await client.closed() == 4406

    run(scenario)


def test_init_timeout_closes_4408(live, monkeypatch):
    monkeypatch.setattr(consumers, "CONNECTION_INIT_TIMEOUT_SECONDS", 0.1)

    async def scenario():
        client = live()
        await client.connect()
        assert await client.closed(timeout=2) == 4408

    run(scenario)


def test_second_init_closes_4429(live):
    async def scenario():
        client = await live().start()
        await client.send({"type": "connection_init"})
        assert await client.closed() == 4429

    run(scenario)


def test_subscribe_before_ack_closes_4401(live, story):
    async def scenario():
        client = live()
        await client.connect()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        assert await client.closed() == 4401

    run(scenario)


def test_unverifiable_token_closes_4403(live):
    async def scenario():
        client = live()
        await client.connect()
        await client.send({"type": "connection_init", "payload": {"token": "not-a-jwt"}})
        assert await client.closed() == 4403

    run(scenario)


def test_duplicate_subscriber_id_closes_4409(live, story):
    async def scenario():
        client = await live().start()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        assert await client.closed() == 4409

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        json.dumps({"type": "hello"}),
        json.dumps({"type": "connection_ack"}),
        json.dumps({"type": "next", "id": "1", "payload": {}}),
        json.dumps({"type": "subscribe", "payload": {"query": "{ viewer { id } }"}}),
        json.dumps({"type": "subscribe", "id": "", "payload": {"query": "{ viewer { id } }"}}),
        json.dumps({"type": "subscribe", "id": "1", "payload": "{ viewer { id } }"}),
        json.dumps({"type": "subscribe", "id": "1", "payload": {"query": 42}}),
        json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{a}", "variables": []}}),
        json.dumps({"type": "complete"}),
        json.dumps({"type": "complete", "id": 7}),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "unknown-type",
        "server-message",
        "next-from-client",
        "subscribe-without-id",
        "subscribe-empty-id",
        "payload-not-object",
        "query-not-string",
        "variables-not-object",
        "complete-without-id",
        "complete-id-not-string",
    ],
)
def test_invalid_message_closes_4400(live, frame):
    async def scenario():
        client = await live().start()
        await client.send(frame)
        assert await client.closed() == 4400

    run(scenario)


def test_init_payload_not_an_object_closes_4400(live):
    async def scenario():
        client = live()
        await client.connect()
        await client.send({"type": "connection_init", "payload": [1]})
        assert await client.closed() == 4400

    run(scenario)


def test_binary_frame_closes_4400(live):
    async def scenario():
        client = await live().start()
        await client.communicator.send_to(bytes_data=b'{"type":"ping"}')
        assert await client.closed() == 4400

    run(scenario)


def test_oversized_message_closes_4400(live, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_MESSAGE_CHARS", 100)

    async def scenario():
        client = await live().start()
        await client.send({"type": "ping", "payload": {"pad": "x" * 200}})
        assert await client.closed() == 4400

    run(scenario)


def test_ping_is_answered_before_and_after_init_and_pong_is_ignored(live):
    async def scenario():
        client = live()
        await client.connect()
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
        await client.send({"type": "connection_init"})
        assert await client.receive() == {"type": "connection_ack"}
        await client.send({"type": "pong"})
        await client.send({"type": "ping", "payload": {"at": 1}})
        assert await client.receive() == {"type": "pong"}
        await client.close()

    run(scenario)


# -- origins ------------------------------------------------------------------------------


def test_foreign_origin_is_refused_at_handshake(live, site):
    async def scenario():
        connected, code = await live(origin="https://evil.example.net").connect()
        assert (connected, code) == (False, 1000)

    run(scenario)


@pytest.mark.parametrize("origin", ["http://testserver", EMBED_ORIGIN, "https://news.example.com"])
def test_own_and_site_origins_are_accepted(live, site, origin):
    async def scenario():
        client = await live(origin=origin).start()
        await client.close()

    run(scenario)


def test_origin_of_another_site_may_not_follow_this_sites_story(live, story):
    other = StoryFactory()  # on a site allowing only its own origin

    async def scenario():
        client = await live(origin=f"https://{other.site.domain}").start()
        await client.subscribe("1", ENTERED, {"storyID": gid("Story", story)})
        message = await client.receive()
        assert message["type"] == "error"
        assert message["id"] == "1"
        assert [e["extensions"]["code"] for e in message["payload"]] == ["ORIGIN_NOT_ALLOWED"]
        await client.subscribe("2", ENTERED, {"storyID": gid("Story", other)})
        assert await client.nothing()
        await client.close()

    run(scenario)


# -- operations ---------------------------------------------------------------------------


def test_subscription_receives_next_until_complete(live, story, profile):
    async def scenario():
        client = await live().start()
        await client.subscribe("s1", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(1)
        comment = await post(story, profile, "First live comment")
        payload = await client.next_payload("s1")
        assert payload["data"]["commentEntered"]["comment"] == {
            "id": gid("Comment", comment),
            "body": comment.body,
        }
        await client.send({"id": "s1", "type": "complete"})
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
        await post(story, profile, "Nobody listens")
        assert await client.nothing()
        await client.close()

    run(scenario)


def test_completing_an_unknown_id_is_ignored(live):
    async def scenario():
        client = await live().start()
        await client.send({"id": "nope", "type": "complete"})
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
        await client.close()

    run(scenario)


def test_query_over_the_socket_sends_next_then_complete(live, story):
    async def scenario():
        client = await live().start()
        await client.subscribe("q", STORY_QUERY, {"id": gid("Story", story)})
        assert await client.receive() == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"story": {"url": story.url, "metadata": {"title": story.title}}}},
        }
        assert await client.receive() == {"id": "q", "type": "complete"}
        await client.close()

    run(scenario)


def test_mutation_over_the_socket_uses_the_session(live, story, profile):
    cookie = session_cookie(profile)

    async def scenario():
        client = await live(cookie=cookie).start()
        await client.subscribe("live", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(1)
        await client.subscribe(
            "m", CREATE, {"input": {"storyID": gid("Story", story), "body": "Via the socket"}}
        )
        messages = [await client.receive() for _ in range(3)]
        by_id = {(m["id"], m["type"]): m for m in messages}
        created = by_id[("m", "next")]["payload"]["data"]["createComment"]
        assert created["errors"] == []
        assert ("m", "complete") in by_id
        entered = by_id[("live", "next")]["payload"]["data"]["commentEntered"]["comment"]
        assert entered["id"] == created["comment"]["id"]
        await client.close()

    run(scenario)


def test_account_mutations_need_http(live):
    async def scenario():
        client = await live().start()
        await client.subscribe("m", "mutation { signOut { errors { code } } }")
        message = await client.receive()
        assert message["type"] == "error"
        assert message["id"] == "m"
        assert "need HTTP" in message["payload"][0]["message"]
        await client.close()

    run(scenario)


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ("subscription { nope }", None, "Cannot query field 'nope' on type 'Subscription'."),
        ("subscription {", None, "Syntax Error: Expected Name, found <EOF>."),
        (
            "subscription S($s: ID!) { commentEntered(storyID: $s) { cursor } "
            "commentEdited(storyID: $s) { comment { id } } }",
            {"s": "U3Rvcnk6MQ=="},
            "Subscription 'S' must select only one top level field.",
        ),
        (ENTERED, {}, "Variable '$storyID' of required type 'ID!' was not provided."),
        (ENTERED, {"storyID": "U3Rvcnk6eA=="}, "storyID is not a valid Story id."),
        (
            ENTERED,
            {"storyID": to_global_id("Story", "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10")},
            "That story does not exist.",
        ),
        ("subscription { ...Missing }", None, "Unknown fragment 'Missing'."),
    ],
    ids=[
        "unknown-field",
        "syntax",
        "two-root-fields",
        "missing-variable",
        "bad-id",
        "no-story",
        "unknown-fragment",
    ],
)
def test_bad_documents_get_error_and_the_socket_stays_open(live, site, query, variables, expected):
    async def scenario():
        client = await live().start()
        await client.subscribe("bad", query, variables)
        message = await client.receive()
        assert message["type"] == "error"
        assert message["id"] == "bad"
        assert message["payload"][0]["message"] == expected
        await client.subscribe("bad", "{ viewer { id } }")  # the id is free again
        assert await client.receive() == {
            "id": "bad",
            "type": "next",
            "payload": {"data": {"viewer": None}},
        }
        assert await client.receive() == {"id": "bad", "type": "complete"}
        await client.close()

    run(scenario)


def test_documents_deeper_than_http_allows_are_rejected(live, story):
    nested = "replies { nodes { " * 8 + "id" + " } }" * 8
    query = "subscription S($s: ID!) { commentEntered(storyID: $s) { comment { " + nested + " } } }"

    async def scenario():
        client = await live().start()
        await client.subscribe("deep", query, {"s": gid("Story", story)})
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["message"] == "'S' exceeds maximum operation depth of 15."
        await client.close()

    run(scenario)


def test_too_many_subscriptions_get_error(live, story, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_SUBSCRIPTIONS", 2)

    async def scenario():
        client = await live().start()
        for n in range(3):
            await client.subscribe(str(n), ENTERED, {"storyID": gid("Story", story)})
        message = await client.receive()
        assert (message["id"], message["type"]) == ("2", "error")
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await client.close()

    run(scenario)


def test_a_socket_that_reads_too_slowly_is_closed_without_holding_up_others(
    live, story, profile, monkeypatch
):
    # given: one socket whose writes never finish, and an outbox of two frames
    monkeypatch.setattr(consumers, "OUTBOX_SIZE", 2)
    stuck = asyncio.Event()
    original_send = consumers.GraphQLTransportWSConsumer.send

    async def send(self, text_data=None, bytes_data=None, close=False):
        if '"id":"slow","type":"next"' in (text_data or ""):
            await stuck.wait()
        await original_send(self, text_data=text_data, bytes_data=bytes_data, close=close)

    monkeypatch.setattr(consumers.GraphQLTransportWSConsumer, "send", send)

    async def scenario():
        slow = await live().start()
        fast = await live().start()
        await slow.subscribe("slow", ENTERED, {"storyID": gid("Story", story)})
        await fast.subscribe("fast", ENTERED, {"storyID": gid("Story", story)})
        await wait_active(2)

        # when: four comments arrive
        for n in range(4):
            await post(story, profile, f"Comment {n}")

        # then: the slow socket is closed, the other got all four
        assert await slow.closed() == 4503
        received = [await fast.next_payload("fast") for _ in range(4)]
        bodies = [p["data"]["commentEntered"]["comment"]["body"] for p in received]
        assert bodies == [f"Comment {n}" for n in range(4)]
        stuck.set()
        await fast.close()

    run(scenario)


def test_subscribing_too_fast_gets_an_error(live, monkeypatch):
    monkeypatch.setattr(consumers, "SUBSCRIBE_RATE", (2, 60.0))

    async def scenario():
        client = await live().start()
        for n in range(3):
            await client.subscribe(str(n), "{ viewer { id } }")
        received = [await client.receive() for _ in range(5)]
        assert [(m["id"], m["type"]) for m in received if m["id"] == "2"] == [("2", "error")]
        (error,) = next(m for m in received if m["id"] == "2")["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["message"] == "You are doing that too often. Try again in 60 seconds."
        await client.close()

    run(scenario)
