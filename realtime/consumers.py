"""The graphql-transport-ws consumer at ``/api/graphql/live`` (DESIGN.md §6).

It speaks the protocol of the ``graphql-ws`` library (enisdenjo/graphql-ws PROTOCOL.md),
as Apollo, urql and gql do: ``connection_init`` / ``connection_ack``, ``ping`` / ``pong``,
``subscribe`` -> ``next``* / ``error`` / ``complete``, client ``complete``, and the close
codes below. Queries and mutations may go over the socket too (``next`` then
``complete``), except the account mutations, which need HTTP for their cookie.

Subscriptions are prepared with graphql-core's ``create_source_event_stream`` (argument
coercion, the field's ``subscribe_<field>`` resolver) and then handed to the node's
shared fan-out (``realtime.fanout``), which executes each event once per visibility
class; graphene's ``Schema.subscribe()`` would execute it once per subscriber and skip our
validation rules. Documents are validated with the HTTP rules
(``comments.schema.validation.VALIDATION_RULES``: depth) on top of the spec's.

The consumer has no channel of its own (``channel_layer_alias = None``): the hub of its
process joins the groups. Each socket has a bounded outbox written by one task; a socket
that falls that far behind is closed (4503) so that it can never hold up the others. A
subscription is started in its own task, so ``ping`` is answered during a long resume.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    OperationType,
    create_source_event_stream,
    execute_sync,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.utilities import get_operation_ast

from comments.errors import TalkError
from comments.ratelimit import RateLimited
from comments.schema.context import graphql_error
from comments.schema.validation import VALIDATION_RULES
from realtime import fanout
from realtime.auth import (
    Viewer,
    authenticate_connection_params,
    has_credential,
    origin_policy,
    viewer_for_user,
)
from realtime.errors import TooManySubscriptions
from realtime.topics import LiveSource
from realtime.visibility import LiveContext, selects_viewer_specific, viewer_class

logger = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-transport-ws"

# Close codes of graphql-transport-ws (PROTOCOL.md), and ours.
CLOSE_BAD_REQUEST = 4400  # invalid message: not JSON, unknown type, missing fields
CLOSE_UNAUTHORIZED = 4401  # subscribe before connection_ack
CLOSE_FORBIDDEN = 4403  # connection_init credential rejected
CLOSE_SUBPROTOCOL_NOT_ACCEPTABLE = 4406
CLOSE_INIT_TIMEOUT = 4408
CLOSE_DUPLICATE_SUBSCRIBER = 4409
CLOSE_TOO_MANY_INITS = 4429
CLOSE_INTERNAL_ERROR = 4500
CLOSE_TOO_SLOW = 4503  # ours: the outbox overflowed; reconnect and resume by cursor

# Limits (could become TALK settings).
CONNECTION_INIT_TIMEOUT_SECONDS = 10.0
MAX_MESSAGE_CHARS = 64 * 1024
MAX_SUBSCRIPTIONS = 32
SUBSCRIBE_RATE = (60, 60.0)  # at most 60 subscribe messages per 60 seconds per socket
OUTBOX_SIZE = 512
ACCOUNT_MUTATIONS = frozenset({"signIn", "signUp", "signOut"})


_schema = fanout.graphql_schema


@dataclass(frozen=True)
class ParsedDocument:
    document: DocumentNode | None
    errors: list[dict[str, Any]]
    key: str = ""
    viewer_specific: bool = False


@functools.lru_cache(maxsize=512)
def parse_document(query: str) -> ParsedDocument:
    """Parse and validate ``query`` once per process (subscribers share documents)."""
    schema = _schema()
    try:
        document = parse(query)
    except GraphQLError as error:
        return ParsedDocument(document=None, errors=[error.formatted])
    # The spec's rules first: the depth rule assumes a valid document (known fragments).
    errors = validate(schema, document, specified_rules) or validate(
        schema, document, VALIDATION_RULES
    )
    if errors:
        return ParsedDocument(document=None, errors=[e.formatted for e in errors])
    return ParsedDocument(
        document=document,
        errors=[],
        key=print_ast(document),
        viewer_specific=selects_viewer_specific(schema, document),
    )


@dataclass
class Operation:
    task: asyncio.Task | None = None
    subscription: fanout.LiveSubscription | None = None


class GraphQLTransportWSConsumer(AsyncWebsocketConsumer):
    """One socket of the graphql-transport-ws protocol (see the module doc)."""

    channel_layer_alias = None  # type: ignore[assignment]  # no per-socket channel

    async def connect(self) -> None:
        self.viewer = Viewer()
        self.operations: dict[str, Operation] = {}
        self.init_received = False
        self.acknowledged = False
        self.closing = False
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_SIZE)
        self.recent_subscribes: deque[float] = deque()
        self.writer: asyncio.Task | None = None
        self.init_timer: asyncio.Task | None = None
        self.origin = await database_sync_to_async(origin_policy)(self.scope)
        if self.origin is None:
            await self.close()  # handshake refused: HTTP 403
            return
        if SUBPROTOCOL not in self.scope.get("subprotocols", []):
            await self.accept()
            await self.close(
                code=CLOSE_SUBPROTOCOL_NOT_ACCEPTABLE, reason="Subprotocol not acceptable"
            )
            self.closing = True
            return
        await self.accept(subprotocol=SUBPROTOCOL)
        self.writer = asyncio.ensure_future(self._write_loop())
        self.init_timer = asyncio.ensure_future(self._init_timeout())

    async def disconnect(self, code: int) -> None:
        await self._teardown()

    # -- sending -----------------------------------------------------------------------

    def send_frame(self, text: str) -> None:
        """Queue one text frame; close the socket if its outbox is full (never block)."""
        if self.closing:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            logger.warning("realtime: closing a socket that reads too slowly")
            self.closing = True
            asyncio.ensure_future(self._shutdown(CLOSE_TOO_SLOW, "Too slow"))

    def send_message(self, message: dict[str, Any]) -> None:
        self.send_frame(json.dumps(message, separators=(",", ":")))

    async def _write_loop(self) -> None:
        while True:
            text = await self.outbox.get()
            try:
                await self.send(text_data=text)
            except Exception:  # noqa: BLE001 - the socket is gone; disconnect cleans up
                logger.debug("realtime: send on a closed socket", exc_info=True)
                return

    async def _close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        await self._shutdown(code, reason)

    async def _shutdown(self, code: int, reason: str) -> None:
        await self._teardown()
        await self.close(code=code, reason=reason)

    async def _teardown(self) -> None:
        self.closing = True
        for task in (self.init_timer, self.writer):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        operations, self.operations = self.operations, {}
        for operation in operations.values():
            await self._stop(operation)

    async def _stop(self, operation: Operation) -> None:
        if operation.task is not None and operation.task is not asyncio.current_task():
            operation.task.cancel()
        if operation.subscription is not None:
            await fanout.unsubscribe(operation.subscription)

    async def _init_timeout(self) -> None:
        await asyncio.sleep(CONNECTION_INIT_TIMEOUT_SECONDS)
        if not self.init_received:
            await self._close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")

    # -- receiving ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.closing:
            return
        if text_data is None:
            return await self._close(CLOSE_BAD_REQUEST, "Binary messages are not supported")
        if len(text_data) > MAX_MESSAGE_CHARS:
            return await self._close(CLOSE_BAD_REQUEST, "Message too large")
        try:
            message = json.loads(text_data)
        except ValueError:
            return await self._close(CLOSE_BAD_REQUEST, "Invalid message received")
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "connection_init":
            return await self._on_init(message)
        if kind == "ping":
            return self.send_message({"type": "pong"})
        if kind == "pong":
            return None
        if kind == "subscribe":
            return await self._on_subscribe(message)
        if kind == "complete":
            return await self._on_complete(message)
        return await self._close(CLOSE_BAD_REQUEST, "Invalid message received")

    async def _on_init(self, message: dict[str, Any]) -> None:
        if self.init_received:
            return await self._close(CLOSE_TOO_MANY_INITS, "Too many initialisation requests")
        self.init_received = True
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            return await self._close(CLOSE_BAD_REQUEST, "Invalid message received")
        user = self.scope.get("user")
        if has_credential(payload):
            user = await database_sync_to_async(authenticate_connection_params)(payload)
            if user is None:
                return await self._close(CLOSE_FORBIDDEN, "Forbidden")
        self.viewer = await database_sync_to_async(viewer_for_user)(user)
        self.acknowledged = True
        self.send_message({"type": "connection_ack"})

    async def _on_subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            return await self._close(CLOSE_UNAUTHORIZED, "Unauthorized")
        operation_id = message.get("id")
        payload = message.get("payload")
        if (
            not isinstance(operation_id, str)
            or not operation_id
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
            or not isinstance(payload.get("variables", None), dict | None)
            or not isinstance(payload.get("operationName", None), str | None)
            or not isinstance(payload.get("extensions", None), dict | None)
        ):
            return await self._close(CLOSE_BAD_REQUEST, "Invalid message received")
        if operation_id in self.operations:
            return await self._close(
                CLOSE_DUPLICATE_SUBSCRIBER, f"Subscriber for {operation_id} already exists"
            )
        operation = self.operations[operation_id] = Operation()
        wait = self._subscribe_wait_seconds()
        if wait:
            error = graphql_error(RateLimited(wait))
            return self._send_error(operation_id, [error.formatted])
        operation.task = asyncio.ensure_future(self._run(operation_id, operation, payload))

    def _subscribe_wait_seconds(self) -> int:
        """Count this subscribe; return the seconds to wait if over SUBSCRIBE_RATE, else 0."""
        limit, seconds = SUBSCRIBE_RATE
        now = time.monotonic()
        recent = self.recent_subscribes
        while recent and recent[0] <= now - seconds:
            recent.popleft()
        if len(recent) >= limit:
            return max(1, math.ceil(recent[0] + seconds - now))
        recent.append(now)
        return 0

    async def _on_complete(self, message: dict[str, Any]) -> None:
        operation_id = message.get("id")
        if not isinstance(operation_id, str):
            return await self._close(CLOSE_BAD_REQUEST, "Invalid message received")
        operation = self.operations.pop(operation_id, None)
        if operation is not None:
            await self._stop(operation)

    # -- operations --------------------------------------------------------------------

    def _send_error(self, operation_id: str, errors: list[dict[str, Any]]) -> None:
        if self.operations.pop(operation_id, None) is not None:
            self.send_message({"id": operation_id, "type": "error", "payload": errors})

    def _finish(self, operation_id: str) -> None:
        if self.operations.pop(operation_id, None) is not None:
            self.send_message({"id": operation_id, "type": "complete"})

    async def _run(self, operation_id: str, operation: Operation, payload: dict) -> None:
        try:
            parsed = parse_document(payload["query"])
            if parsed.document is None:
                return self._send_error(operation_id, parsed.errors)
            variables = payload.get("variables") or None
            operation_name = payload.get("operationName") or None
            definition = get_operation_ast(parsed.document, operation_name)
            if definition is None:
                error = GraphQLError("Unknown operation: give a valid operationName.")
                return self._send_error(operation_id, [error.formatted])
            if definition.operation == OperationType.SUBSCRIPTION:
                return await self._subscribe(
                    operation_id, operation, parsed, variables, operation_name
                )
            if definition.operation == OperationType.MUTATION and ACCOUNT_MUTATIONS & {
                s.name.value
                for s in definition.selection_set.selections
                if isinstance(s, FieldNode)
            }:
                error = GraphQLError("Sign in, sign up and sign out need HTTP (/api/graphql).")
                return self._send_error(operation_id, [error.formatted])
            result = await database_sync_to_async(self._execute)(
                parsed.document, variables, operation_name
            )
            if operation_id in self.operations:
                self.send_message({"id": operation_id, "type": "next", "payload": result.formatted})
                self._finish(operation_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - report to the client, keep the socket
            logger.exception("realtime: operation %s failed", operation_id)
            self._send_error(operation_id, [GraphQLError("Internal server error.").formatted])

    def _execute(self, document, variables, operation_name) -> ExecutionResult:
        client = self.scope.get("client") or [None]
        context = LiveContext(
            user=self.viewer.user,
            meta={"REMOTE_ADDR": client[0]},
            viewer=self.viewer,
            origin=self.origin,
        )
        return execute_sync(
            _schema(),
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )

    async def _subscribe(
        self,
        operation_id: str,
        operation: Operation,
        parsed: ParsedDocument,
        variables: dict | None,
        operation_name: str | None,
    ) -> None:
        active = sum(1 for op in self.operations.values() if op.subscription is not None)
        if active >= MAX_SUBSCRIPTIONS:
            error = graphql_error(TooManySubscriptions())
            return self._send_error(operation_id, [error.formatted])
        context = LiveContext(user=self.viewer.user, viewer=self.viewer, origin=self.origin)
        source = await create_source_event_stream(
            _schema(),
            parsed.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
        if isinstance(source, ExecutionResult):
            return self._send_error(operation_id, [e.formatted for e in source.errors or []])
        if not isinstance(source, LiveSource):
            raise TypeError(f"subscription field returned {type(source).__name__}")
        subscription = fanout.LiveSubscription(
            subscriber=self,
            operation_id=operation_id,
            source=source,
            document=parsed.document,
            document_key=parsed.key,
            variables=variables,
            operation_name=operation_name,
            viewer_class=viewer_class(
                topic=source.topic, viewer=self.viewer, viewer_specific=parsed.viewer_specific
            ),
        )
        if self.operations.get(operation_id) is not operation:
            return  # completed by the client meanwhile
        operation.subscription = subscription
        try:
            await fanout.subscribe(subscription)
        except TalkError as exc:
            operation.subscription = None
            self._send_error(operation_id, [graphql_error(exc).formatted])
