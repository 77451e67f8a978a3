"""Banned / suspect word matching in time linear in the comment.

No regular expression is built from the list (Coral runs its regex in a worker thread with
a 100 ms timeout because a large list can backtrack; issue #4280 shows the cost). Instead
both the list and the comment are normalised the same way -- case-folded, accents removed
(NFKD, combining marks dropped), split into words on anything that is not a letter or
digit -- and the comment's words are looked up in a dict of phrases keyed by their first
word. Each comment word is looked at once per phrase length that starts with it, so the
work is O(words x longest phrase), independent of the list's size.

:func:`wordlist_from_text` compiles a list as stored in the admin (one entry per line)
and caches it keyed by that text, so a comment does not recompile it and an edited list
takes effect on the next comment without a restart.

:func:`contains_link` (the "links" phase) is here for the same reason: it reads a comment
once, token by token, without a backtracking pattern.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from comments.sanitize import visible_text


def normalise_words(text: str) -> list[str]:
    """Split ``text`` into case-folded, accent-free words of letters and digits.

    ``"Ça VA, d'accord?"`` -> ``["ca", "va", "d", "accord"]``. Dotless/dotted i and other
    case variants fold together (``str.casefold``).
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    words: list[str] = []
    current: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


@dataclass
class WordList:
    """A compiled list of words and phrases, matched as whole words.

    Build once per list (cheap: O(total characters)); match any number of comments.
    """

    phrases: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def compile(cls, entries: Iterable[str]) -> WordList:
        """Compile entries (one word or phrase each; blank entries are ignored)."""
        phrases: dict[str, set[tuple[str, ...]]] = {}
        for entry in entries:
            words = tuple(normalise_words(entry))
            if words:
                phrases.setdefault(words[0], set()).add(words)
        return cls(
            phrases={
                first: sorted(group, key=len, reverse=True) for first, group in phrases.items()
            }
        )

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, html_or_text: str) -> list[str]:
        """Return the distinct list entries (normalised, space-joined) found in the text.

        HTML is reduced to its visible text first, so markup cannot split or hide a word.
        """
        words = normalise_words(visible_text(html_or_text))
        found: dict[str, None] = {}
        for i, word in enumerate(words):
            for phrase in self.phrases.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    found[" ".join(phrase)] = None
        return list(found)


@lru_cache(maxsize=128)
def wordlist_from_text(text: str) -> WordList:
    """Return the compiled list for ``text`` (one word or phrase per line), cached.

    The cache is keyed by the text itself, so two sites with the same list share one
    compiled list, and a list edited in the admin is a new key: it is used from the next
    comment on, with no restart or invalidation. The returned list is shared: never
    mutate it.
    """
    return WordList.compile(text.splitlines())


# Generic top-level domains people write without a scheme; every two-letter (country)
# domain counts too. Anything else needs "http(s)://" or "www." to be a link.
_GENERIC_TLDS = frozenset(
    {
        "com",
        "net",
        "org",
        "info",
        "biz",
        "edu",
        "gov",
        "mil",
        "int",
        "name",
        "pro",
        "mobi",
        "app",
        "dev",
        "io",
        "ai",
        "xyz",
        "top",
        "online",
        "site",
        "website",
        "shop",
        "store",
        "club",
        "live",
        "news",
        "blog",
        "link",
        "click",
        "tech",
        "space",
        "fun",
        "icu",
        "buzz",
        "vip",
        "win",
        "today",
        "world",
        "life",
        "email",
        "media",
        "host",
        "cloud",
        "page",
    }
)
# A tag that links: <a ... href=...>. The sanitiser keeps href only for http(s)/mailto.
_ANCHOR_WITH_HREF = re.compile(r"<a\s[^>]*\bhref\s*=", re.IGNORECASE)
_TOKEN_EDGE = "\"'()[]{}<>,;:!?*\u00ab\u00bb\u201c\u201d\u2018\u2019"


def _is_domain(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2:
        return False
    tld = labels[-1]
    if not (tld in _GENERIC_TLDS or (len(tld) == 2 and tld.isascii() and tld.isalpha())):
        return False
    return all(
        label
        and label[0] != "-"
        and label[-1] != "-"
        and all(char.isalnum() or char == "-" for char in label)
        for label in labels
    )


def contains_link(html: str) -> bool:
    """Return True if a comment links anywhere: an ``<a href>`` or a URL in its text.

    The text counts ``http://``/``https://`` URLs, ``www.`` names, and bare domains
    (``example.com``, ``news.example.co.uk/path``, ``me@example.org``) whose last label
    is a common generic domain or any two-letter country domain. ``3.14``, ``e.g.``
    and ``end.Next`` are not links. Linear in the comment: each whitespace-separated
    token is examined once.
    """
    if _ANCHOR_WITH_HREF.search(html):
        return True
    for raw in visible_text(html).split():
        token = raw.strip(_TOKEN_EDGE).casefold()
        if token.startswith(("http://", "https://", "www.")):
            return True
        token = token.rpartition("@")[2]
        for separator in "/?#":
            token = token.partition(separator)[0]
        host = token.partition(":")[0].rstrip(".")
        if _is_domain(host):
            return True
    return False
