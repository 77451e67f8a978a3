"""The jobs admin: the jobs page (queue depth, failures, probes) and webhook endpoints."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tasks import services, tasks
from tasks.models import JobEvent, JobEventKind, JobProbe, WebhookDelivery, WebhookEndpoint
from tasks.selectors import BrokerStats, QueueStats


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456789")
    client.force_login(user)
    return client


@pytest.fixture
def queue_stats(monkeypatch):
    stats = BrokerStats(broker="sqlite:///data/jobs.sqlite3", queues=[QueueStats("celery", 7, 2)])
    monkeypatch.setattr("tasks.selectors.job_queue_stats", lambda **kwargs: stats)
    return stats


def test_jobs_page_shows_queue_depth_and_failures(admin_client, queue_stats):
    services.job_event_record(
        kind=JobEventKind.FAILURE, task_name="talk.tasks.scrape_story", exception="Boom('x')"
    )

    response = admin_client.get(reverse("admin:talk_tasks_jobevent_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Jobs: queues, failures and retries" in html
    assert '<td class="talk-job-pending">7</td>' in html
    assert '<td class="talk-job-in-flight">2</td>' in html
    assert "talk.tasks.scrape_story" in html
    assert "Boom(&#x27;x&#x27;)" in html


def test_jobs_page_reads_the_real_sqlite_queue(admin_client):
    response = admin_client.get(reverse("admin:talk_tasks_jobevent_changelist"))

    stats = response.context["broker_stats"]
    assert stats.error == ""
    assert [queue.name for queue in stats.queues] == ["celery"]


def test_jobs_page_survives_a_broker_outage(admin_client, monkeypatch):
    down = BrokerStats(broker="redis", queues=[], error="Connection refused")
    monkeypatch.setattr("tasks.selectors.job_queue_stats", lambda **kwargs: down)

    response = admin_client.get(reverse("admin:talk_tasks_jobevent_changelist"))

    assert response.status_code == 200
    assert "Broker redis unreachable: Connection refused" in response.content.decode()


def test_send_a_test_job(
    admin_client, queue_stats, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.job_probe_task, "delay", lambda *args: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:talk_tasks_job_probe"))

    assert response.status_code == 302
    probe = JobProbe.objects.get()
    assert sent == [(str(probe.pk),)]


def test_staff_without_superuser_cannot_send_test_jobs(client, db):
    user = get_user_model().objects.create_user("staff", password="pw-123456789", is_staff=True)
    client.force_login(user)

    response = client.post(reverse("admin:talk_tasks_job_probe"))

    assert response.status_code == 403
    assert not JobProbe.objects.exists()


def test_job_events_are_read_only(admin_client):
    event = services.job_event_record(kind=JobEventKind.RETRY, task_name="t")

    add = admin_client.get(reverse("admin:talk_tasks_jobevent_add"))
    change = admin_client.post(
        reverse("admin:talk_tasks_jobevent_change", args=[event.pk]), {"task_name": "u"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert JobEvent.objects.get().task_name == "t"


def test_create_an_endpoint_for_a_site(admin_client, site):
    response = admin_client.post(
        reverse("admin:talk_tasks_webhookendpoint_add"),
        {
            "site": site.pk,
            "url": "https://hooks.example.com/talk",
            "description": "CMS",
            "enabled": "on",
            "event_types": ["COMMENT_CREATED", "STORY_CREATED"],
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["COMMENT_CREATED", "STORY_CREATED"]
    assert endpoint.signing_secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("ftp://hooks.example.com/", ["COMMENT_CREATED"], "Use an http:// or https:// URL."),
        ("https://hooks.example.com/", [], "Choose at least one event"),
    ],
)
def test_endpoint_form_rejects_bad_input(admin_client, site, url, events, error):
    response = admin_client.post(
        reverse("admin:talk_tasks_webhookendpoint_add"),
        {
            "site": site.pk,
            "url": url,
            "event_types": events,
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_page_shows_its_deliveries_and_secret(admin_client, site):
    endpoint = WebhookEndpoint.objects.create(
        site=site, url="https://h.example.com/", all_events=True
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="9b2f3c1e-0000-4000-8000-000000000001",
        event="STORY_CREATED",
        payload="{}",
        status_code=502,
        error="HTTP 502",
    )

    response = admin_client.get(
        reverse("admin:talk_tasks_webhookendpoint_change", args=[endpoint.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert endpoint.signing_secret in html
    assert "Last 50 deliveries" in html
    assert "HTTP 502" in html


def test_rotate_and_reenable_actions(admin_client, site):
    endpoint = WebhookEndpoint.objects.create(
        site=site,
        url="https://h.example.com/",
        all_events=True,
        enabled=False,
        consecutive_failures=10,
        disabled_at=timezone.now(),
    )
    old = endpoint.signing_secret
    url = reverse("admin:talk_tasks_webhookendpoint_changelist")

    admin_client.post(url, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    admin_client.post(url, {"action": "reenable", "_selected_action": [endpoint.pk]})

    endpoint.refresh_from_db()
    assert endpoint.signing_secret != old
    assert endpoint.previous_signing_secret == old
    assert (endpoint.enabled, endpoint.consecutive_failures, endpoint.disabled_at) == (
        True,
        0,
        None,
    )
