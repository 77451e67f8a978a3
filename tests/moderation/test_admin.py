"""The moderation console in the admin: queues, acts, the comment and user pages, the
Comment admin's list actions, site settings, and who may do what."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments.models import (
    ActionKind,
    Comment,
    CommentAction,
    CommentFlag,
    CommentRevision,
    CommentStatus,
    CommentTag,
    DetectedReason,
    FlagReason,
)
from comments.services import comment_flag_create
from moderation.models import (
    ModeratorNote,
    Role,
    SiteBan,
    SiteModerationSettings,
    UserStanding,
    UserStatusAction,
    UserStatusKind,
)
from moderation.services import profile_role_set
from moderation.tasks import user_comments_reject_task
from tests.factories import CommentFactory, ProfileFactory, SiteFactory, StoryFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def queue_url(queue: str) -> str:
    return reverse("admin:talk_moderation_queue", args=[queue])


ACT_URL = "/admin/talk_comments/comment/moderate/act/"


def profile_url(profile) -> str:
    return reverse("admin:talk_moderation_profile_moderate", args=[profile.pk])


def client_for(profile) -> Client:
    client = Client()
    client.force_login(profile.user)
    return client


@pytest.fixture
def admin_profile(db):
    """A Talk admin (role ADMIN, superuser, so every Django permission too)."""
    return ProfileFactory(
        user__username="root", user__is_staff=True, user__is_superuser=True, role=Role.ADMIN
    )


@pytest.fixture
def moderator(admin_profile):
    """A moderator of every site, made the way admins make them (role, group, is_staff)."""
    profile = ProfileFactory(user__username="maria", username="maria")
    return profile_role_set(profile=profile, role=Role.MODERATOR, actor=admin_profile)


@pytest.fixture
def moderator_client(moderator) -> Client:
    return client_for(moderator)


@pytest.fixture
def other_site_moderator(admin_profile):
    """A moderator of another site only."""
    elsewhere = SiteFactory(name="Elsewhere Gazette")
    profile = ProfileFactory(user__username="omar", username="omar")
    return profile_role_set(
        profile=profile, role=Role.MODERATOR, actor=admin_profile, site_ids=[elsewhere.pk]
    )


def flag(comment, *, reason=FlagReason.COMMENT_REPORTED_ABUSIVE, note="", reporter=None):
    reporter = reporter or ProfileFactory()
    comment_flag_create(comment_id=comment.pk, reporter=reporter.user, reason=reason, note=note)
    comment.refresh_from_db()
    return reporter


@pytest.fixture
def queue_comments(story, profile):
    """One comment per queue situation, on the test story, by ``profile``."""
    reported = CommentFactory(story=story, author=profile, text="Reported one")
    flag(reported)
    return {
        "reported": reported,
        "plain": CommentFactory(story=story, author=profile, text="Plain published one"),
        "premod": CommentFactory(story=story, author=profile, status=CommentStatus.PREMOD),
        "withheld": CommentFactory(
            story=story, author=profile, status=CommentStatus.SYSTEM_WITHHELD
        ),
        "approved": CommentFactory(story=story, author=profile, status=CommentStatus.APPROVED),
        "rejected": CommentFactory(story=story, author=profile, status=CommentStatus.REJECTED),
    }


def card_ids(response) -> list:
    return [card.comment.pk for card in response.context["cards"]]


def tab_counts(response) -> dict[str, int]:
    return {queue.value: count for queue, _slug, count in response.context["counts"]}


# Queue pages

EXPECTED_QUEUES = {
    "reported": ["reported"],
    "pending": ["withheld", "premod"],
    "unmoderated": ["withheld", "premod", "plain", "reported"],
    "approved": ["approved"],
    "rejected": ["rejected"],
}


@pytest.mark.parametrize("queue", list(EXPECTED_QUEUES))
def test_queue_page_lists_its_comments_with_every_count(moderator_client, queue_comments, queue):
    response = moderator_client.get(queue_url(queue))

    assert response.status_code == 200
    assert card_ids(response) == [queue_comments[name].pk for name in EXPECTED_QUEUES[queue]]
    assert tab_counts(response) == {
        "REPORTED": 1,
        "PENDING": 2,
        "UNMODERATED": 4,
        "APPROVED": 1,
        "REJECTED": 1,
    }
    html = response.content.decode()
    assert f'data-queue-count="{queue.upper()}">{len(EXPECTED_QUEUES[queue])}<' in html
    assert 'aria-current="page"' in html


def test_console_index_redirects_to_reported(moderator_client):
    response = moderator_client.get(reverse("admin:talk_moderation_index") + "?site=x")

    assert response.status_code == 302
    assert response["Location"] == queue_url("reported") + "?site=x"


def test_unknown_queue_is_404(moderator_client):
    assert moderator_client.get(queue_url("everything")).status_code == 404


def test_queue_filters_by_site_and_story(moderator_client, story, profile):
    # given: reported comments on two stories of the site, and on another site
    here = CommentFactory(story=story, author=profile)
    sibling_story = StoryFactory(site=story.site, title="Budget passes")
    sibling = CommentFactory(story=sibling_story, author=profile)
    elsewhere = CommentFactory(author=profile)
    for comment in (here, sibling, elsewhere):
        flag(comment)

    # when / then
    by_site = moderator_client.get(queue_url("reported"), {"site": story.site_id})
    assert set(card_ids(by_site)) == {here.pk, sibling.pk}
    assert tab_counts(by_site)["REPORTED"] == 2
    by_story = moderator_client.get(queue_url("reported"), {"story": sibling_story.pk})
    assert card_ids(by_story) == [sibling.pk]
    assert tab_counts(by_story) == {
        "REPORTED": 1,
        "PENDING": 0,
        "UNMODERATED": 1,
        "APPROVED": 0,
        "REJECTED": 0,
    }
    assert "Budget passes" in by_story.content.decode()
    everything = moderator_client.get(queue_url("reported"))
    assert tab_counts(everything)["REPORTED"] == 3


def test_card_shows_story_author_badges_reports_and_parent(moderator_client, story, profile):
    # given: a banned, pre-moderated author replying to someone, with reader and system flags
    UserStanding.objects.create(profile=profile, is_banned=True, is_premod=True)
    parent_author = ProfileFactory(username="carol")
    parent = CommentFactory(story=story, author=parent_author, text="The parent comment says")
    reply = CommentFactory(
        parent=parent, author=profile, body="<p>A <strong>bold</strong> reply</p>"
    )
    flag(reply, reason=FlagReason.COMMENT_REPORTED_OTHER, note="Off-topic rant")
    flag(reply, reason=FlagReason.COMMENT_REPORTED_OTHER, note="Again")
    CommentFlag.objects.create(comment=reply, reason=DetectedReason.COMMENT_DETECTED_SUSPECT_WORD)
    Comment.objects.filter(pk=reply.pk).update(open_flag_count=3, flag_count=3)

    # when
    response = moderator_client.get(queue_url("reported"))

    # then
    html = response.content.decode()
    card = response.context["cards"][0]
    assert card.comment.pk == reply.pk
    assert card.badges == [("banned", "Banned"), ("premod", "Always pre-moderated")]
    assert card.flag_summary == [("Other", 2, False), ("Suspect word", 1, True)]
    assert card.parent_excerpt == "The parent comment says"
    assert "<p>A <strong>bold</strong> reply</p>" in html  # the sanitised body, as HTML
    assert "Off-topic rant" in html
    assert "Suspect word" in html
    assert f'href="{story.url}"' in html
    assert story.title in html
    assert profile_url(profile) in html
    assert "In reply to <strong>carol</strong>" in html


def test_card_escapes_everything_but_the_body(moderator_client, story):
    author = ProfileFactory(username="<script>x</script>")
    comment = CommentFactory(story=story, author=author)
    flag(comment, reason=FlagReason.COMMENT_REPORTED_OTHER, note="<img src=x onerror=alert(1)>")

    html = moderator_client.get(queue_url("reported")).content.decode()

    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_queue_pages_twenty_five_per_page(moderator_client, story):
    comments = [CommentFactory(story=story) for _ in range(27)]

    first = moderator_client.get(queue_url("unmoderated"))
    second = moderator_client.get(queue_url("unmoderated"), {"page": 2})

    newest_first = [c.pk for c in sorted(comments, key=lambda c: (c.created_at, c.pk))][::-1]
    assert card_ids(first) == newest_first[:25]
    assert card_ids(second) == newest_first[25:]
    assert 'rel="next"' in first.content.decode()


def test_queue_page_queries_do_not_grow_with_comments(
    moderator_client, story, django_assert_num_queries
):
    def add(count: int) -> None:
        for index in range(count):
            parent = CommentFactory(story=story)
            comment = CommentFactory(parent=parent)
            UserStanding.objects.create(profile=comment.author, is_premod=index % 2 == 0)
            SiteBan.objects.create(profile=comment.author, site=story.site)
            flag(comment, reason=FlagReason.COMMENT_REPORTED_OTHER, note="why")
            flag(comment)

    add(5)
    moderator_client.get(queue_url("reported"))  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as five:
        response = moderator_client.get(queue_url("reported"))
    assert len(response.context["cards"]) == 5

    add(25)
    with django_assert_num_queries(len(five.captured_queries)):
        response = moderator_client.get(queue_url("reported"))
    assert len(response.context["cards"]) == 25


# Acting on comments


def post_act(client, comments, action, **extra):
    data = {"action": action, "comment": [str(c.pk) for c in comments], **extra}
    return client.post(ACT_URL, data, **JSON)


def test_approve_leaves_the_reported_queue_and_is_audited(
    moderator_client, moderator, queue_comments
):
    reported = queue_comments["reported"]

    response = post_act(moderator_client, [reported], "approve", queue="REPORTED")

    assert response.status_code == 200
    payload = response.json()
    assert payload["ok"] is True
    assert payload["message"] == "Approved 1 comment."
    assert payload["results"] == [
        {"id": str(reported.pk), "ok": True, "error": "", "status": "APPROVED", "in_queue": False}
    ]
    assert payload["counts"] == {
        "REPORTED": 0,
        "PENDING": 2,
        "UNMODERATED": 3,
        "APPROVED": 2,
        "REJECTED": 1,
    }
    reported.refresh_from_db()
    assert (reported.status, reported.open_flag_count) == (CommentStatus.APPROVED, 0)
    decision = CommentAction.objects.get(comment=reported, kind=ActionKind.STATUS_CHANGED)
    assert (decision.actor, decision.from_status, decision.to_status) == (
        moderator,
        CommentStatus.NONE,
        CommentStatus.APPROVED,
    )
    assert CommentAction.objects.filter(comment=reported, kind=ActionKind.FLAGS_RESOLVED).count()


def test_reject_records_the_reason_and_note(moderator_client, moderator, queue_comments):
    premod = queue_comments["premod"]

    response = post_act(
        moderator_client, [premod], "reject", queue="PENDING", reason="SPAM", note="Link farm"
    )

    payload = response.json()
    assert payload["message"] == "Rejected 1 comment (Spam)."
    assert payload["results"][0]["in_queue"] is False
    assert payload["counts"]["PENDING"] == 1
    premod.refresh_from_db()
    assert premod.status == CommentStatus.REJECTED
    action = CommentAction.objects.get(comment=premod, kind=ActionKind.STATUS_CHANGED)
    assert (action.actor, action.rejection_reason, action.note) == (moderator, "SPAM", "Link farm")


def test_reject_without_a_reason_uses_the_default(moderator_client, queue_comments):
    plain = queue_comments["plain"]

    post_act(moderator_client, [plain], "reject", queue="UNMODERATED")

    action = CommentAction.objects.get(comment=plain, kind=ActionKind.STATUS_CHANGED)
    assert action.rejection_reason == "OFFENSIVE"


def test_reject_other_needs_a_note_and_changes_nothing(moderator_client, queue_comments):
    plain = queue_comments["plain"]

    response = post_act(moderator_client, [plain], "reject", reason="OTHER")

    assert response.status_code == 400
    assert "Other" in response.json()["message"]
    plain.refresh_from_db()
    assert plain.status == CommentStatus.NONE
    assert not CommentAction.objects.filter(comment=plain).exists()


def test_feature_keeps_the_card_and_returns_it_updated(moderator_client, moderator, queue_comments):
    approved = queue_comments["approved"]

    response = post_act(moderator_client, [approved], "feature", queue="APPROVED")

    result = response.json()["results"][0]
    assert (result["ok"], result["in_queue"]) == (True, True)
    assert 'data-featured="true"' in result["html"]
    assert "Featured" in result["html"]
    approved.refresh_from_db()
    assert CommentTag.FEATURED in approved.tags
    assert CommentAction.objects.get(comment=approved, kind=ActionKind.FEATURED).actor == moderator

    post_act(moderator_client, [approved], "unfeature", queue="APPROVED")

    approved.refresh_from_db()
    assert CommentTag.FEATURED not in approved.tags
    assert CommentAction.objects.filter(comment=approved, kind=ActionKind.UNFEATURED).count() == 1


def test_feature_of_a_held_comment_is_a_card_error(moderator_client, queue_comments):
    premod = queue_comments["premod"]

    payload = post_act(moderator_client, [premod], "feature", queue="PENDING").json()

    assert payload["ok"] is False
    assert payload["results"][0]["error"] == "Only published comments can be featured."
    assert payload["results"][0]["in_queue"] is True
    premod.refresh_from_db()
    assert (premod.status, premod.tags) == (CommentStatus.PREMOD, [])


def test_bulk_reject_acts_on_each_selected_comment(moderator_client, queue_comments):
    chosen = [queue_comments["plain"], queue_comments["premod"], queue_comments["withheld"]]

    payload = post_act(
        moderator_client, chosen, "reject", queue="UNMODERATED", reason="HATE_SPEECH"
    ).json()

    assert payload["message"] == "Rejected 3 comments (Hate speech)."
    assert [r["in_queue"] for r in payload["results"]] == [False, False, False]
    assert payload["counts"]["UNMODERATED"] == 1
    assert payload["counts"]["REJECTED"] == 4
    for comment in chosen:
        action = CommentAction.objects.get(comment=comment, kind=ActionKind.STATUS_CHANGED)
        assert (action.to_status, action.rejection_reason) == ("REJECTED", "HATE_SPEECH")


def test_act_without_javascript_redirects_back_with_a_message(moderator_client, queue_comments):
    plain = queue_comments["plain"]
    back = queue_url("unmoderated") + "?page=1"

    response = moderator_client.post(
        ACT_URL, {"action": "approve", "comment": str(plain.pk), "next": back}, follow=True
    )

    assert response.redirect_chain == [(back, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Approved 1 comment."]
    plain.refresh_from_db()
    assert plain.status == CommentStatus.APPROVED


def test_act_never_redirects_off_site(moderator_client, queue_comments):
    response = moderator_client.post(
        ACT_URL,
        {
            "action": "approve",
            "comment": str(queue_comments["plain"].pk),
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == reverse("admin:talk_moderation_index")


def test_act_is_post_only(moderator_client):
    assert moderator_client.get(ACT_URL).status_code == 405


def test_act_on_an_unknown_comment_is_a_result_error(moderator_client):
    payload = moderator_client.post(
        ACT_URL,
        {"action": "approve", "comment": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
        **JSON,
    ).json()

    assert payload["results"][0]["error"] == "That comment does not exist."


# Who may do what


def test_anonymous_and_commenters_are_sent_to_the_admin_login(client, profile, queue_comments):
    commenter = client_for(profile)
    for who in (client, commenter):
        response = who.get(queue_url("reported"))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        response = who.post(
            ACT_URL, {"action": "approve", "comment": str(queue_comments["plain"].pk)}
        )
        assert response.status_code == 302
    queue_comments["plain"].refresh_from_db()
    assert queue_comments["plain"].status == CommentStatus.NONE


def test_staff_without_the_moderate_permission_get_403(queue_comments):
    staff = ProfileFactory(user__is_staff=True)
    staff_client = client_for(staff)
    plain = queue_comments["plain"]

    assert staff_client.get(queue_url("reported")).status_code == 403
    assert (
        staff_client.get(reverse("admin:talk_moderation_comment", args=[plain.pk])).status_code
        == 403
    )
    assert staff_client.get(profile_url(plain.author)).status_code == 403
    response = staff_client.post(ACT_URL, {"action": "approve", "comment": str(plain.pk)}, **JSON)
    assert response.status_code == 403
    plain.refresh_from_db()
    assert plain.status == CommentStatus.NONE
    assert not CommentAction.objects.exists()


def test_staff_with_the_permission_but_no_moderator_role_get_403(queue_comments):
    staff = ProfileFactory(user__is_staff=True)
    staff.user.user_permissions.add(Permission.objects.get(codename="moderate_comment"))

    assert client_for(staff).get(queue_url("reported")).status_code == 403


def test_moderator_of_another_site_sees_and_changes_nothing_here(
    other_site_moderator, queue_comments
):
    other = client_for(other_site_moderator)
    reported = queue_comments["reported"]

    # the queue holds only their site's comments
    response = other.get(queue_url("reported"))
    assert response.status_code == 200
    assert card_ids(response) == []
    assert set(tab_counts(response).values()) == {0}
    # the comment page and acts are refused, and nothing changes
    assert (
        other.get(reverse("admin:talk_moderation_comment", args=[reported.pk])).status_code == 403
    )
    payload = post_act(other, [reported], "reject", queue="REPORTED", reason="SPAM").json()
    assert payload["ok"] is False
    assert payload["results"][0]["error"] == "You may not moderate comments of this site."
    reported.refresh_from_db()
    assert (reported.status, reported.open_flag_count) == (CommentStatus.NONE, 1)
    assert not CommentAction.objects.filter(comment=reported).exists()


def test_index_links_the_console_for_moderators_only(moderator_client, admin_profile):
    html = moderator_client.get(reverse("admin:index")).content.decode()
    assert 'id="talk-moderation-module"' in html
    assert queue_url("pending") in html

    staff = client_for(ProfileFactory(user__is_staff=True))
    assert 'id="talk-moderation-module"' not in staff.get(reverse("admin:index")).content.decode()


# The Comment admin (change list actions, read-mostly)

CHANGELIST = "/admin/talk_comments/comment/"


def test_list_action_approve_selected_goes_through_the_service(moderator_client, queue_comments):
    chosen = [queue_comments["premod"], queue_comments["reported"]]

    response = moderator_client.post(
        CHANGELIST,
        {"action": "approve_selected", "_selected_action": [str(c.pk) for c in chosen]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Approved 2 comments."]
    for comment in chosen:
        comment.refresh_from_db()
        assert comment.status == CommentStatus.APPROVED
        assert (
            CommentAction.objects.filter(comment=comment, kind=ActionKind.STATUS_CHANGED).count()
            == 1
        )


def test_list_action_reject_selected_needs_a_reason(moderator_client, queue_comments):
    plain = queue_comments["plain"]
    selected = {"action": "reject_selected", "_selected_action": [str(plain.pk)]}

    refused = moderator_client.post(CHANGELIST, selected, follow=True)

    assert [str(m) for m in refused.context["messages"]] == [
        "Choose a rejection reason in the action bar."
    ]
    plain.refresh_from_db()
    assert plain.status == CommentStatus.NONE

    done = moderator_client.post(CHANGELIST, {**selected, "reason": "AD"}, follow=True)

    assert [str(m) for m in done.context["messages"]] == ["Rejected 1 comment."]
    action = CommentAction.objects.get(comment=plain, kind=ActionKind.STATUS_CHANGED)
    assert (action.to_status, action.rejection_reason) == ("REJECTED", "AD")


def test_list_actions_never_reach_another_sites_comments(other_site_moderator, queue_comments):
    plain = queue_comments["plain"]

    client_for(other_site_moderator).post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [str(plain.pk)]}
    )

    plain.refresh_from_db()
    assert plain.status == CommentStatus.NONE
    assert not CommentAction.objects.filter(comment=plain).exists()


def test_only_superusers_may_delete_and_nobody_adds_or_edits(
    moderator_client, admin_profile, queue_comments
):
    moderator_page = moderator_client.get(CHANGELIST)
    actions = [value for value, _ in moderator_page.context["action_form"].fields["action"].choices]
    assert actions == ["", "approve_selected", "reject_selected"]

    superuser = client_for(admin_profile)
    actions = [
        value
        for value, _ in superuser.get(CHANGELIST).context["action_form"].fields["action"].choices
    ]
    assert "delete_selected" in actions
    assert superuser.get(CHANGELIST + "add/").status_code == 403
    change = superuser.get(f"{CHANGELIST}{queue_comments['plain'].pk}/change/")
    assert change.status_code == 200
    assert change.context["has_change_permission"] is False
    assert 'name="body"' not in change.content.decode()


# The comment page


def test_comment_page_shows_the_whole_history_oldest_first(
    moderator_client, moderator, story, profile
):
    # given: a reported, edited comment, rejected then approved
    comment = CommentFactory(story=story, author=profile, body="<p>Second version</p>")
    CommentRevision.objects.create(comment=comment, body="<p>First version</p>")
    CommentRevision.objects.create(comment=comment, body="<p>Second version</p>")
    flag(comment, reason=FlagReason.COMMENT_REPORTED_SPAM, note="Selling shoes")
    post_act(moderator_client, [comment], "reject", reason="AD", note="Shoe shop")
    post_act(moderator_client, [comment], "approve")

    # when
    response = moderator_client.get(reverse("admin:talk_moderation_comment", args=[comment.pk]))

    # then
    history = response.context["history"]
    assert [(a.kind, a.from_status, a.to_status) for a in history] == [
        (ActionKind.STATUS_CHANGED, "NONE", "REJECTED"),
        (ActionKind.FLAGS_RESOLVED, "", ""),
        (ActionKind.STATUS_CHANGED, "REJECTED", "APPROVED"),
    ]
    assert history[0].rejection_label == "Advertisement"
    assert all(action.actor == moderator for action in history)
    html = response.content.decode()
    assert "Shoe shop" in html
    assert "Advertisement" in html
    assert "<p>First version</p>" in html
    assert "Selling shoes" in html
    assert "Spam or an advertisement" in html


def test_comment_page_of_a_missing_comment_is_404(moderator_client):
    url = reverse("admin:talk_moderation_comment", args=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"])
    assert moderator_client.get(url).status_code == 404


# The user page


def test_user_page_shows_comments_standing_history_and_notes(
    moderator_client, moderator, profile, story
):
    comment = CommentFactory(story=story, author=profile, text="Something I wrote")
    moderator_client.post(profile_url(profile), {"action": "warn", "message": "Be kind"})
    moderator_client.post(profile_url(profile), {"action": "note_add", "body": "Watch this one"})

    response = moderator_client.get(profile_url(profile))

    assert response.status_code == 200
    assert [c.pk for c in response.context["comments"]] == [comment.pk]
    assert [a.kind for a in response.context["history"]] == [UserStatusKind.WARN]
    assert [n.body for n in response.context["notes"]] == ["Watch this one"]
    html = response.content.decode()
    assert "Something I wrote" in html
    assert "Be kind" in html
    assert "Watch this one" in html
    assert "Warned" in html


def test_user_page_ban_everywhere_and_remove(moderator_client, moderator, profile):
    response = moderator_client.post(
        profile_url(profile),
        {"action": "ban", "scope": "all", "message": "Spam", "reject_existing_comments": ""},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [f"Banned {profile} everywhere."]
    assert UserStanding.objects.get(profile=profile).is_banned is True
    ban = UserStatusAction.objects.get(profile=profile, kind=UserStatusKind.BAN)
    assert (ban.actor, ban.message) == (moderator, "Spam")

    moderator_client.post(profile_url(profile), {"action": "ban_remove"})

    assert UserStanding.objects.get(profile=profile).is_banned is False
    assert (
        UserStatusAction.objects.filter(profile=profile, kind=UserStatusKind.REMOVE_BAN).count()
        == 1
    )


def test_user_page_site_ban_rejecting_existing_comments(
    moderator_client, moderator, profile, site, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(user_comments_reject_task, "delay", lambda **kw: enqueued.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            profile_url(profile),
            {
                "action": "ban",
                "scope": "sites",
                "sites": [str(site.pk)],
                "reject_existing_comments": "on",
            },
        )

    assert list(SiteBan.objects.filter(profile=profile).values_list("site", flat=True)) == [site.pk]
    assert enqueued == [
        {"profile_id": str(profile.pk), "actor_id": str(moderator.pk), "site_ids": [str(site.pk)]}
    ]

    moderator_client.post(profile_url(profile), {"action": "ban_remove", "site": str(site.pk)})

    assert not SiteBan.objects.filter(profile=profile).exists()
    assert [a.kind for a in UserStatusAction.objects.filter(profile=profile)] == [
        UserStatusKind.REMOVE_SITE_BAN,
        UserStatusKind.SITE_BAN,
    ]


def test_user_page_ban_on_sites_needs_a_site(moderator_client, profile, site):
    response = moderator_client.post(profile_url(profile), {"action": "ban", "scope": "sites"})

    assert response.status_code == 400
    assert "Choose at least one site" in response.content.decode()
    assert not UserStatusAction.objects.filter(profile=profile).exists()


@pytest.mark.parametrize(
    ("duration", "custom_hours", "expected"),
    [
        ("3600", "", timedelta(hours=1)),
        ("604800", "", timedelta(weeks=1)),
        ("custom", "30", timedelta(hours=30)),
    ],
)
def test_user_page_suspend_and_remove(
    moderator_client, moderator, profile, duration, custom_hours, expected
):
    before = timezone.now()
    moderator_client.post(
        profile_url(profile),
        {
            "action": "suspend",
            "duration": duration,
            "custom_hours": custom_hours,
            "message": "Cool off",
        },
    )

    standing = UserStanding.objects.get(profile=profile)
    assert before + expected <= standing.suspended_until <= timezone.now() + expected
    assert standing.suspension_message == "Cool off"
    action = UserStatusAction.objects.get(profile=profile, kind=UserStatusKind.SUSPEND)
    assert (action.actor, action.until) == (moderator, standing.suspended_until)

    moderator_client.post(profile_url(profile), {"action": "suspension_remove"})

    assert UserStanding.objects.get(profile=profile).suspended_until is None
    assert UserStatusAction.objects.filter(kind=UserStatusKind.REMOVE_SUSPENSION).count() == 1


def test_user_page_premod_and_warn_and_their_removal(moderator_client, profile):
    url = profile_url(profile)
    moderator_client.post(url, {"action": "premod"})
    moderator_client.post(url, {"action": "warn", "message": "Last warning"})
    standing = UserStanding.objects.get(profile=profile)
    assert (standing.is_premod, standing.warning_message) == (True, "Last warning")

    moderator_client.post(url, {"action": "premod_remove"})
    moderator_client.post(url, {"action": "warning_remove"})

    standing.refresh_from_db()
    assert (standing.is_premod, standing.warning_message) == (False, "")
    assert [
        a.kind
        for a in UserStatusAction.objects.filter(profile=profile).order_by("created_at", "id")
    ] == [
        UserStatusKind.PREMOD,
        UserStatusKind.WARN,
        UserStatusKind.REMOVE_PREMOD,
        UserStatusKind.REMOVE_WARNING,
    ]


def test_user_page_shows_service_errors_as_messages(moderator_client, moderator, profile):
    url = profile_url(profile)
    moderator_client.post(url, {"action": "premod"}, follow=True)

    again = moderator_client.post(url, {"action": "premod"}, follow=True)
    themselves = moderator_client.post(profile_url(moderator), {"action": "premod"}, follow=True)

    assert [str(m) for m in again.context["messages"]] == [
        "This user's comments are already pre-moderated."
    ]
    assert [str(m) for m in themselves.context["messages"]] == [
        "You cannot moderate your own account."
    ]
    assert UserStatusAction.objects.filter(profile=profile).count() == 1


def test_user_page_notes_add_and_delete(moderator_client, moderator, profile):
    url = profile_url(profile)
    moderator_client.post(url, {"action": "note_add", "body": "Spoke to them by mail"}, follow=True)
    note = ModeratorNote.objects.get(profile=profile)
    assert (note.author, note.body) == (moderator, "Spoke to them by mail")

    response = moderator_client.post(
        url, {"action": "note_delete", "note": str(note.pk)}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Note deleted."]
    assert not ModeratorNote.objects.exists()


def test_user_page_role_change_goes_through_the_service(admin_profile, profile, site):
    client = client_for(admin_profile)

    client.post(
        profile_url(profile), {"action": "role", "role": "MODERATOR", "sites": [str(site.pk)]}
    )

    profile.refresh_from_db()
    assert profile.role == Role.MODERATOR
    assert list(profile.moderation_sites.all()) == [site]
    profile.user.refresh_from_db()
    assert profile.user.is_staff is True
    assert UserStatusAction.objects.get(profile=profile).kind == UserStatusKind.ROLE_CHANGE


def test_user_acts_need_the_moderate_user_permission(moderator, profile):
    moderator.user.groups.clear()
    moderator.user.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    client = client_for(moderator)

    assert client.get(profile_url(profile)).status_code == 200
    assert client.post(profile_url(profile), {"action": "premod"}).status_code == 403
    assert not UserStatusAction.objects.filter(profile=profile).exists()


def test_profile_admin_keeps_role_read_only(admin_profile, profile):
    response = client_for(admin_profile).get(f"/admin/talk_moderation/profile/{profile.pk}/change/")

    html = response.content.decode()
    assert 'name="role"' not in html
    assert profile_url(profile) in html


# Site moderation settings


SETTINGS_ADD = "/admin/talk_moderation/sitemoderationsettings/add/"


def test_site_settings_are_for_admins_with_word_lists_one_per_line(admin_profile, moderator, site):
    assert client_for(moderator).get(SETTINGS_ADD).status_code == 403

    response = client_for(admin_profile).post(
        SETTINGS_ADD,
        {
            "site": str(site.pk),
            "banned_words": "  spam \n\nSPAM\nbuy  now\n",
            "suspect_words": "idiot",
            "new_commenter_approved_threshold": "2",
            "recent_history_days": "7",
            "recent_history_rejection_rate": "0.3",
            "repeat_post_seconds": "360",
        },
    )

    assert response.status_code == 302
    saved = SiteModerationSettings.objects.get(site=site)
    assert (saved.banned_words, saved.suspect_words) == ("spam\nbuy now", "idiot")


def test_json_payload_is_json_only_for_the_console(moderator_client, queue_comments):
    response = post_act(moderator_client, [queue_comments["plain"]], "approve")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["results"][0]["status"] == "APPROVED"


def test_site_list_links_each_sites_settings(admin_profile, site):
    client = client_for(admin_profile)
    link = f"/admin/talk_moderation/sitemoderationsettings/?site__id__exact={site.pk}"
    assert link in client.get("/admin/talk_comments/site/").content.decode()

    response = client.get(link)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
