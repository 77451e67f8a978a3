"""The embedded default, for real: ``manage.py serve`` with its in-process worker and
scheduler on the durable SQLite queue, killed with SIGKILL and started again.

Each test runs Talk in subprocesses on its own copy of a migrated data dir and reads the
outcome from that SQLite database and queue file directly.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from pathlib import Path

import pytest

from tests.support import free_port, manage, talk_env, wait_healthy
from tests.tasks.conftest import (
    probe_count_completed,
    probe_enqueue,
    probe_insert,
    probe_read,
    sqlite_broker_url,
    sqlite_queue_rows,
    wait_for,
)

pytestmark = pytest.mark.slow

TRANSPORT = "tasks.broker:Transport"


def _serve(processes, data_dir: Path, log: str, env: dict[str, str] | None = None):
    port = free_port()
    process = processes(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env or talk_env(data_dir),
        data_dir / log,
    )
    wait_healthy(f"http://127.0.0.1:{port}", process.popen, process.log)
    return process


def _completed_probe(data_dir: Path, probe_id: str, process):
    def completed():
        probe = probe_read(data_dir, probe_id)
        return probe if probe is not None and probe.completed else None

    return wait_for(completed, timeout=25, what=f"probe {probe_id} to complete", process=process)


def test_job_enqueued_while_the_server_is_down_runs_when_it_starts(migrated_data_dir, processes):
    # given: a job sent from a shell while no server runs
    data_dir = migrated_data_dir
    probe_id = manage(
        talk_env(data_dir),
        "shell",
        "-v",
        "0",
        "-c",
        "from tasks.services import job_probe_create; print(job_probe_create().pk)",
    ).strip()
    assert [visible for _id, visible in sqlite_queue_rows(data_dir)] == [True]

    # when
    server = _serve(processes, data_dir, "serve.log")

    # then: it ran once, and its acknowledged message left the queue file
    probe = _completed_probe(data_dir, probe_id, server)
    assert (probe.runs, probe.redeliveries) == (1, 0)
    wait_for(lambda: sqlite_queue_rows(data_dir) == [], timeout=5, what="the ack")


def test_server_killed_during_a_job_runs_it_again_once_after_restart(migrated_data_dir, processes):
    # given: a running server picks up a job that takes 2 s
    data_dir = migrated_data_dir
    first = _serve(processes, data_dir, "serve-1.log")
    probe_id = probe_insert(data_dir, hold_seconds=2)
    probe_enqueue(sqlite_broker_url(data_dir), probe_id, transport=TRANSPORT)
    wait_for(
        lambda: probe_read(data_dir, probe_id).runs == 1,
        timeout=15,
        what="the job to start",
        process=first,
    )

    # when: the server dies mid-job, then starts again
    first.kill9()
    assert not probe_read(data_dir, probe_id).completed
    assert [visible for _id, visible in sqlite_queue_rows(data_dir)] == [False]  # in flight
    second = _serve(processes, data_dir, "serve-2.log")

    # then: the job ran a second time, as a redelivery, and its effect happened once
    probe = _completed_probe(data_dir, probe_id, second)
    assert (probe.runs, probe.redeliveries) == (2, 1)
    assert probe_count_completed(data_dir, probe_id) == 1
    assert "re-queued 1 job(s) left running by a dead process" in second.output()
    wait_for(lambda: sqlite_queue_rows(data_dir) == [], timeout=5, what="the ack")


def test_server_killed_while_holding_a_countdown_job_runs_it_after_restart(
    migrated_data_dir, processes
):
    # given: a job due in 4 s, already fetched by the worker, which holds it until then
    data_dir = migrated_data_dir
    first = _serve(processes, data_dir, "serve-1.log")
    probe_id = probe_insert(data_dir, hold_seconds=0)
    probe_enqueue(sqlite_broker_url(data_dir), probe_id, transport=TRANSPORT, countdown=4)
    wait_for(
        lambda: [visible for _id, visible in sqlite_queue_rows(data_dir)] == [False],
        timeout=15,
        what="the worker to fetch the job",
        process=first,
    )

    # when
    first.kill9()
    second = _serve(processes, data_dir, "serve-2.log")

    # then
    probe = _completed_probe(data_dir, probe_id, second)
    assert (probe.runs, probe.redeliveries) == (1, 1)


def test_embedded_scheduler_runs_auto_close(migrated_data_dir, processes):
    # given: a story created 3 days ago; auto-close after 1 day, scheduled every second
    data_dir = migrated_data_dir
    env = talk_env(data_dir, DJANGO_SETTINGS_MODULE="tests.tasks.serve_settings")
    story_id = manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from comments.models import Site, Story; "
        "site = Site.objects.create(name='Daily', domain='news.example.com'); "
        "print(Story.objects.create(site=site, url='https://news.example.com/old', "
        "created_at=timezone.now() - timedelta(days=3)).pk)",
    ).strip()

    # when
    server = _serve(processes, data_dir, "serve.log", env=env)

    # then
    def closed_at():
        with sqlite3.connect(data_dir / "talk.sqlite3", timeout=10) as db:
            row = db.execute(
                "SELECT closed_at FROM talk_comments_story WHERE id = ?", (uuid.UUID(story_id).hex,)
            ).fetchone()
        return row[0]

    wait_for(closed_at, timeout=20, what="the story to be auto-closed", process=server)
