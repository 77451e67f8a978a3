"""Spam (Akismet) and toxicity (Perspective) against a real HTTP server on 127.0.0.1.

A check that fails, times out or is not configured holds the comment; it never loses or
refuses it.
"""

import json
import time

import pytest

from comments.models import Comment, CommentStatus, DetectedReason
from comments.services import comment_edit
from moderation.adapters import ExternalCheckUnavailable, perspective_toxicity_score
from tests.factories import CommentFactory
from tests.moderation.conftest import created_action, system_flags

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5
SPAM = DetectedReason.COMMENT_DETECTED_SPAM
TOXIC = DetectedReason.COMMENT_DETECTED_TOXIC


@pytest.fixture
def external(settings, moderation_api, moderation_settings):
    """Both checks on for the test site, pointed at the fake server."""
    settings.TALK = {
        "AKISMET_API_KEY": "akismet-key",
        "AKISMET_ENDPOINT": moderation_api.akismet_url,
        "PERSPECTIVE_API_KEY": "perspective-key",
        "PERSPECTIVE_ENDPOINT": moderation_api.perspective_url,
        "EXTERNAL_MODERATION_TIMEOUT_SECONDS": TIMEOUT,
    }
    moderation_settings.spam_check_enabled = True
    moderation_settings.toxicity_check_enabled = True
    moderation_settings.save()
    return moderation_api


def outcome(comment):
    """(status, system flags, open_flag_count, action reasons)."""
    return (
        comment.status,
        system_flags(comment),
        comment.open_flag_count,
        created_action(comment).reasons,
    )


def test_clean_comment_passes_both_checks(external, post, profile, story):
    # when
    comment = post(
        profile, '<p>Nice <a href="https://example.org">piece</a></p>', client_ip="192.0.2.9"
    )

    # then
    assert outcome(comment) == (CommentStatus.NONE, [], 0, [])
    assert [request["path"] for request in external.requests] == ["/perspective", "/akismet"]
    perspective = external.requests[0]
    assert perspective["query"] == {"key": ["perspective-key"]}
    assert json.loads(perspective["body"]) == {
        "comment": {"text": "Nice piece"},
        "requestedAttributes": {"TOXICITY": {}},
        "doNotStore": True,
    }
    form = external.form(1)
    assert external.requests[1]["content_type"] == "application/x-www-form-urlencoded"
    assert {key: form[key] for key in form if key != "comment_date_gmt"} == {
        "api_key": "akismet-key",
        "blog": f"https://{story.site.domain}/",
        "user_ip": "192.0.2.9",
        "permalink": story.url,
        "comment_type": "comment",
        "comment_author": "alice",
        "comment_content": comment.body,
        "blog_charset": "UTF-8",
    }


def test_akismet_blog_url_follows_the_setting(external, settings, post, profile):
    settings.TALK = {**settings.TALK, "AKISMET_BLOG_URL": "https://group.example.com/"}

    post(profile, "Hello")

    assert external.form()["blog"] == "https://group.example.com/"


def test_spam_is_held_with_a_spam_flag(external, post, profile, story):
    external.akismet_reply = "true"

    comment = post(profile, "Cheap watches")

    assert outcome(comment) == (CommentStatus.SYSTEM_WITHHELD, [(SPAM, "Akismet")], 1, [SPAM])
    story.refresh_from_db()
    assert story.comment_count == 0


def test_toxic_comment_is_held_and_spam_is_not_asked(external, post, profile):
    external.toxicity = 0.93

    comment = post(profile, "Something nasty")

    assert outcome(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(TOXIC, "TOXICITY 0.93")],
        1,
        [TOXIC],
    )
    assert [request["path"] for request in external.requests] == ["/perspective"]


@pytest.mark.parametrize(
    ("threshold", "score", "expected"),
    [
        (None, 0.8, CommentStatus.NONE),  # the default 0.8; "above" is strict, as in Coral
        (None, 0.81, CommentStatus.SYSTEM_WITHHELD),
        (0.5, 0.6, CommentStatus.SYSTEM_WITHHELD),
        (0.95, 0.9, CommentStatus.NONE),
    ],
)
def test_toxicity_threshold(external, settings, post, profile, threshold, score, expected):
    if threshold is not None:
        settings.TALK = {**settings.TALK, "PERSPECTIVE_THRESHOLD": threshold}
    external.toxicity = score

    assert post(profile, "Borderline").status == expected


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"status": 403}, "HTTP 403"),
        ({"raw_reply": b"<html>not json</html>"}, "unreadable reply"),
        ({"raw_reply": b'{"attributeScores": {}}'}, "unreadable reply"),
    ],
)
def test_perspective_failure_holds_the_comment(external, post, profile, change, detail):
    # given
    for name, value in change.items():
        setattr(external, name, value)

    # when
    comment = post(profile, "Hello there")

    # then: saved, held, no flag, the reason says the check was unavailable, and why
    assert outcome(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [],
        0,
        ["TOXICITY_CHECK_UNAVAILABLE"],
    )
    assert created_action(comment).note == f"Perspective: {detail}"


@pytest.mark.parametrize("reply", ["invalid", "", "maybe"])
def test_unexpected_akismet_reply_holds_the_comment(external, post, profile, reply):
    external.akismet_reply = reply

    comment = post(profile, "Hello")

    assert outcome(comment) == (CommentStatus.SYSTEM_WITHHELD, [], 0, ["SPAM_CHECK_UNAVAILABLE"])
    assert created_action(comment).note == f"Akismet: unexpected reply {reply!r}"


def test_akismet_error_status_holds_the_comment(external, moderation_settings, post, profile):
    moderation_settings.toxicity_check_enabled = False
    moderation_settings.save()
    external.status = 500

    comment = post(profile, "Hello")

    assert outcome(comment) == (CommentStatus.SYSTEM_WITHHELD, [], 0, ["SPAM_CHECK_UNAVAILABLE"])
    assert [request["path"] for request in external.requests] == ["/akismet"]
    assert created_action(comment).note == "Akismet: HTTP 500"


@pytest.mark.parametrize(
    ("toxicity", "spam", "reason"),
    [(True, False, "TOXICITY_CHECK_UNAVAILABLE"), (False, True, "SPAM_CHECK_UNAVAILABLE")],
)
def test_timeout_holds_the_comment_after_about_the_timeout(
    external, moderation_settings, post, profile, toxicity, spam, reason
):
    # given: the server answers only after 10 s
    moderation_settings.toxicity_check_enabled = toxicity
    moderation_settings.spam_check_enabled = spam
    moderation_settings.save()
    external.delay_seconds = 10

    # when
    started = time.monotonic()
    comment = post(profile, "Anyone there?")
    elapsed = time.monotonic() - started

    # then: it waited for the timeout, not for the server, and kept the comment
    assert TIMEOUT <= elapsed < 10
    assert outcome(comment) == (CommentStatus.SYSTEM_WITHHELD, [], 0, [reason])
    assert created_action(comment).note.endswith(": ReadTimeout")
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_unreachable_service_holds_the_comment(settings, moderation_settings, post, profile):
    # given: nothing listens on port 9 (discard) of 127.0.0.1
    settings.TALK = {
        "PERSPECTIVE_API_KEY": "k",
        "PERSPECTIVE_ENDPOINT": "http://127.0.0.1:9/analyze",
        "EXTERNAL_MODERATION_TIMEOUT_SECONDS": TIMEOUT,
    }
    moderation_settings.toxicity_check_enabled = True
    moderation_settings.save()

    # when
    comment = post(profile, "Hello")

    # then
    assert outcome(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [],
        0,
        ["TOXICITY_CHECK_UNAVAILABLE"],
    )
    assert created_action(comment).note == "Perspective: ConnectError"


def test_missing_keys_hold_the_comment_without_calling(external, settings, post, profile):
    settings.TALK = {**settings.TALK, "AKISMET_API_KEY": "", "PERSPECTIVE_API_KEY": ""}

    comment = post(profile, "Hello")

    assert outcome(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [],
        0,
        ["TOXICITY_CHECK_UNAVAILABLE"],
    )
    assert created_action(comment).note == "PERSPECTIVE_API_KEY is empty"
    assert external.requests == []


def test_checks_are_off_unless_the_site_enables_them(external, moderation_settings, post, profile):
    moderation_settings.spam_check_enabled = False
    moderation_settings.toxicity_check_enabled = False
    moderation_settings.save()
    external.akismet_reply = "true"
    external.toxicity = 0.99

    assert outcome(post(profile, "Hello")) == (CommentStatus.NONE, [], 0, [])
    assert external.requests == []


def test_banned_word_rejects_before_any_external_call(external, moderation_settings, post, profile):
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()

    assert post(profile, "idiot").status == CommentStatus.REJECTED
    assert external.requests == []


def test_edit_is_checked_again(external, story, profile):
    # given
    comment = CommentFactory(story=story, author=profile, body="<p>Fine</p>")
    external.toxicity = 0.97

    # when
    comment_edit(comment_id=comment.pk, editor=profile.user, body="Not fine at all")

    # then
    edited = Comment.objects.get(pk=comment.pk)
    assert (edited.status, system_flags(edited)) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(TOXIC, "TOXICITY 0.97")],
    )
    assert [request["path"] for request in external.requests] == ["/perspective"]


def test_failure_message_does_not_leak_the_api_key(moderation_api):
    moderation_api.status = 500

    with pytest.raises(ExternalCheckUnavailable) as failed:
        perspective_toxicity_score(
            endpoint=moderation_api.perspective_url,
            api_key="secret-key-123",
            timeout_seconds=TIMEOUT,
            text="hi",
        )

    assert str(failed.value) == "Perspective: HTTP 500"
