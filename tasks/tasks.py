"""Celery entry points of the jobs app: they load ids, call a service, decide retries.

Every task is idempotent (acks are late, so a job whose worker died runs again) and is
enqueued by a service on commit. Retries use Celery's autoretry with exponential backoff
and no jitter (10 s, 20 s, 40 s, ... capped at 600 s), like Coral's Bull queues.
"""

from __future__ import annotations

import logging

from celery import shared_task

from comments.conf import talk_settings
from tasks import services
from tasks.scraper import ScrapeError, ScrapeTransientError

logger = logging.getLogger(__name__)


class WebhookDeliveryFailed(Exception):
    """A delivery failed in a way worth retrying (network error, timeout, 5xx, 408, 429)."""


@shared_task(
    name="talk.tasks.scrape_story",
    autoretry_for=(ScrapeTransientError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=4,
)
def story_scrape_task(story_id: str) -> None:
    """Scrape the story's page into its metadata (5 attempts for transient errors).

    A permanent failure (4xx, not HTML, over ``SCRAPE_MAX_BYTES``) is logged and not
    retried; the story stays as it was.
    """
    if not talk_settings.SCRAPING_ENABLED:
        return
    try:
        services.story_scrape(story_id=story_id)
    except ScrapeTransientError:
        raise
    except ScrapeError as exc:
        logger.info("scraper: story %s not scraped: %s", story_id, exc)


@shared_task(
    bind=True,
    name="talk.tasks.deliver_webhook",
    autoretry_for=(WebhookDeliveryFailed,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=5,
)
def webhook_deliver_task(self, endpoint_id: str, event_id: str, payload_json: str) -> None:
    """Deliver one event to one endpoint: 6 attempts in all, each logged.

    Args:
        payload_json: the envelope as sent (``tasks.webhooks``), identical on retries.
    """
    outcome = services.webhook_deliver(
        endpoint_id=endpoint_id,
        event_id=event_id,
        payload_json=payload_json,
        attempt=self.request.retries + 1,
    )
    if outcome.retry:
        raise WebhookDeliveryFailed(outcome.error)


@shared_task(name="talk.tasks.auto_close_stories")
def stories_auto_close_task() -> int:
    """Close stories past ``TALK["AUTO_CLOSE_AFTER_DAYS"]`` (scheduled by beat)."""
    return services.stories_auto_close()


@shared_task(bind=True, name="talk.tasks.probe")
def job_probe_task(self, probe_id: str) -> None:
    """Run a job probe (admin "Send a test job", crash-recovery tests)."""
    services.job_probe_run(
        probe_id=probe_id,
        redelivered=bool((self.request.delivery_info or {}).get("redelivered")),
        hostname=self.request.hostname or "",
    )
