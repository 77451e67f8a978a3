"""The moderation phases on comment_create: each phase, then the order and precedence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import CommentStatus, DetectedReason, Story
from moderation import phases
from moderation.models import RejectionReason, Role, UserStanding
from tests.factories import CommentFactory, ProfileFactory, SiteFactory, StoryFactory
from tests.moderation.conftest import created_action, system_flags

pytestmark = pytest.mark.django_db

BANNED = DetectedReason.COMMENT_DETECTED_BANNED_WORD
SUSPECT = DetectedReason.COMMENT_DETECTED_SUSPECT_WORD
LINKS = DetectedReason.COMMENT_DETECTED_LINKS
REPEAT = DetectedReason.COMMENT_DETECTED_REPEAT_POST
NEW = DetectedReason.COMMENT_DETECTED_NEW_COMMENTER
HISTORY = DetectedReason.COMMENT_DETECTED_RECENT_HISTORY
PREMOD_USER = DetectedReason.COMMENT_DETECTED_PREMOD_USER


def decision(comment):
    """(status, system flags, open_flag_count, flag_count, action reasons, rejection)."""
    action = created_action(comment)
    assert action.to_status == comment.status
    return (
        comment.status,
        system_flags(comment),
        comment.open_flag_count,
        comment.flag_count,
        action.reasons,
        action.rejection_reason,
    )


def test_clean_comment_by_commenter_is_published_with_no_reasons(
    post, profile, moderation_settings
):
    comment = post(profile, "<p>A fair point about the budget.</p>")

    assert decision(comment) == (CommentStatus.NONE, [], 0, 0, [], "")


# Each phase ----------------------------------------------------------------------------


def test_banned_word_rejects_with_flag_and_rejection_reason(
    post, profile, moderation_settings, story
):
    moderation_settings.banned_words = "idiot\nmoron"
    moderation_settings.save()

    comment = post(profile, "<p>You absolute IDIOT.</p>")

    assert decision(comment) == (
        CommentStatus.REJECTED,
        [(BANNED, "idiot")],
        1,
        1,
        [BANNED],
        RejectionReason.BANNED_WORD,
    )
    story.refresh_from_db()
    assert story.comment_count == 0


def test_suspect_word_flags_and_publishes(post, profile, moderation_settings, story):
    moderation_settings.suspect_words = "scam\nwire transfer"
    moderation_settings.save()

    comment = post(profile, "Sounds like a Wire  Transfer SCAM to me")

    assert decision(comment) == (
        CommentStatus.NONE,
        [(SUSPECT, "wire transfer, scam")],  # in the order found
        1,
        1,
        [SUSPECT],
        "",
    )
    story.refresh_from_db()
    assert story.comment_count == 1


def test_suspect_word_is_held_when_premod_suspect_words(post, profile, moderation_settings):
    moderation_settings.suspect_words = "scam"
    moderation_settings.premod_suspect_words = True
    moderation_settings.save()

    comment = post(profile, "What a scam")

    assert decision(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(SUSPECT, "scam")],
        1,
        1,
        [SUSPECT],
        "",
    )


@pytest.mark.parametrize(
    "body",
    [
        '<p>Read <a href="https://example.org/x">this</a></p>',
        "See example.com for more",
        "Details at https://example.org/report.pdf",
        "Go to www.example",
        "(news.example.co.uk/politics)",
        "Write to editor@example.net",
    ],
)
def test_link_is_held_when_premod_links(post, profile, moderation_settings, body):
    moderation_settings.premod_links = True
    moderation_settings.save()

    comment = post(profile, body)

    assert decision(comment) == (CommentStatus.SYSTEM_WITHHELD, [(LINKS, "")], 1, 1, [LINKS], "")


@pytest.mark.parametrize(
    "body",
    ["Pi is 3.14, e.g. roughly", "The U.S. economy", "It ended.Next day", "a link-free remark"],
)
def test_text_without_link_is_not_held(post, profile, moderation_settings, body):
    moderation_settings.premod_links = True
    moderation_settings.save()

    assert post(profile, body).status == CommentStatus.NONE


def test_links_are_published_when_premod_links_is_off(post, profile, moderation_settings):
    assert post(profile, "See https://example.org").status == CommentStatus.NONE


def test_premod_story_holds_without_flag(post, profile, story):
    Story.objects.filter(pk=story.pk).update(premod_enabled=True)

    comment = post(profile, "Hello")

    assert decision(comment) == (CommentStatus.PREMOD, [], 0, 0, ["PREMOD"], "")


def test_premod_user_holds_with_flag(post, profile):
    UserStanding.objects.create(profile=profile, is_premod=True)

    comment = post(profile, "Hello")

    assert decision(comment) == (
        CommentStatus.PREMOD,
        [(PREMOD_USER, "")],
        1,
        1,
        [PREMOD_USER],
        "",
    )


def test_new_commenter_is_held_until_enough_approved_comments_on_the_site(
    post, profile, moderation_settings, story
):
    # given: one approved comment here, two on another site
    moderation_settings.new_commenter_premod = True
    moderation_settings.save()
    CommentFactory(story=story, author=profile, status=CommentStatus.APPROVED)
    CommentFactory.create_batch(2, author=profile, status=CommentStatus.APPROVED)

    # when
    held = post(profile, "Still new here")
    CommentFactory(story=story, author=profile, status=CommentStatus.APPROVED)
    trusted = post(profile, "Now trusted")

    # then
    assert decision(held) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(NEW, "1 of 2 approved")],
        1,
        1,
        [NEW],
        "",
    )
    assert decision(trusted) == (CommentStatus.NONE, [], 0, 0, [], "")


def test_new_commenter_threshold_follows_the_setting(post, profile, moderation_settings):
    moderation_settings.new_commenter_premod = True
    moderation_settings.new_commenter_approved_threshold = 0
    moderation_settings.save()

    assert post(profile, "Threshold zero turns it off").status == CommentStatus.NONE


def test_new_commenter_is_off_by_default(post, profile, moderation_settings):
    assert post(profile, "Brand new").status == CommentStatus.NONE


def _history(story, profile, *, rejected, published, held=0, days_ago=1):
    created_at = timezone.now() - timedelta(days=days_ago)
    for status, count in (
        (CommentStatus.REJECTED, rejected),
        (CommentStatus.APPROVED, published),
        (CommentStatus.SYSTEM_WITHHELD, held),
    ):
        CommentFactory.create_batch(
            count, story=story, author=profile, status=status, created_at=created_at
        )


@pytest.mark.parametrize(
    ("rejected", "published", "held", "expected"),
    [
        (1, 2, 0, CommentStatus.SYSTEM_WITHHELD),  # 1/3 = 0.33 >= 0.3
        (3, 7, 0, CommentStatus.SYSTEM_WITHHELD),  # exactly 0.3: ">=" as in Coral
        (1, 3, 0, CommentStatus.NONE),  # 0.25
        (1, 3, 5, CommentStatus.NONE),  # held comments are undecided: still 0.25
        (1, 0, 0, CommentStatus.SYSTEM_WITHHELD),  # no minimum sample: 1/1
        (0, 0, 4, CommentStatus.NONE),  # nothing decided
    ],
)
def test_recent_history_rate_is_rejected_over_rejected_plus_published(
    post, profile, moderation_settings, story, rejected, published, held, expected
):
    # given
    moderation_settings.recent_history_enabled = True
    moderation_settings.save()
    _history(story, profile, rejected=rejected, published=published, held=held)

    # when
    comment = post(profile, "My next comment")

    # then
    assert comment.status == expected
    if expected == CommentStatus.SYSTEM_WITHHELD:
        decided = rejected + published
        assert system_flags(comment) == [
            (HISTORY, f"{rejected} of {decided} comments in 7 days rejected")
        ]
        assert (comment.open_flag_count, created_action(comment).reasons) == (1, [HISTORY])


def test_recent_history_ignores_old_comments_and_other_sites(
    post, profile, moderation_settings, story
):
    # given: rejections 8 days ago here, and yesterday on another site
    moderation_settings.recent_history_enabled = True
    moderation_settings.save()
    _history(story, profile, rejected=3, published=0, days_ago=8)
    _history(StoryFactory(), profile, rejected=3, published=0)

    # when / then
    assert post(profile, "Clean slate").status == CommentStatus.NONE


def test_recent_history_window_and_rate_follow_the_settings(
    post, profile, moderation_settings, story
):
    moderation_settings.recent_history_enabled = True
    moderation_settings.recent_history_days = 10
    moderation_settings.recent_history_rejection_rate = 0.5
    moderation_settings.save()
    _history(story, profile, rejected=1, published=1, days_ago=8)

    assert post(profile, "Hm").status == CommentStatus.SYSTEM_WITHHELD


def test_recent_history_is_off_by_default(post, profile, story, moderation_settings):
    _history(story, profile, rejected=3, published=0)

    assert post(profile, "Hi").status == CommentStatus.NONE


def test_repeat_post_is_held(post, profile, moderation_settings):
    # given
    first = post(profile, "<p>Buy my book!</p>")

    # when: the same words, other case, spacing, punctuation and markup
    repeat = post(profile, "<b>buy  MY book</b>")

    # then
    assert first.status == CommentStatus.NONE
    assert decision(repeat) == (CommentStatus.SYSTEM_WITHHELD, [(REPEAT, "")], 1, 1, [REPEAT], "")


def test_repeat_post_window_follows_the_setting(post, profile, moderation_settings, story):
    # given: the same text 7 minutes ago (the default window is 6)
    CommentFactory(
        story=story,
        author=profile,
        body="<p>Same again</p>",
        created_at=timezone.now() - timedelta(minutes=7),
    )

    # when / then
    assert post(profile, "Same again").status == CommentStatus.NONE
    moderation_settings.repeat_post_seconds = 0
    moderation_settings.save()
    assert post(profile, "Same again").status == CommentStatus.NONE


def test_repeat_post_by_another_author_is_not_held(post, profile, other_profile):
    post(profile, "Agreed")

    assert post(other_profile, "Agreed").status == CommentStatus.NONE


def test_different_text_is_not_a_repeat(post, profile):
    post(profile, "First thought")

    assert post(profile, "Second thought").status == CommentStatus.NONE


@pytest.mark.parametrize("role", [Role.STAFF, Role.MODERATOR, Role.ADMIN])
def test_staff_is_approved(post, role, moderation_settings):
    staff = ProfileFactory(role=role)

    comment = post(staff, "Official answer")

    assert decision(comment) == (CommentStatus.APPROVED, [], 0, 0, ["STAFF"], "")


def test_member_is_not_approved(post):
    assert post(ProfileFactory(role=Role.MEMBER), "Hi").status == CommentStatus.NONE


def test_site_scoped_moderator_is_approved_only_on_their_sites(post, story):
    # given
    moderator = ProfileFactory(role=Role.MODERATOR)
    moderator.moderation_sites.add(SiteFactory())

    # when
    elsewhere = post(moderator, "Not my site")
    moderator.moderation_sites.add(story.site)
    home = post(moderator, "My site")

    # then
    assert (elsewhere.status, home.status) == (CommentStatus.NONE, CommentStatus.APPROVED)


# Order and precedence ------------------------------------------------------------------


def test_banned_word_wins_and_later_phases_do_not_run(post, profile, moderation_settings):
    # given: a banned and a suspect word, links held, user always pre-moderated
    moderation_settings.banned_words = "idiot"
    moderation_settings.suspect_words = "scam"
    moderation_settings.premod_links = True
    moderation_settings.save()
    UserStanding.objects.create(profile=profile, is_premod=True)

    # when
    comment = post(profile, "idiot, this scam is at example.com")

    # then: rejected with the banned-word flag only
    assert decision(comment) == (
        CommentStatus.REJECTED,
        [(BANNED, "idiot")],
        1,
        1,
        [BANNED],
        RejectionReason.BANNED_WORD,
    )


def test_flags_of_earlier_phases_are_kept_with_the_deciding_one(post, profile, moderation_settings):
    moderation_settings.suspect_words = "scam"
    moderation_settings.premod_links = True
    moderation_settings.save()
    UserStanding.objects.create(profile=profile, is_premod=True)

    comment = post(profile, "This scam is at example.com")

    assert decision(comment) == (
        CommentStatus.SYSTEM_WITHHELD,
        [(SUSPECT, "scam"), (LINKS, "")],
        2,
        2,
        [SUSPECT, LINKS],
        "",
    )


def test_staff_approval_comes_before_the_word_lists(post, moderation_settings):
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()

    comment = post(ProfileFactory(role=Role.STAFF), "Do not call people idiot")

    assert decision(comment) == (CommentStatus.APPROVED, [], 0, 0, ["STAFF"], "")


def test_repeat_post_comes_before_staff_approval(post, moderation_settings):
    staff = ProfileFactory(role=Role.STAFF)
    post(staff, "Reminder: be kind")

    repeat = post(staff, "Reminder: be kind")

    assert decision(repeat) == (CommentStatus.SYSTEM_WITHHELD, [(REPEAT, "")], 1, 1, [REPEAT], "")


def test_premod_user_is_flagged_on_a_premod_story(post, profile, story):
    Story.objects.filter(pk=story.pk).update(premod_enabled=True)
    UserStanding.objects.create(profile=profile, is_premod=True)

    comment = post(profile, "Hello")

    assert decision(comment) == (
        CommentStatus.PREMOD,
        [(PREMOD_USER, "")],
        1,
        1,
        [PREMOD_USER],
        "",
    )


def test_new_commenter_hold_comes_before_premod(post, profile, story, moderation_settings):
    moderation_settings.new_commenter_premod = True
    moderation_settings.save()
    Story.objects.filter(pk=story.pk).update(premod_enabled=True)

    assert post(profile, "Hi").status == CommentStatus.SYSTEM_WITHHELD


calls: list[str] = []


def _recording(name, result=None):
    def phase(context):
        calls.append(name)
        return result

    return phase


flag_only = _recording("flag_only", phases.PhaseResult(reasons=["A", "B"]))
hold = _recording("hold", phases.PhaseResult(status=CommentStatus.PREMOD, reasons=["B", "C"]))
never = _recording("never", phases.PhaseResult(status=CommentStatus.REJECTED, reasons=["D"]))
silent = _recording("silent")


def test_first_status_decides_and_ends_the_run(settings, post, profile):
    # given
    calls.clear()
    here = "tests.moderation.test_phases"
    settings.TALK = {
        "MODERATION_PHASES": [
            f"{here}.silent",
            f"{here}.flag_only",
            f"{here}.hold",
            f"{here}.never",
        ]
    }

    # when
    comment = post(profile, "Hello")

    # then
    assert calls == ["silent", "flag_only", "hold"]
    assert (comment.status, created_action(comment).reasons) == (
        CommentStatus.PREMOD,
        ["A", "B", "C"],
    )
    assert system_flags(comment) == []  # none of these reasons is a DetectedReason


def test_configured_order_changes_precedence(settings, post, profile, moderation_settings, story):
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()
    Story.objects.filter(pk=story.pk).update(premod_enabled=True)
    settings.TALK = {
        "MODERATION_PHASES": ["moderation.phases.premod_story", "moderation.phases.banned_words"]
    }

    comment = post(profile, "idiot")

    assert decision(comment) == (CommentStatus.PREMOD, [], 0, 0, ["PREMOD"], "")


def test_no_phases_publishes_everything(settings, post, profile, moderation_settings):
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()
    settings.TALK = {"MODERATION_PHASES": []}

    assert decision(post(profile, "idiot")) == (CommentStatus.NONE, [], 0, 0, [], "")
