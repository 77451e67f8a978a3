"""The in-process Celery worker and scheduler of the embedded default (``serve --jobs``).

Runs a ``celery.worker.WorkController`` (not ``app.Worker``, which installs signal
handlers and so must own the main thread) in a daemon thread, with the threads pool.
DESIGN.md §7; the approach of ``celery.contrib.testing.worker.start_worker``.

The scheduler is Celery's own beat service in a thread (``celery.beat.EmbeddedService``
with ``thread=True``), reading the same ``CELERY_BEAT_SCHEDULE`` as ``celery beat`` and
keeping its last-run times in ``CELERY_BEAT_SCHEDULE_FILENAME``. ``WorkController(beat=
True)`` is not used: its beat bootstep forks a *process* (``multiprocessing``) from
inside the Daphne process, which is unsafe once threads run. A hand-written timer thread
would duplicate beat's persistence and catch-up rules for no gain.

On the durable SQLite queue the worker's first consumer takes ownership of the queue file
and re-queues the jobs a killed predecessor left running (``tasks.broker``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from celery import Celery, current_app
from celery.beat import EmbeddedService
from celery.worker import WorkController

logger = logging.getLogger(__name__)


@dataclass
class EmbeddedWorker:
    """A running in-process worker, its thread, and the scheduler thread if any."""

    controller: WorkController
    thread: threading.Thread
    beat: threading.Thread | None = None

    def stop(self) -> None:
        """Warm shutdown: finish running tasks; late-acked queued ones stay queued."""
        if self.beat is not None:
            self.beat.stop()
        self.controller.stop(in_sighandler=False, exitcode=0)
        self.thread.join(timeout=15)


def embedded_worker_start(
    *, app: Celery | None = None, concurrency: int = 2, beat: bool = True
) -> EmbeddedWorker:
    """Start a Celery worker thread (and a beat thread) in this process and return them.

    Args:
        app: the Celery app; default ``celery.current_app`` (the host's app).
        concurrency: threads executing tasks (1..8 is sensible on a small machine).
        beat: also run the periodic-task scheduler; turn it off when a separate
            ``celery beat`` runs, or in all but one process of a pre-forked server.
    Returns:
        The :class:`EmbeddedWorker`; call ``stop()`` on shutdown.
    """
    app = app or current_app._get_current_object()
    # Without this the worker thread resolves tasks on Celery's default app and fails
    # with NotRegistered (dependencies.md §6.1).
    app.set_default()
    app.loader.import_default_modules()
    controller = WorkController(
        app=app,
        pool_cls="threads",
        concurrency=concurrency,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        loglevel="INFO",
        hostname=f"embedded@{threading.get_native_id()}",
    )
    thread = threading.Thread(target=controller.start, name="talk-jobs", daemon=True)
    thread.start()
    scheduler = None
    if beat:
        scheduler = EmbeddedService(
            app, thread=True, schedule_filename=app.conf.beat_schedule_filename
        )
        scheduler.name = "talk-beat"
        scheduler.start()
    logger.info(
        "jobs: in-process worker started (broker %s, scheduler %s)",
        app.conf.broker_url.split("://")[0],
        "on" if beat else "off",
    )
    return EmbeddedWorker(controller=controller, thread=thread, beat=scheduler)
