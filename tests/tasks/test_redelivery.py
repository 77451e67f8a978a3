"""A real ``celery -A talk_project worker`` on Redis, killed with SIGKILL mid-task.

With ``task_acks_late`` the message stays unacknowledged in Redis; once the visibility
timeout has passed (1 s here, through ``CELERY_VISIBILITY_TIMEOUT``), the next worker
restores it and runs it again. The probe task is idempotent, so the effect happens once.
"""

from __future__ import annotations

import time

import pytest
import redis

from tests.support import talk_env
from tests.tasks.conftest import (
    BIN,
    probe_count_completed,
    probe_enqueue,
    probe_insert,
    probe_read,
    wait_for,
)

pytestmark = pytest.mark.slow

VISIBILITY_TIMEOUT = 1


def _worker_args(name: str) -> list[str]:
    return [
        str(BIN / "celery"),
        "-A",
        "talk_project",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{name}@%h",
    ]


def test_worker_killed_mid_task_gets_it_redelivered_and_completed_once(
    redis_url, migrated_data_dir, processes
):
    # given: a queued job that takes 1 s, and a worker that starts it
    data_dir = migrated_data_dir
    env = talk_env(data_dir, REDIS_URL=redis_url, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    client = redis.Redis.from_url(redis_url)
    probe_id = probe_insert(data_dir, hold_seconds=1.0)
    probe_enqueue(redis_url, probe_id)
    first = processes(_worker_args("first"), env, data_dir / "worker-1.log")
    wait_for(
        lambda: probe_read(data_dir, probe_id).runs == 1,
        timeout=30,
        what="the first worker to start the job",
        process=first,
    )
    started = time.monotonic()

    # when: the worker is killed mid-task (no warm shutdown, no ack, no requeue)
    first.kill9()
    assert not probe_read(data_dir, probe_id).completed
    assert client.hlen("unacked") == 1
    assert client.llen("celery") == 0
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.2 - (time.monotonic() - started)))
    second = processes(_worker_args("second"), env, data_dir / "worker-2.log")

    # then: redelivered to the second worker, which completes it; the effect happened once
    def completed():
        probe = probe_read(data_dir, probe_id)
        return probe if probe.completed else None

    probe = wait_for(completed, timeout=30, what="the redelivered job", process=second)
    assert (probe.runs, probe.redeliveries) == (2, 1)
    assert probe.hostname.startswith("second@")
    assert probe_count_completed(data_dir, probe_id) == 1
    wait_for(
        lambda: client.hlen("unacked") == 0 and client.llen("celery") == 0,
        timeout=5,
        what="the ack",
    )
