"""Fixtures of the moderation tests: site settings, posting helpers, a fake Akismet and
Perspective on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from comments.models import Comment, CommentAction, CommentFlag, CommentRevision
from comments.services import comment_create
from moderation.models import SiteModerationSettings


@pytest.fixture
def moderation_settings(site) -> SiteModerationSettings:
    """The test site's saved moderation settings (Coral's defaults); change and save."""
    return SiteModerationSettings.objects.create(site=site)


@pytest.fixture
def post(story):
    """Post ``body`` on the test story as ``profile``; extra kwargs go to comment_create."""

    def post(profile, body: str, **kwargs: Any) -> Comment:
        comment = comment_create(story_id=story.pk, author=profile.user, body=body, **kwargs)
        return Comment.objects.get(pk=comment.pk)

    return post


def system_flags(comment: Comment) -> list[tuple[str, str]]:
    """(reason, note) of the comment's flags without a reporter, oldest first."""
    assert not CommentFlag.objects.filter(comment=comment, reporter__isnull=False).exists()
    return list(
        CommentFlag.objects.filter(comment=comment, reporter=None)
        .order_by("created_at", "reason")
        .values_list("reason", "note")
    )


def created_action(comment: Comment) -> CommentAction:
    return CommentAction.objects.get(comment=comment, kind="CREATED")


def row_counts() -> dict[str, int]:
    return {
        "comments": Comment.objects.count(),
        "actions": CommentAction.objects.count(),
        "flags": CommentFlag.objects.count(),
        "revisions": CommentRevision.objects.count(),
    }


@dataclass
class FakeModerationAPI:
    """Enough of Akismet's comment-check and Perspective's comments:analyze.

    ``POST /akismet`` answers ``akismet_reply`` as text; ``POST /perspective`` answers a
    TOXICITY summary score of ``toxicity``. ``status`` != 200 answers that status
    instead; ``delay_seconds`` sleeps first (released at teardown); ``raw_reply``
    replaces the Perspective JSON. Every request is kept in ``requests``.
    """

    base_url: str = ""
    akismet_reply: str = "false"
    toxicity: float = 0.1
    status: int = 200
    delay_seconds: float = 0.0
    raw_reply: bytes | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def akismet_url(self) -> str:
        return f"{self.base_url}/akismet"

    @property
    def perspective_url(self) -> str:
        return f"{self.base_url}/perspective"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        self.requests.append(
            {
                "path": url.path,
                "query": parse_qs(url.query),
                "content_type": handler.headers.get("Content-Type", ""),
                "body": raw.decode(),
            }
        )
        if self.delay_seconds:
            self.release.wait(self.delay_seconds)
        if self.status != 200:
            self._reply(handler, self.status, b"boom", "text/plain")
        elif url.path == "/akismet":
            self._reply(handler, 200, self.akismet_reply.encode(), "text/plain")
        elif url.path == "/perspective":
            body = (
                self.raw_reply
                or json.dumps(
                    {
                        "attributeScores": {
                            "TOXICITY": {
                                "summaryScore": {"value": self.toxicity, "type": "PROBABILITY"}
                            }
                        },
                        "languages": ["en"],
                    }
                ).encode()
            )
            self._reply(handler, 200, body, "application/json")
        else:
            self._reply(handler, 404, b"not found", "text/plain")

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client gave up (timeout tests)
            pass

    def form(self, index: int = -1) -> dict[str, str]:
        """The form fields of a recorded Akismet request, single values."""
        return {key: values[0] for key, values in parse_qs(self.requests[index]["body"]).items()}


@pytest.fixture
def moderation_api() -> Iterator[FakeModerationAPI]:
    """A real HTTP server on 127.0.0.1 (a free port) speaking :class:`FakeModerationAPI`."""
    api = FakeModerationAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            api.handle(self)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        api.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
