"""Shared fixtures: a site and a story, signed-up readers, and GraphQL clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from comments.conf import talk_settings
from comments.ratelimit import rate_limit_reset
from moderation.models import Role
from tests.factories import ProfileFactory, SiteFactory, StoryFactory

GRAPHQL_URL = "/api/graphql"
SITE_DOMAIN = "news.example.com"
EMBED_ORIGIN = "https://embed.example.org"
STORY_URL = f"https://{SITE_DOMAIN}/2024/05/city-council-votes"


@pytest.fixture(autouse=True)
def _fresh_talk_settings():
    """Drop the cached TALK values around each test, so no override leaks between tests."""
    talk_settings.reload()
    rate_limit_reset()
    yield
    talk_settings.reload()


@pytest.fixture
def site(db):
    return SiteFactory(
        name="Daily Example",
        domain=SITE_DOMAIN,
        allowed_origins=[f"https://{SITE_DOMAIN}", EMBED_ORIGIN],
    )


@pytest.fixture
def story(site):
    return StoryFactory(site=site, url=STORY_URL, title="City council votes")


@pytest.fixture
def profile(db):
    """A signed-up commenter (the usual author)."""
    return ProfileFactory(user__username="alice", username="alice")


@pytest.fixture
def other_profile(db):
    """A second signed-up commenter, unrelated to ``profile``'s comments."""
    return ProfileFactory(user__username="bob", username="bob")


@pytest.fixture
def moderator_profile(db):
    return ProfileFactory(user__username="mod", username="mod", role=Role.MODERATOR)


class GraphQL:
    """Posts a GraphQL document as JSON through Django's test client (cookies kept)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, status: int = 200
    ) -> dict[str, Any]:
        response = self.client.post(
            GRAPHQL_URL,
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
        )
        assert response.status_code == status, response.content
        return response.json()


@pytest.fixture
def graphql_for(db) -> Callable[..., GraphQL]:
    """Return a GraphQL client signed in as ``profile`` (anonymous when None)."""

    def make(profile=None) -> GraphQL:
        client = Client()
        if profile is not None:
            client.force_login(profile.user)
        return GraphQL(client)

    return make


@pytest.fixture
def graphql(graphql_for) -> GraphQL:
    """An anonymous GraphQL client."""
    return graphql_for(None)


@pytest.fixture
def graphql_as_author(graphql_for, profile) -> GraphQL:
    """A GraphQL client signed in as ``profile``."""
    return graphql_for(profile)


@pytest.fixture
def record_calls(monkeypatch):
    """Replace functions of a module with recorders; return the shared list of calls.

    ``record_calls(services, "publish_comment_created")`` records
    ``("publish_comment_created", kwargs)`` for each call, in order.
    """
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(module, *names: str) -> list[tuple[str, dict[str, Any]]]:
        for name in names:
            monkeypatch.setattr(
                module, name, lambda _name=name, **kwargs: calls.append((_name, kwargs))
            )
        return calls

    return record
