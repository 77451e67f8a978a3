"""Two real Daphne nodes (``manage.py serve``) sharing Redis, driven by a third-party
graphql-transport-ws client (gql 4 with ``WebsocketsTransport``).

The nodes share one SQLite database (WAL) in a temporary data dir and Redis DB 12
(``REDIS_URL``, so the channel layer is ``RedisPubSubChannelLayer``). Comments are posted
over HTTP GraphQL on one node; subscribers listen on the other. The servers are started
once for the module.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.support import REPO, free_port, manage, redis_or_fail, talk_env, wait_healthy

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/12"  # DB 12 is reserved for the realtime tests
SUBPROTOCOL = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL

SEED = """
import json
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth import get_user_model
from django.test import Client
from comments.models import Site, Story
from comments.services import comment_create
from moderation.models import Profile
site = Site.objects.create(name="Nodes", domain="nodes.example.com",
                           allowed_origins=["https://nodes.example.com"])
story = Story.objects.create(site=site, url="https://nodes.example.com/a", title="Open")
held = Story.objects.create(site=site, url="https://nodes.example.com/held", title="Held",
                            premod_enabled=True)
out = {"site": str(site.pk), "story": str(story.pk), "held": str(held.pk), "sessions": {}}
for name, role in (("alice", "COMMENTER"), ("mod", "MODERATOR")):
    user = get_user_model().objects.create_user(name, f"{name}@example.com")
    Profile.objects.create(user=user, username=name, role=role)
    client = Client()
    client.force_login(user)
    out["sessions"][name] = client.cookies["sessionid"].value
out["seed"] = str(comment_create(story_id=story.pk, author=user, body="Seed").pk)
print(json.dumps(out))
"""

ENTERED = """
subscription Entered($storyID: ID!, $after: String) {
  commentEntered(storyID: $storyID, after: $after) { cursor comment { id body } }
}"""
QUEUE = """
subscription Queue($siteID: ID, $queue: MODERATION_QUEUE) {
  commentEnteredModerationQueue(siteID: $siteID, queue: $queue) { queue comment { id status } }
}"""
CREATE = """
mutation Create($input: CreateCommentInput!) {
  createComment(input: $input) { errors { code message } comment { id status } }
}"""
CURSORS = """
query Cursors($id: ID!) {
  story(id: $id) {
    comments(orderBy: CREATED_AT_ASC, first: 100) { edges { cursor node { id } } }
  }
}"""


def _global_id(type_name: str, pk: str) -> str:
    from graphql_relay import to_global_id

    return to_global_id(type_name, pk)


@dataclass
class Nodes:
    """Two Talk nodes and the seeded data (global ids, session cookies)."""

    urls: list[str]
    site_id: str
    story_id: str
    held_story_id: str
    seed_id: str
    sessions: dict[str, str]
    logs: list[Path]

    def ws(self, node: int) -> str:
        return self.urls[node].replace("http://", "ws://") + "/api/graphql/live"

    def graphql(self, node: int, query: str, variables: dict, *, as_user: str | None = None):
        """POST a GraphQL document to ``node`` over HTTP, signed in as ``as_user``."""
        headers = {"Content-Type": "application/json"}
        if as_user is not None:
            csrf = secrets.token_hex(16)  # any 32-character secret, as cookie and header
            headers["Cookie"] = f"sessionid={self.sessions[as_user]}; csrftoken={csrf}"
            headers["X-CSRFToken"] = csrf
        request = urllib.request.Request(
            self.urls[node] + "/api/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers=headers,
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result = json.load(response)
        assert "errors" not in result, result
        return result["data"]

    def post(self, node: int, story_id: str, body: str) -> dict[str, Any]:
        data = self.graphql(
            node, CREATE, {"input": {"storyID": story_id, "body": body}}, as_user="alice"
        )
        assert data["createComment"]["errors"] == [], data
        return data["createComment"]["comment"]

    def asc_cursor(self, comment_id: str) -> str:
        data = self.graphql(0, CURSORS, {"id": self.story_id})
        edges = data["story"]["comments"]["edges"]
        return next(e["cursor"] for e in edges if e["node"]["id"] == comment_id)

    def client(self, node: int, *, as_user: str | None = None, **options) -> Client:
        headers = {"Cookie": f"sessionid={self.sessions[as_user]}"} if as_user else None
        transport = WebsocketsTransport(
            url=self.ws(node), subprotocols=[SUBPROTOCOL], headers=headers, **options
        )
        return Client(transport=transport)

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in self.logs)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[Nodes]:
    """Start two ``manage.py serve --no-jobs`` nodes on one database and one Redis."""
    redis_client = redis_or_fail(REDIS_URL, purpose="the multi-node realtime tests")
    redis_client.flushdb()
    data_dir = tmp_path_factory.mktemp("talk-nodes")
    env = talk_env(data_dir, REDIS_URL=REDIS_URL, TALK_RATE_LIMITS_ENABLED="false")
    seeded = json.loads(manage(env, "shell", "-v", "0", "-c", SEED).strip().splitlines()[-1])

    processes: list[subprocess.Popen] = []
    urls, logs = [], []
    try:
        for node in range(2):
            port = free_port()
            log = data_dir / f"node{node}.log"
            with log.open("w") as handle:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "serve", "--no-jobs", "--port", str(port)],
                        cwd=REPO,
                        env={**env, "NODE_ID": f"node{node}"},
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_healthy(url, process, log)
        yield Nodes(
            urls=urls,
            site_id=_global_id("Site", seeded["site"]),
            story_id=_global_id("Story", seeded["story"]),
            held_story_id=_global_id("Story", seeded["held"]),
            seed_id=_global_id("Comment", seeded["seed"]),
            sessions=seeded["sessions"],
            logs=logs,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_client.flushdb()
        redis_client.close()


async def _next(subscription, timeout: float = 5) -> dict[str, Any]:
    return await asyncio.wait_for(anext(subscription), timeout)


def test_a_comment_on_one_node_reaches_a_subscriber_on_the_other_within_a_second(nodes):
    async def scenario():
        async with nodes.client(1) as session:
            # given: a subscription on node 1, known to be live once the comment posted
            # before it (on node 0) arrives as its resume backlog
            before = nodes.post(0, nodes.story_id, "Posted before subscribing")
            request = GraphQLRequest(
                ENTERED,
                variable_values={
                    "storyID": nodes.story_id,
                    "after": nodes.asc_cursor(nodes.seed_id),
                },
            )
            subscription = session.subscribe(request)
            first = await _next(subscription)
            assert first["commentEntered"]["comment"]["id"] == before["id"]

            # when: a comment is posted over HTTP on node 0
            started = time.monotonic()
            posted = await asyncio.to_thread(nodes.post, 0, nodes.story_id, "Across nodes")
            received = await _next(subscription)
            latency = time.monotonic() - started

            # then
            assert received["commentEntered"]["comment"] == {
                "id": posted["id"],
                "body": "Across nodes",
            }
            print(f"\ncross-node latency (HTTP post on node 0 -> next on node 1): {latency:.3f}s")
            assert latency < 1.0, nodes.output()
            await subscription.aclose()

    asyncio.run(scenario())


def test_gql_subscribes_receives_completes_and_pings(nodes):
    async def scenario():
        # ping_interval makes gql ping the server and fail if no pong comes back
        async with nodes.client(0, ping_interval=0.2, pong_timeout=1) as session:
            request = GraphQLRequest(ENTERED, variable_values={"storyID": nodes.story_id})
            subscription = session.subscribe(request)
            pending = asyncio.ensure_future(_next(subscription))
            await asyncio.sleep(0.5)  # several ping/pong rounds; no ack for a subscription
            posted = await asyncio.to_thread(nodes.post, 1, nodes.story_id, "For gql")
            received = await pending
            assert received["commentEntered"]["comment"]["id"] == posted["id"]
            await subscription.aclose()  # gql sends `complete`

            # the socket is still usable after the complete: a query over it
            result = await session.execute(
                GraphQLRequest(
                    "query Story($id: ID!) { story(id: $id) { metadata { title } } }",
                    variable_values={"id": nodes.story_id},
                )
            )
            assert result == {"story": {"metadata": {"title": "Open"}}}

    asyncio.run(scenario())


def test_held_comments_reach_moderators_across_nodes_and_never_readers(nodes):
    async def scenario():
        async with (
            nodes.client(1) as reader,
            nodes.client(1, as_user="mod") as moderator,
            nodes.client(1, as_user="alice") as commenter,
        ):
            # a non-moderator's moderator subscription gets the protocol's error
            refused = commenter.subscribe(GraphQLRequest(QUEUE, variable_values={}))
            with pytest.raises(TransportQueryError) as denied:
                await _next(refused)
            assert denied.value.errors[0]["extensions"]["code"] == "MODERATORS_ONLY"

            queue = moderator.subscribe(
                GraphQLRequest(QUEUE, variable_values={"siteID": nodes.site_id, "queue": "PENDING"})
            )
            stream = reader.subscribe(
                GraphQLRequest(ENTERED, variable_values={"storyID": nodes.held_story_id})
            )
            queued = asyncio.ensure_future(_next(queue))
            streamed = asyncio.ensure_future(_next(stream, timeout=2))
            await asyncio.sleep(0.5)

            held = await asyncio.to_thread(nodes.post, 0, nodes.held_story_id, "Hold me")

            assert held["status"] == "PREMOD"
            assert (await queued)["commentEnteredModerationQueue"] == {
                "queue": "PENDING",
                "comment": {"id": held["id"], "status": "PREMOD"},
            }
            with pytest.raises(TimeoutError):
                await streamed
            await queue.aclose()
            await stream.aclose()

    asyncio.run(scenario())


def test_a_subscriber_resuming_on_another_node_misses_nothing(nodes):
    async def scenario():
        request = GraphQLRequest(
            ENTERED,
            variable_values={"storyID": nodes.story_id, "after": nodes.asc_cursor(nodes.seed_id)},
        )
        # given: a subscriber on node 1 that saw everything so far, then went away
        async with nodes.client(1) as session:
            subscription = session.subscribe(request)
            last = None
            while True:
                try:
                    last = await _next(subscription, timeout=1)
                except TimeoutError:
                    break
            await subscription.aclose()
        cursor = last["commentEntered"]["cursor"]

        # when: three comments are posted while it is away, then it resumes on node 0
        missed = [
            (await asyncio.to_thread(nodes.post, 1, nodes.story_id, f"Missed {n}"))["id"]
            for n in range(3)
        ]
        async with nodes.client(0) as session:
            resumed = session.subscribe(
                GraphQLRequest(
                    ENTERED, variable_values={"storyID": nodes.story_id, "after": cursor}
                )
            )
            got = [(await _next(resumed))["commentEntered"]["comment"]["id"] for _ in range(3)]
            live = await asyncio.to_thread(nodes.post, 1, nodes.story_id, "Live again")
            then = await _next(resumed)

            # then: exactly the missed ones, in order, then the live one, nothing twice
            assert got == missed
            assert then["commentEntered"]["comment"]["id"] == live["id"]
            with pytest.raises(TimeoutError):
                await _next(resumed, timeout=0.5)
            await resumed.aclose()

    asyncio.run(scenario())
