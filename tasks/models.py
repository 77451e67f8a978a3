"""Webhook endpoints and their delivery log, job failure records, auto-close marks, probes.

Portability rules (DESIGN.md §3): UUID primary keys (from ``TimeStampedModel``), orderings
end with the primary key, counters change with ``F()``. No I/O here: the services in
``tasks.services`` do the work.
"""

from __future__ import annotations

import secrets

from django.db import models

from comments.models import Site, Story, TimeStampedModel

SECRET_PREFIX = "whsec_"
DELIVERIES_KEPT = 50  # per endpoint, as Coral keeps the last 50 deliveries
JOB_EVENTS_KEPT = 500


def webhook_secret_generate() -> str:
    """Return a new signing secret: ``whsec_`` and 64 hex digits (256 random bits)."""
    return SECRET_PREFIX + secrets.token_hex(32)


class WebhookEvent(models.TextChoices):
    """Coral's webhook events (``docs/webhooks.md`` of coralproject/talk)."""

    STORY_CREATED = "STORY_CREATED", "Story created"
    COMMENT_CREATED = "COMMENT_CREATED", "Comment created (published only)"
    COMMENT_REPLY_CREATED = "COMMENT_REPLY_CREATED", "Reply created (published only)"
    COMMENT_ENTERED_MODERATION_QUEUE = (
        "COMMENT_ENTERED_MODERATION_QUEUE",
        "Comment entered a moderation queue",
    )
    COMMENT_LEFT_MODERATION_QUEUE = (
        "COMMENT_LEFT_MODERATION_QUEUE",
        "Comment left a moderation queue",
    )


class WebhookEndpoint(TimeStampedModel):
    """A URL of a newsroom's system that receives signed POSTs for a site's events."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000, help_text="http(s) URL that receives the POSTs.")
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    all_events = models.BooleanField(
        default=False, help_text="Receive every event, including ones added later."
    )
    event_types = models.JSONField(
        default=list, blank=True, help_text="Events received when 'all events' is off."
    )
    signing_secret = models.CharField(max_length=100, default=webhook_secret_generate)
    # After a rotation the previous secret also signs until it expires, so receivers can
    # switch without dropping deliveries (Coral keeps old secrets active the same way).
    previous_signing_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "url", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def is_subscribed(self, event: str) -> bool:
        return self.all_events or event in self.event_types


class WebhookDelivery(TimeStampedModel):
    """One attempt to deliver one event to one endpoint (the last 50 are kept)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    payload = models.TextField(help_text="The raw JSON body that was signed and sent.")
    attempt = models.PositiveSmallIntegerField(default=1)
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "created_at"], name="talk_whd_endpoint")]

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt} -> {self.status_code or self.error or '?'}"


class JobEventKind(models.TextChoices):
    FAILURE = "FAILURE", "Failed"
    RETRY = "RETRY", "Retry scheduled"


class JobEvent(TimeStampedModel):
    """A task failure or retry, recorded from Celery's signals (the last 500 are kept)."""

    kind = models.CharField(max_length=16, choices=JobEventKind.choices)
    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    arguments = models.CharField(max_length=500, blank=True)
    retries = models.PositiveIntegerField(default=0)
    exception = models.CharField(max_length=1000, blank=True)
    traceback = models.TextField(blank=True)
    hostname = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "job failure or retry"
        verbose_name_plural = "job failures and retries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.task_name}"


class StoryAutoClose(TimeStampedModel):
    """Marks a story closed by ``stories_auto_close``: it is closed at most once.

    A moderator who reopens such a story (clears ``closed_at``) keeps it open, as
    Coral's ``closedAt = false`` override of auto-close does.
    """

    story = models.OneToOneField(Story, on_delete=models.CASCADE, related_name="auto_close")
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]


class JobProbe(TimeStampedModel):
    """A test job sent from the admin or a shell to check that a worker consumes the queue.

    Its task is idempotent: ``completed_at`` is set once, however often it runs;
    ``runs`` and ``redeliveries`` count executions and broker redeliveries.
    """

    hold_seconds = models.FloatField(default=0, help_text="How long each run sleeps (<= 60).")
    runs = models.PositiveIntegerField(default=0)
    redeliveries = models.PositiveIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    hostname = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"probe {self.pk} ({'done' if self.completed_at else 'pending'})"
