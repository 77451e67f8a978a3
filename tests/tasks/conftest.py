"""Fixtures of the jobs tests: local HTTP servers, Redis, and real Talk/Celery processes.

* ``article_server``: serves ``fixtures/*.html`` on 127.0.0.1 as a newsroom would
  (``/articles/<file>``), plus routes for the failure cases (slow, chunked, redirects,
  status codes, non-HTML).
* ``webhook_receiver``: a 127.0.0.1 endpoint that verifies ``X-Talk-Signature`` with the
  recipe documented in ``tasks.webhooks`` (written out again here, independently).
* ``migrated_data_dir``: a Talk data dir (SQLite database migrated once per session,
  copied per test) for the subprocess tests, which never touch pytest-django's database.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import REPO, manage, redis_or_fail, talk_env

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BIN = Path(sys.executable).parent
REDIS_TEST_URL = "redis://127.0.0.1:6379/11"  # DB 11 is reserved for the jobs tests


# -- article server --------------------------------------------------------------------


class ArticleServer(ThreadingHTTPServer):
    daemon_threads = True
    slow_seconds = 3.0

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ArticleHandler)
        self.requests: list[tuple[str, dict[str, str]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ArticleHandler(BaseHTTPRequestHandler):
    server: ArticleServer

    def log_message(self, format, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html", **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        self.server.requests.append((parts.path, dict(self.headers.items())))
        segments = parts.path.strip("/").split("/")
        route, name = segments[0], "/".join(segments[1:])
        if route == "articles":
            self._send(200, (FIXTURES / name).read_bytes())
        elif route == "chunked":  # no Content-Length: the cap must hold while streaming
            body = (FIXTURES / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 16384):
                chunk = body[start : start + 16384]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif route == "slow":
            time.sleep(self.server.slow_seconds)
            with contextlib.suppress(OSError):  # the client gave up
                self._send(200, (FIXTURES / name).read_bytes())
        elif route == "redirect":
            self._send(302, b"", Location=parse_qs(parts.query)["to"][0])
        elif route == "status":
            self._send(int(name), b"<html><body>error</body></html>")
        elif route == "image.png":
            self._send(200, b"\x89PNG\r\n\x1a\n", content_type="image/png")
        else:
            self._send(404, b"not found")


@pytest.fixture
def article_server() -> Iterator[ArticleServer]:
    server = ArticleServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- webhook receiver ------------------------------------------------------------------


def verify_signature(header: str, body: bytes, secret: str, *, tolerance: int = 300) -> bool:
    """The receiver's side of docs/jobs.md, written from the recipe, not from our code."""
    elements = [element.split("=", 1) for element in header.split(",")]
    timestamps = [value for key, value in elements if key == "t"]
    signatures = [value for key, value in elements if key == "v1"]
    if len(timestamps) != 1 or not signatures:
        return False
    if abs(time.time() - int(timestamps[0])) > tolerance:
        return False
    signed_payload = timestamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode("utf-8"), signed_payload, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), WebhookHandler)
        self.secrets: list[str] = []
        self.statuses: list[int] = []  # replies to give, in order; then 200
        self.reply_body: bytes | None = None  # instead of {"received": ...}
        self.redirect_to: str = ""  # answer 307 to this Location
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/talk"


class WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def log_message(self, format, *args):  # quiet
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        header = self.headers.get("X-Talk-Signature", "")
        verified = any(verify_signature(header, body, secret) for secret in self.server.secrets)
        self.server.received.append(Received(dict(self.headers.items()), body, verified))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        if not verified:
            status = 400
        reply = self.server.reply_body or json.dumps({"received": verified}).encode()
        self.send_response(307 if self.server.redirect_to else status)
        if self.server.redirect_to:
            self.send_header("Location", self.server.redirect_to)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- Celery retry recorder -------------------------------------------------------------


@pytest.fixture
def retry_calls(monkeypatch) -> Callable:
    """Replace ``task.retry`` with a recorder: ``calls = retry_calls(task)``.

    Each call records its keyword arguments (``countdown``, ``exc``) and raises
    ``celery.exceptions.Retry`` as the real method does, so no backoff is slept through.
    """
    from celery.exceptions import Retry

    def install(task) -> list[dict]:
        calls: list[dict] = []

        def retry(**kwargs):
            calls.append(kwargs)
            raise Retry("recorded", kwargs.get("exc"))

        monkeypatch.setattr(task, "retry", retry)
        return calls

    return install


# -- Redis -----------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The jobs tests' Redis DB, emptied before and after. Fails (never skips) if down."""
    client = redis_or_fail(REDIS_TEST_URL, purpose="the jobs tests with a real broker")
    client.flushdb()
    try:
        yield REDIS_TEST_URL
    finally:
        client.flushdb()
        client.close()


# -- real processes --------------------------------------------------------------------


class Process:
    """A subprocess in its own session (so SIGKILL reaches all of it), logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as handle:
            self.popen = subprocess.Popen(
                args,
                cwd=REPO,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill9(self) -> None:
        """SIGKILL the process group: nothing runs a shutdown handler."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def assert_alive(self) -> None:
        if self.popen.poll() is not None:
            pytest.fail(f"process exited ({self.popen.returncode}):\n{self.output()[-6000:]}")


@pytest.fixture
def processes() -> Iterator[Callable[..., Process]]:
    """Start processes with ``processes(args, env, log)``; every one is killed at the end."""
    started: list[Process] = []

    def start(args: list[str], env: dict[str, str], log: Path) -> Process:
        process = Process(args, env, log)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                process.kill9()


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, process=None):
    """Poll ``predicate`` every 0.1 s until it returns a truthy value, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None:
            process.assert_alive()
        time.sleep(0.1)
    output = process.output()[-6000:] if process is not None else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{output}")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A data dir with the database migrated once for the whole session."""
    data_dir = tmp_path_factory.mktemp("talk-jobs-template")
    manage(talk_env(data_dir), "migrate", "--no-input", "-v", "0")
    return data_dir


@pytest.fixture
def migrated_data_dir(migrated_template, tmp_path) -> Path:
    """A fresh copy of the migrated data dir for one test (no job queue yet)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in ("talk.sqlite3", "talk.sqlite3-wal", "secret_key"):
        if (migrated_template / name).exists():
            shutil.copy2(migrated_template / name, data_dir / name)
    return data_dir


# -- reading and writing a subprocess's database directly --------------------------------


@dataclass
class ProbeRow:
    runs: int
    redeliveries: int
    completed: bool
    hostname: str = field(default="")


def probe_insert(data_dir: Path, *, hold_seconds: float) -> str:
    """Insert a JobProbe row the way Django stores it on SQLite; return its id."""
    probe_id = uuid.uuid4()
    with sqlite3.connect(data_dir / "talk.sqlite3") as db:
        db.execute(
            "INSERT INTO talk_tasks_jobprobe (id, created_at, hold_seconds, runs, redeliveries,"
            " hostname) VALUES (?, ?, ?, 0, 0, '')",
            (probe_id.hex, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), hold_seconds),
        )
    return str(probe_id)


def probe_read(data_dir: Path, probe_id: str) -> ProbeRow | None:
    db = sqlite3.connect(data_dir / "talk.sqlite3", timeout=10)
    try:
        row = db.execute(
            "SELECT runs, redeliveries, completed_at, hostname FROM talk_tasks_jobprobe"
            " WHERE id = ?",
            (uuid.UUID(probe_id).hex,),
        ).fetchone()
    finally:
        db.close()
    return None if row is None else ProbeRow(row[0], row[1], row[2] is not None, row[3])


def probe_count_completed(data_dir: Path, probe_id: str) -> int:
    db = sqlite3.connect(data_dir / "talk.sqlite3", timeout=10)
    try:
        return db.execute(
            "SELECT COUNT(*) FROM talk_tasks_jobprobe WHERE id = ? AND completed_at IS NOT NULL",
            (uuid.UUID(probe_id).hex,),
        ).fetchone()[0]
    finally:
        db.close()


def probe_enqueue(broker_url: str, probe_id: str, *, transport: str | None = None, **options):
    """Publish the probe's job from this process, as any producer (web, shell) would."""
    from kombu import Connection

    from tasks.tasks import job_probe_task

    with Connection(broker_url, transport=transport) as connection:
        job_probe_task.apply_async(args=[probe_id], connection=connection, **options)


def sqlite_broker_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'jobs.sqlite3'}"


def sqlite_queue_rows(data_dir: Path) -> list[tuple[int, bool]]:
    """(id, visible) of every message in the durable queue file."""
    path = data_dir / "jobs.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(path, timeout=10)
    try:
        return [
            (row[0], bool(row[1])) for row in db.execute("SELECT id, visible FROM talk_job_message")
        ]
    except sqlite3.OperationalError:  # table not created yet
        return []
    finally:
        db.close()
