"""Webhooks: the event envelope and data shapes, the signature, and the HTTP POST.

Events are Coral's (``WebhookEvent``); the envelope and the ``data`` keys keep Coral's
camelCase names, so a receiver written for Coral needs only the new headers::

    {"id": "<uuid, the same for every endpoint and every retry>",
     "type": "COMMENT_CREATED",
     "data": {...},                       # one of the TypedDicts below
     "createdAt": "2026-11-21T13:51:00.123456+00:00",
     "site": {"id": "<uuid>", "domain": "news.example.com"}}

Each delivery is ``POST`` with ``Content-Type: application/json``, ``User-Agent:
Talk-Webhook/1``, ``X-Talk-Event: <type>``, ``X-Talk-Delivery: <attempt number>`` and
``X-Talk-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]``.

Verifying ``X-Talk-Signature`` (Stripe's v1 scheme; :func:`signature_verify` does it):

1. Split the header on ``,`` and each element on the first ``=``; ``t`` is the
   timestamp, each ``v1`` a signature (two right after a secret rotation: one per secret
   still active).
2. Refuse the request if ``t`` is more than 5 minutes away from your clock.
3. Compute ``HMAC-SHA256(key=<the endpoint's signing secret, whsec_... as UTF-8>,
   message=<t> + "." + <the raw request body bytes>)`` as lowercase hex.
4. Accept if it equals any ``v1`` under a constant-time comparison
   (``hmac.compare_digest``). Parse the JSON only after that, and use the envelope ``id``
   to drop duplicates: delivery is at least once.

Unlike Coral's ``X-Coral-Signature: sha256=<hmac of the body>``, the timestamp is signed
with the body, so a captured request cannot be replayed after the tolerance window.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import httpx

EVENT_HEADER = "X-Talk-Event"
SIGNATURE_HEADER = "X-Talk-Signature"
DELIVERY_HEADER = "X-Talk-Delivery"
USER_AGENT = "Talk-Webhook/1"
TIMEOUT_SECONDS = 10.0
RESPONSE_READ_BYTES = 64 * 1024  # read at most this much of a response
RESPONSE_EXCERPT_CHARS = 1000  # and keep this much of it in the delivery log
TOLERANCE_SECONDS = 300


# -- event data (what ``webhook_event_dispatch(data=...)`` receives, by event) -----------


class StoryCreatedData(TypedDict):
    """``STORY_CREATED``: a story was created (lazily or by import/API)."""

    storyID: str
    storyURL: str
    siteID: str


class CommentCreatedData(TypedDict):
    """``COMMENT_CREATED``: a top-level comment was published (status NONE or APPROVED)."""

    commentID: str
    storyID: str
    storyURL: str
    siteID: str
    status: str


class CommentReplyCreatedData(TypedDict):
    """``COMMENT_REPLY_CREATED``: a reply was published; ancestors from the top down."""

    commentID: str
    parentID: str
    ancestorIDs: list[str]
    storyID: str
    storyURL: str
    siteID: str
    status: str


class CommentEnteredModerationQueueData(TypedDict):
    """``COMMENT_ENTERED_MODERATION_QUEUE``: queue is PENDING, REPORTED or UNMODERATED."""

    commentID: str
    storyID: str
    storyURL: str
    siteID: str
    queue: str
    status: str
    reason: NotRequired[str]  # e.g. a flag reason or the phase that held the comment


class CommentLeftModerationQueueData(TypedDict):
    """``COMMENT_LEFT_MODERATION_QUEUE``: status is the comment's status afterwards."""

    commentID: str
    storyID: str
    storyURL: str
    siteID: str
    queue: str
    status: str


class SiteRef(TypedDict):
    id: str
    domain: str


class Envelope(TypedDict):
    id: str
    type: str
    data: dict
    createdAt: str
    site: SiteRef


# -- signature -------------------------------------------------------------------------


def _hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[str], body: bytes, timestamp: int) -> str:
    """Return ``t=<timestamp>,v1=<hex>`` with one ``v1`` per secret, in order."""
    return ",".join(
        [f"t={timestamp}", *(f"v1={_hmac_hex(secret, timestamp, body)}" for secret in secrets)]
    )


def signature_verify(
    *,
    header: str,
    body: bytes,
    secret: str,
    tolerance_seconds: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Check an ``X-Talk-Signature`` header the way a receiver should (module docs).

    Args:
        body: the raw request body, before any JSON parsing.
        tolerance_seconds: how far ``t`` may be from ``now`` (replay window).
    Returns:
        True when ``t`` is recent and one ``v1`` matches ``secret``.
    """
    timestamp = None
    signatures = []
    for element in header.split(","):
        key, _, value = element.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = _hmac_hex(secret, timestamp, body)
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


# -- HTTP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    """What one POST did: status (None on network error), a response excerpt, timing."""

    status_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int
    permanent: bool = False  # a failure no retry can fix (e.g. an invalid URL)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def is_transient(self) -> bool:
        """A failure worth retrying: network error, timeout, 5xx, 408 or 429."""
        if self.succeeded or self.permanent:
            return False
        return (
            self.status_code is None
            or self.status_code >= 500
            or self.status_code
            in (
                408,
                429,
            )
        )


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST ``body`` to ``url``: 10 s deadline, no redirects, response read up to 64 KB.

    A redirect is a failure (3xx status), as in Coral. Never raises for HTTP reasons.
    """
    started = time.monotonic()
    deadline = started + TIMEOUT_SECONDS
    status_code = None
    excerpt = ""
    error = ""
    permanent = False
    try:
        with (
            httpx.Client(follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
                timeout=TIMEOUT_SECONDS,
            ) as response,
        ):
            status_code = response.status_code
            received = bytearray()
            for chunk in response.iter_bytes():
                received.extend(chunk)
                if len(received) >= RESPONSE_READ_BYTES or time.monotonic() > deadline:
                    break
            excerpt = bytes(received[:RESPONSE_READ_BYTES]).decode("utf-8", "replace")
            excerpt = excerpt[:RESPONSE_EXCERPT_CHARS]
    except httpx.InvalidURL as exc:
        error, permanent = f"invalid URL: {exc}"[:500], True
    except httpx.TimeoutException as exc:
        error = f"timed out ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    if status_code is not None and not 200 <= status_code < 300 and not error:
        error = f"HTTP {status_code}"
    return PostResult(
        status_code=status_code,
        response_excerpt=excerpt,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
        permanent=permanent,
    )
