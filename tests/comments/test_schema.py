"""GraphQL queries over HTTP: stream, story, comment, node, viewer and the connections."""

from datetime import UTC, datetime, timedelta

import pytest
from graphql_relay import to_global_id

from comments.models import Comment, CommentStatus, Story
from tests.conftest import EMBED_ORIGIN, SITE_DOMAIN
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

STREAM = """
query Stream($url: String, $id: ID) {
  stream(storyURL: $url, storyID: $id) {
    id
    url
    isClosed
    site { domain }
    commentCounts { totalPublished }
  }
}
"""

STORY = """
query Story($id: ID, $url: String) {
  story(id: $id, url: $url) { id url metadata { title } }
}
"""

COMMENT = """
query Comment($id: ID!) {
  comment(id: $id) { id body status depth author { username } }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on Comment { body } ... on Story { url } }
}
"""

VIEWER = "query { viewer { username role email } }"

COMMENTS = """
query Comments($url: String!, $first: Int, $after: String, $orderBy: COMMENT_SORT) {
  stream(storyURL: $url) {
    comments(first: $first, after: $after, orderBy: $orderBy) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
      nodes { id }
    }
  }
}
"""

THREAD = """
query Thread($url: String!, $replies: Int) {
  stream(storyURL: $url) {
    comments(orderBy: CREATED_AT_ASC) {
      nodes {
        id depth ancestorIds replyCount
        replies(first: $replies) {
          pageInfo { hasNextPage }
          nodes {
            id depth ancestorIds parent { id }
            replies { nodes { id depth ancestorIds } }
          }
        }
      }
    }
  }
}
"""


def gid(type_name: str, obj) -> str:
    return to_global_id(type_name, str(obj.pk))


def error_codes(body) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


# stream


def test_stream_creates_story_lazily_once(graphql, site):
    url = f"{EMBED_ORIGIN}/2024/new"

    first = graphql(STREAM, {"url": url})
    second = graphql(STREAM, {"url": url})

    story = Story.objects.get()
    expected = {
        "id": gid("Story", story),
        "url": url,
        "isClosed": False,
        "site": {"domain": SITE_DOMAIN},
        "commentCounts": {"totalPublished": 0},
    }
    assert first == {"data": {"stream": expected}}
    assert second == first


def test_stream_of_unknown_origin_is_site_not_found(graphql, site):
    body = graphql(STREAM, {"url": "https://unknown.example.com/a"})

    assert body["data"] == {"stream": None}
    assert error_codes(body) == ["SITE_NOT_FOUND"]
    assert body["errors"][0]["path"] == ["stream"]
    assert body["errors"][0]["extensions"]["field"] == "storyURL"
    assert Story.objects.count() == 0


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"url": "ftp://news.example.com/a"}, "STORY_URL_INVALID"),
        ({}, "STORY_NOT_FOUND"),
        ({"id": "not-an-id"}, "INVALID_ID"),
        ({"id": to_global_id("Comment", "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10")}, "INVALID_ID"),
        ({"id": to_global_id("Story", "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10")}, "STORY_NOT_FOUND"),
    ],
)
def test_stream_errors(graphql, site, variables, code):
    body = graphql(STREAM, variables)

    assert body["data"] == {"stream": None}
    assert error_codes(body) == [code]
    assert Story.objects.count() == 0


def test_stream_without_lazy_creation_is_story_not_found(graphql, settings, site):
    settings.TALK = {"LAZY_STORY_CREATION": False}

    body = graphql(STREAM, {"url": f"https://{SITE_DOMAIN}/new"})

    assert error_codes(body) == ["STORY_NOT_FOUND"]
    assert Story.objects.count() == 0


def test_stream_by_id(graphql, story):
    body = graphql(STREAM, {"id": gid("Story", story)})

    assert body["data"]["stream"]["url"] == story.url


def test_closed_story_reports_is_closed(graphql, story):
    story.closed_at = T0
    story.save()

    body = graphql(STREAM, {"url": story.url})

    assert body["data"]["stream"]["isClosed"] is True


# story


def test_story_by_id_and_by_url(graphql, story):
    expected = {"id": gid("Story", story), "url": story.url, "metadata": {"title": story.title}}

    assert graphql(STORY, {"id": gid("Story", story)}) == {"data": {"story": expected}}
    assert graphql(STORY, {"url": story.url}) == {"data": {"story": expected}}


def test_story_never_creates(graphql, site):
    body = graphql(STORY, {"url": f"https://{SITE_DOMAIN}/not-yet"})

    assert body == {"data": {"story": None}}
    assert Story.objects.count() == 0


def test_story_with_invalid_id_is_invalid_id(graphql, story):
    body = graphql(STORY, {"id": "garbage"})

    assert body["data"] == {"story": None}
    assert error_codes(body) == ["INVALID_ID"]


# comment / node


def test_comment_by_id(graphql, story, profile):
    comment = CommentFactory(story=story, author=profile, body="<p>Hi</p>")

    body = graphql(COMMENT, {"id": gid("Comment", comment)})

    assert body == {
        "data": {
            "comment": {
                "id": gid("Comment", comment),
                "body": "<p>Hi</p>",
                "status": "NONE",
                "depth": 0,
                "author": {"username": "alice"},
            }
        }
    }


def test_held_comment_is_visible_to_its_author_only(graphql_for, story, profile, other_profile):
    held = CommentFactory(story=story, author=profile, status=CommentStatus.PREMOD)
    variables = {"id": gid("Comment", held)}

    as_author = graphql_for(profile)(COMMENT, variables)
    as_other = graphql_for(other_profile)(COMMENT, variables)
    as_anonymous = graphql_for(None)(COMMENT, variables)

    assert as_author["data"]["comment"]["status"] == "PREMOD"
    assert as_other == {"data": {"comment": None}}
    assert as_anonymous == {"data": {"comment": None}}


def test_node_hides_held_comments_from_others(graphql_for, story, profile, other_profile):
    held = CommentFactory(story=story, author=profile, status=CommentStatus.REJECTED)
    variables = {"id": gid("Comment", held)}

    assert graphql_for(other_profile)(NODE, variables) == {"data": {"node": None}}
    assert graphql_for(None)(NODE, {"id": gid("Story", story)}) == {
        "data": {"node": {"id": gid("Story", story), "url": story.url}}
    }


@pytest.mark.parametrize(
    "bad_id", ["", "abc", to_global_id("Story", "5f0c2a36-54a4-4b4b-9a59-0d0c6d3e1f10")]
)
def test_comment_with_invalid_id_is_invalid_id(graphql, story, bad_id):
    body = graphql(COMMENT, {"id": bad_id})

    assert body["data"] == {"comment": None}
    assert error_codes(body) == ["INVALID_ID"]


# viewer


def test_viewer_is_null_when_anonymous(graphql):
    assert graphql(VIEWER) == {"data": {"viewer": None}}


def test_viewer_is_the_signed_in_user_with_email(graphql_as_author, profile):
    assert graphql_as_author(VIEWER) == {
        "data": {"viewer": {"username": "alice", "role": "COMMENTER", "email": "alice@example.org"}}
    }


def test_other_users_email_is_hidden(graphql_for, story, profile, other_profile):
    comment = CommentFactory(story=story, author=profile)
    query = "query($id: ID!) { comment(id: $id) { author { username email } } }"

    body = graphql_for(other_profile)(query, {"id": gid("Comment", comment)})

    assert body == {"data": {"comment": {"author": {"username": "alice", "email": None}}}}


# comments connection


@pytest.fixture
def five(story):
    """Five top-level comments, one minute apart, oldest first."""
    return [CommentFactory(story=story, created_at=T0 + timedelta(minutes=i)) for i in range(5)]


def test_comments_default_to_newest_first(graphql, story, five):
    body = graphql(COMMENTS, {"url": story.url})

    connection = body["data"]["stream"]["comments"]
    expected = [gid("Comment", c) for c in reversed(five)]
    assert [edge["node"]["id"] for edge in connection["edges"]] == expected
    assert [node["id"] for node in connection["nodes"]] == expected
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is False
    assert connection["pageInfo"]["startCursor"] == connection["edges"][0]["cursor"]
    assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]


def test_comments_paginate_with_first_after_and_order(graphql, story, five):
    # when
    pages, after = [], None
    for _ in range(3):
        body = graphql(
            COMMENTS, {"url": story.url, "first": 2, "after": after, "orderBy": "CREATED_AT_ASC"}
        )
        connection = body["data"]["stream"]["comments"]
        pages.append(connection)
        after = connection["pageInfo"]["endCursor"]

    # then
    assert [[n["id"] for n in page["nodes"]] for page in pages] == [
        [gid("Comment", five[0]), gid("Comment", five[1])],
        [gid("Comment", five[2]), gid("Comment", five[3])],
        [gid("Comment", five[4])],
    ]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]


def test_comments_sorted_by_reactions(graphql, story, five):
    Comment.objects.filter(pk=five[1].pk).update(reaction_count=4)
    Comment.objects.filter(pk=five[3].pk).update(reaction_count=2)

    body = graphql(COMMENTS, {"url": story.url, "first": 3, "orderBy": "REACTION_DESC"})

    assert [n["id"] for n in body["data"]["stream"]["comments"]["nodes"]] == [
        gid("Comment", five[1]),
        gid("Comment", five[3]),
        gid("Comment", five[4]),
    ]


@pytest.mark.parametrize("first", [0, -1, 101, 1000])
def test_page_size_out_of_range_is_page_size_invalid(graphql, story, first):
    body = graphql(COMMENTS, {"url": story.url, "first": first})

    assert body["data"] == {"stream": None}
    assert error_codes(body) == ["PAGE_SIZE_INVALID"]
    assert body["errors"][0]["path"] == ["stream", "comments"]
    assert body["errors"][0]["message"] == "first must be between 1 and 100."


@pytest.mark.parametrize("first", [1, 100])
def test_page_size_limits_are_inclusive(graphql, story, five, first):
    body = graphql(COMMENTS, {"url": story.url, "first": first})

    assert len(body["data"]["stream"]["comments"]["nodes"]) == min(first, 5)


def test_page_size_cap_follows_setting(graphql, settings, story):
    settings.TALK = {"MAX_PAGE_SIZE": 10}

    body = graphql(COMMENTS, {"url": story.url, "first": 11})

    assert error_codes(body) == ["PAGE_SIZE_INVALID"]
    assert body["errors"][0]["message"] == "first must be between 1 and 10."


def test_comments_with_bad_cursor_is_invalid_id(graphql, story, five):
    newest = graphql(COMMENTS, {"url": story.url, "first": 1})
    cursor = newest["data"]["stream"]["comments"]["pageInfo"]["endCursor"]

    other_order = graphql(COMMENTS, {"url": story.url, "after": cursor, "orderBy": "REPLIES_DESC"})
    garbage = graphql(COMMENTS, {"url": story.url, "after": "!!"})

    assert error_codes(other_order) == ["INVALID_ID"]
    assert error_codes(garbage) == ["INVALID_ID"]


def test_comments_show_the_viewer_their_own_held_comment(graphql_for, story, profile):
    held = CommentFactory(story=story, author=profile, status=CommentStatus.PREMOD)

    mine = graphql_for(profile)(COMMENTS, {"url": story.url})
    anonymous = graphql_for(None)(COMMENTS, {"url": story.url})

    assert [n["id"] for n in mine["data"]["stream"]["comments"]["nodes"]] == [gid("Comment", held)]
    assert anonymous["data"]["stream"]["comments"]["nodes"] == []


def test_nested_replies(graphql, story):
    # given: root > (r1 > rr1, r2, r3) with replies(first: 2)
    root = CommentFactory(story=story, created_at=T0)
    r1, r2, _r3 = (
        CommentFactory(parent=root, created_at=T0 + timedelta(minutes=i)) for i in (1, 2, 3)
    )
    rr1 = CommentFactory(parent=r1, created_at=T0 + timedelta(minutes=4))

    # when
    body = graphql(THREAD, {"url": story.url, "replies": 2})

    # then
    root_gid, r1_gid = gid("Comment", root), gid("Comment", r1)
    assert body == {
        "data": {
            "stream": {
                "comments": {
                    "nodes": [
                        {
                            "id": root_gid,
                            "depth": 0,
                            "ancestorIds": [],
                            "replyCount": 3,
                            "replies": {
                                "pageInfo": {"hasNextPage": True},
                                "nodes": [
                                    {
                                        "id": r1_gid,
                                        "depth": 1,
                                        "ancestorIds": [root_gid],
                                        "parent": {"id": root_gid},
                                        "replies": {
                                            "nodes": [
                                                {
                                                    "id": gid("Comment", rr1),
                                                    "depth": 2,
                                                    "ancestorIds": [root_gid, r1_gid],
                                                }
                                            ]
                                        },
                                    },
                                    {
                                        "id": gid("Comment", r2),
                                        "depth": 1,
                                        "ancestorIds": [root_gid],
                                        "parent": {"id": root_gid},
                                        "replies": {"nodes": []},
                                    },
                                ],
                            },
                        }
                    ]
                }
            }
        }
    }


def test_nested_replies_page_size_is_validated(graphql, story):
    CommentFactory(story=story)

    body = graphql(THREAD, {"url": story.url, "replies": 101})

    assert error_codes(body) == ["PAGE_SIZE_INVALID"]
    assert body["data"] == {"stream": None}
