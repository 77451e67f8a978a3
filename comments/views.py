"""HTTP views: the GraphQL endpoint, the stream page the embed frames, the demo pages."""

from __future__ import annotations

import re
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

from comments.conf import talk_settings
from comments.errors import TalkError
from comments.models import Site
from comments.schema.context import decode_id
from comments.schema.validation import VALIDATION_RULES
from comments.selectors import (
    site_get_for_url,
    story_get,
    story_get_by_url,
    story_list,
    url_origin,
)


class TalkGraphQLView(GraphQLView):
    """GraphQL over HTTP with CSRF checked where it protects anything.

    A request that carries a session cookie, or that is not a JSON POST, must pass
    Django's CSRF check (the embed sends the ``csrftoken`` cookie's value in
    ``X-CSRFToken``). A cookie-less JSON POST is exempt: it authenticates nobody, and a
    browser cannot send cross-site JSON without a CORS preflight, which we never grant.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and self._needs_csrf(request):
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:
                return reason
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _needs_csrf(request) -> bool:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return True
        return request.content_type != "application/json"


def graphql_view():
    """Return the GraphQL view (GraphiQL in DEBUG); CSRF as :class:`TalkGraphQLView`."""
    return csrf_exempt(
        TalkGraphQLView.as_view(graphiql=settings.DEBUG, validation_rules=VALIDATION_RULES)
    )


# Origins in a CSP source list: scheme://host[:port], nothing a header could smuggle.
_ORIGIN_RE = re.compile(r"https?://([a-z0-9.\-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


def _stream_site(*, story_url: str, story_id: str) -> Site | None:
    """Return the site whose story the stream shows, if any is known yet."""
    story = None
    if story_id:
        try:
            story = story_get(story_id=decode_id(story_id, "Story", field="storyID"))
        except TalkError:
            return None
    elif story_url:
        story = story_get_by_url(url=story_url)
        if story is None:
            return site_get_for_url(url=story_url)
    return story.site if story is not None else None


def _stream_csp(*, site: Site | None, story_url: str) -> str:
    """Content-Security-Policy of the stream: our own scripts only, framed by the site.

    Framing is allowed to this host, the story's own origin and the site's allowed origins
    (``Site.allowed_origins``), so another page cannot frame a signed-in reader's stream.
    """
    ancestors = ["'self'"]
    if site is not None:
        candidates = [url_origin(story_url) or "", *site.allowed_origins]
        for origin in candidates:
            origin = str(origin).rstrip("/").lower()
            if _ORIGIN_RE.fullmatch(origin) and origin not in ancestors:
                ancestors.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors " + " ".join(ancestors),
        ]
    )


def stream_page(request: HttpRequest) -> HttpResponse:
    """The stream the embed's iframe shows; ``?storyURL=`` or ``?storyID=`` names the story.

    The page is a shell: ``static/talk/stream.js`` loads the story over GraphQL. The view
    is wrapped in ``ensure_csrf_cookie`` (urls.py) so the script can send ``X-CSRFToken``.
    """
    story_url = request.GET.get("storyURL", "").strip()[:2000]
    story_id = request.GET.get("storyID", "").strip()[:200]
    response = render(
        request,
        "talk/stream.html",
        {
            "story_url": story_url,
            "story_id": story_id,
            "max_chars": talk_settings.MAX_COMMENT_CHARS,
        },
    )
    # The stream exists to be framed: CSP frame-ancestors replaces X-Frame-Options here.
    response.xframe_options_exempt = True
    try:
        site = _stream_site(story_url=story_url, story_id=story_id)
    except ValueError:  # a malformed URL (e.g. a bad port); stream.js reports the error
        site = None
    response["Content-Security-Policy"] = _stream_csp(site=site, story_url=story_url)
    return response


def demo_index(request: HttpRequest) -> HttpResponse:
    """The demo front page: the demo article with its embedded stream, and the list of
    stories (imported or created) with their comment counts."""
    return _render_demo_article(request, stories=list(story_list(limit=100)))


def demo_story(request: HttpRequest, story_id: UUID) -> HttpResponse:
    """A demo article page embedding the stream of one story."""
    story = story_get(story_id=story_id)
    if story is None:
        raise Http404("No such story")
    return render(
        request,
        "talk/demo_story.html",
        {
            "title": story.title or story.url,
            "story_url": story.url,
            "story_link": story.url if _safe_origin(story.url) else "",
            "domain": story.site.domain,
            "byline": story.author,
            "published_at": story.published_at or story.created_at,
            "is_local": False,
        },
    )


def _safe_origin(url: str) -> str | None:
    """``url_origin`` that treats a malformed URL (e.g. a bad port) as no origin."""
    try:
        return url_origin(url)
    except ValueError:
        return None


def _demo_article_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}/demo/article"


def demo_article(request: HttpRequest) -> HttpResponse:
    """A local demo article whose story the stream creates on first load (lazily).

    Its canonical URL is ``/demo/article`` on this host, also when shown at ``/``; lazy
    creation needs a site allowing this origin (``manage.py setup_demo``), else the page
    says how to add one.
    """
    return _render_demo_article(request, stories=None)


def _render_demo_article(request: HttpRequest, *, stories) -> HttpResponse:
    url = _demo_article_url(request)
    return render(
        request,
        "talk/demo_story.html",
        {
            "title": "City council approves a new plan for the riverside park",
            "story_url": url,
            "story_link": url,
            "domain": request.get_host(),
            "byline": "Demo Newsroom staff",
            "published_at": None,
            "is_local": True,
            "site_missing": site_get_for_url(url=url) is None,
            "origin": url_origin(url),
            "stories": stories,
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. (Readiness with dependencies: /readyz, later.)"""
    return HttpResponse("ok", content_type="text/plain")
