"""The durable SQLite queue (tasks.broker): ack deletes, requeue in place, crash recovery."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from kombu import Connection

from tasks import broker


@pytest.fixture
def queue_file(tmp_path, monkeypatch):
    """A fresh queue file, and this process owning no queue yet."""
    monkeypatch.setattr(broker, "_owned", {})
    path = tmp_path / "jobs.sqlite3"
    yield path
    for fd in broker._owned.values():
        os.close(fd)


def _connection(path) -> Connection:
    return Connection(f"sqlite:///{path}", transport="tasks.broker:Transport")


def _publish(path, body: str, queue: str = "jobs") -> None:
    with _connection(path) as connection:
        channel = connection.channel()
        channel.queue_declare(queue)
        channel.basic_publish(channel.prepare_message(body), exchange="", routing_key=queue)
        channel.close()


def _rows(path) -> list[tuple[int, bool]]:
    with sqlite3.connect(path) as db:
        return [(r[0], bool(r[1])) for r in db.execute("SELECT id, visible FROM talk_job_message")]


def _die(channel) -> None:
    """Simulate the consumer's death: nothing is restored when its channel goes away."""
    channel.qos.restore_at_shutdown = False


def _consume(connection: Connection, queue: str = "jobs"):
    """Register as a consumer (what a worker does first), then fetch one message."""
    channel = connection.channel()
    channel.basic_consume(queue, no_ack=False, callback=lambda message: None, consumer_tag="t")
    return channel, channel.basic_get(queue)


def test_ack_deletes_the_message(queue_file):
    _publish(queue_file, "one")

    with _connection(queue_file) as connection:
        channel, message = _consume(connection)
        assert message.body == b"one"
        assert _rows(queue_file) == [(1, False)]
        message.ack()

    assert _rows(queue_file) == []


def test_reject_without_requeue_deletes_the_message(queue_file):
    _publish(queue_file, "one")

    with _connection(queue_file) as connection:
        _channel, message = _consume(connection)
        message.reject(requeue=False)

    assert _rows(queue_file) == []


def test_requeue_makes_the_same_row_visible_and_marks_it_redelivered(queue_file):
    _publish(queue_file, "one")

    with _connection(queue_file) as connection:
        channel, message = _consume(connection)
        assert not message.delivery_info.get("redelivered")
        message.reject(requeue=True)
        assert _rows(queue_file) == [(1, True)]
        again = channel.basic_get("jobs")
        again.ack()

    assert again.body == b"one"
    assert again.delivery_info["redelivered"] is True
    assert _rows(queue_file) == []


def test_clean_shutdown_restores_unacked_in_place(queue_file):
    _publish(queue_file, "one")

    with _connection(queue_file) as connection:
        channel, _message = _consume(connection)
        channel.close()  # what a warm shutdown does with late-acked messages

    assert _rows(queue_file) == [(1, True)]


def test_owner_that_starts_after_a_crash_requeues_in_flight_messages(queue_file):
    # given: a consumer took the queue and a message, then died without a word
    _publish(queue_file, "one")
    _publish(queue_file, "two")
    crashed = _connection(queue_file)
    channel, first = _consume(crashed)
    _die(channel)
    assert _rows(queue_file) == [(1, False), (2, True)]
    for fd in broker._owned.values():  # the process is gone: its lock with it
        os.close(fd)
    broker._owned.clear()

    # when: the next owner starts consuming
    with _connection(queue_file) as connection:
        channel, message = _consume(connection)
        again = channel.basic_get("jobs")

    # then
    assert first.body == b"one"
    assert (message.body, message.delivery_info.get("redelivered")) == (b"one", True)
    assert (again.body, again.delivery_info.get("redelivered")) == (b"two", None)


def test_second_consumer_in_the_same_process_recovers_nothing(queue_file):
    _publish(queue_file, "one")
    first = _connection(queue_file)
    channel, _message = _consume(first)

    with _connection(queue_file) as connection:
        _other, message = _consume(connection)

    assert message is None  # the message in flight was not handed out twice
    assert _rows(queue_file) == [(1, False)]


def test_queue_owned_by_another_live_process_is_not_recovered(queue_file):
    # given: an in-flight message, and a live process holding the queue's lock
    _publish(queue_file, "one")
    with _connection(queue_file) as connection:
        channel = connection.channel()
        channel.basic_get("jobs")  # fetched (invisible); no consumer lock taken
        _die(channel)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'w'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)",
            f"{queue_file}.lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"

        # when
        with _connection(queue_file) as connection:
            _channel, message = _consume(connection)

        # then
        assert message is None
        assert _rows(queue_file) == [(1, False)]
    finally:
        holder.kill()
        holder.wait(timeout=5)


def test_queue_counts_pending_and_in_flight(queue_file):
    for body in ("a", "b", "c"):
        _publish(queue_file, body)

    with _connection(queue_file) as connection:
        channel, _message = _consume(connection)

        assert channel.queue_counts("jobs") == {"pending": 2, "in_flight": 1}


def test_queue_created_concurrently_by_another_process_is_reused(queue_file, monkeypatch):
    # given: the queue row appears between this channel's lookup and its insert
    _publish(queue_file, "first")  # creates the tables and the "jobs" queue row
    with _connection(queue_file) as connection:
        channel = connection.channel()
        original = channel.session.query
        misses = [1, 2]  # kombu looks twice (before and under its lock), then inserts

        def query_missing(*args, **kwargs):
            if not misses:
                return original(*args, **kwargs)
            misses.pop()
            return original(*args, **kwargs).filter(channel.queue_cls.name == "not-this-one")

        monkeypatch.setattr(channel.session, "query", query_missing)

        # when
        queue = channel._get_or_create("jobs")

    # then
    assert queue.name == "jobs"
