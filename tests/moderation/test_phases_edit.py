"""The moderation pipeline on comment_edit: refusals, new flags, status changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.errors import CommentingDisabled, CommentTooLong, UserBanned, UserSuspended
from comments.models import ActionKind, Comment, CommentAction, CommentStatus, DetectedReason
from comments.services import comment_edit
from moderation.models import RejectionReason, SiteBan, SiteModerationSettings, UserStanding
from tests.factories import CommentFactory
from tests.moderation.conftest import row_counts, system_flags

pytestmark = pytest.mark.django_db

BANNED = DetectedReason.COMMENT_DETECTED_BANNED_WORD
SUSPECT = DetectedReason.COMMENT_DETECTED_SUSPECT_WORD
LINKS = DetectedReason.COMMENT_DETECTED_LINKS


def edit(comment, body):
    comment_edit(comment_id=comment.pk, editor=comment.author.user, body=body)
    return Comment.objects.get(pk=comment.pk)


def actions(comment):
    return list(
        CommentAction.objects.filter(comment=comment)
        .order_by("created_at", "id")
        .values_list("kind", "from_status", "to_status", "reasons", "rejection_reason")
    )


@pytest.fixture
def comment(story, profile):
    return CommentFactory(story=story, author=profile, body="<p>A calm remark</p>")


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda p, s: UserStanding.objects.create(profile=p, is_banned=True), UserBanned),
        (lambda p, s: SiteBan.objects.create(profile=p, site=s), UserBanned),
        (
            lambda p, s: UserStanding.objects.create(
                profile=p, suspended_until=timezone.now() + timedelta(hours=1)
            ),
            UserSuspended,
        ),
        (
            lambda p, s: SiteModerationSettings.objects.create(site=s, commenting_disabled=True),
            CommentingDisabled,
        ),
    ],
    ids=["banned", "site-banned", "suspended", "commenting-disabled"],
)
def test_refused_edit_changes_nothing(comment, profile, site, setup, error):
    # given
    setup(profile, site)
    before = row_counts()

    # when
    with pytest.raises(error):
        edit(comment, "Sneaky change")

    # then
    saved = Comment.objects.get(pk=comment.pk)
    assert (saved.body, saved.edited_at) == ("<p>A calm remark</p>", None)
    assert row_counts() == before


def test_too_long_edit_is_refused(settings, comment):
    settings.TALK = {"MAX_COMMENT_CHARS": 10}

    with pytest.raises(CommentTooLong):
        edit(comment, "This is far longer than ten characters")

    assert Comment.objects.get(pk=comment.pk).body == "<p>A calm remark</p>"


def test_banned_word_in_an_edit_rejects_it(comment, moderation_settings, story):
    # given
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()

    # when
    edited = edit(comment, "You idiot")

    # then
    story.refresh_from_db()
    assert (edited.status, edited.open_flag_count, edited.flag_count) == (
        CommentStatus.REJECTED,
        1,
        1,
    )
    assert system_flags(edited) == [(BANNED, "idiot")]
    assert story.comment_count == 0
    assert actions(edited) == [
        (ActionKind.EDITED, "", "", [BANNED], ""),
        (
            ActionKind.STATUS_CHANGED,
            CommentStatus.NONE,
            CommentStatus.REJECTED,
            [BANNED],
            RejectionReason.BANNED_WORD,
        ),
    ]


def test_suspect_word_in_an_edit_flags_it_once(comment, moderation_settings, story):
    # given
    moderation_settings.suspect_words = "scam"
    moderation_settings.save()

    # when: two edits that both contain the word
    edit(comment, "A scam")
    edited = edit(comment, "Still a scam")

    # then: one open flag, still published
    story.refresh_from_db()
    assert (edited.status, edited.open_flag_count, edited.flag_count) == (CommentStatus.NONE, 1, 1)
    assert system_flags(edited) == [(SUSPECT, "scam")]
    assert story.comment_count == 1
    assert actions(edited) == [
        (ActionKind.EDITED, "", "", [SUSPECT], ""),
        (ActionKind.EDITED, "", "", [SUSPECT], ""),
    ]


def test_link_in_an_edit_holds_it(comment, moderation_settings, story):
    moderation_settings.premod_links = True
    moderation_settings.save()

    edited = edit(comment, "Now see example.com")

    story.refresh_from_db()
    assert (edited.status, system_flags(edited), story.comment_count) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(LINKS, "")],
        0,
    )


def test_clean_edit_of_an_approved_comment_returns_it_to_none(story, profile):
    # given
    approved = CommentFactory(story=story, author=profile, status=CommentStatus.APPROVED)

    # when
    edited = edit(approved, "Reworded")

    # then: still visible, but no longer approved
    story.refresh_from_db()
    assert (edited.status, story.comment_count) == (CommentStatus.NONE, 1)
    assert actions(edited)[-1] == (
        ActionKind.STATUS_CHANGED,
        CommentStatus.APPROVED,
        CommentStatus.NONE,
        [],
        "",
    )


@pytest.mark.parametrize("status", [CommentStatus.SYSTEM_WITHHELD, CommentStatus.PREMOD])
def test_clean_edit_never_releases_a_held_comment(story, profile, status):
    held = CommentFactory(story=story, author=profile, status=status)

    edited = edit(held, "Cleaned up")

    assert edited.status == status
    assert [kind for kind, *_ in actions(edited)] == [ActionKind.EDITED]


def test_editing_to_the_same_text_is_not_a_repeat_post(comment, moderation_settings):
    edited = edit(comment, "<p>A calm remark</p>")

    assert (edited.status, system_flags(edited)) == (CommentStatus.NONE, [])


def test_edit_repeating_another_recent_comment_is_held(comment, story, profile):
    CommentFactory(story=story, author=profile, body="<p>Subscribe to my channel</p>")

    edited = edit(comment, "subscribe to my channel!")

    assert system_flags(edited) == [(DetectedReason.COMMENT_DETECTED_REPEAT_POST, "")]
    assert edited.status == CommentStatus.SYSTEM_WITHHELD
