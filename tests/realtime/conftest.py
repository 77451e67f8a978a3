"""Fixtures of the realtime tests: a graphql-transport-ws client over Channels'
``WebsocketCommunicator`` (in-memory channel layer), and data helpers.

The consumer tests are synchronous functions that run one async scenario with
``async_to_sync``; ORM work inside a scenario goes through ``database_sync_to_async``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from realtime import consumers, fanout

LIVE_PATH = "/api/graphql/live"
SUBPROTOCOL = "graphql-transport-ws"


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """The in-memory channel layer, emptied after the test; fan-out counters reset."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.TALK = {"RATE_LIMITS_ENABLED": False}
    consumers.parse_document.cache_clear()
    fanout.metrics.reset()
    yield get_channel_layer()
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.flush)()


def session_cookie(profile) -> bytes:
    """Return a Cookie header value signing ``profile``'s user in."""
    client = Client()
    client.force_login(profile.user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class LiveClient:
    """A graphql-transport-ws client over ``WebsocketCommunicator``."""

    def __init__(
        self,
        *,
        profile=None,
        cookie: bytes | None = None,
        origin: str | None = None,
        subprotocols: tuple[str, ...] = (SUBPROTOCOL,),
        host: str = "testserver",
    ) -> None:
        from talk_project.asgi import application

        headers = [(b"host", host.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if cookie is not None:
            headers.append((b"cookie", cookie))
        self.communicator = WebsocketCommunicator(
            application, LIVE_PATH, headers=headers, subprotocols=list(subprotocols)
        )

    async def connect(self) -> tuple[bool, Any]:
        return await self.communicator.connect()

    async def send(self, message: dict[str, Any] | str) -> None:
        if isinstance(message, str):
            await self.communicator.send_to(text_data=message)
        else:
            await self.communicator.send_json_to(message)

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        return await self.communicator.receive_json_from(timeout)

    async def start(self, payload: dict[str, Any] | None = None) -> LiveClient:
        """Connect and initialise; assert the ack."""
        connected, subprotocol = await self.connect()
        assert connected
        assert subprotocol == SUBPROTOCOL
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await self.send(message)
        assert await self.receive() == {"type": "connection_ack"}
        return self

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next_payload(self, operation_id: str, timeout: float = 3) -> dict[str, Any]:
        message = await self.receive(timeout)
        assert message["type"] == "next", message
        assert message["id"] == operation_id
        return message["payload"]

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def closed(self, timeout: float = 3) -> int:
        """Wait for the server to close the socket; return the close code."""
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code", 1000)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def live() -> Callable[..., LiveClient]:
    """Return a factory of :class:`LiveClient` (see its arguments)."""
    return LiveClient


async def wait_active(count: int, timeout: float = 3) -> None:
    """Wait until this process's hub has ``count`` live subscriptions, groups joined.

    graphql-transport-ws does not acknowledge a subscription; tests that publish right
    after subscribing wait for this instead of sleeping.
    """
    hub = fanout.get_hub()
    deadline = time.monotonic() + timeout
    while True:
        subs = {s for members in hub.members.values() for s in members if not s.closed}
        ready = [
            s
            for s in subs
            if s.buffer is None
            and all(hub._joined.get(g) is not None and hub._joined[g].done() for g in s.groups)
        ]
        if len(ready) >= count:
            return
        assert time.monotonic() < deadline, f"{len(ready)} of {count} subscriptions active"
        await asyncio.sleep(0.005)


def run(scenario: Callable[[], Any]) -> Any:
    """Run an async scenario to completion from a synchronous test."""
    return async_to_sync(scenario)()


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
