"""Import a Disqus comments export.

Source format: the XML file Disqus mails from Admin > Moderation > Export
(https://help.disqus.com/en/articles/1717164-comments-export), described by
http://disqus.com/api/schemas/1.0/disqus.xsd and ``disqus-internals.xsd``::

    <disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
      <category dsq:id="1"><forum/><title/></category>
      <thread dsq:id="2">
        <id>the site's identifier, often empty</id>
        <link>https://news.example.com/a-story</link> <title/> <createdAt>ISO-8601 Z</createdAt>
        <author><name/><email/><isAnonymous/><username/></author>
        <isClosed>false</isClosed> <isDeleted>false</isDeleted>
      </thread>
      <post dsq:id="4">
        <message><![CDATA[<p>HTML</p>]]></message> <createdAt/> <isDeleted/> <isSpam/>
        <author>...</author> <thread dsq:id="2"/> <parent dsq:id="3"/>
      </post>
    </disqus>

How it maps (decisions a newsroom would expect, checked by tests/importers):

- A thread is identified by its ``dsq:id`` attribute, never by ``<id>`` (often empty).
  Each live thread with an http(s) ``<link>`` becomes a story (``external_id``
  ``disqus:<dsq:id>``), with or without posts: Disqus made one per page that loaded the
  embed, so it is a comment stream already. Threads with the same link share one story.
  ``createdAt`` gives ``created_at`` and ``published_at``; ``isClosed`` true closes the
  story at the import time (the export does not say since when). Deleted threads
  (``isDeleted``) make no story and their posts are skipped; posts of a thread absent
  from the export are skipped too; both are counted by reason.
- A post becomes a comment (``external_id`` ``disqus:<dsq:id>``); its HTML message is
  sanitised. Status: deleted or spam -> REJECTED (kept, hidden, so replies to it keep
  their place); otherwise NONE, as a comment posted here without moderation.
- Authors become unclaimed profiles: ``disqus:<username>`` for registered users,
  ``disqus:anonymous:<hash of name and e-mail>`` for guests (the e-mail itself is not
  stored).
- A reply whose parent is not in the export is imported as a top-level comment and
  counted (``replies_promoted``); a reply listed before its parent is placed under it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element

from comments.importers.records import (
    THREAD_DELETED,
    THREAD_NO_ID,
    CommentImportError,
    ImportedAuthor,
    ImportedPost,
    ImportedThread,
    ImportSummary,
    bounded_key,
    parse_iso_datetime,
)
from comments.importers.writer import ImportWriter
from comments.importers.xmlstream import ExportFile, iter_xml, local_name, open_export
from comments.models import CommentStatus

__all__ = ["DISQUS_NAMESPACE", "DSQ_NAMESPACE", "import_disqus", "parse_disqus"]

DISQUS_NAMESPACE = "http://disqus.com"
DSQ_NAMESPACE = "http://disqus.com/disqus-internals"
_DSQ_ID = f"{{{DSQ_NAMESPACE}}}id"
_ROOT_TAGS = (f"{{{DISQUS_NAMESPACE}}}disqus", "disqus")


def _children(element: Element) -> dict[str, Element]:
    """Map local names of ``element``'s children to the first child of each name."""
    children: dict[str, Element] = {}
    for child in element:
        children.setdefault(local_name(child.tag), child)
    return children


def _text(children: dict[str, Element], name: str) -> str:
    child = children.get(name)
    return (child.text or "").strip() if child is not None else ""


def _is_true(children: dict[str, Element], name: str) -> bool:
    return _text(children, name).lower() == "true"


def _ref(children: dict[str, Element], name: str) -> str | None:
    child = children.get(name)
    dsq_id = (child.get(_DSQ_ID) or "").strip() if child is not None else ""
    return bounded_key(f"disqus:{dsq_id}") if dsq_id else None


def _author(element: Element | None) -> ImportedAuthor:
    children = _children(element) if element is not None else {}
    name = " ".join(_text(children, "name").split())
    username = _text(children, "username")
    if username and not _is_true(children, "isAnonymous"):
        return ImportedAuthor(key=bounded_key(f"disqus:{username}"), name=name or username)
    email = _text(children, "email").lower()
    digest = hashlib.sha256(f"{name.casefold()}\n{email}".encode()).hexdigest()[:40]
    return ImportedAuthor(key=f"disqus:anonymous:{digest}", name=name or "Anonymous")


def _thread(element: Element) -> ImportedThread:
    children = _children(element)
    dsq_id = (element.get(_DSQ_ID) or "").strip()
    author = children.get("author")
    return ImportedThread(
        key=bounded_key(f"disqus:{dsq_id}") if dsq_id else "",
        url=_text(children, "link"),
        title=_text(children, "title"),
        author=_author(author).name if author is not None else "",
        created_at=parse_iso_datetime(_text(children, "createdAt")),
        is_closed=_is_true(children, "isClosed"),
        skip_reason=(
            THREAD_NO_ID
            if not dsq_id
            else THREAD_DELETED
            if _is_true(children, "isDeleted")
            else None
        ),
    )


def _post(element: Element) -> ImportedPost:
    children = _children(element)
    dsq_id = (element.get(_DSQ_ID) or "").strip()
    hidden = _is_true(children, "isDeleted") or _is_true(children, "isSpam")
    message = children.get("message")
    return ImportedPost(
        key=bounded_key(f"disqus:{dsq_id}") if dsq_id else "",
        thread_key=_ref(children, "thread") or "",
        parent_key=_ref(children, "parent"),
        author=_author(children.get("author")),
        body=(message.text or "") if message is not None else "",
        status=CommentStatus.REJECTED if hidden else CommentStatus.NONE,
        created_at=parse_iso_datetime(_text(children, "createdAt")),
    )


def parse_disqus(
    stream: IO[bytes], *, threads: bool = True, posts: bool = True
) -> Iterator[ImportedThread | ImportedPost]:
    """Stream the threads and/or posts of a Disqus export, in file order.

    Each ``<thread>``/``<post>`` is read whole (they are small), turned into a record and
    dropped from the tree, so memory stays flat however long the file is.

    Args:
        threads, posts: which records to yield (the file is parsed whole either way).
    Raises:
        CommentImportError: malformed XML, or the root is not ``<disqus>``.
    """
    depth = 0
    root: Element | None = None
    for event, element in iter_xml(stream):
        if event == "start":
            if root is None:
                if element.tag not in _ROOT_TAGS:
                    raise CommentImportError(
                        f"Not a Disqus export: the root element is <{local_name(element.tag)}>"
                        f', expected <disqus xmlns="{DISQUS_NAMESPACE}">.'
                    )
                root = element
            depth += 1
            continue
        depth -= 1
        if depth != 1:
            continue
        name = local_name(element.tag)
        if name == "thread" and threads:
            yield _thread(element)
        elif name == "post" and posts:
            yield _post(element)
        assert root is not None
        root.clear()


def import_disqus(*, file: ExportFile, site_domain: str | None = None) -> ImportSummary:
    """Import a Disqus export: stories, threaded comments, unclaimed authors.

    Reads the file four times, streaming: a check of the whole file (nothing is written
    when it is malformed), the threads, the posts, and, only if a reply came before its
    parent, the replies again. Safe to run again: rows are matched by ``external_id``,
    and a re-run reports everything as already present.

    Args:
        file: a path, or a seekable binary file object.
        site_domain: the site's domain for every story (the site is created when
            missing); None derives the site from each thread link's host.
    Returns:
        The counts of what was created, found, and skipped by reason.
    Raises:
        CommentImportError: unreadable or malformed file, not a Disqus export, or an
            invalid ``site_domain``. Nothing has been written then.
    """
    writer = ImportWriter(source="disqus", site_domain=site_domain)
    with open_export(file) as stream:
        for _record in parse_disqus(stream):
            pass
    with open_export(file) as stream:
        writer.write(parse_disqus(stream, posts=False))
    with open_export(file) as stream:
        writer.write(parse_disqus(stream, threads=False))
    with open_export(file) as stream:
        writer.relink(
            record
            for record in parse_disqus(stream, threads=False)
            if isinstance(record, ImportedPost)
        )
    return writer.finish()
