"""The rejector: talk.moderation.reject_user_comments (Coral's rejector job)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import ActionKind, Comment, CommentAction, CommentStatus, Story
from moderation import services
from moderation.models import SiteBan
from moderation.services import comment_status as comment_services
from moderation.tasks import user_comments_reject_task
from tests.factories import CommentFactory, ProfileFactory
from tests.moderation.world import build_world

pytestmark = pytest.mark.django_db

HIDDEN = {CommentStatus.REJECTED}


@pytest.fixture
def world():
    return build_world()


def rejections(comment_ids) -> dict:
    """comment id -> the audit rows that rejected it: (actor, reasons, code, note)."""
    rows: dict = {pk: [] for pk in comment_ids}
    for action in CommentAction.objects.filter(
        comment_id__in=list(comment_ids), kind=ActionKind.STATUS_CHANGED, to_status="REJECTED"
    ):
        rows[action.comment_id].append(
            (action.actor_id, action.reasons, action.rejection_reason, action.note)
        )
    return rows


def test_rejects_every_published_and_held_comment_everywhere(world):
    # given: the author's 16 comments (2 already rejected) and a bystander's comment
    moderator = world.actors["moderator"]
    bystander = CommentFactory(story=world.story_a1)
    already = {world.comments["a_rejected"].pk, world.comments["b_rejected"].pk}
    rejected_ids = {c.pk for c in world.comments.values()} - already

    # when: the task function itself
    count = user_comments_reject_task(profile_id=str(world.author.pk), actor_id=str(moderator.pk))

    # then
    assert count == 14
    assert set(Comment.objects.filter(author=world.author).values_list("status", flat=True)) == {
        "REJECTED"
    }
    expected = (moderator.pk, ["USER_BANNED"], "OTHER", comment_services.BAN_REJECTION_NOTE)
    assert rejections(rejected_ids) == {pk: [expected] for pk in rejected_ids}
    assert rejections(already) == {pk: [] for pk in already}
    bystander.refresh_from_db()
    assert bystander.status == CommentStatus.NONE
    counts = dict(Story.objects.values_list("pk", "comment_count"))
    assert counts == {world.story_a1.pk: 1, world.story_a2.pk: 0, world.story_b.pk: 0}
    assert world.comment("a_none").reply_count == 0


def test_a_site_ban_rejects_on_the_banned_sites_only(world):
    count = user_comments_reject_task(
        profile_id=str(world.author.pk),
        actor_id=str(world.site_a_moderator.pk),
        site_ids=[str(world.site_a.pk)],
    )

    statuses = {name: world.comment(name).status for name in world.comments}
    assert count == 9
    assert {s for n, s in statuses.items() if n.startswith(("a_", "a2_"))} == {"REJECTED"}
    assert [n for n, s in statuses.items() if n.startswith("b_") and s == "REJECTED"] == [
        "b_rejected"
    ]
    assert Story.objects.get(pk=world.story_b.pk).comment_count == 3


def test_works_in_batches_of_100(story):
    author = ProfileFactory()
    for _ in range(205):
        CommentFactory(story=story, author=author)

    with CaptureQueriesContext(connection) as queries:
        count = user_comments_reject_task(profile_id=str(author.pk))

    batches = [q["sql"] for q in queries if "LIMIT 100" in q["sql"]]
    assert (count, len(batches)) == (205, 4)  # 100 + 100 + 5, then an empty batch
    assert not Comment.objects.exclude(status="REJECTED").exists()
    story.refresh_from_db()
    assert story.comment_count == 0


@pytest.mark.parametrize("crash_at", [6, 8])
def test_resumes_after_a_crash_and_rejects_each_comment_once(
    story, moderator_profile, monkeypatch, crash_at
):
    # given: 12 comments, batches of 5, and a worker that dies at the crash_at-th reject
    author = ProfileFactory()
    ids = [CommentFactory(story=story, author=author).pk for _ in range(12)]
    monkeypatch.setattr(comment_services, "REJECT_BATCH_SIZE", 5)
    real = comment_services.comment_status_set
    calls = {"n": 0}

    def crashing(**kwargs):
        calls["n"] += 1
        if calls["n"] == crash_at:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(comment_services, "comment_status_set", crashing)
    kwargs = {"profile_id": str(author.pk), "actor_id": str(moderator_profile.pk)}

    # when: the first run crashes ...
    with pytest.raises(RuntimeError):
        user_comments_reject_task(**kwargs)
    done_before_crash = Comment.objects.filter(pk__in=ids, status="REJECTED").count()
    # ... and the re-delivered task runs twice more
    monkeypatch.setattr(comment_services, "comment_status_set", real)
    resumed = user_comments_reject_task(**kwargs)
    again = user_comments_reject_task(**kwargs)

    # then: every comment rejected exactly once
    assert (done_before_crash, resumed, again) == (crash_at - 1, 12 - (crash_at - 1), 0)
    assert {pk: len(rows) for pk, rows in rejections(ids).items()} == dict.fromkeys(ids, 1)
    story.refresh_from_db()
    assert story.comment_count == 0


def test_runs_through_celery_apply(world):
    result = user_comments_reject_task.apply(
        kwargs={"profile_id": str(world.author.pk), "actor_id": None, "site_ids": None}
    )

    assert (result.successful(), result.get()) == (True, 14)
    assert rejections([world.comments["a_none"].pk])[world.comments["a_none"].pk] == [
        (None, ["USER_BANNED"], "OTHER", comment_services.BAN_REJECTION_NOTE)
    ]


def test_banning_with_reject_existing_comments_runs_the_rejector_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict] = []

    def delay(**kwargs):
        sent.append(json.loads(json.dumps(kwargs)))  # what a broker would carry
        return user_comments_reject_task.apply(kwargs=kwargs)

    monkeypatch.setattr(user_comments_reject_task, "delay", delay)

    with django_capture_on_commit_callbacks(execute=True):
        services.user_ban(
            profile=world.author,
            moderator=world.actors["admin"],
            site_ids=[world.site_b.pk],
            reject_existing_comments=True,
        )

    assert sent == [
        {
            "profile_id": str(world.author.pk),
            "actor_id": str(world.actors["admin"].pk),
            "site_ids": [str(world.site_b.pk)],
        }
    ]
    assert {world.comment(n).status for n in world.comments if n.startswith("b_")} == {"REJECTED"}
    assert world.comment("a_none").status == "NONE"


def test_a_broker_outage_keeps_the_ban_and_is_logged_not_raised(
    world, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    # given: the broker refuses every message
    def delay(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(user_comments_reject_task, "delay", delay)
    # when: the moderator bans with "reject existing comments"
    with django_capture_on_commit_callbacks(execute=True):
        standing = services.user_ban(
            profile=world.author,
            moderator=world.actors["admin"],
            site_ids=[world.site_b.pk],
            reject_existing_comments=True,
        )
    # then: the ban stands, the moderator's request did not fail, the outage is logged
    assert SiteBan.objects.filter(profile=world.author, site=world.site_b).count() == 1
    assert standing.profile_id == world.author.pk
    assert "jobs: could not enqueue" in caplog.text
