"""The Disqus importer against the shared exports and small inline ones.

isso-disqus.xml (counted by hand): threads 2 (link), 3 (no link, no posts), 7 (link, empty
title and <id>); posts 4 (thread 2, guest "peter"), 5 (reply to 4, user "user"),
6 (thread 1337, absent), 8 (thread 7, user "EmptyUsername"), 9 (thread 2, deleted,
"peter"), 11 (reply to the deleted 9, "user").

disqus-export-2023.xml: one thread (9796275722), 51 posts, none a reply, 2 deleted
(6245541247, 6257561832), 49 distinct authors (one registered: canancili, 2 posts).
"""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, datetime

import pytest

from comments.importers import writer
from comments.importers.disqus import import_disqus, parse_disqus
from comments.importers.records import PROVISIONAL_DEPTH
from comments.importers.writer import ImportWriter
from comments.importers.xmlstream import open_export
from comments.models import ActionKind, Comment, CommentAction, Site, Story
from moderation.models import Profile
from tests.factories import CommentFactory, SiteFactory, StoryFactory
from tests.importers.conftest import (
    assert_threading_consistent,
    comment,
    disqus_export,
    disqus_post,
    disqus_thread,
    snapshot,
    statuses,
    write_synthetic_disqus,
)


@pytest.mark.django_db
def test_isso_export_imports_stories_comments_and_authors(data_file):
    summary = import_disqus(file=data_file("isso-disqus.xml"))

    assert (summary.stories_created, summary.stories_existing) == (2, 0)
    assert (summary.comments_imported, summary.comments_existing) == (5, 0)
    assert summary.comments_by_status == {"NONE": 4, "REJECTED": 1}
    assert summary.authors_created == 3
    assert summary.sites_created == 2
    assert summary.replies_promoted == 0
    assert summary.threads_skipped == {"no valid http(s) link": 1}
    assert summary.comments_skipped == {"thread missing from the export": 1}
    assert sorted(Story.objects.values_list("external_id", flat=True)) == [
        "disqus:2",
        "disqus:7",
    ]
    assert statuses() == {"NONE": 4, "REJECTED": 1}
    assert not Comment.objects.filter(external_id="disqus:6").exists()


@pytest.mark.django_db
def test_isso_export_story_fields_and_sites(data_file):
    import_disqus(file=data_file("isso-disqus.xml"))

    story = Story.objects.select_related("site").get(external_id="disqus:2")
    assert story.url == "http://example.org/"
    assert story.title == "Hello, World!"
    assert story.author == "Baz"
    assert story.created_at == story.published_at == datetime(2012, 12, 12, 12, 12, 12, tzinfo=UTC)
    assert story.closed_at is None
    assert story.site.domain == "example.org"
    assert story.site.name == "example.org"
    assert story.site.allowed_origins == ["https://example.org", "http://example.org"]
    # Thread 7 has an empty <id> and an empty title: identified by dsq:id all the same.
    untitled = Story.objects.select_related("site").get(external_id="disqus:7")
    assert untitled.title == ""
    assert untitled.url == "http://localhost:4000/blog/2013/02/12/redacted/index.html"
    assert untitled.site.domain == "localhost"


@pytest.mark.django_db
def test_isso_export_threading_statuses_and_counters(data_file):
    import_disqus(file=data_file("isso-disqus.xml"))

    first, reply = comment("disqus:4"), comment("disqus:5")
    assert (first.parent, first.depth, first.ancestor_ids) == (None, 0, [])
    assert reply.parent == first
    assert (reply.depth, reply.ancestor_ids) == (1, [str(first.pk)])
    assert reply.body == "<p>Hello, World.</p>"
    assert reply.created_at == datetime(2013, 10, 11, 6, 51, 33, tzinfo=UTC)
    # The deleted post is kept hidden, so the reply to it keeps its place.
    deleted, reply_to_deleted = comment("disqus:9"), comment("disqus:11")
    assert deleted.status == "REJECTED"
    assert (reply_to_deleted.parent, reply_to_deleted.depth) == (deleted, 1)
    assert reply_to_deleted.status == "NONE"
    assert (first.reply_count, deleted.reply_count, reply.reply_count) == (1, 1, 0)
    assert Story.objects.get(external_id="disqus:2").comment_count == 3
    assert Story.objects.get(external_id="disqus:7").comment_count == 1
    assert_threading_consistent()


@pytest.mark.django_db
def test_isso_export_authors_are_unclaimed_profiles(data_file):
    import_disqus(file=data_file("isso-disqus.xml"))

    assert Profile.objects.count() == 3
    assert not Profile.objects.filter(user__isnull=False).exists()
    assert comment("disqus:5").author.external_id == "disqus:user"
    assert comment("disqus:8").author.external_id == "disqus:EmptyUsername"
    assert comment("disqus:8").author.username == "Empty"
    guest = comment("disqus:4").author
    assert guest.username == "peter"
    assert guest.external_id.startswith("disqus:anonymous:")
    assert "@" not in guest.external_id  # the e-mail is hashed, not stored
    assert comment("disqus:9").author == guest


@pytest.mark.django_db
def test_each_comment_gets_an_imported_action_and_a_revision(data_file):
    import_disqus(file=data_file("isso-disqus.xml"))

    for row in Comment.objects.all():
        action = CommentAction.objects.get(comment=row)
        assert (action.kind, action.to_status, action.actor) == (
            ActionKind.IMPORTED,
            row.status,
            None,
        )
        assert list(row.revisions.values_list("body", flat=True)) == [row.body]


@pytest.mark.django_db
def test_isso_export_second_run_changes_nothing(data_file):
    import_disqus(file=data_file("isso-disqus.xml"))
    before = snapshot()

    summary = import_disqus(file=data_file("isso-disqus.xml"))

    assert (summary.stories_created, summary.stories_existing) == (0, 2)
    assert (summary.comments_imported, summary.comments_existing) == (0, 5)
    assert (summary.authors_created, summary.sites_created) == (0, 0)
    assert summary.comments_skipped == {"thread missing from the export": 1}
    assert snapshot() == before


@pytest.mark.django_db
def test_2023_export(data_file):
    summary = import_disqus(file=data_file("disqus-export-2023.xml"))

    assert (summary.stories_created, summary.comments_imported) == (1, 51)
    assert summary.comments_by_status == {"NONE": 49, "REJECTED": 2}
    assert summary.authors_created == 49
    assert summary.threads_skipped == summary.comments_skipped == {}
    story = Story.objects.get()
    assert (story.external_id, story.url) == (
        "disqus:9796275722",
        "https://yesilmavihayat.com/yorumlar",
    )
    assert story.title == "Yeşil Mavi Hayat"
    assert story.comment_count == 49
    assert statuses() == {"NONE": 49, "REJECTED": 2}
    assert statuses(external_id__in=["disqus:6245541247", "disqus:6257561832"]) == {"REJECTED": 2}
    assert set(Comment.objects.values_list("depth", "parent", "reply_count")) == {(0, None, 0)}
    assert Profile.objects.filter(user__isnull=True).count() == 49
    registered = comment("disqus:6301482737")
    assert (registered.author.external_id, registered.author.username) == (
        "disqus:canancili",
        "Canan Cili",
    )
    assert comment("disqus:6301485297").author == registered.author
    assert registered.created_at == datetime(2023, 10, 16, 8, 28, 46, tzinfo=UTC)
    assert 'rel="nofollow ugc"' in registered.body
    assert "noopener" not in registered.body
    assert_threading_consistent()


@pytest.mark.django_db
def test_2023_export_second_run_changes_nothing(data_file):
    import_disqus(file=data_file("disqus-export-2023.xml"))
    before = snapshot()

    summary = import_disqus(file=data_file("disqus-export-2023.xml"))

    assert (summary.comments_imported, summary.comments_existing) == (0, 51)
    assert (summary.stories_existing, summary.authors_created) == (1, 0)
    assert snapshot() == before


@pytest.mark.django_db
def test_bodies_are_sanitised():
    export = disqus_export(
        disqus_thread("1", "https://news.example.com/a"),
        disqus_post(
            "10",
            "1",
            message=(
                "<p>Hi<script>alert('x')</script></p><img src=x onerror=alert(1)>"
                '<a href="javascript:alert(1)">x</a><a href="https://ok.example">ok</a>'
            ),
        ),
    )

    import_disqus(file=io.BytesIO(export))

    body = Comment.objects.get().body
    assert "<script" not in body
    assert "alert" not in body
    assert "onerror" not in body
    assert body == (
        '<p>Hi</p><a rel="nofollow ugc">x</a><a href="https://ok.example" rel="nofollow ugc">ok</a>'
    )


@pytest.mark.django_db
def test_deleted_thread_is_skipped_with_its_posts():
    export = disqus_export(
        disqus_thread("1", "https://news.example.com/kept"),
        disqus_thread("2", "https://news.example.com/gone", deleted=True),
        disqus_post("10", "1"),
        disqus_post("11", "2"),
        disqus_post("12", "2", parent="11"),
    )

    summary = import_disqus(file=io.BytesIO(export))

    assert summary.threads_skipped == {"deleted": 1}
    assert summary.comments_skipped == {"thread deleted": 2}
    assert list(Story.objects.values_list("external_id", flat=True)) == ["disqus:1"]
    assert list(Comment.objects.values_list("external_id", flat=True)) == ["disqus:10"]


@pytest.mark.parametrize(
    "link",
    ["", "news.example.com/a", "ftp://news.example.com/a", "https://news.example.com:99999/a"],
)
@pytest.mark.django_db
def test_thread_without_a_valid_link_is_skipped(link):
    export = disqus_export(disqus_thread("1", link), disqus_post("10", "1"))

    summary = import_disqus(file=io.BytesIO(export))

    assert summary.threads_skipped == {"no valid http(s) link": 1}
    assert summary.comments_skipped == {"thread has no valid link": 1}
    assert not Story.objects.exists()
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_spam_is_rejected_and_closed_thread_closes_the_story():
    export = disqus_export(
        disqus_thread("1", "https://news.example.com/a", closed=True),
        disqus_post("10", "1", spam=True),
        disqus_post("11", "1"),
    )
    started = datetime.now(UTC)

    import_disqus(file=io.BytesIO(export))

    story = Story.objects.get()
    assert story.closed_at is not None
    assert started <= story.closed_at <= datetime.now(UTC)
    assert story.is_closed()
    assert comment("disqus:10").status == "REJECTED"
    assert story.comment_count == 1


@pytest.mark.django_db
def test_threads_sharing_a_link_share_a_story():
    export = disqus_export(
        disqus_thread("1", "https://news.example.com/a"),
        disqus_thread("2", "https://news.example.com/a"),
        disqus_post("10", "1"),
        disqus_post("11", "2", parent="10"),
    )

    summary = import_disqus(file=io.BytesIO(export))

    assert (summary.stories_created, summary.stories_existing) == (1, 1)
    story = Story.objects.get()
    assert story.comment_count == 2
    assert comment("disqus:11").parent == comment("disqus:10")
    assert_threading_consistent()


@pytest.mark.django_db
def test_existing_story_and_site_are_reused_and_counters_added_to():
    site = SiteFactory(domain="news.example.com", allowed_origins=["https://news.example.com"])
    story = StoryFactory(site=site, url="https://news.example.com/a")
    live = CommentFactory(story=story)
    export = disqus_export(
        disqus_thread("1", "https://news.example.com/a"),
        disqus_post("10", "1"),
        disqus_post("11", "1", deleted=True),
    )

    summary = import_disqus(file=io.BytesIO(export))

    assert (summary.sites_created, summary.stories_created, summary.stories_existing) == (0, 0, 1)
    story.refresh_from_db()
    assert story.external_id is None
    assert story.comment_count == 2
    assert set(story.comments.values_list("pk", flat=True)) == {
        live.pk,
        comment("disqus:10").pk,
        comment("disqus:11").pk,
    }
    assert Site.objects.count() == 1


@pytest.mark.django_db
def test_site_domain_puts_every_story_on_one_site(data_file):
    summary = import_disqus(file=data_file("isso-disqus.xml"), site_domain="News.Example.com")

    site = Site.objects.get()
    assert summary.sites_created == 1
    assert (site.domain, site.name) == ("news.example.com", "news.example.com")
    assert site.allowed_origins == ["https://news.example.com", "http://news.example.com"]
    assert Story.objects.filter(site=site).count() == 2
    assert set(Comment.objects.values_list("site", flat=True)) == {site.pk}


def _out_of_order_export() -> bytes:
    return disqus_export(
        disqus_thread("1", "https://news.example.com/a"),
        disqus_thread("2", "https://news.example.com/b"),
        # A hidden reply, then a chain listed deepest first.
        disqus_post("h1", "1", parent="c1", spam=True),
        disqus_post("c4", "1", parent="c3"),
        disqus_post("c5", "1", parent="c4"),
        disqus_post("c3", "1", parent="c2"),
        disqus_post("c2", "1", parent="c1"),
        disqus_post("c1", "1"),
        # Two posts naming each other as parent; one naming itself.
        disqus_post("x1", "1", parent="x2"),
        disqus_post("x2", "1", parent="x1"),
        disqus_post("s1", "1", parent="s1"),
        # Parent absent from the export; parent on another thread.
        disqus_post("o1", "1", parent="nowhere"),
        disqus_post("w1", "2", parent="c1"),
    )


@pytest.mark.parametrize("batch_size", [2, 500])
@pytest.mark.django_db
def test_replies_before_parents_missing_parents_and_cycles(monkeypatch, batch_size):
    monkeypatch.setattr(writer, "BATCH_SIZE", batch_size)

    summary = import_disqus(file=io.BytesIO(_out_of_order_export()))

    c1, c2, c3, c4, c5 = (comment(f"disqus:c{n}") for n in range(1, 6))
    assert c1.parent is None
    assert (c2.parent, c3.parent, c4.parent, c5.parent) == (c1, c2, c3, c4)
    assert [c.depth for c in (c1, c2, c3, c4, c5)] == [0, 1, 2, 3, 4]
    assert c5.ancestor_ids == [str(c.pk) for c in (c1, c2, c3, c4)]
    assert comment("disqus:h1").parent == c1
    assert c1.reply_count == 1  # the spam reply is not counted
    # The link that would close the loop is refused: x1 becomes top-level.
    x1, x2 = comment("disqus:x1"), comment("disqus:x2")
    assert (x1.parent, x2.parent, x2.depth) == (None, x1, 1)
    for orphan in ("disqus:s1", "disqus:o1", "disqus:w1"):
        assert (comment(orphan).parent, comment(orphan).depth) == (None, 0)
    assert summary.replies_promoted == 4
    assert summary.comments_imported == 11
    assert not Comment.objects.filter(depth__gte=PROVISIONAL_DEPTH).exists()
    assert Story.objects.get(external_id="disqus:1").comment_count == 9
    assert_threading_consistent()


@pytest.mark.django_db
def test_out_of_order_export_second_run_changes_nothing():
    import_disqus(file=io.BytesIO(_out_of_order_export()))
    before = snapshot()

    summary = import_disqus(file=io.BytesIO(_out_of_order_export()))

    assert (summary.comments_imported, summary.comments_existing) == (0, 11)
    assert summary.replies_promoted == 0
    assert snapshot() == before


@pytest.mark.django_db
def test_import_interrupted_before_relinking_is_completed_by_a_rerun():
    # given: an import that stopped after writing the posts (replies before parents)
    writer = ImportWriter(source="disqus")
    with open_export(io.BytesIO(_out_of_order_export())) as stream:
        writer.write(parse_disqus(stream))
    assert Comment.objects.filter(depth__gte=PROVISIONAL_DEPTH).exists()

    # when
    summary = import_disqus(file=io.BytesIO(_out_of_order_export()))

    # then
    assert (summary.comments_imported, summary.comments_existing) == (0, 11)
    assert not Comment.objects.filter(depth__gte=PROVISIONAL_DEPTH).exists()
    assert comment("disqus:c5").depth == 4
    assert_threading_consistent()


def test_parse_streams_in_constant_memory(tmp_path):
    # given: a 20,000-post export of about 8 MB
    path = tmp_path / "big.xml"
    write_synthetic_disqus(path, posts=20_000)
    size = path.stat().st_size
    assert size > 7_000_000

    # when
    tracemalloc.start()
    try:
        with open_export(path) as stream:
            records = sum(1 for _ in parse_disqus(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then: a whole-tree parse holds several times the file size (~46 MB here);
    # streaming stays within a small fraction of it.
    assert records == 20_000 + 400
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte file"


@pytest.mark.django_db
def test_synthetic_export_imports_with_threading(tmp_path):
    path = tmp_path / "synthetic.xml"
    write_synthetic_disqus(path, posts=1_200, per_thread=40)

    summary = import_disqus(file=path)

    assert (summary.stories_created, summary.comments_imported) == (30, 1_200)
    assert summary.authors_created == 500
    # Post n replies to n-1 unless n is a multiple of 3 or starts a thread.
    deepest = comment("disqus:p2")
    assert (deepest.parent.external_id, deepest.depth) == ("disqus:p1", 2)
    assert comment("disqus:p3").parent is None
    assert_threading_consistent()
