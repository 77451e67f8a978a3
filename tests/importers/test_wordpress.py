"""The WordPress (WXR) importer against the shared exports and small inline ones.

wordpress-theme-unit-test.xml (counted by hand, wp namespace https://.../1.2/): 186 items,
7 with comments (post ids 51, 155, 703, 1148, 1149, 1168, 1170); 33 comments: 2
pingbacks and 2 trackbacks (all on 1149), 29 others of which 3 unapproved (1015, 1016,
1017); 10 replies, among them the chain 904 > 905 > 906 > 907 > 910 > 911 > 912 > 913 >
914 > 915; 8 distinct e-mails among non-ping authors, plus 4 e-mail-less ping authors;
comment_status closed on 1149, 1168 and 1170.

isso-wordpress.xml (http://.../1.0/): 3 items, 2 with comments (post 18 with 7, "?p=4"
with 1, which has no post id), 1 without; all 8 approved; replies 7 > 6, 8 > 7, 9 > 7;
comment id 11 appears on both items; 3 distinct e-mails.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from comments.importers.records import CommentImportError
from comments.importers.wordpress import import_wordpress, parse_wordpress
from comments.importers.xmlstream import open_export
from comments.models import Comment, Story
from moderation.models import Profile
from tests.importers.conftest import assert_threading_consistent, comment, snapshot, statuses

THEME = "wordpress:https://wpthemetestdata.wordpress.com"
ISSO = "wordpress:http://example.tld"
ATOM_LINKS = (
    '<atom:link rel="search" type="application/opensearchdescription+xml"'
    ' href="https://example.wordpress.com/osd.xml" title="Example" />\n'
    "<atom:link rel='hub' href='https://example.wordpress.com/?pushpress=hub'/>\n"
)


def wxr_comment(
    comment_id: int,
    *,
    parent: int = 0,
    content: str = "Nice.",
    approved: str = "1",
    kind: str = "",
    author: str = "Reader",
    email: str = "reader@example.invalid",
) -> str:
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_email>{email}</wp:comment_author_email>"
        "<wp:comment_date>2020-05-01 12:00:00</wp:comment_date>"
        "<wp:comment_date_gmt>2020-05-01 10:00:00</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{content}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
    )


def wxr_item(post_id: int, comments: str = "", *, link: str | None = None, status="open") -> str:
    link = f"https://blog.example.com/?p={post_id}" if link is None else link
    return (
        f"<item><title>Post {post_id}</title><link>{link}</link>"
        "<pubDate>Fri, 01 May 2020 09:00:00 +0000</pubDate>"
        "<dc:creator><![CDATA[editor]]></dc:creator>"
        "<content:encoded><![CDATA[<p>The article.</p>]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id>"
        "<wp:post_date_gmt>2020-05-01 08:00:00</wp:post_date_gmt>"
        f"<wp:comment_status>{status}</wp:comment_status>"
        f"<wp:post_type>post</wp:post_type>{comments}</item>\n"
    )


def wxr(*items: str, namespace="https://wordpress.org/export/1.2/", atom=False) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- generator="WordPress.com" -->\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:wp="{namespace}">\n<channel>\n<title>Blog</title>\n'
        "<link>https://blog.example.com</link>\n"
        + (ATOM_LINKS if atom else "")
        + "<wp:wxr_version>1.2</wp:wxr_version>\n"
        "<wp:base_blog_url>https://blog.example.com</wp:base_blog_url>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    ).encode()


# --- the theme unit test export -------------------------------------------------------


@pytest.mark.django_db
def test_theme_unit_test_export(data_file):
    started = time.monotonic()

    summary = import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))

    assert time.monotonic() - started < 15  # a few seconds; generous for slow CI
    assert (summary.stories_created, summary.stories_existing) == (7, 0)
    assert (summary.comments_imported, summary.comments_existing) == (29, 0)
    assert summary.comments_by_status == {"APPROVED": 26, "PREMOD": 3}
    assert summary.authors_created == 8
    assert summary.replies_promoted == 0
    assert summary.threads_skipped == {"no comments to import": 179}
    assert summary.comments_skipped == {
        "pingback (see --include-pings)": 2,
        "trackback (see --include-pings)": 2,
    }
    assert sorted(Story.objects.values_list("external_id", flat=True)) == sorted(
        f"{THEME}:{post_id}" for post_id in (51, 155, 703, 1148, 1149, 1168, 1170)
    )
    assert statuses() == {"APPROVED": 26, "PREMOD": 3}
    assert statuses(external_id__in=[f"{THEME}:155#1017", f"{THEME}:703#1016"]) == {"PREMOD": 2}
    assert statuses(external_id=f"{THEME}:1148#1015") == {"PREMOD": 1}


@pytest.mark.django_db
def test_theme_unit_test_stories(data_file):
    import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))

    story = Story.objects.select_related("site").get(external_id=f"{THEME}:1148")
    assert story.url == "https://wpthemetestdata.wordpress.com/2012/01/03/template-comments/"
    assert story.title == "Template: Comments"
    assert story.author == "themedemos"
    assert story.published_at == datetime(2012, 1, 3, 17, 11, 37, tzinfo=UTC)
    assert story.site.domain == "wpthemetestdata.wordpress.com"
    assert sorted(
        Story.objects.filter(closed_at__isnull=False).values_list("external_id", flat=True)
    ) == [f"{THEME}:1149", f"{THEME}:1168", f"{THEME}:1170"]
    counts = dict(Story.objects.values_list("external_id", "comment_count"))
    assert counts == {
        f"{THEME}:51": 1,
        f"{THEME}:155": 3,
        f"{THEME}:703": 0,
        f"{THEME}:1148": 19,
        f"{THEME}:1149": 1,
        f"{THEME}:1168": 1,
        f"{THEME}:1170": 1,
    }


@pytest.mark.django_db
def test_theme_unit_test_threading_ten_levels_deep(data_file):
    import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))

    chain = [comment(f"{THEME}:1148#{n}") for n in (904, 905, 906, 907, 910, 911, 912, 913)]
    chain += [comment(f"{THEME}:1148#{n}") for n in (914, 915)]
    deepest = chain[-1]
    assert deepest.parent == chain[-2]
    assert deepest.depth == 9
    assert deepest.ancestor_ids == [str(c.pk) for c in chain[:-1]]
    assert [c.depth for c in chain] == list(range(10))
    assert [c.reply_count for c in chain] == [1] * 9 + [0]
    # An unapproved reply is held and not counted on its parent.
    held = comment(f"{THEME}:155#1017")
    assert (held.parent.external_id, held.depth) == (f"{THEME}:155#168", 1)
    assert held.parent.reply_count == 0
    assert_threading_consistent()


@pytest.mark.django_db
def test_theme_unit_test_bodies_dates_and_authors(data_file):
    import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))

    assert not Comment.objects.filter(body__icontains="<script").exists()
    markup = comment(f"{THEME}:1148#881").body
    assert "<strong>Headings</strong>" in markup
    assert "<h1" not in markup
    assert "<table" not in markup
    assert "<img" not in comment(f"{THEME}:1148#917").body
    assert comment(f"{THEME}:1148#899").body.startswith(
        "<p>This user it trying to be anonymous.</p><p>They used a fake email, so there "
        'should be no <a href="https://gravatar.com//"'
    )
    assert comment(f"{THEME}:155#168").body == "<p>Contributor comment.</p>"
    # comment_date_gmt wins over the blog's local comment_date.
    assert comment(f"{THEME}:155#167").created_at == datetime(2007, 9, 4, 0, 49, 28, tzinfo=UTC)
    assert Profile.objects.filter(user__isnull=True).count() == 8
    shared = Profile.objects.get(external_id="wordpress:user-2f0f47c7ed@example.invalid")
    assert shared.username == "John Γιάννης Doe Κάποιος"  # the first name seen
    assert shared.comments.count() == 18


@pytest.mark.django_db
def test_theme_unit_test_with_pings(data_file):
    summary = import_wordpress(file=data_file("wordpress-theme-unit-test.xml"), include_pings=True)

    assert summary.comments_imported == 33
    assert summary.comments_by_status == {"APPROVED": 30, "PREMOD": 3}
    assert summary.authors_created == 12
    assert summary.comments_skipped == {}
    assert Story.objects.get(external_id=f"{THEME}:1149").comment_count == 5
    ping = comment(f"{THEME}:1149#921")
    assert ping.author.username == "Ping 1 « What’s a tellyworth?"
    assert ping.author.external_id == "wordpress:name:ping 1 « what’s a tellyworth?"


@pytest.mark.django_db
def test_theme_unit_test_second_run_changes_nothing(data_file):
    import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))
    before = snapshot()

    summary = import_wordpress(file=data_file("wordpress-theme-unit-test.xml"))

    assert (summary.stories_created, summary.stories_existing) == (0, 7)
    assert (summary.comments_imported, summary.comments_existing) == (0, 29)
    assert (summary.authors_created, summary.sites_created) == (0, 0)
    assert summary.threads_skipped == {"no comments to import": 179}
    assert snapshot() == before


# --- the isso export (WXR 1.0) ----------------------------------------------------------


@pytest.mark.django_db
def test_isso_export(data_file):
    summary = import_wordpress(file=data_file("isso-wordpress.xml"))

    assert (summary.stories_created, summary.comments_imported) == (2, 8)
    assert summary.comments_by_status == {"APPROVED": 8}
    assert summary.authors_created == 3
    assert summary.threads_skipped == {"no comments to import": 1}
    assert summary.comments_skipped == {}
    story = Story.objects.get(external_id=f"{ISSO}:18")
    assert (story.url, story.title, story.author) == (
        "http://example.tld/2014/test/",
        "Hello, World…",
        "Tester",
    )
    assert story.published_at == datetime(2014, 1, 14, 17, 31, 3, tzinfo=UTC)
    assert story.comment_count == 7
    no_post_id = Story.objects.get(external_id="wordpress:http://example.tld/?p=4")
    assert no_post_id.comment_count == 1
    # The same comment id on two items gives two comments.
    assert comment(f"{ISSO}:18#11").body == comment("wordpress:http://example.tld/?p=4#11").body


@pytest.mark.django_db
def test_isso_export_threading_bodies_and_dates(data_file):
    import_wordpress(file=data_file("isso-wordpress.xml"))

    six, seven = comment(f"{ISSO}:18#6"), comment(f"{ISSO}:18#7")
    eight, nine = comment(f"{ISSO}:18#8"), comment(f"{ISSO}:18#9")
    assert (seven.parent, seven.depth, seven.ancestor_ids) == (six, 1, [str(six.pk)])
    assert (eight.parent, nine.parent) == (seven, seven)
    assert eight.depth == nine.depth == 2
    assert eight.ancestor_ids == [str(six.pk), str(seven.pk)]
    assert (six.reply_count, seven.reply_count) == (1, 2)
    assert comment(f"{ISSO}:18#2").body == "<p>Erster!1</p>"
    multiline = comment(f"{ISSO}:18#10")
    assert multiline.body == (
        "<p>When you have a comment with multiple lines:<br>WordPress exports it like this.</p>"
    )
    assert multiline.created_at == datetime(2022, 6, 6, 2, 13, 14, tzinfo=UTC)
    assert seven.created_at == datetime(2014, 4, 29, 15, 21, 35, tzinfo=UTC)  # GMT date only
    tester = Profile.objects.get(external_id="wordpress:user-37e3fedff8@example.invalid")
    assert (tester.username, tester.user, tester.comments.count()) == ("Tester", None, 6)
    assert_threading_consistent()


@pytest.mark.django_db
def test_isso_export_second_run_changes_nothing(data_file):
    import_wordpress(file=data_file("isso-wordpress.xml"))
    before = snapshot()

    summary = import_wordpress(file=data_file("isso-wordpress.xml"))

    assert (summary.comments_imported, summary.comments_existing) == (0, 8)
    assert (summary.stories_created, summary.stories_existing) == (0, 2)
    assert snapshot() == before


# --- namespace variants, prefixes, statuses, oddities ----------------------------------


@pytest.mark.parametrize(
    "namespace",
    [
        "http://wordpress.org/export/1.0/",
        "http://wordpress.org/export/1.1/",
        "https://wordpress.org/export/1.1/",
        "http://wordpress.org/export/1.2/",
        "https://wordpress.org/export/1.2/",
    ],
)
@pytest.mark.parametrize("atom", [False, True])
@pytest.mark.django_db
def test_wxr_versions_and_undeclared_atom_prefix(namespace, atom):
    export = wxr(
        wxr_item(5, wxr_comment(1) + wxr_comment(2, parent=1)), namespace=namespace, atom=atom
    )

    summary = import_wordpress(file=io.BytesIO(export))

    assert (summary.stories_created, summary.comments_imported) == (1, 2)
    reply = comment("wordpress:https://blog.example.com:5#2")
    assert (reply.parent.external_id, reply.depth) == ("wordpress:https://blog.example.com:5#1", 1)


def test_undeclared_atom_prefix_breaks_a_strict_parser():
    with pytest.raises(ET.ParseError, match="unbound prefix"):
        ET.fromstring(wxr(wxr_item(5), atom=True))


@pytest.mark.django_db
def test_declared_atom_prefix_is_left_alone():
    export = wxr(wxr_item(5, wxr_comment(1)), atom=True).replace(
        b'<rss version="2.0"', b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
    )

    assert import_wordpress(file=io.BytesIO(export)).comments_imported == 1


@pytest.mark.django_db
def test_statuses_and_comment_types():
    export = wxr(
        wxr_item(
            5,
            wxr_comment(1, approved="1")
            + wxr_comment(2, approved="0")
            + wxr_comment(3, approved="spam")
            + wxr_comment(4, approved="trash")
            + wxr_comment(5, kind="comment")
            + wxr_comment(6, kind="pingback")
            + wxr_comment(7, kind="order_note"),
        )
    )

    summary = import_wordpress(file=io.BytesIO(export))

    assert summary.comments_by_status == {"APPROVED": 2, "PREMOD": 1, "REJECTED": 2}
    assert summary.comments_skipped == {
        "pingback (see --include-pings)": 1,
        "comment type 'order_note'": 1,
    }
    assert Story.objects.get().comment_count == 2


@pytest.mark.django_db
def test_plain_text_and_html_comments():
    export = wxr(
        wxr_item(
            5,
            wxr_comment(1, content="a < b & c\n\nsecond line")
            + wxr_comment(2, content='see <a href="https://x.example">this</a>\nthanks')
            + wxr_comment(3, content="<p>one</p>\n<script>alert(1)</script>"),
        )
    )

    import_wordpress(file=io.BytesIO(export))

    key = "wordpress:https://blog.example.com:5#"
    assert comment(f"{key}1").body == "<p>a &lt; b &amp; c</p><p>second line</p>"
    assert comment(f"{key}2").body == (
        '<p>see <a href="https://x.example" rel="nofollow ugc">this</a><br>thanks</p>'
    )
    assert comment(f"{key}3").body == "<p>one</p>"


@pytest.mark.django_db
def test_reply_listed_before_its_parent_and_reply_to_a_missing_parent():
    export = wxr(
        wxr_item(5, wxr_comment(3, parent=2) + wxr_comment(2, parent=1) + wxr_comment(1))
        + wxr_item(6, wxr_comment(8, parent=99))
    )

    summary = import_wordpress(file=io.BytesIO(export))

    key = "wordpress:https://blog.example.com:5#"
    assert comment(f"{key}3").ancestor_ids == [
        str(comment(f"{key}1").pk),
        str(comment(f"{key}2").pk),
    ]
    assert comment("wordpress:https://blog.example.com:6#8").parent is None
    assert summary.replies_promoted == 1
    assert_threading_consistent()


@pytest.mark.parametrize("link", ["not a url", "https://blog.example.com:99999/?p=5"])
@pytest.mark.parametrize("base_url", [True, False])
@pytest.mark.django_db
def test_item_without_a_valid_link_is_skipped(link, base_url):
    export = wxr(wxr_item(5, wxr_comment(1) + wxr_comment(2), link=link))
    if not base_url:
        export = export.replace(
            b"<wp:base_blog_url>https://blog.example.com</wp:base_blog_url>", b""
        ).replace(b"<link>https://blog.example.com</link>", b"")

    summary = import_wordpress(file=io.BytesIO(export))

    assert summary.threads_skipped == {"no valid http(s) link": 1}
    assert summary.comments_skipped == {"thread has no valid link": 2}
    assert not Story.objects.exists()


@pytest.mark.django_db
def test_rss_without_wordpress_namespace_is_refused():
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<item><title>x</title></item></channel></rss>"
    )

    with pytest.raises(CommentImportError, match="Not a WordPress export"):
        import_wordpress(file=io.BytesIO(feed))

    assert not Story.objects.exists()


def test_parse_streams_items_and_comments_in_constant_memory(tmp_path):
    # given: 300 items of 60 comments each, with long post bodies, about 8 MB
    path = tmp_path / "big.xml"
    body = "<p>" + "Long article text. " * 300 + "</p>"
    with path.open("wb") as out:
        head = wxr(wxr_item(0)).split(b"<item>", 1)[0]
        out.write(head)
        for post_id in range(1, 301):
            comments = "".join(
                wxr_comment(n, parent=n - 1 if n % 4 else 0, content=f"Comment {n} " * 5)
                for n in range(1, 61)
            )
            item = wxr_item(post_id, comments).replace("<p>The article.</p>", body)
            out.write(item.encode())
        out.write(b"</channel>\n</rss>\n")
    size = path.stat().st_size
    assert size > 7_000_000

    # when
    tracemalloc.start()
    try:
        with open_export(path) as stream:
            records = sum(1 for _ in parse_wordpress(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then
    assert records == 300 + 300 * 60
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte file"
