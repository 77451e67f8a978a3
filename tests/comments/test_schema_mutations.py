"""GraphQL mutations over HTTP: the permission matrix and errors returned as data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from comments.models import (
    Comment,
    CommentAction,
    CommentFlag,
    CommentReaction,
    CommentRevision,
    CommentStatus,
)
from comments.services import comment_create, comment_reaction_create
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

PAYLOAD = """
  errors { code field }
  clientMutationId
  comment {
    id body status replyCount
    actionCounts { reaction { total } }
    viewerActionPresence { reaction flag }
  }
"""
CREATE_COMMENT = f"""
mutation($input: CreateCommentInput!) {{ createComment(input: $input) {{ {PAYLOAD} }} }}
"""
CREATE_COMMENT_REPLY = f"""
mutation($input: CreateCommentReplyInput!) {{ createCommentReply(input: $input) {{ {PAYLOAD} }} }}
"""
EDIT_COMMENT = f"""
mutation($input: EditCommentInput!) {{ editComment(input: $input) {{ {PAYLOAD} }} }}
"""
CREATE_COMMENT_REACTION = f"""
mutation($input: CommentIDInput!) {{ createCommentReaction(input: $input) {{ {PAYLOAD} }} }}
"""
REMOVE_COMMENT_REACTION = f"""
mutation($input: CommentIDInput!) {{ removeCommentReaction(input: $input) {{ {PAYLOAD} }} }}
"""
CREATE_COMMENT_FLAG = f"""
mutation($input: CreateCommentFlagInput!) {{ createCommentFlag(input: $input) {{ {PAYLOAD} }} }}
"""


def gid(type_name: str, obj) -> str:
    return to_global_id(type_name, str(obj.pk))


@dataclass
class World:
    story: object
    target: Comment
    profiles: dict  # viewer name -> Profile (no "anonymous")


@pytest.fixture
def world(story, profile, other_profile, moderator_profile) -> World:
    """``alice`` ("author") wrote ``target`` just now; ``bob`` is a commenter, ``mod`` a
    moderator."""
    target = comment_create(story_id=story.pk, author=profile.user, body="<p>Original</p>")
    return World(
        story=story,
        target=target,
        profiles={"commenter": other_profile, "author": profile, "moderator": moderator_profile},
    )


def everyone_reacts(world: World) -> None:
    for reader in world.profiles.values():
        comment_reaction_create(comment_id=world.target.pk, author=reader.user)


def state(world: World) -> dict:
    world.story.refresh_from_db()
    target = Comment.objects.get(pk=world.target.pk)
    return {
        "comments": Comment.objects.count(),
        "actions": CommentAction.objects.count(),
        "revisions": CommentRevision.objects.count(),
        "reactions": CommentReaction.objects.count(),
        "flags": CommentFlag.objects.count(),
        "story.comment_count": world.story.comment_count,
        "target.reply_count": target.reply_count,
        "target.reaction_count": target.reaction_count,
        "target.flag_count": target.flag_count,
        "target.body": target.body,
        "target.edited": target.edited_at is not None,
    }


@dataclass
class Case:
    document: str
    field: str
    variables: Callable[[World], dict]
    changes: dict = field(default_factory=dict)  # on success: key -> int delta or new value
    returns_target: bool = True
    arrange: Callable[[World], None] | None = None


CASES = {
    "createComment": Case(
        CREATE_COMMENT,
        "createComment",
        lambda w: {"storyID": gid("Story", w.story), "body": "<p>New</p>"},
        {"comments": 1, "actions": 1, "revisions": 1, "story.comment_count": 1},
        returns_target=False,
    ),
    "createCommentReply": Case(
        CREATE_COMMENT_REPLY,
        "createCommentReply",
        lambda w: {
            "storyID": gid("Story", w.story),
            "parentID": gid("Comment", w.target),
            "body": "<p>New</p>",
        },
        {
            "comments": 1,
            "actions": 1,
            "revisions": 1,
            "story.comment_count": 1,
            "target.reply_count": 1,
        },
        returns_target=False,
    ),
    "editComment": Case(
        EDIT_COMMENT,
        "editComment",
        lambda w: {"commentID": gid("Comment", w.target), "body": "<p>Edited</p>"},
        {"actions": 1, "revisions": 1, "target.body": "<p>Edited</p>", "target.edited": True},
    ),
    "createCommentReaction": Case(
        CREATE_COMMENT_REACTION,
        "createCommentReaction",
        lambda w: {"commentID": gid("Comment", w.target)},
        {"reactions": 1, "target.reaction_count": 1},
    ),
    "removeCommentReaction": Case(
        REMOVE_COMMENT_REACTION,
        "removeCommentReaction",
        lambda w: {"commentID": gid("Comment", w.target)},
        {"reactions": -1, "target.reaction_count": -1},
        arrange=everyone_reacts,
    ),
    "createCommentFlag": Case(
        CREATE_COMMENT_FLAG,
        "createCommentFlag",
        lambda w: {"commentID": gid("Comment", w.target), "reason": "COMMENT_REPORTED_SPAM"},
        {"flags": 1, "target.flag_count": 1},
    ),
}

VIEWERS = ["anonymous", "commenter", "author", "moderator"]


def expected_error(mutation: str, viewer: str) -> str | None:
    if viewer == "anonymous":
        return "NOT_AUTHENTICATED"
    if mutation == "editComment" and viewer != "author":
        return "NOT_AUTHOR"
    return None


def apply(before: dict, changes: dict) -> dict:
    after = dict(before)
    for key, change in changes.items():
        is_delta = isinstance(change, int) and not isinstance(change, bool)
        after[key] = before[key] + change if is_delta else change
    return after


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("mutation", list(CASES))
def test_permission_matrix(graphql_for, world, mutation, viewer):
    # given
    case = CASES[mutation]
    if case.arrange is not None:
        case.arrange(world)
    client = graphql_for(world.profiles.get(viewer))
    before = state(world)
    code = expected_error(mutation, viewer)

    # when
    body = client(case.document, {"input": {**case.variables(world), "clientMutationId": "m1"}})

    # then
    assert "errors" not in body
    payload = body["data"][case.field]
    assert payload["clientMutationId"] == "m1"
    if code is not None:
        assert payload == {
            "errors": [{"code": code, "field": None}],
            "clientMutationId": "m1",
            "comment": None,
        }
        assert state(world) == before
        return
    assert payload["errors"] == []
    assert state(world) == apply(before, case.changes)
    comment = payload["comment"]
    if case.returns_target:
        assert comment["id"] == gid("Comment", world.target)
    else:
        new = Comment.objects.exclude(pk=world.target.pk).get()
        assert comment["id"] == gid("Comment", new)
        assert comment["status"] == ("APPROVED" if viewer == "moderator" else "NONE")
        assert new.author == world.profiles[viewer]


def test_reaction_payload_reflects_the_viewer(graphql_for, story, profile, other_profile):
    target = CommentFactory(story=story, author=profile)
    client = graphql_for(other_profile)
    variables = {"input": {"commentID": gid("Comment", target)}}

    added = client(CREATE_COMMENT_REACTION, variables)["data"]["createCommentReaction"]
    removed = client(REMOVE_COMMENT_REACTION, variables)["data"]["removeCommentReaction"]

    assert added["comment"]["actionCounts"] == {"reaction": {"total": 1}}
    assert added["comment"]["viewerActionPresence"] == {"reaction": True, "flag": False}
    assert removed["comment"]["actionCounts"] == {"reaction": {"total": 0}}
    assert removed["comment"]["viewerActionPresence"] == {"reaction": False, "flag": False}


@pytest.mark.parametrize(
    ("document", "field_name", "variables", "code", "error_field"),
    [
        (
            CREATE_COMMENT,
            "createComment",
            {"storyID": "nope", "body": "x"},
            "INVALID_ID",
            "storyID",
        ),
        (EDIT_COMMENT, "editComment", {"commentID": "", "body": "x"}, "INVALID_ID", "commentID"),
        (
            CREATE_COMMENT_REACTION,
            "createCommentReaction",
            {"commentID": "Zm9vOmJhcg=="},
            "INVALID_ID",
            "commentID",
        ),
        (
            CREATE_COMMENT_FLAG,
            "createCommentFlag",
            {"commentID": "x", "reason": "COMMENT_REPORTED_SPAM"},
            "INVALID_ID",
            "commentID",
        ),
    ],
)
def test_invalid_global_ids_are_invalid_id(
    graphql_as_author, story, document, field_name, variables, code, error_field
):
    body = graphql_as_author(document, {"input": variables})

    assert body["data"][field_name] == {
        "errors": [{"code": code, "field": error_field}],
        "clientMutationId": None,
        "comment": None,
    }
    assert Comment.objects.count() == 0


def test_story_id_used_as_parent_id_is_invalid_id(graphql_as_author, story):
    variables = {"storyID": gid("Story", story), "parentID": gid("Story", story), "body": "x"}

    body = graphql_as_author(CREATE_COMMENT_REPLY, {"input": variables})

    assert body["data"]["createCommentReply"]["errors"] == [
        {"code": "INVALID_ID", "field": "parentID"}
    ]


def test_closed_story_is_story_closed(graphql_as_author, story):
    story.closed_at = timezone.now() - timedelta(minutes=1)
    story.save()

    body = graphql_as_author(
        CREATE_COMMENT, {"input": {"storyID": gid("Story", story), "body": "Hi"}}
    )

    assert body["data"]["createComment"]["errors"] == [{"code": "STORY_CLOSED", "field": None}]
    assert Comment.objects.count() == 0


def test_body_errors_are_returned_as_data(graphql_as_author, settings, story):
    settings.TALK = {"MAX_COMMENT_CHARS": 5}
    story_id = gid("Story", story)

    empty = graphql_as_author(CREATE_COMMENT, {"input": {"storyID": story_id, "body": "<p></p>"}})
    long = graphql_as_author(CREATE_COMMENT, {"input": {"storyID": story_id, "body": "123456"}})

    assert empty["data"]["createComment"]["errors"] == [
        {"code": "COMMENT_BODY_EMPTY", "field": "body"}
    ]
    assert long["data"]["createComment"]["errors"] == [
        {"code": "COMMENT_BODY_TOO_LONG", "field": "body"}
    ]
    assert Comment.objects.count() == 0


def test_reply_to_hidden_parent_is_parent_not_found(graphql_as_author, story):
    hidden = CommentFactory(story=story, status=CommentStatus.REJECTED)
    variables = {"storyID": gid("Story", story), "parentID": gid("Comment", hidden), "body": "x"}

    body = graphql_as_author(CREATE_COMMENT_REPLY, {"input": variables})

    assert body["data"]["createCommentReply"]["errors"] == [
        {"code": "PARENT_COMMENT_NOT_FOUND", "field": "parentID"}
    ]
    assert Comment.objects.count() == 1


def test_edit_after_window_is_edit_window_expired(graphql_as_author, story, profile):
    comment = CommentFactory(
        story=story, author=profile, created_at=timezone.now() - timedelta(minutes=5)
    )

    body = graphql_as_author(
        EDIT_COMMENT, {"input": {"commentID": gid("Comment", comment), "body": "Later"}}
    )

    assert body["data"]["editComment"]["errors"] == [{"code": "EDIT_WINDOW_EXPIRED", "field": None}]
    assert Comment.objects.get(pk=comment.pk).edited_at is None


def test_flag_errors_are_returned_as_data(graphql_as_author, story):
    # given
    comment = CommentFactory(story=story)
    other = {"commentID": gid("Comment", comment), "reason": "COMMENT_REPORTED_OTHER"}

    # when
    without_note = graphql_as_author(CREATE_COMMENT_FLAG, {"input": other})
    flagged = graphql_as_author(
        CREATE_COMMENT_FLAG, {"input": {**other, "additionalDetails": "Doxxing"}}
    )
    twice = graphql_as_author(
        CREATE_COMMENT_FLAG, {"input": {**other, "additionalDetails": "Again"}}
    )

    # then
    assert without_note["data"]["createCommentFlag"]["errors"] == [
        {"code": "FLAG_NOTE_REQUIRED", "field": "additionalDetails"}
    ]
    assert flagged["data"]["createCommentFlag"]["comment"]["viewerActionPresence"] == {
        "reaction": False,
        "flag": True,
    }
    assert twice["data"]["createCommentFlag"]["errors"] == [
        {"code": "ALREADY_FLAGGED", "field": None}
    ]
    assert CommentFlag.objects.get().note == "Doxxing"
    assert Comment.objects.get(pk=comment.pk).flag_count == 1


def test_reaction_to_hidden_comment_is_not_visible(graphql_as_author, story):
    hidden = CommentFactory(story=story, status=CommentStatus.PREMOD)

    body = graphql_as_author(
        CREATE_COMMENT_REACTION, {"input": {"commentID": gid("Comment", hidden)}}
    )

    assert body["data"]["createCommentReaction"]["errors"] == [
        {"code": "COMMENT_NOT_VISIBLE", "field": "commentID"}
    ]
    assert CommentReaction.objects.count() == 0
