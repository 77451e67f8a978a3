"""Reads of the jobs app: subscribed endpoints, queue depth, recent failures and probes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from celery import current_app
from django.db.models import QuerySet

from tasks.models import JobEvent, JobProbe, WebhookEndpoint

logger = logging.getLogger(__name__)


def webhook_endpoint_list_subscribed(
    *, site_id: uuid.UUID | str, event: str
) -> QuerySet[WebhookEndpoint]:
    """List the site's enabled endpoints that receive ``event``, with ``site`` joined.

    The event filter runs in Python: ``event_types`` is a JSON list and JSON containment
    lookups are not portable (SQLite, MongoDB); a site has a handful of endpoints.
    """
    endpoints = (
        WebhookEndpoint.objects.select_related("site")
        .filter(site_id=site_id, enabled=True, disabled_at__isnull=True)
        .order_by("created_at", "id")
    )
    ids = [endpoint.pk for endpoint in endpoints if endpoint.is_subscribed(event)]
    return endpoints.filter(pk__in=ids)


@dataclass(frozen=True)
class QueueStats:
    """Messages of one queue: waiting to run, and fetched by a worker but not yet done.

    ``in_flight`` is None where the broker cannot tell it per queue (Redis keeps one
    "unacked" hash for all queues: see ``BrokerStats.unacked``).
    """

    name: str
    pending: int
    in_flight: int | None


@dataclass(frozen=True)
class BrokerStats:
    """The broker (URL without password), its queues, and an error if it was unreachable."""

    broker: str
    queues: list[QueueStats]
    unacked: int | None = None
    error: str = ""


def job_queue_stats(*, app=None) -> BrokerStats:
    """Count pending (and in-flight) messages of every queue the workers consume.

    Works with the durable SQLite queue (``tasks.broker``) and Redis; other kombu
    transports report pending counts only.
    """
    app = app or current_app
    names = sorted({queue.name for queue in app.amqp.queues.values()}) or [
        app.conf.task_default_queue
    ]
    try:
        with app.connection_for_read() as connection:
            broker = connection.as_uri()
            channel = connection.default_channel
            queues = []
            for name in names:
                if hasattr(channel, "queue_counts"):  # tasks.broker.Channel
                    counts = channel.queue_counts(name)
                    queues.append(QueueStats(name, counts["pending"], counts["in_flight"]))
                else:
                    queues.append(QueueStats(name, int(channel._size(name)), None))
            unacked = None
            if hasattr(channel, "unacked_key") and hasattr(channel, "client"):  # Redis
                unacked = int(channel.client.hlen(channel.unacked_key))
            return BrokerStats(broker=broker, queues=queues, unacked=unacked)
    except Exception as exc:  # the admin page must render even when the broker is down
        logger.warning("jobs: cannot read queue depth: %s", exc)
        scheme = str(app.conf.broker_url).split("://")[0]
        return BrokerStats(broker=scheme, queues=[], error=str(exc))


def job_event_list_recent(*, limit: int = 50) -> QuerySet[JobEvent]:
    """The most recent task failures and retries, newest first."""
    return JobEvent.objects.order_by("-created_at", "-id")[:limit]


def job_probe_list_recent(*, limit: int = 5) -> QuerySet[JobProbe]:
    """The most recent job probes, newest first."""
    return JobProbe.objects.order_by("-created_at", "id")[:limit]
