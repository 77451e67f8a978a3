"""The one database writer shared by every comment importer.

A format module (``disqus``, ``wordpress``) turns an export into a stream of plain
records, :class:`ImportedThread` (becomes a :class:`~comments.models.Story`) and
:class:`ImportedPost` (becomes a :class:`~comments.models.Comment`), and feeds them to an
:class:`ImportWriter`, which writes them in batches, one transaction per batch.

Memory does not grow with the export: the XML is parsed with ``defusedxml``'s
``iterparse`` (no external entities, no entity expansion) and each thread, post or item
is cleared once read. The writer never holds an index of the posts: parents, stories and
authors are looked up in the database by ``external_id``, one query per batch. The only
per-import state is one entry per *host* (sites) and one per thread that did not map
one-to-one to a story (deleted, without a link, or merged with another thread that has the
same URL); there are few of those, and never one per post.

Threading, for any depth and any order of posts in the file:

1. posts are written in file order; a reply whose parent is already stored gets its
   ``parent``, ``ancestor_ids`` and ``depth`` at once;
2. a reply listed before its parent is stored *provisionally*: no parent yet and
   ``depth >= PROVISIONAL_DEPTH`` (its own replies inherit a depth above that mark);
3. :meth:`ImportWriter.relink` streams the posts again and attaches each provisional
   reply to its parent (refusing links that would make a cycle), or makes it top-level
   when the parent is not in the database;
4. :meth:`ImportWriter.finish` recomputes ``ancestor_ids``/``depth`` top-down for every
   row still at or above the mark, one level per round, in database batches.

Rows at or above the mark exist only between step 2 and step 4; an import interrupted in
between is completed by running it again.

Counters are changed with ``F()`` as rows are written: ``Story.comment_count`` counts
visible (NONE/APPROVED) comments at every depth and ``Comment.reply_count`` visible direct
replies, so they stay right when an import adds comments to a story that already had some.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from comments.importers.records import (
    _COMMENT_REASON_FOR_THREAD,
    _MAX_DEPTH,
    BATCH_SIZE,
    COMMENT_NO_ID,
    COMMENT_THREAD_MISSING,
    PROVISIONAL_DEPTH,
    THREAD_NO_LINK,
    ImportedPost,
    ImportedThread,
    ImportSummary,
    _is_story_url,
    _normalise_domain,
)
from comments.models import (
    VISIBLE_STATUSES,
    ActionKind,
    Comment,
    CommentAction,
    CommentRevision,
    Site,
    Story,
)
from comments.sanitize import sanitize_body
from comments.selectors import site_get_for_url
from moderation.models import Profile

# --- the writer -----------------------------------------------------------------------

_T = TypeVar("_T")


def _atomic_with_retry(write: Callable[[], _T]) -> _T:
    """Run ``write`` in a transaction, once more if it lost a race on a unique key.

    ``write`` looks rows up before inserting them; a row created meanwhile by someone
    else (a story lazily created by the embed) makes the insert fail, and the second
    attempt finds that row.
    """
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        with transaction.atomic():
            return write()


@dataclass(frozen=True)
class _StoryRef:
    pk: uuid.UUID
    site_id: uuid.UUID


@dataclass
class _ParentRef:
    pk: uuid.UUID
    story_id: uuid.UUID
    depth: int
    ancestor_ids: list[str]
    row: Comment | None = None  # set when the parent is written in the same batch


class ImportWriter:
    """Writes imported threads and posts; shared by every format.

    Feed records with :meth:`write` (threads before the posts that refer to them), then,
    when any reply was listed before its parent, the posts again through :meth:`relink`,
    then call :meth:`finish` for the summary. See the module docstring for the method.

    Args:
        source: the format name, e.g. ``"disqus"``; also the prefix of every
            ``external_id`` this writer creates (``"disqus:..."``).
        site_domain: the site for every story (created when missing); None derives it
            from each story URL's host.
        batch_size: records per transaction (default ``BATCH_SIZE``).
    """

    def __init__(
        self, *, source: str, site_domain: str | None = None, batch_size: int | None = None
    ) -> None:
        self.summary = ImportSummary(source=source)
        self.now = timezone.now()
        self._prefix = f"{source}:"
        self._site_domain = _normalise_domain(site_domain) if site_domain else None
        self._batch_size = batch_size or BATCH_SIZE
        self._sites: dict[str, uuid.UUID] = {}
        self._aliases: dict[str, _StoryRef] = {}
        self._skipped_threads: dict[str, str] = {}
        self._threads: list[ImportedThread] = []
        self._posts: list[ImportedPost] = []

    # Threads ---------------------------------------------------------------------------

    def write(self, records: Iterable[ImportedThread | ImportedPost]) -> None:
        """Write threads as stories and posts as comments, in batches, in file order."""
        for record in records:
            if isinstance(record, ImportedThread):
                self._threads.append(record)
                if len(self._threads) >= self._batch_size:
                    self._flush_threads()
            else:
                self._posts.append(record)
                if len(self._posts) >= self._batch_size:
                    self._flush_posts()
        self._flush_posts()

    def _site_for(self, url: str) -> uuid.UUID:
        host = self._site_domain or (urlsplit(url).hostname or "").lower()
        if host in self._sites:
            return self._sites[host]
        site = None if self._site_domain else site_get_for_url(url=url)
        if site is None:
            site, created = Site.objects.get_or_create(
                domain=host,
                defaults={
                    "name": host,
                    "allowed_origins": [f"https://{host}", f"http://{host}"],
                },
            )
            self.summary.sites_created += int(created)
        self._sites[host] = site.pk
        return site.pk

    def _flush_threads(self) -> None:
        batch, self._threads = self._threads, []
        candidates: list[ImportedThread] = []
        for thread in batch:
            reason = thread.skip_reason
            if reason is None and not _is_story_url(thread.url):
                reason = THREAD_NO_LINK
            if reason is not None:
                self._skipped_threads[thread.key] = reason
                self.summary.threads_skipped[reason] += 1
            else:
                candidates.append(thread)
        if not candidates:
            return
        site_ids = {thread.key: self._site_for(thread.url) for thread in candidates}

        def write() -> tuple[ImportSummary, dict[str, _StoryRef]]:
            delta = ImportSummary(source=self.summary.source)
            aliases: dict[str, _StoryRef] = {}
            keys = [thread.key for thread in candidates]
            known = set(
                Story.objects.filter(external_id__in=keys).values_list("external_id", flat=True)
            )
            by_url: dict[tuple[uuid.UUID, str], _StoryRef] = {}
            urls_by_site: dict[uuid.UUID, set[str]] = {}
            for thread in candidates:
                if thread.key not in known:
                    urls_by_site.setdefault(site_ids[thread.key], set()).add(thread.url)
            for site_id, urls in urls_by_site.items():
                for pk, url in Story.objects.filter(site_id=site_id, url__in=urls).values_list(
                    "pk", "url"
                ):
                    by_url[(site_id, url)] = _StoryRef(pk=pk, site_id=site_id)
            new_stories: list[Story] = []
            for thread in candidates:
                if thread.key in known:
                    delta.stories_existing += 1
                    continue
                site_id = site_ids[thread.key]
                existing = by_url.get((site_id, thread.url))
                if existing is not None:  # same URL as another thread or a live story
                    aliases[thread.key] = existing
                    delta.stories_existing += 1
                    continue
                story = Story(
                    id=uuid.uuid4(),
                    site_id=site_id,
                    url=thread.url,
                    title=thread.title[:500],
                    author=thread.author[:200],
                    created_at=thread.created_at or self.now,
                    published_at=thread.created_at,
                    closed_at=self.now if thread.is_closed else None,
                    external_id=thread.key,
                )
                new_stories.append(story)
                known.add(thread.key)
                by_url[(site_id, thread.url)] = _StoryRef(pk=story.pk, site_id=site_id)
                delta.stories_created += 1
            Story.objects.bulk_create(new_stories)
            return delta, aliases

        delta, aliases = _atomic_with_retry(write)
        self.summary.merge(delta)
        self._aliases.update(aliases)

    # Posts -----------------------------------------------------------------------------

    def _stories_for(self, keys: set[str]) -> dict[str, _StoryRef]:
        stories = {key: self._aliases[key] for key in keys if key in self._aliases}
        lookup = keys - stories.keys() - self._skipped_threads.keys()
        for external_id, pk, site_id in Story.objects.filter(external_id__in=lookup).values_list(
            "external_id", "pk", "site_id"
        ):
            stories[external_id] = _StoryRef(pk=pk, site_id=site_id)
        return stories

    def _flush_posts(self) -> None:
        self._flush_threads()
        batch, self._posts = self._posts, []
        if not batch:
            return
        stories = self._stories_for({post.thread_key for post in batch if post.thread_key})
        placed: list[tuple[ImportedPost, _StoryRef]] = []
        for post in batch:
            story = stories.get(post.thread_key)
            if not post.key:
                self.summary.comments_skipped[COMMENT_NO_ID] += 1
            elif story is not None:
                placed.append((post, story))
            elif post.thread_key in self._skipped_threads:
                reason = self._skipped_threads[post.thread_key]
                self.summary.comments_skipped[_COMMENT_REASON_FOR_THREAD[reason]] += 1
            else:
                self.summary.comments_skipped[COMMENT_THREAD_MISSING] += 1
        if placed:
            self.summary.merge(_atomic_with_retry(lambda: self._write_posts(placed)))

    def _authors_for(self, posts: list[ImportedPost], delta: ImportSummary) -> dict[str, uuid.UUID]:
        names: dict[str, str] = {}
        for post in posts:
            if post.author is not None:
                names.setdefault(post.author.key, post.author.name)
        authors = dict(
            Profile.objects.filter(external_id__in=names).values_list("external_id", "pk")
        )
        new_profiles = [
            Profile(
                id=uuid.uuid4(),
                user=None,
                username=(name.strip() or "Anonymous")[:100],
                external_id=key,
            )
            for key, name in names.items()
            if key not in authors
        ]
        Profile.objects.bulk_create(new_profiles)
        delta.authors_created += len(new_profiles)
        authors.update((profile.external_id, profile.pk) for profile in new_profiles)
        return authors

    def _write_posts(self, placed: list[tuple[ImportedPost, _StoryRef]]) -> ImportSummary:
        delta = ImportSummary(source=self.summary.source)
        present = set(
            Comment.objects.filter(external_id__in=[post.key for post, _ in placed]).values_list(
                "external_id", flat=True
            )
        )
        todo: list[tuple[ImportedPost, _StoryRef]] = []
        for post, story in placed:
            if post.key in present:  # imported before, or listed twice
                delta.comments_existing += 1
            else:
                present.add(post.key)
                todo.append((post, story))
        if not todo:
            return delta
        authors = self._authors_for([post for post, _ in todo], delta)
        parents: dict[str, _ParentRef] = {
            row["external_id"]: _ParentRef(
                pk=row["pk"],
                story_id=row["story_id"],
                depth=row["depth"],
                ancestor_ids=row["ancestor_ids"],
            )
            for row in Comment.objects.filter(
                external_id__in={post.parent_key for post, _ in todo if post.parent_key}
            ).values("external_id", "pk", "story_id", "depth", "ancestor_ids")
        }
        comments: list[Comment] = []
        story_counts: Counter[uuid.UUID] = Counter()
        reply_counts: Counter[uuid.UUID] = Counter()
        for post, story in todo:
            status = post.status
            comment = Comment(
                id=uuid.uuid4(),
                story_id=story.pk,
                site_id=story.site_id,
                author_id=authors.get(post.author.key) if post.author else None,
                body=sanitize_body(post.body),
                status=status,
                created_at=post.created_at or self.now,
                external_id=post.key,
            )
            parent = parents.get(post.parent_key) if post.parent_key else None
            if post.parent_key is None:
                pass
            elif parent is None:  # listed before its parent: placed by relink()
                comment.depth = PROVISIONAL_DEPTH
            elif parent.story_id != story.pk:
                delta.replies_promoted += 1
            else:
                comment.parent_id = parent.pk
                comment.ancestor_ids = [*parent.ancestor_ids, str(parent.pk)]
                comment.depth = min(parent.depth + 1, _MAX_DEPTH)
            is_visible = status in VISIBLE_STATUSES
            if is_visible:
                story_counts[story.pk] += 1
                if comment.parent_id is not None:
                    if parent is not None and parent.row is not None:
                        parent.row.reply_count += 1
                    else:
                        reply_counts[comment.parent_id] += 1
            parents[post.key] = _ParentRef(
                pk=comment.pk,
                story_id=story.pk,
                depth=comment.depth,
                ancestor_ids=comment.ancestor_ids,
                row=comment,
            )
            comments.append(comment)
            delta.comments_imported += 1
            delta.comments_by_status[status] += 1
        Comment.objects.bulk_create(comments)
        CommentRevision.objects.bulk_create(
            CommentRevision(comment=c, body=c.body, created_at=c.created_at) for c in comments
        )
        CommentAction.objects.bulk_create(
            CommentAction(
                comment=c,
                actor=None,
                kind=ActionKind.IMPORTED,
                to_status=c.status,
                note=f"Imported from a {self.summary.source} export ({c.external_id}).",
            )
            for c in comments
        )
        for story_pk, count in story_counts.items():
            Story.objects.filter(pk=story_pk).update(comment_count=F("comment_count") + count)
        for parent_pk, count in reply_counts.items():
            Comment.objects.filter(pk=parent_pk).update(reply_count=F("reply_count") + count)
        return delta

    # Threading fix-up ------------------------------------------------------------------

    def _provisional(self) -> QuerySet[Comment]:
        return Comment.objects.filter(
            external_id__startswith=self._prefix, depth__gte=PROVISIONAL_DEPTH
        )

    def needs_relink(self) -> bool:
        """Return True when some reply was stored before its parent (relink needed)."""
        return self._provisional().filter(parent__isnull=True).exists()

    def relink(self, posts: Iterable[ImportedPost]) -> None:
        """Attach replies stored before their parents; make orphans top-level.

        Args:
            posts: the export's posts again, in any order; only replies are used.
        """
        if not self.needs_relink():
            return
        batch: list[ImportedPost] = []
        for post in posts:
            if post.parent_key and post.key:
                batch.append(post)
                if len(batch) >= self._batch_size:
                    self._relink_batch(batch)
                    batch = []
        self._relink_batch(batch)
        # Left over by an interrupted import of another file: make them top-level.
        self._provisional().filter(parent__isnull=True).update(depth=0)

    def _creates_cycle(self, *, child_pk: uuid.UUID, parent_pk: uuid.UUID) -> bool:
        """Return True if ``parent_pk`` descends from ``child_pk`` (current parent links).

        ``ancestor_ids`` of a row are exact up to its first entry, a row that had no
        parent when the row was written; only such rows get new parents here, so the
        walk jumps from one of them to the next.
        """
        child = str(child_pk)
        node: uuid.UUID | None = parent_pk
        for _ in range(_MAX_DEPTH):
            row = Comment.objects.filter(pk=node).values("parent_id", "ancestor_ids").first()
            if row is None:
                return False
            if node == child_pk or child in row["ancestor_ids"]:
                return True
            if row["ancestor_ids"]:
                top = uuid.UUID(row["ancestor_ids"][0])
                node = Comment.objects.filter(pk=top).values_list("parent_id", flat=True).first()
            else:
                node = row["parent_id"]
            if node is None:
                return False
        return True

    def _relink_batch(self, batch: list[ImportedPost]) -> None:
        if not batch:
            return
        children = {
            row["external_id"]: row
            for row in self._provisional()
            .filter(parent__isnull=True, external_id__in=[post.key for post in batch])
            .values("external_id", "pk", "story_id", "status")
        }
        if not children:
            return
        parents = dict(
            Comment.objects.filter(
                external_id__in=[post.parent_key for post in batch if post.key in children]
            ).values_list("external_id", "pk")
        )
        parent_stories = dict(
            Comment.objects.filter(pk__in=parents.values()).values_list("pk", "story_id")
        )
        promoted = 0
        with transaction.atomic():
            for post in batch:
                child = children.pop(post.key, None)
                if child is None:
                    continue
                parent_pk = parents.get(post.parent_key)
                if (
                    parent_pk is not None
                    and parent_stories[parent_pk] == child["story_id"]
                    and not self._creates_cycle(child_pk=child["pk"], parent_pk=parent_pk)
                ):
                    Comment.objects.filter(pk=child["pk"]).update(parent_id=parent_pk)
                    if child["status"] in VISIBLE_STATUSES:
                        Comment.objects.filter(pk=parent_pk).update(
                            reply_count=F("reply_count") + 1
                        )
                else:
                    Comment.objects.filter(pk=child["pk"]).update(depth=0, ancestor_ids=[])
                    promoted += 1
        self.summary.replies_promoted += promoted

    def _fix_threading(self) -> None:
        """Recompute ``ancestor_ids``/``depth`` of rows above the mark, top-down."""
        while True:
            rows = list(
                self._provisional()
                .filter(parent__depth__lt=PROVISIONAL_DEPTH)
                .values("pk", "parent_id", "parent__depth", "parent__ancestor_ids")[
                    : self._batch_size
                ]
            )
            if not rows:
                return
            fixed = [
                Comment(
                    pk=row["pk"],
                    depth=row["parent__depth"] + 1,
                    ancestor_ids=[*row["parent__ancestor_ids"], str(row["parent_id"])],
                )
                for row in rows
            ]
            with transaction.atomic():
                Comment.objects.bulk_update(fixed, ["depth", "ancestor_ids"])

    def finish(self) -> ImportSummary:
        """Complete the threading and return the summary."""
        self._fix_threading()
        return self.summary
