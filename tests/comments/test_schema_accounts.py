"""signUp, signIn and signOut over HTTP: the session cookie decides the viewer."""

import pytest
from django.contrib.auth import get_user_model

from moderation.models import Profile
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

VIEWER = "query { viewer { username role email } }"
SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) { errors { code field } viewer { username role email } }
}
"""
SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) { errors { code field } viewer { username } }
}
"""
SIGN_OUT = "mutation { signOut { errors { code } clientMutationId } }"


def test_sign_up_sign_out_sign_in_flow(graphql):
    # when: signing up
    signed_up = graphql(
        SIGN_UP,
        {"input": {"email": "Zoe@Example.org", "password": PASSWORD, "username": "zoe"}},
    )

    # then: the session is the new user's
    me = {"username": "zoe", "role": "COMMENTER", "email": "zoe@example.org"}
    assert signed_up == {"data": {"signUp": {"errors": [], "viewer": me}}}
    assert graphql(VIEWER) == {"data": {"viewer": me}}

    # when: signing out
    signed_out = graphql(SIGN_OUT)

    # then
    assert signed_out == {"data": {"signOut": {"errors": [], "clientMutationId": None}}}
    assert graphql(VIEWER) == {"data": {"viewer": None}}

    # when: signing in again
    signed_in = graphql(SIGN_IN, {"input": {"email": "ZOE@example.org", "password": PASSWORD}})

    # then
    assert signed_in == {"data": {"signIn": {"errors": [], "viewer": {"username": "zoe"}}}}
    assert graphql(VIEWER) == {"data": {"viewer": me}}


def test_wrong_password_is_invalid_credentials_and_keeps_anonymous(graphql, profile):
    body = graphql(SIGN_IN, {"input": {"email": "alice@example.org", "password": "nope"}})

    assert body == {
        "data": {
            "signIn": {"errors": [{"code": "INVALID_CREDENTIALS", "field": None}], "viewer": None}
        }
    }
    assert graphql(VIEWER) == {"data": {"viewer": None}}


def test_sign_in_replaces_another_session(graphql_as_author, other_profile):
    body = graphql_as_author(SIGN_IN, {"input": {"email": "bob@example.org", "password": PASSWORD}})

    assert body["data"]["signIn"]["viewer"] == {"username": "bob"}
    assert graphql_as_author(VIEWER)["data"]["viewer"]["username"] == "bob"


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"email": "ALICE@example.org", "username": "alice2"}, "EMAIL_ALREADY_SET", "email"),
        ({"email": "new@example.org", "username": "ALICE"}, "USERNAME_ALREADY_EXISTS", "username"),
        ({"email": "new@example.org", "username": "a!"}, "USERNAME_INVALID", "username"),
        ({"email": "not-an-email", "username": "newbie"}, "EMAIL_INVALID", "email"),
        (
            {"email": "new@example.org", "username": "newbie", "password": "123"},
            "PASSWORD_INVALID",
            "password",
        ),
    ],
)
def test_sign_up_errors_create_nothing(graphql, profile, variables, code, field):
    before = (get_user_model().objects.count(), Profile.objects.count())

    body = graphql(SIGN_UP, {"input": {"password": PASSWORD, **variables}})

    assert body["data"]["signUp"]["errors"] == [{"code": code, "field": field}]
    assert body["data"]["signUp"]["viewer"] is None
    assert (get_user_model().objects.count(), Profile.objects.count()) == before
    assert graphql(VIEWER) == {"data": {"viewer": None}}


def test_sign_out_when_anonymous_is_harmless(graphql):
    assert graphql(SIGN_OUT) == {"data": {"signOut": {"errors": [], "clientMutationId": None}}}
