"""Celery signal receivers that record task failures and retries as ``JobEvent`` rows.

Connected in ``TasksConfig.ready``; the signals fire only in worker processes (the
in-process worker of ``serve`` or a ``celery worker``). A receiver never raises: losing a
record must not break the worker.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import task_failure, task_retry

from tasks.models import JobEventKind

logger = logging.getLogger(__name__)


def _arguments(args: Any, kwargs: Any) -> str:
    parts = [repr(arg) for arg in (args or ())]
    parts += [f"{key}={value!r}" for key, value in (kwargs or {}).items()]
    return ", ".join(parts)[:500]


def _record(**fields: Any) -> None:
    from tasks.services import job_event_record

    try:
        job_event_record(**fields)
    except Exception:
        logger.exception("jobs: could not record %s of %s", fields["kind"], fields["task_name"])


def on_task_failure(
    sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **extra: Any
) -> None:
    request = getattr(sender, "request", None)
    _record(
        kind=JobEventKind.FAILURE,
        task_name=getattr(sender, "name", "") or "",
        task_id=task_id or "",
        arguments=_arguments(args, kwargs),
        retries=getattr(request, "retries", 0) or 0,
        exception=repr(exception),
        traceback=str(einfo or ""),
        hostname=getattr(request, "hostname", "") or "",
    )


def on_task_retry(sender=None, request=None, reason=None, einfo=None, **extra: Any) -> None:
    _record(
        kind=JobEventKind.RETRY,
        task_name=getattr(sender, "name", "") or "",
        task_id=getattr(request, "id", "") or "",
        arguments=_arguments(getattr(request, "args", None), getattr(request, "kwargs", None)),
        retries=(getattr(request, "retries", 0) or 0) + 1,
        exception=repr(reason),
        traceback=str(einfo or ""),
        hostname=getattr(request, "hostname", "") or "",
    )


def connect() -> None:
    task_failure.connect(on_task_failure, weak=False, dispatch_uid="talk_tasks_failure")
    task_retry.connect(on_task_retry, weak=False, dispatch_uid="talk_tasks_retry")
