"""Query counts of every list path: they must not grow with the number of comments.

Measured on SQLite with the test settings:
- anonymous: 4 = story by URL, top-level page, replies (one query per nesting level) x 2;
- signed in: 9 = those 4 + session + user + profile + the viewer's reactions + flags.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from comments.models import Comment, Story
from comments.services import comment_flag_create, comment_reaction_create
from tests.factories import CommentFactory, ProfileFactory, StoryFactory

pytestmark = pytest.mark.django_db

ANONYMOUS_QUERIES = 4
SIGNED_IN_QUERIES = 9

FIELDS = """
fragment Fields on Comment {
  id body createdAt status depth replyCount ancestorIds
  author { id username role }
  viewerActionPresence { reaction flag }
  actionCounts { reaction { total } }
  editing { edited editableUntil }
  tags { code }
}
"""

THREADS_EDGES = (
    """
query Threads($url: String!) {
  stream(storyURL: $url) {
    commentCounts { totalPublished }
    comments(first: 20) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        ...Fields
        replies(first: 3) {
          pageInfo { hasNextPage endCursor }
          edges { node {
            ...Fields
            replies(first: 3) { edges { node { ...Fields } } }
          } }
        }
      } }
    }
  }
}
"""
    + FIELDS
)

THREADS_NODES = (
    """
query Threads($url: String!) {
  stream(storyURL: $url) {
    comments(first: 20, orderBy: REPLIES_DESC) {
      nodes {
        ...Fields
        replies(first: 3) { nodes { ...Fields replies(first: 3) { nodes { ...Fields } } } }
      }
    }
  }
}
"""
    + FIELDS
)

THREADS_REPLY_ORDER = (
    """
query Threads($url: String!) {
  stream(storyURL: $url) {
    comments(first: 20) {
      nodes {
        ...Fields
        replies(first: 3, orderBy: REACTION_DESC) {
          nodes { ...Fields replies(first: 3, orderBy: REACTION_DESC) { nodes { ...Fields } } }
        }
      }
    }
  }
}
"""
    + FIELDS
)


def build_threads(story, count: int, reader=None) -> None:
    """``count`` top-level comments, each with 3 replies, each reply with 1 reply, by 4
    rotating authors, counters set as the services would; ``reader`` (if given) reacts to
    the last top-level comment and flags its first reply."""
    authors = ProfileFactory.create_batch(4)
    rows: list[Comment] = []
    for i in range(count):
        top = CommentFactory.build(story=story, author=authors[i % 4], reply_count=3)
        replies = [
            CommentFactory.build(parent=top, author=authors[(i + j) % 4], reply_count=1)
            for j in range(3)
        ]
        leaves = [CommentFactory.build(parent=reply, author=authors[i % 4]) for reply in replies]
        rows += [top, *replies, *leaves]
    Comment.objects.bulk_create(rows)
    Story.objects.filter(pk=story.pk).update(comment_count=len(rows))
    if reader is not None:
        comment_reaction_create(comment_id=top.pk, author=reader.user)
        comment_flag_create(
            comment_id=replies[0].pk, reporter=reader.user, reason="COMMENT_REPORTED_SPAM"
        )


def run_counted(client, document, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        body = client(document, {"url": url})
    assert "errors" not in body, body
    return len(queries.captured_queries), body


def top_level(body) -> list[dict]:
    comments = body["data"]["stream"]["comments"]
    return comments["nodes"] if "nodes" in comments else [e["node"] for e in comments["edges"]]


@pytest.mark.parametrize("count", [5, 20])
@pytest.mark.parametrize(
    ("signed_in", "expected"),
    [
        pytest.param(False, ANONYMOUS_QUERIES, id="anonymous"),
        pytest.param(True, SIGNED_IN_QUERIES, id="signed_in"),
    ],
)
def test_threads_query_count_is_exact(
    graphql_for, story, profile, django_assert_num_queries, count, signed_in, expected
):
    # given
    build_threads(story, count, reader=profile)
    client = graphql_for(profile if signed_in else None)

    # when
    with django_assert_num_queries(expected):
        body = client(THREADS_EDGES, {"url": story.url})

    # then: the whole tree came back
    threads = top_level(body)
    assert body["data"]["stream"]["commentCounts"]["totalPublished"] == count * 7
    assert len(threads) == count
    assert [len(t["replies"]["edges"]) for t in threads] == [3] * count
    assert all(
        len(r["node"]["replies"]["edges"]) == 1 for t in threads for r in t["replies"]["edges"]
    )
    presence = [t["viewerActionPresence"] for t in threads]
    assert presence[0] == {"reaction": signed_in, "flag": False}
    first_reply = threads[0]["replies"]["edges"][0]["node"]
    assert first_reply["viewerActionPresence"] == {"reaction": False, "flag": signed_in}


@pytest.mark.parametrize("document", [THREADS_EDGES, THREADS_NODES], ids=["edges", "nodes"])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_threads_query_count_does_not_grow_with_comments(
    graphql_for, site, profile, document, signed_in
):
    # given: the same document on a story with 5 threads and on one with 20
    small, large = StoryFactory(site=site), StoryFactory(site=site)
    build_threads(small, 5, reader=profile)
    build_threads(large, 20, reader=profile)
    client = graphql_for(profile if signed_in else None)

    # when
    small_count, small_body = run_counted(client, document, small.url)
    large_count, large_body = run_counted(client, document, large.url)

    # then
    assert (len(top_level(small_body)), len(top_level(large_body))) == (5, 20)
    assert small_count == large_count
    assert large_count == (SIGNED_IN_QUERIES if signed_in else ANONYMOUS_QUERIES)


def test_replies_with_explicit_order_do_not_grow_with_comments(graphql, site):
    small, large = StoryFactory(site=site), StoryFactory(site=site)
    build_threads(small, 5)
    build_threads(large, 20)

    small_count, _ = run_counted(graphql, THREADS_REPLY_ORDER, small.url)
    large_count, _ = run_counted(graphql, THREADS_REPLY_ORDER, large.url)

    assert (small_count, large_count) == (ANONYMOUS_QUERIES, ANONYMOUS_QUERIES)


REPLIES_AFTER = """
query Replies($id: ID!, $after: String) {
  comment(id: $id) {
    replies(first: 2, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id author { username } actionCounts { reaction { total } } }
    }
  }
}
"""


def test_paging_replies_of_one_comment_costs_two_queries(graphql, story, django_assert_num_queries):
    # given
    top = CommentFactory(story=story)
    replies = sorted(
        (CommentFactory(parent=top) for _ in range(5)), key=lambda r: (r.created_at, r.pk)
    )
    variables = {"id": to_global_id("Comment", str(top.pk))}
    first = graphql(REPLIES_AFTER, variables)
    cursor = first["data"]["comment"]["replies"]["pageInfo"]["endCursor"]

    # when
    with django_assert_num_queries(2):
        second = graphql(REPLIES_AFTER, {**variables, "after": cursor})

    # then
    page = second["data"]["comment"]["replies"]
    assert [n["id"] for n in page["nodes"]] == [
        to_global_id("Comment", str(r.pk)) for r in replies[2:4]
    ]
    assert page["pageInfo"]["hasNextPage"] is True
