"""Helpers for the importer tests: the shared exports, DB snapshots, synthetic exports.

The exact numbers the tests assert were counted from the files with a separate script
(ElementTree over the whole file, no importer code), not read off the importer's output.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from comments.models import Comment, CommentAction, CommentRevision, Site, Story
from moderation.models import Profile
from tests.support import shared_export

DISQUS_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
)


@pytest.fixture
def data_file():
    """Return the path of one of the shared exports; fail clearly when it is not there."""
    return shared_export


def snapshot() -> dict[str, object]:
    """Everything an import may change: row counts, counters, threading, statuses."""
    return {
        "sites": sorted(Site.objects.values_list("domain", "name")),
        "stories": sorted(
            Story.objects.values_list("external_id", "url", "comment_count", "closed_at")
        ),
        "comments": sorted(
            (external_id or "", parent or "", depth, str(ancestors), status, replies, body)
            for external_id, parent, depth, ancestors, status, replies, body in (
                Comment.objects.values_list(
                    "external_id",
                    "parent__external_id",
                    "depth",
                    "ancestor_ids",
                    "status",
                    "reply_count",
                    "body",
                )
            )
        ),
        "profiles": sorted(Profile.objects.values_list("external_id", "username")),
        "actions": CommentAction.objects.count(),
        "revisions": CommentRevision.objects.count(),
    }


def statuses(**filters) -> Counter[str]:
    """Count comments by status."""
    return Counter(Comment.objects.filter(**filters).values_list("status", flat=True))


def comment(external_id: str) -> Comment:
    return Comment.objects.select_related("parent", "author", "story").get(external_id=external_id)


def assert_threading_consistent() -> None:
    """Every comment's ancestors/depth follow its parent; counters match the rows."""
    for row in Comment.objects.select_related("parent"):
        if row.parent is None:
            assert (row.depth, row.ancestor_ids) == (0, []), row.external_id
        else:
            assert row.depth == row.parent.depth + 1, row.external_id
            assert row.ancestor_ids == [*row.parent.ancestor_ids, str(row.parent.pk)]
        visible_replies = row.replies.filter(status__in=("NONE", "APPROVED")).count()
        assert row.reply_count == visible_replies, row.external_id
    for story in Story.objects.all():
        visible = story.comments.filter(status__in=("NONE", "APPROVED")).count()
        assert story.comment_count == visible, story.external_id


def disqus_thread(dsq_id: str, link: str = "", *, closed=False, deleted=False, title="") -> str:
    return (
        f'<thread dsq:id="{dsq_id}"><id/><forum>f</forum><link>{link}</link>'
        f"<title>{title}</title><createdAt>2020-01-01T10:00:00Z</createdAt>"
        "<author><name>Desk</name><isAnonymous>false</isAnonymous><username>desk</username>"
        f"</author><isClosed>{str(closed).lower()}</isClosed>"
        f"<isDeleted>{str(deleted).lower()}</isDeleted></thread>\n"
    )


def disqus_post(
    dsq_id: str,
    thread: str,
    *,
    parent: str | None = None,
    message: str = "<p>Hello</p>",
    name: str = "Reader",
    email: str = "reader@example.invalid",
    username: str | None = None,
    deleted: bool = False,
    spam: bool = False,
    created_at: str = "2020-01-02T10:00:00Z",
) -> str:
    author = f"<name>{name}</name><email>{email}</email>" + (
        f"<isAnonymous>false</isAnonymous><username>{username}</username>"
        if username
        else "<isAnonymous>true</isAnonymous>"
    )
    return (
        f'<post dsq:id="{dsq_id}"><id/><message><![CDATA[{message}]]></message>'
        f"<createdAt>{created_at}</createdAt><isDeleted>{str(deleted).lower()}</isDeleted>"
        f"<isSpam>{str(spam).lower()}</isSpam><author>{author}</author>"
        f'<thread dsq:id="{thread}"/>'
        + (f'<parent dsq:id="{parent}"/>' if parent else "")
        + "</post>\n"
    )


def disqus_export(*parts: str) -> bytes:
    return (DISQUS_HEAD + "".join(parts) + "</disqus>\n").encode()


def write_synthetic_disqus(path: Path, *, posts: int, per_thread: int = 50) -> None:
    """Write a Disqus export of ``posts`` posts, ``per_thread`` per thread, with replies."""
    with path.open("w", encoding="utf-8") as out:
        out.write(DISQUS_HEAD)
        for thread in range(posts // per_thread):
            out.write(disqus_thread(f"t{thread}", f"https://news.example.com/story-{thread}"))
        for number in range(posts):
            out.write(
                disqus_post(
                    f"p{number}",
                    f"t{number // per_thread}",
                    parent=f"p{number - 1}" if number % per_thread and number % 3 else None,
                    message=f"<p>Comment {number}: some words to look like a real one.</p>",
                    name=f"Reader {number % 500}",
                    email=f"r{number % 500}@example.invalid",
                )
            )
        out.write("</disqus>\n")
