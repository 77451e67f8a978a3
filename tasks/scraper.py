"""Fetch a story's page and read its metadata (Coral's scraper job, metascraper's rules).

Two pure-ish halves, so each is testable alone:

* :func:`page_fetch` GETs the page with ``httpx``: an overall deadline (connect, every
  redirect and the download together), a byte cap (checked on ``Content-Length`` and
  while streaming), a configurable User-Agent, at most 5 redirects and only to http(s).
  It raises :class:`ScrapeTransientError` for what may pass (timeouts, network errors,
  5xx, 408, 429) and :class:`ScrapeError` for what will not (4xx, not HTML, too large).
* :func:`metadata_parse` reads Open Graph and Twitter card tags, ``<meta>`` tags,
  JSON-LD (``NewsArticle`` and the other ``*Article``/``BlogPosting`` types, also inside
  ``@graph``) and ``<title>``, with ``lxml``'s HTML parser (libxml2: fast, tolerant of
  broken markup, no network access).

Precedence per field follows metascraper's rules as Coral uses them: the publisher's
explicit social tags first, then structured data, then generic tags.
"""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree

MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
}
# Lengths of the Story fields (comments.models.Story); the description is capped here.
LIMITS = {
    "title": 500,
    "description": 2000,
    "image_url": 2000,
    "author": 200,
    "section": 200,
}


class ScrapeError(Exception):
    """The page cannot be scraped and retrying will not help."""


class ScrapeTransientError(ScrapeError):
    """The page could not be fetched now; a later attempt may succeed."""


@dataclass(frozen=True)
class Page:
    """A fetched page: the URL it came from after redirects, its bytes and charset."""

    url: str
    content: bytes
    encoding: str | None


@dataclass(frozen=True)
class StoryMetadata:
    """What a page says about itself; empty strings and None where it says nothing."""

    title: str = ""
    description: str = ""
    image_url: str = ""
    author: str = ""
    section: str = ""
    published_at: datetime | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def page_fetch(*, url: str, timeout_seconds: float, max_bytes: int, user_agent: str) -> Page:
    """GET ``url`` and return its HTML, following at most 5 http(s) redirects.

    Args:
        timeout_seconds: deadline for the whole fetch, redirects and download included.
        max_bytes: the largest body read; a larger page is refused.
    Raises:
        ScrapeTransientError: timeout, network error, 5xx, 408 or 429.
        ScrapeError: other non-2xx status, a redirect to a non-http(s) URL or too many,
            a body that is not HTML or larger than ``max_bytes``.
    """
    deadline = time.monotonic() + timeout_seconds
    headers = {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    }
    with httpx.Client(headers=headers, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            if not _is_http_url(url):
                raise ScrapeError(f"not an http(s) URL: {url[:200]}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScrapeTransientError("timed out")
            try:
                with client.stream("GET", url, timeout=remaining) as response:
                    if response.is_redirect:
                        url = urljoin(str(response.url), response.headers["location"])
                        continue
                    return _read_page(response, deadline=deadline, max_bytes=max_bytes)
            except httpx.InvalidURL as exc:  # also raised for a malformed Location
                raise ScrapeError(f"invalid URL: {exc}") from exc
            except httpx.TimeoutException as exc:
                raise ScrapeTransientError(f"timed out ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise ScrapeTransientError(f"network error: {exc}") from exc
    raise ScrapeError(f"more than {MAX_REDIRECTS} redirects")


def _read_page(response: httpx.Response, *, deadline: float, max_bytes: int) -> Page:
    status = response.status_code
    if status >= 500 or status in (408, 429):
        raise ScrapeTransientError(f"HTTP {status}")
    if not 200 <= status < 300:
        raise ScrapeError(f"HTTP {status}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        raise ScrapeError(f"not HTML: {content_type[:100]}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ScrapeError(f"page larger than {max_bytes} bytes ({declared})")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ScrapeError(f"page larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise ScrapeTransientError("timed out while downloading")
        chunks.append(chunk)
    return Page(url=str(response.url), content=b"".join(chunks), encoding=response.charset_encoding)


# -- parsing ---------------------------------------------------------------------------


def _clean(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())


def _ld_text(value: Any) -> str:
    """A JSON-LD string: unlike attribute values, it may still hold HTML entities."""
    return _clean(html.unescape(value)) if isinstance(value, str) else ""


def _first(*values: Any) -> str:
    for value in values:
        cleaned = _clean(value)
        if cleaned:
            return cleaned
    return ""


def _types(item: dict[str, Any]) -> set[str]:
    value = item.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values}


def _json_ld_items(document: Any) -> list[dict[str, Any]]:
    """Return every JSON-LD node: top-level lists and ``@graph`` arrays flattened."""
    pending = [document]
    items = []
    while pending:
        node = pending.pop(0)
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            items.append(node)
            if isinstance(node.get("@graph"), list):
                pending.extend(node["@graph"])
    return items


def _json_ld_article(root: Any) -> dict[str, Any]:
    articles = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            document = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        for item in _json_ld_items(document):
            if _types(item) & ARTICLE_TYPES or any(t.endswith("article") for t in _types(item)):
                articles.append(item)
    return articles[0] if articles else {}


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD ``author``: a string, a Person, or a list of them."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        name = _ld_text(item.get("name") if isinstance(item, dict) else item)
        if name and name not in names:
            names.append(name)
    return names


def _image(value: Any) -> str:
    if isinstance(value, list):
        return next((url for url in map(_image, value) if url), "")
    if isinstance(value, dict):
        return _first(value.get("url"), value.get("contentUrl"))
    return _clean(value)


def _section(value: Any) -> str:
    if isinstance(value, list):
        return next((text for text in map(_ld_text, value) if text), "")
    return _ld_text(value)


def _datetime(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _absolute_http(base_url: str, value: str) -> str:
    if not value:
        return ""
    url = urljoin(base_url, value)
    return url if _is_http_url(url) and len(url) <= LIMITS["image_url"] else ""


def _not_a_url(value: str) -> str:
    return "" if re.match(r"^https?://", value) else value


def metadata_parse(*, content: bytes, url: str, encoding: str | None = None) -> StoryMetadata:
    """Read a page's title, description, image, author, section and publication date.

    Args:
        content: the HTML as fetched (bytes; the charset comes from ``encoding`` or
            the page's ``<meta charset>``).
        url: the page's URL, against which relative image URLs resolve.
    Returns:
        The metadata, each string whitespace-collapsed and cut to its Story field's length.
    Raises:
        ScrapeError: the content is not an HTML document.
    """
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(content, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ScrapeError(f"not an HTML document: {exc}") from exc

    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip()
        content_value = tag.get("content")
        if key and content_value is not None:
            meta.setdefault(key.lower(), content_value)
    image_link = next(
        (
            link.get("href", "")
            for link in root.iter("link")
            if (link.get("rel") or "").strip().lower() == "image_src"
        ),
        "",
    )
    title_tag = root.find(".//title")
    ld = _json_ld_article(root)

    title = _first(
        meta.get("og:title"),
        meta.get("twitter:title"),
        _ld_text(ld.get("headline")),
        _ld_text(ld.get("name")),
        title_tag.text_content() if title_tag is not None else "",
    )
    description = _first(
        meta.get("og:description"),
        meta.get("twitter:description"),
        meta.get("description"),
        _ld_text(ld.get("description")),
    )
    image = _first(
        meta.get("og:image:secure_url"),
        meta.get("og:image:url"),
        meta.get("og:image"),
        meta.get("twitter:image"),
        meta.get("twitter:image:src"),
        _image(ld.get("image")),
        _image(ld.get("thumbnailUrl")),
        image_link,
    )
    author = _first(
        ", ".join(_names(ld.get("author"))),
        meta.get("author"),
        _not_a_url(_clean(meta.get("article:author"))),
        meta.get("parsely-author"),
        meta.get("sailthru.author"),
        meta.get("dc.creator"),
    )
    section = _first(
        meta.get("article:section"),
        _section(ld.get("articleSection")),
        meta.get("section"),
        meta.get("parsely-section"),
    )
    published_at = None
    for candidate in (
        meta.get("article:published_time"),
        ld.get("datePublished"),
        meta.get("og:article:published_time"),
        meta.get("datepublished"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("publish-date"),
        meta.get("parsely-pub-date"),
        meta.get("sailthru.date"),
        meta.get("dc.date.issued"),
        meta.get("date"),
    ):
        published_at = _datetime(candidate) if isinstance(candidate, str) else None
        if published_at is not None:
            break

    return StoryMetadata(
        title=title[: LIMITS["title"]],
        description=description[: LIMITS["description"]],
        image_url=_absolute_http(url, image),
        author=author[: LIMITS["author"]],
        section=section[: LIMITS["section"]],
        published_at=published_at,
    )
