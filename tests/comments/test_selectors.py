"""comment_page, comment_reply_pages and the small lookups."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from comments.errors import InvalidID
from comments.models import CommentStatus
from comments.selectors import (
    CommentOrder,
    comment_cursor,
    comment_get_visible,
    comment_ids_reacted,
    comment_page,
    comment_reply_pages,
    site_get_for_url,
    story_get_by_url,
    url_origin,
)
from comments.services import comment_reaction_create
from tests.factories import CommentFactory, SiteFactory, StoryFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def uid(n: int) -> uuid.UUID:
    """A UUID whose order is ``n``'s, so id tie-breaks are predictable."""
    return uuid.UUID(int=n)


def ids(comments) -> list[uuid.UUID]:
    return [c.pk for c in comments]


@pytest.fixture
def four(story):
    """a..d with created_at, reply_count and reaction_count chosen so each order differs."""
    return {
        "a": CommentFactory(story=story, created_at=at(0), reply_count=2, reaction_count=0),
        "b": CommentFactory(story=story, created_at=at(1), reply_count=0, reaction_count=5),
        "c": CommentFactory(story=story, created_at=at(2), reply_count=2, reaction_count=1),
        "d": CommentFactory(story=story, created_at=at(3), reply_count=1, reaction_count=5),
    }


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (CommentOrder.CREATED_AT_DESC, "dcba"),
        (CommentOrder.CREATED_AT_ASC, "abcd"),
        (CommentOrder.REPLIES_DESC, "cadb"),
        (CommentOrder.REACTION_DESC, "dbca"),
    ],
)
def test_page_in_each_order(story, four, order, expected):
    page = comment_page(story_id=story.pk, viewer=None, order=order, first=10)

    assert ids(page.items) == [four[key].pk for key in expected]
    assert page.cursors == [comment_cursor(four[key], order) for key in expected]
    assert (page.has_next_page, page.has_previous_page) == (False, False)
    assert (page.start_cursor, page.end_cursor) == (page.cursors[0], page.cursors[-1])


def test_page_lists_only_top_level_comments_of_the_story(story, four):
    CommentFactory(parent=four["a"])
    CommentFactory(story=StoryFactory(site=story.site))

    page = comment_page(story_id=story.pk, viewer=None, first=10)

    assert len(page.items) == 4


def test_page_of_replies_under_a_parent(story, four):
    second = CommentFactory(parent=four["a"], created_at=at(20))
    first = CommentFactory(parent=four["a"], created_at=at(10))

    page = comment_page(
        story_id=story.pk,
        viewer=None,
        parent_id=four["a"].pk,
        order=CommentOrder.CREATED_AT_ASC,
        first=10,
    )

    assert ids(page.items) == [first.pk, second.pk]


@pytest.fixture
def tied(story):
    """Seven comments with ties on created_at, reply_count and reaction_count."""
    rows = [
        # (id, minutes, replies, reactions)
        (1, 0, 3, 1),
        (2, 0, 3, 1),
        (3, 0, 1, 0),
        (4, 5, 3, 1),
        (5, 5, 0, 0),
        (6, 5, 0, 2),
        (7, 9, 1, 2),
    ]
    return [
        CommentFactory(
            story=story,
            id=uid(n),
            created_at=at(minutes),
            reply_count=replies,
            reaction_count=reactions,
        )
        for n, minutes, replies, reactions in rows
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (CommentOrder.CREATED_AT_DESC, [7, 6, 5, 4, 3, 2, 1]),
        (CommentOrder.CREATED_AT_ASC, [1, 2, 3, 4, 5, 6, 7]),
        (CommentOrder.REPLIES_DESC, [4, 2, 1, 7, 3, 6, 5]),
        (CommentOrder.REACTION_DESC, [7, 6, 4, 2, 1, 5, 3]),
    ],
)
def test_keyset_pages_have_no_gaps_or_duplicates_across_ties(story, tied, order, expected):
    # when: three pages of 3, 3 and 1
    pages, after = [], None
    for _ in range(3):
        page = comment_page(story_id=story.pk, viewer=None, order=order, first=3, after=after)
        pages.append(page)
        after = page.end_cursor

    # then
    assert [ids(p.items) for p in pages] == [
        [uid(n) for n in expected[0:3]],
        [uid(n) for n in expected[3:6]],
        [uid(n) for n in expected[6:7]],
    ]
    assert [p.has_next_page for p in pages] == [True, True, False]
    assert [p.has_previous_page for p in pages] == [False, True, True]


def test_page_after_the_last_item_is_empty(story, tied):
    last = comment_page(story_id=story.pk, viewer=None, first=7)

    page = comment_page(story_id=story.pk, viewer=None, first=7, after=last.end_cursor)

    assert (page.items, page.cursors, page.has_next_page) == ([], [], False)
    assert (page.start_cursor, page.end_cursor) == (None, None)


def _encode(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


SOME_ID = "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10"


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not a cursor!", id="not-base64"),
        pytest.param("AAAA", id="not-json"),
        pytest.param(_encode({"order": "CREATED_AT_DESC"}), id="not-a-list"),
        pytest.param(_encode([]), id="empty-list"),
        pytest.param(_encode(["CREATED_AT_DESC", "2024-05-01T12:00:00+00:00"]), id="too-short"),
        pytest.param(_encode(["CREATED_AT_DESC", "yesterday", SOME_ID]), id="bad-datetime"),
        pytest.param(
            _encode(["CREATED_AT_DESC", "2024-05-01T12:00:00+00:00", "not-a-uuid"]), id="bad-id"
        ),
        pytest.param(_encode(["NEWEST", "2024-05-01T12:00:00+00:00", SOME_ID]), id="unknown-order"),
    ],
)
def test_malformed_cursor_raises_invalid_id(story, cursor):
    with pytest.raises(InvalidID) as excinfo:
        comment_page(story_id=story.pk, viewer=None, after=cursor)

    assert excinfo.value.field == "after"


def test_cursor_from_another_order_raises_invalid_id(story, four):
    cursor = comment_cursor(four["a"], CommentOrder.REPLIES_DESC)

    with pytest.raises(InvalidID):
        comment_page(story_id=story.pk, viewer=None, order=CommentOrder.REACTION_DESC, after=cursor)


@pytest.mark.parametrize("status", [CommentStatus.PREMOD, CommentStatus.SYSTEM_WITHHELD])
def test_author_sees_own_held_comment_others_do_not(story, profile, other_profile, status):
    # given
    visible = CommentFactory(story=story, created_at=at(0))
    held = CommentFactory(story=story, author=profile, status=status, created_at=at(1))

    # when
    as_author = comment_page(story_id=story.pk, viewer=profile)
    as_other = comment_page(story_id=story.pk, viewer=other_profile)
    as_anonymous = comment_page(story_id=story.pk, viewer=None)

    # then
    assert ids(as_author.items) == [held.pk, visible.pk]
    assert ids(as_other.items) == [visible.pk]
    assert ids(as_anonymous.items) == [visible.pk]
    assert comment_get_visible(comment_id=held.pk, viewer=profile).pk == held.pk
    assert comment_get_visible(comment_id=held.pk, viewer=other_profile) is None
    assert comment_get_visible(comment_id=held.pk, viewer=None) is None


def test_author_does_not_see_own_rejected_comment(story, profile):
    CommentFactory(story=story, author=profile, status=CommentStatus.REJECTED)

    assert comment_page(story_id=story.pk, viewer=profile).items == []


def test_reply_pages_in_one_query(story, django_assert_num_queries):
    # given: parents with 4, 2 and 0 visible replies (plus a hidden one)
    p1, p2, p3 = (CommentFactory(story=story, created_at=at(i)) for i in range(3))
    r1 = [CommentFactory(parent=p1, created_at=at(10 + i)) for i in range(4)]
    r2 = [CommentFactory(parent=p2, created_at=at(20 + i)) for i in range(2)]
    CommentFactory(parent=p2, status=CommentStatus.REJECTED, created_at=at(19))
    CommentFactory(parent=r1[0], created_at=at(30))  # depth 2: not a reply of p1

    # when
    with django_assert_num_queries(1):
        pages = comment_reply_pages(parent_ids=[p1.pk, p2.pk, p3.pk], viewer=None, first=3)

    # then
    assert set(pages) == {p1.pk, p2.pk, p3.pk}
    assert ids(pages[p1.pk].items) == ids(r1[:3])
    assert ids(pages[p2.pk].items) == ids(r2)
    assert pages[p3.pk].items == []
    assert [pages[p].has_next_page for p in (p1.pk, p2.pk, p3.pk)] == [True, False, False]
    assert pages[p1.pk].cursors == [comment_cursor(c, CommentOrder.CREATED_AT_ASC) for c in r1[:3]]


def test_reply_pages_with_exactly_first_replies_has_no_next_page(story):
    parent = CommentFactory(story=story)
    replies = [CommentFactory(parent=parent, created_at=at(i)) for i in range(3)]

    pages = comment_reply_pages(parent_ids=[parent.pk], viewer=None, first=3)

    assert ids(pages[parent.pk].items) == ids(replies)
    assert pages[parent.pk].has_next_page is False


def test_reply_pages_honour_order_and_viewer(story, profile):
    # given
    parent = CommentFactory(story=story)
    old = CommentFactory(parent=parent, created_at=at(1), reaction_count=0)
    liked = CommentFactory(parent=parent, created_at=at(2), reaction_count=9)
    held = CommentFactory(
        parent=parent, author=profile, status=CommentStatus.PREMOD, created_at=at(3)
    )

    # when
    anonymous = comment_reply_pages(
        parent_ids=[parent.pk], viewer=None, order=CommentOrder.REACTION_DESC, first=5
    )
    author = comment_reply_pages(
        parent_ids=[parent.pk], viewer=profile, order=CommentOrder.CREATED_AT_DESC, first=5
    )

    # then
    assert ids(anonymous[parent.pk].items) == [liked.pk, old.pk]
    assert ids(author[parent.pk].items) == [held.pk, liked.pk, old.pk]


def test_reply_pages_of_no_parents_run_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert comment_reply_pages(parent_ids=[], viewer=None) == {}


def test_ids_reacted_returns_only_the_viewers(story, profile, other_profile):
    a, b, c = (CommentFactory(story=story) for _ in range(3))
    comment_reaction_create(comment_id=a.pk, author=profile.user)
    comment_reaction_create(comment_id=b.pk, author=other_profile.user)

    assert comment_ids_reacted(viewer=profile, comment_ids=[a.pk, b.pk, c.pk]) == {a.pk}
    assert comment_ids_reacted(viewer=None, comment_ids=[a.pk]) == set()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://News.Example.com/a?b#c", "https://news.example.com"),
        ("http://example.com:8080/", "http://example.com:8080"),
        ("  https://example.com  ", "https://example.com"),
        ("ftp://example.com/", None),
        ("/relative", None),
        ("https:///no-host", None),
        ("http://[::1/", None),
        ("http://[::1]:8000/a", "http://[::1]:8000"),
        ("http://user@example.com/", "http://example.com"),
        ("http://example.com:99999/", None),
    ],
)
def test_url_origin(url, origin):
    assert url_origin(url) == origin


def test_site_for_url_by_origin_or_domain(db):
    by_origin = SiteFactory(domain="a.example.com", allowed_origins=["https://embed.example.net"])
    by_domain = SiteFactory(domain="b.example.com", allowed_origins=[])

    assert site_get_for_url(url="https://embed.example.net/x").pk == by_origin.pk
    assert site_get_for_url(url="http://B.example.com/y").pk == by_domain.pk
    assert site_get_for_url(url="https://c.example.com/") is None
    assert site_get_for_url(url="not a url") is None


def test_story_by_url_strips_whitespace(story):
    assert story_get_by_url(url=f" {story.url} ").pk == story.pk
    assert story_get_by_url(url=story.url + "/other") is None
