"""Records, summary and small parsers shared by the comment importers."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from comments.errors import TalkError
from comments.selectors import url_origin

#: Rows written per transaction.
BATCH_SIZE = 500
#: ``depth`` marking a reply stored before its parent was (see the module docstring).
#: Real threads never get this deep; PositiveSmallIntegerField stops at 32767.
PROVISIONAL_DEPTH = 30000
_MAX_DEPTH = 32767
_MAX_KEY = 255  # external_id max_length on Story, Comment and Profile
_MAX_PROLOG = 1024 * 1024  # bytes read while looking for the root element

# Reasons a thread/item made no story (ImportSummary.threads_skipped).
THREAD_DELETED = "deleted"
THREAD_NO_LINK = "no valid http(s) link"
THREAD_NO_ID = "no id"
THREAD_NO_COMMENTS = "no comments to import"
# Reasons a post/comment was not imported (ImportSummary.comments_skipped).
COMMENT_THREAD_DELETED = "thread deleted"
COMMENT_THREAD_NO_LINK = "thread has no valid link"
COMMENT_THREAD_MISSING = "thread missing from the export"
COMMENT_NO_ID = "no id"
_COMMENT_REASON_FOR_THREAD = {
    THREAD_DELETED: COMMENT_THREAD_DELETED,
    THREAD_NO_LINK: COMMENT_THREAD_NO_LINK,
    THREAD_NO_ID: COMMENT_THREAD_MISSING,
}

# Prefixes that real exports use without declaring them: WordPress.com writes
# <atom:link .../> into the channel of its WXR files with no xmlns:atom on <rss>, which a
# namespace-aware parser rejects ("unbound prefix"). See some-programs/exitwp#14 and #16.
_FALLBACK_NAMESPACES = {b"atom": b"http://www.w3.org/2005/Atom"}


class CommentImportError(TalkError):
    """The export cannot be imported: unreadable, malformed, or of an unknown format.

    Raised before anything is written (every import checks the whole file first).
    """

    code = "IMPORT_FAILED"
    default_message = "The file cannot be imported."


@dataclass(frozen=True)
class ImportedAuthor:
    """A commenter as the export names them.

    ``key`` becomes ``Profile.external_id`` (at most 255 chars, see :func:`bounded_key`);
    ``name`` becomes the username of the unclaimed profile (cut to 100 chars).
    """

    key: str
    name: str


@dataclass(frozen=True)
class ImportedThread:
    """A comment thread (Disqus ``<thread>``, WordPress ``<item>``): a story to be.

    ``key`` becomes ``Story.external_id``; ``url`` must be an absolute http(s) URL or the
    thread is skipped; ``created_at`` is UTC-aware or None; ``skip_reason`` is set by the
    parser for threads the source marks as gone (e.g. deleted).
    """

    key: str
    url: str
    title: str = ""
    author: str = ""
    created_at: datetime | None = None
    is_closed: bool = False
    skip_reason: str | None = None


@dataclass(frozen=True)
class ImportedPost:
    """One comment of a thread, as the export has it.

    ``key`` becomes ``Comment.external_id``; ``thread_key`` and ``parent_key`` refer to
    other records by their keys; ``body`` is HTML from the source (the writer sanitises
    it); ``status`` is a :class:`~comments.models.CommentStatus` value; ``created_at`` is
    UTC-aware or None (then the import time).
    """

    key: str
    thread_key: str
    parent_key: str | None
    author: ImportedAuthor | None
    body: str
    status: str
    created_at: datetime | None = None
    kind: str = "comment"


@dataclass
class ImportSummary:
    """What an import did. Counts are of records of the export.

    ``comments_by_status`` splits ``comments_imported`` by status;
    ``replies_promoted`` counts replies imported as top-level comments because their
    parent is not in the export (nor in the database) or is on another story;
    ``threads_skipped``/``comments_skipped`` map a reason to a count.
    """

    source: str
    sites_created: int = 0
    stories_created: int = 0
    stories_existing: int = 0
    comments_imported: int = 0
    comments_existing: int = 0
    comments_by_status: Counter[str] = field(default_factory=Counter)
    replies_promoted: int = 0
    authors_created: int = 0
    threads_skipped: Counter[str] = field(default_factory=Counter)
    comments_skipped: Counter[str] = field(default_factory=Counter)

    def merge(self, other: ImportSummary) -> None:
        """Add ``other``'s counts to these."""
        for name in (
            "sites_created",
            "stories_created",
            "stories_existing",
            "comments_imported",
            "comments_existing",
            "replies_promoted",
            "authors_created",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.comments_by_status.update(other.comments_by_status)
        self.threads_skipped.update(other.threads_skipped)
        self.comments_skipped.update(other.comments_skipped)

    def as_text(self) -> str:
        """Render the summary the management command prints, one fact per line."""

        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{reason}: {n}" for reason, n in sorted(counter.items()))

        statuses = counts(self.comments_by_status)
        lines = [
            f"Imported a {self.source} export.",
            f"Sites: {self.sites_created} created",
            f"Stories: {self.stories_created} created, {self.stories_existing} already present",
            f"Comments: {self.comments_imported} imported"
            + (f" ({statuses})" if statuses else "")
            + f", {self.comments_existing} already present",
            f"Replies imported as top-level comments (parent missing): {self.replies_promoted}",
            f"Authors: {self.authors_created} created (unclaimed profiles)",
            f"Threads skipped: {sum(self.threads_skipped.values())}"
            + (f" ({counts(self.threads_skipped)})" if self.threads_skipped else ""),
            f"Comments skipped: {sum(self.comments_skipped.values())}"
            + (f" ({counts(self.comments_skipped)})" if self.comments_skipped else ""),
        ]
        return "\n".join(lines)


# --- keys, dates and URLs -------------------------------------------------------------


def bounded_key(key: str) -> str:
    """Return ``key`` if it fits ``external_id`` (255 chars), else a stable hash of it.

    The hash keeps the source prefix (``disqus:``, ``wordpress:``) so keys of different
    sources never collide.
    """
    if len(key) <= _MAX_KEY:
        return key
    prefix = key.split(":", 1)[0]
    return f"{prefix}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def parse_iso_datetime(value: str | None) -> datetime | None:
    """Parse ``2013-10-10T19:20:29Z`` or ``2014-01-14 17:31:03`` (naive means UTC).

    Returns:
        A UTC-aware datetime, or None when ``value`` is empty, all zeros (WordPress's
        ``0000-00-00 00:00:00``) or not a date.
    """
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _is_story_url(url: str) -> bool:
    return bool(url) and len(url) <= 2000 and url_origin(url) is not None


def _normalise_domain(domain: str) -> str:
    domain = domain.strip().lower()
    try:
        host = urlsplit(f"//{domain}").hostname
    except ValueError:
        host = None
    if not domain or host != domain.split(":")[0] or "/" in domain:
        raise CommentImportError(
            f"{domain!r} is not a domain: give a host name such as news.example.com."
        )
    return domain
