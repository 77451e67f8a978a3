"""``manage.py serve``: run Talk under Daphne, with the in-process job worker.

With no role flags it is the monolith of the embedded default (HTTP, websockets and jobs
in one process, as Coral's ``serve -j -w``). ``--jobs`` (``-j``, the default) runs the
in-process worker and scheduler (``tasks.worker``); ``--no-jobs`` leaves jobs to a separate
``celery -A talk_project worker``; ``--no-beat`` leaves scheduled jobs to ``celery beat``.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Talk with Daphne (HTTP + websockets) and, by default, an in-process job worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("TALK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TALK_PORT", "8000")))
        parser.add_argument(
            "-j",
            "--jobs",
            action="store_true",
            help="Run the in-process job worker and scheduler (the default).",
        )
        parser.add_argument(
            "--no-jobs", action="store_true", help="Do not run the in-process job worker."
        )
        parser.add_argument(
            "--job-concurrency", type=int, default=2, help="Threads of the in-process worker."
        )
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help="In-process worker without the scheduler (a `celery beat` runs elsewhere).",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        jobs: bool,
        no_jobs: bool,
        job_concurrency: int,
        no_beat: bool,
        **opts,
    ):
        from daphne.cli import CommandLineInterface

        if not 0 < port < 65536:
            raise CommandError(f"--port must be 1..65535, got {port}")
        if jobs and no_jobs:
            raise CommandError("--jobs and --no-jobs exclude each other")
        module, _, attr = settings.ASGI_APPLICATION.rpartition(".")
        worker = None
        if not no_jobs:
            from tasks.worker import embedded_worker_start

            worker = embedded_worker_start(concurrency=job_concurrency, beat=not no_beat)
        self.stdout.write(
            f"Talk on http://{host}:{port}/ (jobs: {'off' if no_jobs else 'in-process'})"
        )
        try:
            CommandLineInterface().run(
                ["-b", host, "-p", str(port), "--proxy-headers", f"{module}:{attr}"]
            )
        finally:
            if worker is not None:
                worker.stop()
