"""Rate limits on comments, reactions, flags, sign-in and sign-up (comments.ratelimit)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from comments.errors import InvalidCredentials
from comments.models import Comment, CommentAction
from comments.ratelimit import RateLimited
from comments.services import comment_create, comment_reaction_create
from moderation.services import account_sign_in
from tests.factories import CommentFactory
from tests.support import redis_or_fail

CREATE = """
mutation($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id } errors { code message } }
}
"""


def _story_gid(story):
    from graphql_relay import to_global_id

    return to_global_id("Story", str(story.pk))


@pytest.mark.django_db
def test_sixth_comment_in_a_minute_is_refused_and_writes_nothing(profile, story, settings):
    # given: the default limit of 5 comments per minute per user
    for i in range(5):
        comment_create(story_id=story.pk, author=profile.user, body=f"comment {i}")
    comments, actions = Comment.objects.count(), CommentAction.objects.count()
    # when
    with pytest.raises(RateLimited) as refused:
        comment_create(story_id=story.pk, author=profile.user, body="one too many")
    # then
    assert 1 <= refused.value.retry_after_seconds <= 60
    assert (Comment.objects.count(), CommentAction.objects.count()) == (comments, actions)


@pytest.mark.django_db
def test_limit_is_per_user(profile, other_profile, story):
    for i in range(5):
        comment_create(story_id=story.pk, author=profile.user, body=f"comment {i}")
    comment = comment_create(story_id=story.pk, author=other_profile.user, body="mine")
    assert comment.author_id == other_profile.pk


@pytest.mark.django_db
def test_limit_per_ip_spans_users(story, settings):
    settings.TALK = {"RATE_LIMITS": {"comment": {"ip": "2 per minute"}}}
    from tests.factories import ProfileFactory

    users = [ProfileFactory().user for _ in range(3)]
    comment_create(story_id=story.pk, author=users[0], body="a", client_ip="192.0.2.7")
    comment_create(story_id=story.pk, author=users[1], body="b", client_ip="192.0.2.7")
    with pytest.raises(RateLimited):
        comment_create(story_id=story.pk, author=users[2], body="c", client_ip="192.0.2.7")
    # another address is not affected
    comment_create(story_id=story.pk, author=users[2], body="c", client_ip="192.0.2.8")


@pytest.mark.django_db
def test_refused_calls_are_not_counted(story, profile, settings):
    settings.TALK = {"RATE_LIMITS": {"reaction": {"user": "2 per minute"}}}
    first, second = CommentFactory(story=story), CommentFactory(story=story)
    comment_reaction_create(comment_id=first.pk, author=profile.user)
    comment_reaction_create(comment_id=second.pk, author=profile.user)
    for _ in range(3):
        with pytest.raises(RateLimited):
            comment_reaction_create(comment_id=first.pk, author=profile.user)
    second.refresh_from_db()
    assert second.reaction_count == 1


@pytest.mark.django_db
def test_disabled_limits_let_everything_through(profile, story, settings):
    settings.TALK = {"RATE_LIMITS_ENABLED": False}
    for i in range(8):
        comment_create(story_id=story.pk, author=profile.user, body=f"comment {i}")
    assert Comment.objects.filter(author=profile).count() == 8


@pytest.mark.django_db
def test_sign_in_locks_out_an_email_after_ten_attempts_even_with_the_right_password():
    # given
    get_user_model().objects.create_user("carol", "carol@example.com", "right password 1")
    factory = RequestFactory()

    def attempt(password, ip):
        request = factory.post("/api/graphql", REMOTE_ADDR=ip)
        request.session = SessionStore()
        return account_sign_in(request=request, email="carol@example.com", password=password)

    # when: ten wrong passwords from ten addresses
    for i in range(10):
        with pytest.raises(InvalidCredentials):
            attempt("wrong", f"192.0.2.{i}")
    # then: the e-mail is locked for everyone, the right password included
    with pytest.raises(RateLimited):
        attempt("right password 1", "198.51.100.1")


@pytest.mark.django_db
def test_graphql_returns_rate_limited_as_data(graphql_as_author, story):
    variables = {"input": {"storyID": _story_gid(story), "body": "hello"}}
    codes = [
        graphql_as_author(CREATE, variables)["data"]["createComment"]["errors"] for _ in range(6)
    ]
    assert codes[:5] == [[]] * 5
    assert codes[5][0]["code"] == "RATE_LIMITED"
    assert Comment.objects.count() == 5


@pytest.mark.django_db
def test_redis_storage_shares_counters_between_limiters(profile, story, settings):
    # given: counters in the real Redis (as with REDIS_URL), as two processes would see them
    url = "redis://127.0.0.1:6379/15"
    redis_or_fail(url, purpose="the shared rate-limit tests").close()
    settings.TALK = {
        "RATE_LIMIT_STORAGE_URL": url,
        "RATE_LIMITS": {"comment": {"user": "2 per minute"}},
    }
    from comments import ratelimit

    ratelimit.rate_limit_reset()
    comment_create(story_id=story.pk, author=profile.user, body="one")
    # when: another process's limiter object (a fresh one over the same storage)
    ratelimit._limiter.cache_clear()
    comment_create(story_id=story.pk, author=profile.user, body="two")
    # then: it saw the first hit
    with pytest.raises(RateLimited):
        comment_create(story_id=story.pk, author=profile.user, body="three")
    ratelimit.rate_limit_reset()
