"""Services of the jobs app: lazy-creation jobs, auto-close, job records, probes, queues."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Story
from comments.services import story_find_or_create
from tasks import selectors, services, tasks
from tasks.models import JobEvent, JobEventKind, JobProbe, StoryAutoClose, WebhookEndpoint
from tasks.tasks import job_probe_task, stories_auto_close_task
from tests.conftest import SITE_DOMAIN
from tests.factories import StoryFactory

NEW_URL = f"https://{SITE_DOMAIN}/2026/11/new-story"


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, tuple]]:
    """Record ``.delay`` of the jobs app's tasks instead of publishing."""
    calls: list[tuple[str, tuple]] = []
    for name in ("story_scrape_task", "webhook_deliver_task", "job_probe_task"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _name=name: calls.append((_name, args)))
    return calls


# -- lazy story creation ---------------------------------------------------------------


def test_lazy_creation_schedules_scrape_and_story_created_on_commit(
    site, enqueued, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(
        site=site, url="https://hooks.example.com/", event_types=["STORY_CREATED"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        story = story_find_or_create(url=NEW_URL)
        assert enqueued == []

    assert enqueued[0] == ("story_scrape_task", (str(story.pk),))
    name, (endpoint_id, event_id, body) = enqueued[1]
    assert (name, endpoint_id) == ("webhook_deliver_task", str(endpoint.pk))
    assert json.loads(body)["data"] == {
        "storyID": str(story.pk),
        "storyURL": NEW_URL,
        "siteID": str(site.pk),
    }
    assert len(enqueued) == 2


def test_existing_story_schedules_nothing(story, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        found = story_find_or_create(url=story.url)

    assert found == story
    assert callbacks == []
    assert enqueued == []


def test_no_scrape_when_scraping_is_off(
    site, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.TALK = {**settings.TALK, "SCRAPING_ENABLED": False}

    with django_capture_on_commit_callbacks(execute=True):
        story_find_or_create(url=NEW_URL)

    assert enqueued == []


def test_story_with_metadata_is_not_scraped(story, enqueued, django_capture_on_commit_callbacks):
    story.description = "Pushed by the CMS"

    with django_capture_on_commit_callbacks(execute=True):
        services.story_scrape_schedule(story=story)

    assert enqueued == []


# -- auto-close ------------------------------------------------------------------------


@pytest.fixture
def auto_close_after_2_days(settings):
    settings.TALK = {**settings.TALK, "AUTO_CLOSE_AFTER_DAYS": 2}


def test_auto_close_is_off_by_default(site):
    old = StoryFactory(site=site, created_at=timezone.now() - timedelta(days=400))

    assert stories_auto_close_task.apply().result == 0

    old.refresh_from_db()
    assert old.closed_at is None


def test_auto_close_closes_stories_past_their_time(site, auto_close_after_2_days):
    # given
    now = timezone.now()
    created_old = StoryFactory(site=site, created_at=now - timedelta(days=3))
    published_old = StoryFactory(
        site=site, created_at=now - timedelta(hours=1), published_at=now - timedelta(days=5)
    )
    recent = StoryFactory(site=site, created_at=now - timedelta(days=1))
    republished = StoryFactory(  # created long ago, published (scraped) yesterday
        site=site, created_at=now - timedelta(days=9), published_at=now - timedelta(days=1)
    )
    already = StoryFactory(site=site, created_at=now - timedelta(days=3), closed_at=now)

    # when
    closed = services.stories_auto_close(now=now)

    # then
    assert closed == 2
    closed_at = dict(Story.objects.values_list("id", "closed_at"))
    assert closed_at[created_old.pk] == created_old.created_at + timedelta(days=2)
    assert closed_at[published_old.pk] == published_old.published_at + timedelta(days=2)
    assert closed_at[recent.pk] is None
    assert closed_at[republished.pk] is None
    assert closed_at[already.pk] == now
    assert StoryAutoClose.objects.count() == 2


def test_auto_closed_story_reopened_by_a_moderator_stays_open(site, auto_close_after_2_days):
    story = StoryFactory(site=site, created_at=timezone.now() - timedelta(days=3))
    services.stories_auto_close()
    Story.objects.filter(pk=story.pk).update(closed_at=None)  # reopened

    assert services.stories_auto_close() == 0

    story.refresh_from_db()
    assert story.closed_at is None


def test_auto_close_works_in_batches(site, auto_close_after_2_days, monkeypatch):
    monkeypatch.setattr(services, "AUTO_CLOSE_BATCH", 2)
    for _ in range(5):
        StoryFactory(site=site, created_at=timezone.now() - timedelta(days=3))

    assert services.stories_auto_close() == 5
    assert not Story.objects.filter(closed_at__isnull=True).exists()


# -- job records (Celery signals) ------------------------------------------------------


def test_task_failure_is_recorded(db, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "stories_auto_close", explode)

    stories_auto_close_task.apply()

    event = JobEvent.objects.get()
    assert (event.kind, event.task_name, event.exception) == (
        JobEventKind.FAILURE,
        "talk.tasks.auto_close_stories",
        "RuntimeError('disk full')",
    )
    assert "RuntimeError: disk full" in event.traceback


def test_job_events_are_trimmed(db, monkeypatch):
    monkeypatch.setattr("tasks.services.JOB_EVENTS_KEPT", 3)

    for number in range(5):
        services.job_event_record(kind=JobEventKind.RETRY, task_name=f"t{number}")

    assert JobEvent.objects.count() == 3


# -- probes and queue depth ------------------------------------------------------------


def test_probe_runs_once_in_effect(db, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        probe = services.job_probe_create(hold_seconds=500)
    assert enqueued == [("job_probe_task", (str(probe.pk),))]
    JobProbe.objects.filter(pk=probe.pk).update(hold_seconds=0)

    job_probe_task.apply(args=[str(probe.pk)])
    job_probe_task.apply(args=[str(probe.pk)])  # a duplicate delivery changes nothing

    probe.refresh_from_db()
    assert (probe.runs, probe.redeliveries) == (1, 0)
    assert probe.completed_at is not None


def test_probe_hold_is_capped(db, enqueued):
    assert services.job_probe_create(hold_seconds=500).hold_seconds == 60


def test_queue_stats_count_pending_messages_of_the_sqlite_queue(db, tmp_path, settings):
    from celery import Celery

    app = Celery("stats-test", set_as_current=False)
    app.conf.broker_url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    app.conf.broker_transport = "tasks.broker:Transport"
    for _ in range(3):
        app.send_task("talk.tasks.probe", args=["00000000-0000-0000-0000-000000000000"])

    stats = selectors.job_queue_stats(app=app)

    assert stats.error == ""
    assert stats.queues == [selectors.QueueStats("celery", 3, 0)]
    assert stats.broker.endswith("jobs.sqlite3")


def test_queue_stats_report_an_unreachable_broker(db):
    from celery import Celery

    app = Celery("down-test", set_as_current=False)
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    app.conf.broker_connection_timeout = 0.5
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0

    stats = selectors.job_queue_stats(app=app)

    assert stats.queues == []
    assert stats.error


def test_broker_outage_does_not_fail_lazy_creation(
    site, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(*args):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(tasks.story_scrape_task, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        story = story_find_or_create(url=NEW_URL)

    assert Story.objects.filter(pk=story.pk).exists()
    assert "Connection refused" in caplog.text
