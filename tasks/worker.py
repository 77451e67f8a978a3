"""The in-process Celery worker of the embedded default (``serve --jobs``).

Runs a ``celery.worker.WorkController`` (not ``app.Worker``, which installs signal
handlers and so must own the main thread) in a daemon thread, with the threads pool.
DESIGN.md §7; the approach of ``celery.contrib.testing.worker.start_worker``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from celery import Celery, current_app
from celery.worker import WorkController

logger = logging.getLogger(__name__)


@dataclass
class EmbeddedWorker:
    """A running in-process worker and its thread."""

    controller: WorkController
    thread: threading.Thread

    def stop(self) -> None:
        """Warm shutdown: finish running tasks; late-acked queued ones stay queued."""
        self.controller.stop(in_sighandler=False, exitcode=0)
        self.thread.join(timeout=15)


def embedded_worker_start(*, app: Celery | None = None, concurrency: int = 2) -> EmbeddedWorker:
    """Start a Celery worker thread in this process and return it.

    Args:
        app: the Celery app; default ``celery.current_app`` (the host's app).
        concurrency: threads executing tasks (1..8 is sensible on a small machine).
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
    logger.info("jobs: in-process worker started (broker %s)", app.conf.broker_url.split("://")[0])
    return EmbeddedWorker(controller=controller, thread=thread)
