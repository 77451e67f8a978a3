"""Refusals on comment_create: closed story, commenting disabled, bans, suspensions.

A refusal raises and writes nothing, and does not count against the rate limit.
"""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from comments.errors import CommentingDisabled, StoryClosed, UserBanned, UserSuspended
from comments.models import CommentStatus, Story
from comments.ratelimit import RateLimited
from comments.services import comment_create
from moderation.models import SiteBan, SiteModerationSettings, UserStanding
from tests.factories import SiteFactory, StoryFactory
from tests.moderation.conftest import row_counts

pytestmark = pytest.mark.django_db


def test_commenting_disabled_refuses_with_the_sites_message(post, profile, moderation_settings):
    # given
    moderation_settings.commenting_disabled = True
    moderation_settings.commenting_disabled_message = "  Comments are paused tonight.  "
    moderation_settings.save()
    before = row_counts()

    # when
    with pytest.raises(CommentingDisabled) as refused:
        post(profile, "Hello")

    # then
    assert refused.value.to_payload() == {
        "code": "COMMENTING_DISABLED",
        "message": "Comments are paused tonight.",
        "field": None,
    }
    assert row_counts() == before


def test_commenting_disabled_without_message_uses_the_default(post, profile, moderation_settings):
    moderation_settings.commenting_disabled = True
    moderation_settings.save()

    with pytest.raises(CommentingDisabled, match="^Commenting is disabled on this site.$"):
        post(profile, "Hello")


def test_commenting_disabled_on_another_site_does_not_refuse(post, profile):
    SiteModerationSettings.objects.create(site=SiteFactory(), commenting_disabled=True)

    assert post(profile, "Hello").status == CommentStatus.NONE


def test_banned_author_is_refused_and_nothing_is_written(post, profile):
    UserStanding.objects.create(profile=profile, is_banned=True)
    before = row_counts()

    with pytest.raises(UserBanned) as refused:
        post(profile, "Let me in")

    assert refused.value.code == "USER_BANNED"
    assert row_counts() == before


def test_site_ban_refuses_only_on_that_site(post, profile, story):
    # given
    SiteBan.objects.create(profile=profile, site=story.site)
    elsewhere = StoryFactory()
    before = row_counts()

    # when
    with pytest.raises(UserBanned, match="banned from commenting on this site"):
        post(profile, "Here")

    # then
    assert row_counts() == before
    comment = comment_create(story_id=elsewhere.pk, author=profile.user, body="There")
    assert comment.status == CommentStatus.NONE


def test_suspended_author_is_refused_with_the_end_and_the_message(post, profile):
    # given
    until = timezone.now() + timedelta(days=2)
    UserStanding.objects.create(
        profile=profile, suspended_until=until, suspension_message="Cool off, please."
    )
    before = row_counts()

    # when
    with pytest.raises(UserSuspended) as refused:
        post(profile, "Still here")

    # then
    assert refused.value.code == "USER_SUSPENDED"
    assert refused.value.until == until
    assert refused.value.message == (
        f"Your account is suspended until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        " Cool off, please."
    )
    assert row_counts() == before


def test_ended_suspension_no_longer_refuses(post, profile):
    UserStanding.objects.create(profile=profile, suspended_until=timezone.now())

    assert post(profile, "Back").status == CommentStatus.NONE


def test_closed_story_is_refused_before_the_other_checks(post, profile, story):
    UserStanding.objects.create(profile=profile, is_banned=True)
    Story.objects.filter(pk=story.pk).update(closed_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(StoryClosed):
        post(profile, "Too late")


def test_refused_attempts_do_not_use_up_the_rate_limit(post, profile, moderation_settings):
    # given: the default limit, 5 comments a minute per user
    moderation_settings.commenting_disabled = True
    moderation_settings.save()
    for _ in range(6):
        with pytest.raises(CommentingDisabled):
            post(profile, "Knock knock")

    # when
    moderation_settings.commenting_disabled = False
    moderation_settings.save()
    posted = [post(profile, f"Comment number {i}") for i in range(5)]

    # then: the five allowed comments pass, the sixth is rate limited
    assert [comment.status for comment in posted] == [CommentStatus.NONE] * 5
    with pytest.raises(RateLimited):
        post(profile, "One too many")
