"""The node's shared fan-out: one group membership per (process, group), one execution
per (event, document, variables, visibility class).

Each event loop (one per Daphne process) has a :class:`Hub`. The hub owns one channel of
the channel layer and joins each group once, however many sockets of the process follow
it: with ``RedisPubSubChannelLayer`` that is one Redis SUBSCRIBE per node per story. When
an event arrives, the hub picks its local subscriptions whose topic accepts it, groups
them by :attr:`LiveSubscription.share_key` and, in one trip to a worker thread, loads the
comment once and executes each distinct (document, variables, visibility class) once.
The serialised payload is then sent to every subscriber of that class: an extra
subscriber costs a send, not an execution.

Visibility classes (``realtime.visibility``) are decided on the receiving side, never by
the publisher: public readers share one execution, moderators one per role and site
scope, and a viewer whose document selects viewer-specific fields gets their own.

Sends never block the hub: each socket has a bounded outbox (``realtime.consumers``) and
a socket whose outbox is full is closed, not waited for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections
from graphene_django.settings import graphene_settings
from graphql import (
    DocumentNode,
    GraphQLSchema,
    execute_sync,
)

from comments.selectors import comment_get
from realtime import groups
from realtime.topics import LiveSource, Topic
from realtime.visibility import LiveContext, ViewerClass

logger = logging.getLogger(__name__)

# Seconds a hub waits for its own barrier after joining a group (see Hub._barrier).
BARRIER_TIMEOUT_SECONDS = 5.0
# Seconds after a resume during which live copies of backlog comments are dropped.
RESUME_DEDUPE_SECONDS = 30.0


class Metrics:
    """Counters of this process's fan-out (for tests and, later, /metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.events = 0  # events received from the layer with local subscribers
            self.executions = 0  # GraphQL executions for live events
            self.backlog_executions = 0  # GraphQL executions for resumes
            self.sends = 0  # `next` messages queued to sockets
            self.group_joins = 0  # group_add calls made to the channel layer

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)


metrics = Metrics()


def graphql_schema() -> GraphQLSchema:
    """Return the site's GraphQL schema (``GRAPHENE["SCHEMA"]``), as graphql-core's."""
    return graphene_settings.SCHEMA.graphql_schema


class Subscriber(Protocol):
    """What the hub needs of a socket: a non-blocking send of one text frame."""

    def send_frame(self, text: str) -> None: ...


def next_frame(operation_id: str, payload_json: str) -> str:
    """Return a graphql-transport-ws ``next`` message around an already-serialised payload."""
    return f'{{"id":{json.dumps(operation_id)},"type":"next","payload":{payload_json}}}'


@dataclass(eq=False)
class LiveSubscription:
    """One active subscription of one socket."""

    subscriber: Subscriber
    operation_id: str
    source: LiveSource
    document: DocumentNode
    document_key: str
    variables: dict[str, Any] | None
    operation_name: str | None
    viewer_class: ViewerClass
    # While a resume's backlog is read, live payloads wait here: (payload, dedupe key).
    buffer: list[tuple[str, str | None]] | None = None
    # Comments the backlog sent: a live copy of one of them still in flight is dropped.
    skip: set[str] = field(default_factory=set)
    closed: bool = False

    @property
    def topic(self) -> Topic:
        return self.source.topic

    @property
    def groups(self) -> tuple[str, ...]:
        return self.source.groups

    @property
    def share_key(self) -> tuple:
        variables = json.dumps(self.variables or {}, sort_keys=True, default=str)
        return (self.document_key, variables, self.operation_name, self.viewer_class.key)

    def deliver(self, payload_json: str, dedupe_key: str | None) -> None:
        if self.closed:
            return
        if dedupe_key is not None and dedupe_key in self.skip:
            self.skip.discard(dedupe_key)
            return
        if self.buffer is not None:
            self.buffer.append((payload_json, dedupe_key))
            return
        self.subscriber.send_frame(next_frame(self.operation_id, payload_json))
        metrics.add("sends")


@dataclass
class _Bucket:
    """Subscriptions of one share key, and what they are executed with."""

    first: LiveSubscription
    members: list[LiveSubscription] = field(default_factory=list)


def execute_payload(
    sub: LiveSubscription, root: Mapping[str, Any], *, schema: GraphQLSchema
) -> str:
    """Execute ``sub``'s document against ``root`` as its class; return the JSON payload."""
    context = LiveContext(user=sub.viewer_class.user)
    result = execute_sync(
        schema,
        sub.document,
        root_value=root,
        context_value=context,
        variable_values=sub.variables,
        operation_name=sub.operation_name,
    )
    return json.dumps(result.formatted, separators=(",", ":"), ensure_ascii=False)


def _dedupe_key(root: Mapping[str, Any]) -> str | None:
    comment = root.get("comment")
    return str(comment.pk) if comment is not None else None


def _execute_event(
    event: Mapping[str, Any], buckets: list[_Bucket], schema: GraphQLSchema
) -> list[tuple[_Bucket, str, str | None]]:
    """Load the event's comment once; execute each bucket's document once (sync)."""
    comment = None
    if event.get("comment_id"):
        try:
            comment = comment_get(comment_id=uuid.UUID(str(event["comment_id"])))
        except ValueError:
            return []
    out = []
    for bucket in buckets:
        sub = bucket.first
        root = sub.topic.root(event, comment, sub.source.params)
        if root is None:
            continue
        payload = execute_payload(sub, root, schema=schema)
        metrics.add("executions")
        out.append((bucket, payload, _dedupe_key(root)))
    return out


def _execute_backlog(sub: LiveSubscription, schema: GraphQLSchema) -> list[tuple[str, str | None]]:
    """Execute ``sub``'s document for each comment it missed, oldest first (sync).

    Runs in a pool thread (a long resume must not hold up the process's database
    thread), whose connections are closed afterwards rather than kept per thread.
    """
    out = []
    try:
        for root in sub.topic.backlog(sub.source.params):
            out.append((execute_payload(sub, root, schema=schema), _dedupe_key(root)))
            metrics.add("backlog_executions")
    finally:
        connections.close_all()
    return out


class Hub:
    """The fan-out of one event loop (see the module doc)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[LiveSubscription]] = {}
        self._joined: dict[str, asyncio.Future] = {}
        self._barriers: dict[str, asyncio.Future] = {}
        self._lock = asyncio.Lock()
        self._started: asyncio.Future | None = None
        self._receiver: asyncio.Task | None = None

    async def start(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        self.channel = await self.layer.new_channel()
        self._receiver = asyncio.ensure_future(self._receive_loop())

    # -- membership --------------------------------------------------------------------

    async def add(self, sub: LiveSubscription) -> None:
        """Register ``sub`` and join its groups; returns once events reach it."""
        await self.start()
        for group in sub.groups:
            self.members.setdefault(group, set()).add(sub)
        for group in sub.groups:
            await self._join(group)
        if sub.closed:  # removed while joining
            for group in sub.groups:
                await self._leave(group)

    async def remove(self, sub: LiveSubscription) -> None:
        """Unregister ``sub``; leave the groups no local subscription follows any more."""
        sub.closed = True
        for group in sub.groups:
            members = self.members.get(group)
            if members is not None:
                members.discard(sub)
        for group in sub.groups:
            await self._leave(group)

    async def _join(self, group: str) -> None:
        async with self._lock:
            ready = self._joined.get(group)
            if ready is None:
                ready = self._joined[group] = asyncio.ensure_future(self._join_layer(group))
        await asyncio.shield(ready)

    async def _join_layer(self, group: str) -> None:
        await self.layer.group_add(group, self.channel)
        metrics.add("group_joins")
        await self._barrier(group)

    async def _leave(self, group: str) -> None:
        async with self._lock:
            if self.members.get(group):
                return
            self.members.pop(group, None)
            ready = self._joined.pop(group, None)
            if ready is None:
                return
            try:
                await asyncio.shield(ready)
            except Exception:  # noqa: BLE001 - a failed join still needs its discard
                logger.exception("realtime: join of %s had failed", group)
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:  # noqa: BLE001
                logger.exception("realtime: could not leave %s", group)

    async def _barrier(self, group: str) -> None:
        """Wait until a message sent to ``group`` comes back to this hub.

        With the Redis pub/sub layer, ``group_add`` sends SUBSCRIBE without waiting for
        Redis to confirm it; a message published to the group and received here proves
        the subscription is live, so a resume reads its backlog only after that (no gap).
        """
        token = uuid.uuid4().hex
        arrived = asyncio.get_running_loop().create_future()
        self._barriers[token] = arrived
        try:
            await self.layer.group_send(group, {"type": "realtime.barrier", "token": token})
            await asyncio.wait_for(arrived, BARRIER_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("realtime: no barrier back from %s after joining it", group)
        finally:
            self._barriers.pop(token, None)

    # -- events ------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception:  # noqa: BLE001 - keep the node listening
                logger.exception("realtime: receiving from the channel layer failed")
                await asyncio.sleep(1)
                continue
            try:
                await self.handle(message)
            except Exception:  # noqa: BLE001 - one bad event must not stop the node
                logger.exception("realtime: could not fan out %s", message.get("type"))

    async def handle(self, event: Mapping[str, Any]) -> None:
        """Fan ``event`` out to the local subscriptions of the group it was sent to."""
        if event.get("type") == "realtime.barrier":
            arrived = self._barriers.get(event.get("token", ""))
            if arrived is not None and not arrived.done():
                arrived.set_result(None)
            return
        group = groups.of_event(event)
        subs = [s for s in self.members.get(group or "", ()) if not s.closed]
        buckets: dict[tuple, _Bucket] = {}
        for sub in subs:
            if sub.topic.accepts(event, sub.source.params):
                bucket = buckets.setdefault(sub.share_key, _Bucket(first=sub))
                bucket.members.append(sub)
        if not buckets:
            return
        metrics.add("events")
        # The process's one thread for database work from consumers (Channels' model):
        # events are handled one at a time anyway, in order.
        results = await database_sync_to_async(_execute_event)(
            event, list(buckets.values()), graphql_schema()
        )
        for bucket, payload, dedupe_key in results:
            for sub in bucket.members:
                sub.deliver(payload, dedupe_key)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """Return the hub of the running event loop, creating it on first use.

    Raises:
        RuntimeError: no channel layer is configured.
    """
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("realtime: no channel layer is configured (CHANNEL_LAYERS)")
        hub = _hubs[loop] = Hub(layer)
    return hub


async def subscribe(sub: LiveSubscription) -> None:
    """Start ``sub``: join its groups, then, for a resume, send what it missed first.

    The groups are joined (and confirmed) *before* the backlog is read, so whatever
    commits after the read reaches the subscription live; live events arriving meanwhile
    are buffered and sent after the backlog, minus the comments the backlog already sent
    (also when their live copy is still on its way): nothing is missed, nothing is sent
    twice.

    Raises:
        TalkError: the backlog cannot be sent (e.g. ResumeTooFar); ``sub`` is removed.
    """
    hub = get_hub()
    resuming = sub.topic.resumable and sub.source.params.get("after") is not None
    if resuming:
        sub.buffer = []
    await hub.add(sub)
    if not resuming:
        return
    try:
        backlog = await database_sync_to_async(_execute_backlog, thread_sensitive=False)(
            sub, graphql_schema()
        )
    except BaseException:
        await hub.remove(sub)
        raise
    if sub.closed:
        return
    pending, sub.buffer = sub.buffer or [], None
    for payload, key in backlog:
        sub.deliver(payload, key)
    # Live copies of what the backlog sent may be buffered, or still being executed by
    # the hub (the event arrived before the backlog was read): drop those, once each.
    sub.skip = {key for _payload, key in backlog if key is not None}
    for payload, key in pending:
        sub.deliver(payload, key)
    asyncio.get_running_loop().call_later(RESUME_DEDUPE_SECONDS, sub.skip.clear)


async def unsubscribe(sub: LiveSubscription) -> None:
    """Stop ``sub`` (idempotent)."""
    if sub.closed:
        return
    await get_hub().remove(sub)
