"""What several test packages share: the real exports, Redis, and real Talk processes.

Tests that start processes (browser, jobs, realtime nodes) run Talk with the deployable
settings on a data dir of their own, so they never touch pytest-django's database.
A missing service or file fails the test with what to do; nothing is skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The real exports sit in ../shared/data beside the checkout (as in CI);
# TALK_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("TALK_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_export(name: str) -> Path:
    """Return the path of one of the shared exports; fail clearly when it is not there."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: these tests need ../shared/data beside the checkout, "
            "or TALK_SHARED_DATA set to the folder holding the exports.",
            pytrace=False,
        )
    return path


def redis_or_fail(url: str, *, purpose: str):
    """Return a client of the Redis at ``url``; fail (never skip) when it is down.

    Args:
        purpose: who needs it, for the message ("the multi-node realtime tests").
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        client.close()
        pytest.fail(
            f"Redis is not running on 127.0.0.1:6379, and {purpose} need it: start it "
            "(redis-server, or .ci/run) and run the tests again.",
            pytrace=False,
        )
    return client


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def talk_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a Talk process on ``data_dir``: the deployable settings (not the
    test settings pytest-django exported), SQLite in ``data_dir``, no Redis unless
    ``extra`` sets REDIS_URL, DEBUG off; ``extra`` is applied last."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "CELERY_VISIBILITY_TIMEOUT"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="talk_project.settings",
        TALK_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'talk.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``manage.py`` with ``env`` and return its stdout; fail the test with its output
    when it exits non-zero."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return result.stdout


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Wait until ``url``/healthz answers 200; fail with the server's log if the process
    exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Talk server {url} exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"Talk server {url} not healthy after {timeout}s:\n{log.read_text()}")
