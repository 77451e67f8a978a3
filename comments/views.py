"""HTTP views: the GraphQL endpoint, the stream page the embed frames, the demo pages."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from graphene_django.views import GraphQLView

from comments.selectors import story_get, story_list


def graphql_view():
    """Return the GraphQL view: GraphiQL in DEBUG, CSRF-protected (the embed sends the
    token from the ``csrftoken`` cookie in ``X-CSRFToken``)."""
    return GraphQLView.as_view(graphiql=settings.DEBUG)


def stream_page(request: HttpRequest) -> HttpResponse:
    """The stream the embed's iframe shows; ``?storyURL=`` names the story."""
    return render(
        request,
        "talk/stream.html",
        {"story_url": request.GET.get("storyURL", ""), "story_id": request.GET.get("storyID", "")},
    )


def demo_index(request: HttpRequest) -> HttpResponse:
    """A demo newsroom front page listing stories with their comment counts."""
    return render(request, "talk/demo_index.html", {"stories": story_list(limit=100)})


def demo_story(request: HttpRequest, story_id: UUID) -> HttpResponse:
    """A demo article page embedding the stream of one story."""
    story = story_get(story_id=story_id)
    if story is None:
        raise Http404("No such story")
    return render(request, "talk/demo_story.html", {"story": story})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. (Readiness with dependencies: /readyz, later.)"""
    return HttpResponse("ok", content_type="text/plain")
