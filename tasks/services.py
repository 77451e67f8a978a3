"""Services of the jobs app: scraping, webhooks, auto-close, job records and probes.

Tasks (``tasks.tasks``) load ids and call these; these never import the tasks at module
level (the tasks import this module), and they enqueue only through
``transaction.on_commit`` (STYLE.md §0 rule 3).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from comments.conf import talk_settings
from comments.models import Story
from tasks import scraper, webhooks
from tasks.models import (
    DELIVERIES_KEPT,
    JOB_EVENTS_KEPT,
    JobEvent,
    JobEventKind,
    JobProbe,
    StoryAutoClose,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    webhook_secret_generate,
)
from tasks.selectors import webhook_endpoint_list_subscribed

logger = logging.getLogger(__name__)

FAILURES_BEFORE_DISABLE = 10
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
PROBE_HOLD_MAX_SECONDS = 60.0
AUTO_CLOSE_BATCH = 500


def job_enqueue_on_commit(enqueue: partial) -> None:
    """Run ``enqueue`` (a ``task.delay`` partial) after commit; if the broker is down, log
    it and carry on. Every service that enqueues a job does it through this.

    The change is committed already: a failed enqueue must not turn the request that made
    it into an error. (Not ``on_commit(robust=True)``: Django 5.2 logs a robust failure
    with ``func.__qualname__``, which a ``partial`` lacks.)
    """

    def run() -> None:
        try:
            enqueue()
        except Exception:
            logger.exception("jobs: could not enqueue %r", enqueue.func)

    transaction.on_commit(run)


# -- scraper ---------------------------------------------------------------------------


def story_has_metadata(*, story: Story) -> bool:
    """Return True if the story was scraped or carries metadata pushed by an API/import."""
    return bool(story.scraped_at or story.description or story.image_url)


def story_scrape_schedule(*, story: Story) -> None:
    """Enqueue a scrape of ``story`` after commit, if scraping is on and it has no metadata."""
    if not talk_settings.SCRAPING_ENABLED or story_has_metadata(story=story):
        return
    from tasks.tasks import story_scrape_task  # tasks import this module

    job_enqueue_on_commit(partial(story_scrape_task.delay, str(story.pk)))


def story_scrape(*, story_id: uuid.UUID | str) -> Story | None:
    """Fetch the story's page and store its metadata; the story is untouched on failure.

    Fields the page says nothing about keep their value (e.g. a title the embed gave).

    Returns:
        The updated story, or None if it no longer exists.
    Raises:
        ScrapeTransientError: the page could not be fetched now (worth retrying).
        ScrapeError: the page cannot be scraped (not HTML, too large, 4xx, ...).
    """
    story = Story.objects.filter(pk=story_id).first()
    if story is None:
        return None
    page = scraper.page_fetch(
        url=story.url,
        timeout_seconds=float(talk_settings.SCRAPE_TIMEOUT_SECONDS),
        max_bytes=int(talk_settings.SCRAPE_MAX_BYTES),
        user_agent=talk_settings.SCRAPE_USER_AGENT,
    )
    metadata = scraper.metadata_parse(content=page.content, url=page.url, encoding=page.encoding)
    return story_metadata_apply(story_id=story.pk, metadata=metadata)


@transaction.atomic
def story_metadata_apply(
    *, story_id: uuid.UUID | str, metadata: scraper.StoryMetadata
) -> Story | None:
    """Write scraped ``metadata`` onto the story and stamp ``scraped_at``.

    Returns:
        The story, or None if it no longer exists.
    """
    story = Story.objects.select_for_update().filter(pk=story_id).first()
    if story is None:
        return None
    changed = ["scraped_at"]
    for field in ("title", "description", "image_url", "author", "section", "published_at"):
        value = getattr(metadata, field)
        if value:
            setattr(story, field, value)
            changed.append(field)
    story.scraped_at = timezone.now()
    story.save(update_fields=changed)
    return story


# -- webhooks --------------------------------------------------------------------------


def webhook_event_dispatch(*, event: str, site_id: uuid.UUID | str, data: dict[str, Any]) -> None:
    """After commit, enqueue one delivery per enabled endpoint of the site subscribed to it.

    Call it from the service that made the change, inside its transaction; nothing is
    sent if the transaction rolls back. Every endpoint receives the same envelope (same
    ``id``), see ``tasks.webhooks`` for its shape and for ``data`` per event.

    Args:
        event: a :class:`~tasks.models.WebhookEvent` value, e.g. ``"COMMENT_CREATED"``.
        data: JSON-serialisable ids and small scalars (``tasks.webhooks`` TypedDicts).
    Raises:
        ValueError: unknown event.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    event_id = str(uuid.uuid4())
    created_at = timezone.now().isoformat()
    json.dumps(data)  # fail in the caller, not after commit, if data is not JSON
    job_enqueue_on_commit(
        partial(
            _webhook_event_enqueue,
            event=event,
            site_id=str(site_id),
            data=data,
            event_id=event_id,
            created_at=created_at,
        )
    )


def _webhook_event_enqueue(
    *, event: str, site_id: str, data: dict[str, Any], event_id: str, created_at: str
) -> None:
    from tasks.tasks import webhook_deliver_task  # tasks import this module

    endpoints = list(webhook_endpoint_list_subscribed(site_id=site_id, event=event))
    if not endpoints:
        return
    site = endpoints[0].site
    envelope: webhooks.Envelope = {
        "id": event_id,
        "type": event,
        "data": data,
        "createdAt": created_at,
        "site": {"id": str(site.pk), "domain": site.domain},
    }
    body = json.dumps(envelope, separators=(",", ":"), sort_keys=True)
    for endpoint in endpoints:
        webhook_deliver_task.delay(str(endpoint.pk), event_id, body)


@dataclass(frozen=True)
class DeliveryOutcome:
    """The result of one delivery attempt; ``retry`` says whether another is worthwhile."""

    delivered: bool
    retry: bool
    error: str = ""


def _signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    secrets = [endpoint.signing_secret]
    if (
        endpoint.previous_signing_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > timezone.now()
    ):
        secrets.append(endpoint.previous_signing_secret)
    return secrets


def webhook_deliver(
    *, endpoint_id: uuid.UUID | str, event_id: str, payload_json: str, attempt: int
) -> DeliveryOutcome:
    """POST one event to one endpoint, log the attempt, count failures, maybe disable.

    A success resets ``consecutive_failures``; the tenth failed attempt in a row
    disables the endpoint (``enabled`` off, ``disabled_at``/``disabled_reason`` set).
    A disabled or deleted endpoint is skipped without logging.

    Args:
        payload_json: the exact body to send (signed as is; the same on every attempt).
        attempt: 1 for the first try, then 2, 3, ... (sent as ``X-Talk-Delivery``).
    Returns:
        Whether it was delivered and whether a retry may help (network error, 5xx, ...).
    """
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.enabled:
        return DeliveryOutcome(delivered=False, retry=False, error="endpoint disabled or gone")
    envelope = json.loads(payload_json)
    body = payload_json.encode()
    headers = {
        webhooks.EVENT_HEADER: envelope["type"],
        webhooks.DELIVERY_HEADER: str(attempt),
        webhooks.SIGNATURE_HEADER: webhooks.signature_header(
            secrets=_signing_secrets(endpoint), body=body, timestamp=int(time.time())
        ),
    }
    result = webhooks.webhook_post(url=endpoint.url, body=body, headers=headers)
    webhook_delivery_record(
        endpoint_id=endpoint.pk,
        event_id=event_id,
        event=envelope["type"],
        payload=payload_json,
        attempt=attempt,
        result=result,
    )
    if result.succeeded:
        return DeliveryOutcome(delivered=True, retry=False)
    return DeliveryOutcome(delivered=False, retry=result.is_transient, error=result.error)


@transaction.atomic
def webhook_delivery_record(
    *,
    endpoint_id: uuid.UUID,
    event_id: str,
    event: str,
    payload: str,
    attempt: int,
    result: webhooks.PostResult,
) -> WebhookDelivery:
    """Log one attempt, keep the endpoint's last 50, and update its failure streak."""
    delivery = WebhookDelivery.objects.create(
        endpoint_id=endpoint_id,
        event_id=event_id,
        event=event,
        payload=payload,
        attempt=attempt,
        succeeded=result.succeeded,
        status_code=result.status_code,
        response_excerpt=result.response_excerpt,
        error=result.error[:500],
        duration_ms=result.duration_ms,
    )
    stale = list(
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[DELIVERIES_KEPT:]
    )
    if stale:
        WebhookDelivery.objects.filter(id__in=stale).delete()
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    now = timezone.now()
    if result.succeeded:
        endpoints.update(consecutive_failures=0, last_success_at=now)
    else:
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        disabled = endpoints.filter(
            consecutive_failures__gte=FAILURES_BEFORE_DISABLE, disabled_at__isnull=True
        ).update(
            enabled=False,
            disabled_at=now,
            disabled_reason=f"{FAILURES_BEFORE_DISABLE} failed deliveries in a row; "
            f"last: {result.error}"[:200],
        )
        if disabled:
            logger.warning("webhooks: endpoint %s disabled after repeated failures", endpoint_id)
    return delivery


def webhook_endpoint_rotate_secret(*, endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    """Give the endpoint a new secret; the old one keeps signing for 24 hours.

    During that window every delivery carries two ``v1`` signatures, so the receiver
    can switch secrets without rejecting anything.
    """
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.previous_signing_secret = endpoint.signing_secret
        endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_GRACE
        endpoint.signing_secret = webhook_secret_generate()
        endpoint.save(
            update_fields=[
                "signing_secret",
                "previous_signing_secret",
                "previous_secret_expires_at",
            ]
        )
    return endpoint


def webhook_endpoint_enable(*, endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    """Re-enable an endpoint (after automatic disabling): clear the failure streak."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        enabled=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )
    return WebhookEndpoint.objects.get(pk=endpoint_id)


# -- auto-close ------------------------------------------------------------------------


def stories_auto_close(*, now=None) -> int:
    """Close open stories older than ``TALK["AUTO_CLOSE_AFTER_DAYS"]``; return how many.

    A story's age counts from its publication date (scraped or imported), else from its
    creation, as Coral's lazy ``closedAt = createdAt + timeout``. ``closed_at`` is set
    to that computed time. Each story is closed at most once (a ``StoryAutoClose`` row),
    so one a moderator reopened stays open. No-op while the setting is None.
    """
    days = talk_settings.AUTO_CLOSE_AFTER_DAYS
    if days is None:
        return 0
    now = now or timezone.now()
    after = timedelta(days=float(days))
    closed = 0
    while True:
        candidates = list(
            Story.objects.annotate(opened_at=Coalesce("published_at", "created_at"))
            .filter(closed_at__isnull=True, auto_close__isnull=True, opened_at__lte=now - after)
            .order_by("opened_at", "id")
            .values_list("id", "opened_at")[:AUTO_CLOSE_BATCH]
        )
        for story_id, opened_at in candidates:
            closed += _story_auto_close(story_id=story_id, closed_at=opened_at + after)
        if len(candidates) < AUTO_CLOSE_BATCH:
            return closed


@transaction.atomic
def _story_auto_close(*, story_id: uuid.UUID, closed_at) -> int:
    _, created = StoryAutoClose.objects.get_or_create(
        story_id=story_id, defaults={"closed_at": closed_at}
    )
    if not created:  # closed by a concurrent run
        return 0
    return Story.objects.filter(pk=story_id, closed_at__isnull=True).update(closed_at=closed_at)


# -- job records -----------------------------------------------------------------------


def job_event_record(
    *,
    kind: JobEventKind,
    task_name: str,
    task_id: str = "",
    arguments: str = "",
    retries: int = 0,
    exception: str = "",
    traceback: str = "",
    hostname: str = "",
) -> JobEvent:
    """Store a task failure or retry (from Celery's signals); keep the last 500."""
    event = JobEvent.objects.create(
        kind=kind,
        task_name=task_name[:200],
        task_id=task_id[:64],
        arguments=arguments[:500],
        retries=retries,
        exception=exception[:1000],
        traceback=traceback[-5000:],
        hostname=hostname[:200],
    )
    stale = list(
        JobEvent.objects.order_by("-created_at", "-id").values_list("id", flat=True)[
            JOB_EVENTS_KEPT : JOB_EVENTS_KEPT + 100
        ]
    )
    if stale:
        JobEvent.objects.filter(id__in=stale).delete()
    return event


def job_probe_create(*, hold_seconds: float = 0) -> JobProbe:
    """Create a probe and enqueue its job after commit (checks a worker consumes jobs).

    Args:
        hold_seconds: how long each run of the job sleeps, 0..60 (to watch it running).
    """
    hold_seconds = min(max(float(hold_seconds), 0.0), PROBE_HOLD_MAX_SECONDS)
    from tasks.tasks import job_probe_task  # tasks import this module

    probe = JobProbe.objects.create(hold_seconds=hold_seconds)
    job_enqueue_on_commit(partial(job_probe_task.delay, str(probe.pk)))
    return probe


def job_probe_run(*, probe_id: uuid.UUID | str, redelivered: bool, hostname: str) -> None:
    """Run a probe: count the run, hold, then complete it once (a rerun changes nothing)."""
    probe = JobProbe.objects.filter(pk=probe_id).first()
    if probe is None or probe.completed_at is not None:
        return
    JobProbe.objects.filter(pk=probe.pk).update(
        runs=F("runs") + 1,
        redeliveries=F("redeliveries") + (1 if redelivered else 0),
        last_started_at=timezone.now(),
        hostname=hostname[:200],
    )
    if probe.hold_seconds:
        time.sleep(min(probe.hold_seconds, PROBE_HOLD_MAX_SECONDS))
    JobProbe.objects.filter(pk=probe.pk, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
