"""GraphQL over HTTP: depth limit and CSRF rules of TalkGraphQLView."""

import json

import pytest
from django.test import Client

from comments.schema.validation import MAX_QUERY_DEPTH


def _nested_replies(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"replies {{ edges {{ node {{ {inner} }} }} }}"
    story = 'stream(storyURL: "https://news.example.com/a")'
    return f"{{ {story} {{ comments {{ edges {{ node {{ {inner} }} }} }} }} }}"


@pytest.mark.django_db
def test_query_deeper_than_limit_is_refused_before_execution():
    # given: a document nesting replies far beyond MAX_QUERY_DEPTH
    query = _nested_replies(MAX_QUERY_DEPTH)
    # when
    response = Client().post("/api/graphql", {"query": query}, content_type="application/json")
    # then: a validation error, and the resolver never ran (no story was created lazily)
    body = response.json()
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None
    from comments.models import Story

    assert Story.objects.count() == 0


@pytest.mark.django_db
def test_cookieless_json_post_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/graphql", json.dumps({"query": "{ viewer { id } }"}), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


@pytest.mark.django_db
def test_session_cookie_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "anything"
    response = client.post(
        "/api/graphql", json.dumps({"query": "{ viewer { id } }"}), content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_form_encoded_post_without_csrf_token_is_refused():
    # A cross-site <form> can send form-encoded bodies without a preflight.
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/graphql", {"query": "{ viewer { id } }"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_session_cookie_with_csrf_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/embed/stream?storyURL=https://news.example.com/a")
    token = page.cookies["csrftoken"].value
    client.cookies["sessionid"] = "anything"
    response = client.post(
        "/api/graphql",
        json.dumps({"query": "{ viewer { id } }"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
