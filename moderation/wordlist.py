"""Banned / suspect word matching in time linear in the comment.

No regular expression is built from the list (Coral runs its regex in a worker thread with
a 100 ms timeout because a large list can backtrack; issue #4280 shows the cost). Instead
both the list and the comment are normalised the same way -- case-folded, accents removed
(NFKD, combining marks dropped), split into words on anything that is not a letter or
digit -- and the comment's words are looked up in a dict of phrases keyed by their first
word. Each comment word is looked at once per phrase length that starts with it, so the
work is O(words x longest phrase), independent of the list's size.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

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
