"""comment_status_set, profile_ensure and local accounts."""

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from comments.errors import (
    EmailInvalid,
    EmailTaken,
    InvalidCredentials,
    NotAuthenticated,
    PasswordInvalid,
    UsernameInvalid,
    UsernameTaken,
)
from comments.models import ActionKind, CommentAction, CommentStatus
from moderation.models import Profile, Role
from moderation.services import (
    account_sign_in,
    account_sign_out,
    account_sign_up,
    comment_status_set,
    profile_ensure,
)
from moderation.services import comment_status as services
from tests.factories import PASSWORD, CommentFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def request_with_session():
    request = RequestFactory().post("/api/graphql")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    return request


def account_counts() -> tuple[int, int]:
    return User.objects.count(), Profile.objects.count()


# comment_status_set


def test_hiding_and_showing_a_reply_adjusts_counters_exactly(
    story, moderator_profile, record_calls, django_capture_on_commit_callbacks
):
    # given: a thread of 1 comment + 2 replies, all visible
    published = record_calls(services, "publish_comment_status_updated")
    parent = CommentFactory(story=story)
    reply = CommentFactory(parent=parent)
    CommentFactory(parent=parent)
    story.refresh_from_db()
    parent.refresh_from_db()
    assert (story.comment_count, parent.reply_count) == (3, 2)

    # when: rejected
    with django_capture_on_commit_callbacks(execute=True):
        hidden = comment_status_set(
            comment=reply, status=CommentStatus.REJECTED, actor=moderator_profile
        )

    # then
    story.refresh_from_db()
    parent.refresh_from_db()
    assert hidden.status == CommentStatus.REJECTED
    assert (story.comment_count, parent.reply_count) == (2, 1)

    # when: approved again
    with django_capture_on_commit_callbacks(execute=True):
        comment_status_set(comment=reply, status=CommentStatus.APPROVED, actor=moderator_profile)

    # then
    story.refresh_from_db()
    parent.refresh_from_db()
    assert (story.comment_count, parent.reply_count) == (3, 2)
    audit = CommentAction.objects.filter(comment=reply).order_by("created_at", "id")
    assert [(a.kind, a.actor_id, a.from_status, a.to_status) for a in audit] == [
        (ActionKind.STATUS_CHANGED, moderator_profile.pk, "NONE", "REJECTED"),
        (ActionKind.STATUS_CHANGED, moderator_profile.pk, "REJECTED", "APPROVED"),
    ]
    ids = {
        "comment_id": str(reply.pk),
        "story_id": str(story.pk),
        "actor_id": str(moderator_profile.pk),
    }
    assert published == [
        ("publish_comment_status_updated", {**ids, "old_status": "NONE", "new_status": "REJECTED"}),
        (
            "publish_comment_status_updated",
            {**ids, "old_status": "REJECTED", "new_status": "APPROVED"},
        ),
    ]


def test_hidden_to_hidden_keeps_counters_and_audits(story, moderator_profile):
    comment = CommentFactory(story=story, status=CommentStatus.PREMOD)

    comment_status_set(
        comment=comment,
        status=CommentStatus.REJECTED,
        actor=moderator_profile,
        reasons=["SPAM"],
        note="link farm",
    )

    story.refresh_from_db()
    assert story.comment_count == 0
    action = CommentAction.objects.get(comment=comment)
    assert (action.from_status, action.to_status, action.reasons, action.note) == (
        "PREMOD",
        "REJECTED",
        ["SPAM"],
        "link farm",
    )


def test_approving_a_held_top_level_comment_counts_it(story, moderator_profile):
    comment = CommentFactory(story=story, status=CommentStatus.PREMOD)

    comment_status_set(comment=comment, status=CommentStatus.APPROVED, actor=moderator_profile)

    story.refresh_from_db()
    assert story.comment_count == 1


def test_same_status_is_a_no_op(
    story, moderator_profile, record_calls, django_capture_on_commit_callbacks
):
    published = record_calls(services, "publish_comment_status_updated")
    comment = CommentFactory(story=story)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = comment_status_set(comment=comment, status="NONE", actor=moderator_profile)

    story.refresh_from_db()
    assert result.status == CommentStatus.NONE
    assert story.comment_count == 1
    assert CommentAction.objects.count() == 0
    assert (callbacks, published) == ([], [])


# profile_ensure


def test_superuser_gets_an_admin_profile():
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    profile = profile_ensure(user=admin)

    saved = Profile.objects.get(user=admin)
    assert saved.pk == profile.pk
    assert (saved.role, saved.username) == (Role.ADMIN, "root")


def test_plain_user_gets_a_commenter_profile_once():
    user = UserFactory(username="carol")

    first = profile_ensure(user=user)
    second = profile_ensure(user=User.objects.get(pk=user.pk))

    assert first.pk == second.pk
    assert Profile.objects.get(user=user).role == Role.COMMENTER


def test_existing_profile_is_returned_unchanged(profile):
    assert profile_ensure(user=profile.user).pk == profile.pk
    assert Profile.objects.count() == 1


def test_anonymous_user_has_no_profile():
    with pytest.raises(NotAuthenticated):
        profile_ensure(user=AnonymousUser())

    assert Profile.objects.count() == 0


# account_sign_up / account_sign_in / account_sign_out


def test_sign_up_creates_user_and_profile_and_signs_in(request_with_session):
    profile = account_sign_up(
        request=request_with_session,
        email="  Dana@Example.ORG ",
        password=PASSWORD,
        username="dana_1.x",
    )

    user = User.objects.get()
    assert (user.username, user.email) == ("dana_1.x", "dana@example.org")
    assert user.check_password(PASSWORD)
    assert Profile.objects.get().pk == profile.pk
    assert (profile.user_id, profile.username, profile.role) == (
        user.pk,
        "dana_1.x",
        Role.COMMENTER,
    )
    assert request_with_session.user == user
    assert request_with_session.session[SESSION_KEY] == str(user.pk)


def test_sign_up_with_taken_email_in_other_case_fails(request_with_session):
    UserFactory(username="erin", email="Erin@Example.org")
    before = account_counts()

    with pytest.raises(EmailTaken) as excinfo:
        account_sign_up(
            request=request_with_session,
            email="erin@EXAMPLE.ORG",
            password=PASSWORD,
            username="erin2",
        )

    assert excinfo.value.field == "email"
    assert account_counts() == before
    assert SESSION_KEY not in request_with_session.session


def test_sign_up_with_taken_username_in_other_case_fails(request_with_session):
    UserFactory(username="Frank", email="f.first@example.org")
    before = account_counts()

    with pytest.raises(UsernameTaken):
        account_sign_up(
            request=request_with_session,
            email="frank@example.org",
            password=PASSWORD,
            username="frank",
        )

    assert account_counts() == before


@pytest.mark.parametrize("username", ["ab", "a" * 31, "with space", "dash-ed", "émile", ""])
def test_sign_up_with_bad_username_fails(request_with_session, username):
    with pytest.raises(UsernameInvalid):
        account_sign_up(
            request=request_with_session,
            email="g@example.org",
            password=PASSWORD,
            username=username,
        )

    assert account_counts() == (0, 0)


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@example.org"])
def test_sign_up_with_bad_email_fails(request_with_session, email):
    with pytest.raises(EmailInvalid):
        account_sign_up(
            request=request_with_session, email=email, password=PASSWORD, username="gina"
        )

    assert account_counts() == (0, 0)


@pytest.mark.parametrize("password", ["short1", "password", "12345678901", "helen_harper"])
def test_sign_up_with_weak_password_fails(request_with_session, password):
    with pytest.raises(PasswordInvalid) as excinfo:
        account_sign_up(
            request=request_with_session,
            email="helen@example.org",
            password=password,
            username="helen_harper",
        )

    assert excinfo.value.field == "password"
    assert excinfo.value.message
    assert account_counts() == (0, 0)
    assert SESSION_KEY not in request_with_session.session


def test_sign_in_with_email_in_any_case(request_with_session, profile):
    signed_in = account_sign_in(
        request=request_with_session, email=" ALICE@example.org ", password=PASSWORD
    )

    assert signed_in.pk == profile.pk
    assert request_with_session.session[SESSION_KEY] == str(profile.user.pk)


def test_sign_in_creates_missing_profile_for_superuser(request_with_session):
    admin = UserFactory(username="boss", email="boss@example.org", is_superuser=True)

    profile = account_sign_in(
        request=request_with_session, email="boss@example.org", password=PASSWORD
    )

    assert Profile.objects.get(user=admin).pk == profile.pk
    assert profile.role == Role.ADMIN


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.org", "wrong-password"),
        ("nobody@example.org", PASSWORD),
        ("alice@example.org", ""),
    ],
)
def test_sign_in_with_wrong_credentials_fails(request_with_session, profile, email, password):
    with pytest.raises(InvalidCredentials):
        account_sign_in(request=request_with_session, email=email, password=password)

    assert SESSION_KEY not in request_with_session.session
    assert request_with_session.user.is_authenticated is False


def test_inactive_user_cannot_sign_in(request_with_session):
    ProfileFactory(user__username="ivan", user__is_active=False)

    with pytest.raises(InvalidCredentials):
        account_sign_in(request=request_with_session, email="ivan@example.org", password=PASSWORD)


def test_sign_out_ends_the_session(request_with_session, profile):
    account_sign_in(request=request_with_session, email="alice@example.org", password=PASSWORD)

    account_sign_out(request=request_with_session)

    assert SESSION_KEY not in request_with_session.session
    assert request_with_session.user.is_authenticated is False
