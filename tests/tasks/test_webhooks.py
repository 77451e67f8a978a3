"""Webhooks: dispatch on commit, signed delivery to a local receiver, retries, disabling."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from tasks import services, tasks, webhooks
from tasks.models import (
    JobEvent,
    JobEventKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tasks.tasks import WebhookDeliveryFailed, webhook_deliver_task
from tests.factories import SiteFactory

BODY = b'{"id":"e1","type":"STORY_CREATED"}'


@pytest.fixture
def endpoint(site, webhook_receiver):
    endpoint = WebhookEndpoint.objects.create(
        site=site, url=webhook_receiver.url, event_types=["STORY_CREATED", "COMMENT_CREATED"]
    )
    webhook_receiver.secrets = [endpoint.signing_secret]
    return endpoint


def _payload(site, event="COMMENT_CREATED") -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event,
            "data": {"commentID": "c1", "storyID": "s1", "siteID": str(site.pk)},
            "createdAt": timezone.now().isoformat(),
            "site": {"id": str(site.pk), "domain": site.domain},
        }
    )


def _deliver(endpoint, payload: str, **apply_options):
    return webhook_deliver_task.apply(
        args=[str(endpoint.pk), json.loads(payload)["id"], payload], **apply_options
    )


# -- signature -------------------------------------------------------------------------


def test_secret_is_generated_with_prefix(db, site):
    endpoint = WebhookEndpoint.objects.create(site=site, url="https://hooks.example.com/")

    assert endpoint.signing_secret.startswith("whsec_")
    assert len(endpoint.signing_secret) == len("whsec_") + 64


def test_signature_header_verifies_with_the_recipe():
    now = int(time.time())

    header = webhooks.signature_header(secrets=["whsec_a"], body=BODY, timestamp=now)

    assert header.startswith(f"t={now},v1=")
    assert webhooks.signature_verify(header=header, body=BODY, secret="whsec_a")
    assert not webhooks.signature_verify(header=header, body=BODY + b" ", secret="whsec_a")
    assert not webhooks.signature_verify(header=header, body=BODY, secret="whsec_b")


def test_signature_older_than_the_tolerance_is_refused():
    old = int(time.time()) - 301
    header = webhooks.signature_header(secrets=["whsec_a"], body=BODY, timestamp=old)

    assert not webhooks.signature_verify(header=header, body=BODY, secret="whsec_a")
    assert webhooks.signature_verify(header=header, body=BODY, secret="whsec_a", now=old + 10)


def test_signature_carries_one_v1_per_secret():
    header = webhooks.signature_header(secrets=["whsec_new", "whsec_old"], body=BODY, timestamp=1)

    assert header.count(",v1=") == 2
    for secret in ("whsec_new", "whsec_old"):
        assert webhooks.signature_verify(header=header, body=BODY, secret=secret, now=1)


# -- dispatch --------------------------------------------------------------------------


@pytest.fixture
def delay_calls(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda *args: calls.append(args))
    return calls


def test_dispatch_enqueues_one_delivery_per_subscribed_endpoint_on_commit(
    site, delay_calls, django_capture_on_commit_callbacks
):
    # given: subscribed, all-events, unsubscribed, disabled, and another site's endpoints
    subscribed = WebhookEndpoint.objects.create(
        site=site, url="https://a.example.com/", event_types=["COMMENT_CREATED"]
    )
    everything = WebhookEndpoint.objects.create(
        site=site, url="https://b.example.com/", all_events=True
    )
    WebhookEndpoint.objects.create(
        site=site, url="https://c.example.com/", event_types=["STORY_CREATED"]
    )
    WebhookEndpoint.objects.create(
        site=site, url="https://d.example.com/", all_events=True, enabled=False
    )
    WebhookEndpoint.objects.create(
        site=SiteFactory(), url="https://e.example.com/", all_events=True
    )
    data = {"commentID": "c1", "storyID": "s1", "storyURL": "https://x/", "siteID": str(site.pk)}

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.webhook_event_dispatch(event="COMMENT_CREATED", site_id=site.pk, data=data)
        assert delay_calls == []  # nothing before commit

    # then
    assert len(callbacks) == 1
    assert [call[0] for call in delay_calls] == [str(subscribed.pk), str(everything.pk)]
    event_ids = {call[1] for call in delay_calls}
    bodies = {call[2] for call in delay_calls}
    assert len(event_ids) == 1
    assert len(bodies) == 1
    envelope = json.loads(bodies.pop())
    assert envelope == {
        "id": event_ids.pop(),
        "type": "COMMENT_CREATED",
        "data": data,
        "createdAt": envelope["createdAt"],
        "site": {"id": str(site.pk), "domain": site.domain},
    }


def test_dispatch_in_a_rolled_back_transaction_sends_nothing(
    site, delay_calls, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(site=site, url="https://a.example.com/", all_events=True)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.webhook_event_dispatch(event="STORY_CREATED", site_id=site.pk, data={})
                raise RuntimeError("rollback")
        except RuntimeError:
            pass

    assert callbacks == []
    assert delay_calls == []


def test_dispatch_rejects_unknown_events(site):
    with pytest.raises(ValueError, match="unknown webhook event"):
        services.webhook_event_dispatch(event="COMMENT_DELETED", site_id=site.pk, data={})


# -- delivery --------------------------------------------------------------------------


def test_delivery_is_signed_and_logged(endpoint, webhook_receiver, site):
    payload = _payload(site)
    endpoint.consecutive_failures = 3
    endpoint.save()

    result = _deliver(endpoint, payload)

    assert result.successful()
    (received,) = webhook_receiver.received
    assert received.verified
    assert received.body == payload.encode()
    assert received.headers["X-Talk-Event"] == "COMMENT_CREATED"
    assert received.headers["X-Talk-Delivery"] == "1"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "Talk-Webhook/1"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.succeeded, delivery.status_code, delivery.attempt, delivery.error) == (
        True,
        200,
        1,
        "",
    )
    assert delivery.response_excerpt == '{"received": true}'
    assert delivery.payload == payload
    assert str(delivery.event_id) == json.loads(payload)["id"]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    assert endpoint.last_success_at is not None


@pytest.mark.parametrize(("retries", "countdown"), [(0, 10), (1, 20), (3, 80), (4, 160)])
def test_server_error_is_retried_with_exponential_backoff(
    endpoint, webhook_receiver, site, retry_calls, retries, countdown
):
    webhook_receiver.statuses = [503]
    calls = retry_calls(webhook_deliver_task)

    result = _deliver(endpoint, _payload(site), retries=retries)

    assert isinstance(result.result, Retry)
    assert [call["countdown"] for call in calls] == [countdown]
    assert isinstance(calls[0]["exc"], WebhookDeliveryFailed)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status_code, delivery.attempt, delivery.error) == (
        503,
        retries + 1,
        "HTTP 503",
    )
    assert webhook_receiver.received[0].headers["X-Talk-Delivery"] == str(retries + 1)


def test_network_error_is_retried(endpoint, site, retry_calls):
    endpoint.url = "http://127.0.0.1:9/closed"
    endpoint.save()
    calls = retry_calls(webhook_deliver_task)

    _deliver(endpoint, _payload(site))

    assert len(calls) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status_code is None
    assert delivery.error.startswith("ConnectError")


def test_client_error_is_not_retried(endpoint, webhook_receiver, site, retry_calls):
    webhook_receiver.secrets = ["whsec_wrong"]  # the receiver answers 400
    calls = retry_calls(webhook_deliver_task)

    result = _deliver(endpoint, _payload(site))

    assert result.successful()
    assert calls == []
    assert WebhookDelivery.objects.get(endpoint=endpoint).status_code == 400


def test_redirect_is_a_failure_and_not_followed(endpoint, webhook_receiver, site, retry_calls):
    webhook_receiver.redirect_to = webhook_receiver.url + "/elsewhere"
    calls = retry_calls(webhook_deliver_task)

    _deliver(endpoint, _payload(site))

    assert len(webhook_receiver.received) == 1
    assert calls == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.succeeded, delivery.status_code, delivery.error) == (False, 307, "HTTP 307")


def test_response_is_capped_in_the_log(endpoint, webhook_receiver, site):
    webhook_receiver.reply_body = b"x" * 300_000

    _deliver(endpoint, _payload(site))

    assert WebhookDelivery.objects.get(endpoint=endpoint).response_excerpt == "x" * 1000


def test_six_attempts_then_failure_each_logged_and_recorded(endpoint, webhook_receiver, site):
    webhook_receiver.statuses = [500] * 10

    result = _deliver(endpoint, _payload(site))  # eager: the retries run at once

    assert result.failed()
    assert isinstance(result.result, WebhookDeliveryFailed)
    assert [r.headers["X-Talk-Delivery"] for r in webhook_receiver.received] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    attempts = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("attempt")
    assert [d.attempt for d in attempts] == [1, 2, 3, 4, 5, 6]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 6
    assert endpoint.enabled
    kinds = list(
        JobEvent.objects.filter(task_name="talk.tasks.deliver_webhook")
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == [JobEventKind.RETRY] * 5 + [JobEventKind.FAILURE]


def test_tenth_failure_in_a_row_disables_the_endpoint(endpoint, webhook_receiver, site):
    webhook_receiver.statuses = [500] * 20

    _deliver(endpoint, _payload(site))  # 6 failed attempts
    _deliver(endpoint, _payload(site))  # 4 more, then the endpoint is off

    assert len(webhook_receiver.received) == 10
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 10
    assert endpoint.enabled is False
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason == "10 failed deliveries in a row; last: HTTP 500"
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 10


def test_success_resets_the_failure_streak(endpoint, webhook_receiver, site):
    webhook_receiver.statuses = [500, 500, 200]

    _deliver(endpoint, _payload(site))

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    assert [d.succeeded for d in endpoint.deliveries.order_by("attempt")] == [False, False, True]


def test_disabled_endpoint_is_skipped(endpoint, webhook_receiver, site):
    endpoint.enabled = False
    endpoint.save()

    result = _deliver(endpoint, _payload(site))

    assert result.successful()
    assert webhook_receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_delivery_log_keeps_the_last_50(endpoint, site):
    result = webhooks.PostResult(status_code=200, response_excerpt="", error="", duration_ms=1)
    base = timezone.now() - timedelta(hours=1)
    for attempt in range(55):
        delivery = services.webhook_delivery_record(
            endpoint_id=endpoint.pk,
            event_id=str(uuid.uuid4()),
            event=WebhookEvent.COMMENT_CREATED,
            payload="{}",
            attempt=attempt + 1,
            result=result,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(  # distinct, ordered times
            created_at=base + timedelta(seconds=attempt)
        )

    kept = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert kept.count() == 50
    assert sorted(kept.values_list("attempt", flat=True)) == list(range(6, 56))


def test_rotated_secret_signs_next_to_the_previous_one(endpoint, webhook_receiver, site):
    old = endpoint.signing_secret

    rotated = services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
    webhook_receiver.secrets = [old]  # a receiver not yet switched still verifies
    _deliver(endpoint, _payload(site))
    webhook_receiver.secrets = [rotated.signing_secret]  # and one already switched
    _deliver(endpoint, _payload(site))

    assert rotated.signing_secret.startswith("whsec_")
    assert rotated.signing_secret != old
    assert rotated.previous_signing_secret == old
    assert [r.verified for r in webhook_receiver.received] == [True, True]
    assert webhook_receiver.received[0].headers["X-Talk-Signature"].count("v1=") == 2


def test_previous_secret_stops_signing_when_it_expires(endpoint, webhook_receiver, site):
    old = endpoint.signing_secret
    services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    webhook_receiver.secrets = [old]

    _deliver(endpoint, _payload(site))

    assert webhook_receiver.received[0].headers["X-Talk-Signature"].count("v1=") == 1
    assert not webhook_receiver.received[0].verified


def test_reenable_clears_the_failure_state(endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, consecutive_failures=10, disabled_at=timezone.now(), disabled_reason="x"
    )

    endpoint = services.webhook_endpoint_enable(endpoint_id=endpoint.pk)

    assert (endpoint.enabled, endpoint.consecutive_failures, endpoint.disabled_at) == (
        True,
        0,
        None,
    )
    assert endpoint.disabled_reason == ""


def test_dispatch_to_delivery_end_to_end(
    endpoint, webhook_receiver, site, monkeypatch, django_capture_on_commit_callbacks
):
    # given: .delay runs the task eagerly here (a worker does it in production)
    monkeypatch.setattr(
        tasks.webhook_deliver_task, "delay", lambda *args: webhook_deliver_task.apply(args=args)
    )
    data = {"storyID": "s1", "storyURL": "https://news.example.com/a", "siteID": str(site.pk)}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_dispatch(event="STORY_CREATED", site_id=site.pk, data=data)

    # then
    (received,) = webhook_receiver.received
    assert received.verified
    assert received.envelope["type"] == "STORY_CREATED"
    assert received.envelope["data"] == data
