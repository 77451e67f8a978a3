"""Comment bodies are untrusted HTML: sanitise on write with nh3 (DESIGN.md §8)."""

from __future__ import annotations

import html

import nh3

# Bold, italic, blockquote, lists, links, line breaks and paragraphs; nothing else.
ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "blockquote", "ul", "ol", "li", "a", "br", "p"})
# "*": nothing, else nh3 keeps its defaults (title, lang) on every tag.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc"


def sanitize_body(raw: str) -> str:
    """Return ``raw`` reduced to the comment allowlist.

    Links keep only ``href`` (http, https, mailto) and get ``rel="nofollow ugc"``;
    scripts, styles and their contents are dropped; other tags are unwrapped.
    """
    return nh3.clean(
        raw.strip(),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def visible_text(body: str) -> str:
    """Return the text a reader sees in sanitised ``body``, whitespace collapsed."""
    text = html.unescape(nh3.clean(body, tags=set(), attributes={}))
    return " ".join(text.split())


def plain_text_to_html(text: str) -> str:
    """Turn plain text (an import, a textarea) into paragraphs and line breaks."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.strip().split("\n")) + "</p>"
        for p in paragraphs
    )
