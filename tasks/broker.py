"""A durable job queue in a SQLite file, for the embedded default (no Redis).

kombu's SQLAlchemy transport (``sqla+sqlite://``) stores messages in a table and, when a
consumer fetches one, marks the row ``visible = False`` and commits. Nothing ever makes
that row visible again except the consumer's own in-memory bookkeeping, which restores
unacknowledged messages on a *clean* shutdown. So with ``task_acks_late``, a process that
dies in the middle of a task (``kill -9``, OOM, power loss), or while it holds a message
with a countdown, loses the job for good; and acknowledged rows are never deleted either,
so the table grows forever and a fetched row cannot be told apart from a finished one.

This transport subclasses it and changes three things:

* **ack deletes the row** (and a reject without requeue), so every row left invisible
  belongs to a consumer that has not finished with it;
* **requeue and shutdown restore update the row in place** (``visible = True``, marked
  ``redelivered``) instead of inserting a copy and leaving the original invisible;
* **the first consumer of a queue file owns it**: it takes an exclusive ``flock`` on
  ``<file>.lock`` for its lifetime, and on taking it makes every invisible row visible
  again (marked ``redelivered``). The lock was free, so no live process holds those
  messages: their consumer died. A second consumer process (another ``serve`` on the same
  data dir) cannot take the lock and recovers nothing. One consumer per queue file is the
  supported set-up; use Redis to run several job processes.

Jobs are still delivered at least once (a job killed half-way runs again in full), which
is why every task is idempotent (STYLE.md §9). The tables are ``talk_job_queue`` and
``talk_job_message``, not kombu's defaults, so rows of the unpatched transport, where
"invisible" also meant "done", are never mistaken for lost jobs.

Selected in settings with ``CELERY_BROKER_TRANSPORT = "tasks.broker:Transport"`` and a
plain ``sqlite:///<path>`` broker URL (kombu reads a transport named in the URL itself
only from its own aliases).
"""

from __future__ import annotations

import logging
import os
import threading
from json import dumps, loads
from queue import Empty
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import IntegrityError

try:  # POSIX only; elsewhere no recovery on start (jobs of a dead process stay parked)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

logger = logging.getLogger(__name__)

QUEUE_TABLE = "talk_job_queue"
MESSAGE_TABLE = "talk_job_message"

_owned_lock = threading.Lock()
_owned: dict[str, int] = {}  # queue file -> fd of its held lock file, per process


def _mark_redelivered(payload: str) -> str:
    message = loads(payload)
    message["redelivered"] = True
    message.setdefault("headers", {})["redelivered"] = True
    properties = message.setdefault("properties", {})
    properties.setdefault("delivery_info", {})["redelivered"] = True
    return dumps(message)


class Channel(kombu_sqlalchemy.Channel):
    """kombu's SQLAlchemy channel with delete-on-ack and crash recovery (module docs)."""

    def __init__(self, connection, **kwargs):
        options = connection.client.transport_options
        options.setdefault("queue_tablename", QUEUE_TABLE)
        options.setdefault("message_tablename", MESSAGE_TABLE)
        # delivery tag -> row id of the messages this channel fetched and not yet settled;
        # written by the consuming thread, read by the pool threads that ack.
        self._rows: dict[str, int] = {}
        super().__init__(connection, **kwargs)

    # -- engine ------------------------------------------------------------------------

    def _engine_from_config(self):
        conninfo = self.connection.client
        options = {
            key: value
            for key, value in conninfo.transport_options.items()
            if key
            not in {
                "queue_tablename",
                "message_tablename",
                "callback",
                "errback",
                "max_retries",
                "interval_start",
                "interval_step",
                "interval_max",
                "retry_errors",
                "polling_interval",
                "visibility_timeout",
            }
        }
        options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(conninfo.hostname, **options)
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection, _record):  # WAL: producers never block on readers
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

        return engine

    @property
    def _engine(self):
        engine, _session = self._open()
        return engine

    @property
    def _table(self):
        return self.message_cls.__table__

    def _get_or_create(self, queue):
        # kombu's version loses the race when two processes create a queue at once (a
        # producer's first publish and the worker's start): UNIQUE constraint failed.
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            self.session.rollback()
            return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()

    # -- fetch / settle ----------------------------------------------------------------

    def _get(self, queue):
        obj = self._get_or_create(queue)
        session = self.session
        if session.bind.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            message = (
                session.query(self.message_cls)
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible != False)  # noqa: E712 (SQL expression)
                .order_by(self.message_cls.sent_at)
                .order_by(self.message_cls.id)
                .limit(1)
                .with_for_update()
                .first()
            )
            if message is None:
                raise Empty()
            message.visible = False
            payload = loads(bytes_to_str(message.payload))
            row_id = message.id
        finally:
            session.commit()
        tag = payload.get("properties", {}).get("delivery_tag")
        if tag is not None:
            self._rows[tag] = row_id
        return payload

    def _delete_row(self, delivery_tag: str) -> None:
        row_id = self._rows.pop(delivery_tag, None)
        if row_id is None:
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(self._table.delete().where(self._table.c.id == row_id))
        except Exception:  # the job ran; at worst it runs again after a restart
            logger.exception("jobs: could not delete acknowledged message %s", row_id)

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._delete_row(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)
        if not requeue:
            self._delete_row(delivery_tag)

    def _restore(self, message):
        """Make a fetched message visible again in place (requeue, clean shutdown)."""
        row_id = self._rows.pop(message.delivery_tag, None)
        if row_id is None:
            return super()._restore(message)
        with self._engine.begin() as connection:
            row = connection.execute(self._table.select().where(self._table.c.id == row_id)).first()
            if row is None:
                return None
            connection.execute(
                self._table.update()
                .where(self._table.c.id == row_id)
                .values(self._requeued_values(row))
            )
        return None

    def _requeued_values(self, row) -> dict:
        # A NULL timestamp (as at insert) puts the message back in its place in the FIFO
        # order (timestamp, id); the fetch had stamped it with the time it was taken.
        return {
            self._table.c.visible: True,
            self._table.c.timestamp: None,
            self._table.c.payload: _mark_redelivered(bytes_to_str(row.payload)),
        }

    # -- ownership and recovery --------------------------------------------------------

    def basic_consume(self, queue, *args, **kwargs):
        self.recover_if_owner()
        return super().basic_consume(queue, *args, **kwargs)

    def recover_if_owner(self) -> int | None:
        """Take ownership of the queue file once per process; then recover lost messages.

        Returns:
            The number of messages made visible again, or None when this process
            already owned the queue or another live process owns it.
        """
        engine = self._engine
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        if not path or path == ":memory:" or fcntl is None:
            return None
        path = os.path.abspath(path)
        with _owned_lock:
            if path in _owned:
                return None
            fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                logger.warning(
                    "jobs: another process consumes %s; not recovering its in-flight jobs",
                    path,
                )
                return None
            _owned[path] = fd
        recovered = self._recover_invisible()
        if recovered:
            logger.warning("jobs: re-queued %d job(s) left running by a dead process", recovered)
        return recovered

    def _recover_invisible(self) -> int:
        table = self._table
        with self._engine.begin() as connection:
            rows = connection.execute(
                table.select().where(table.c.visible == False)  # noqa: E712
            ).all()
            for row in rows:
                connection.execute(
                    table.update().where(table.c.id == row.id).values(self._requeued_values(row))
                )
        return len(rows)

    # -- numbers for the admin ---------------------------------------------------------

    def queue_counts(self, queue: str) -> dict[str, Any]:
        """Return ``{"pending": n, "in_flight": m}`` for ``queue``."""
        obj = self._get_or_create(queue)
        table = self._table
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(table.c.visible, func.count())
                .where(table.c.queue_id == obj.id)
                .group_by(table.c.visible)
            ).all()
        counts = {bool(visible): count for visible, count in rows}
        return {"pending": counts.get(True, 0), "in_flight": counts.get(False, 0)}


class Transport(kombu_sqlalchemy.Transport):
    """kombu's SQLAlchemy transport with the channel above."""

    Channel = Channel
