"""Public mutations: comments, replies, edits, reactions, flags and local accounts.

Each decodes ids, calls one service and maps :class:`~comments.errors.TalkError` to
``errors`` in its payload; a mutation that returns errors changed nothing.
"""

from __future__ import annotations

import graphene

from comments.errors import TalkError
from comments.models import FlagReason
from comments.schema.context import decode_id, request_ip
from comments.schema.types import CommentNode, CommentsError, UserNode, enum_value
from comments.services import (
    comment_create,
    comment_edit,
    comment_flag_create,
    comment_reaction_create,
    comment_reaction_remove,
)
from moderation.services import account_sign_in, account_sign_out, account_sign_up

FlagReasonEnum = graphene.Enum(
    "COMMENT_FLAG_REPORTED_REASON",
    [(r.value, r.value) for r in FlagReason],
    description="Coral's reader report reasons; OTHER requires additionalDetails.",
)


class TalkMutation(graphene.Mutation):
    """Base of every Talk mutation: subclasses implement ``perform`` returning the
    payload's fields; a :class:`TalkError` becomes ``errors`` of type ``error_type``
    (each app has its own, STYLE.md §7)."""

    error_type: type[graphene.ObjectType] = CommentsError
    errors = graphene.List(graphene.NonNull(CommentsError), required=True)
    client_mutation_id = graphene.String()

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, info, input) -> dict:
        raise NotImplementedError

    @classmethod
    def mutate(cls, root, info, input):
        try:
            fields = cls.perform(info, input)
        except TalkError as exc:
            return cls(
                errors=[cls.error_type(**exc.to_payload())],
                client_mutation_id=input.get("client_mutation_id"),
            )
        return cls(errors=[], client_mutation_id=input.get("client_mutation_id"), **fields)


def _user(info):
    return info.context.user


class CreateCommentInput(graphene.InputObjectType):
    story_id = graphene.ID(name="storyID", required=True)
    body = graphene.String(
        required=True, description="HTML; sanitised; at most 5000 visible characters."
    )
    client_mutation_id = graphene.String()


class CreateComment(TalkMutation):
    """Post a top-level comment; its status comes from the moderation phases (readers see
    it at once unless held). Errors: NOT_AUTHENTICATED, STORY_NOT_FOUND, STORY_CLOSED,
    COMMENTING_DISABLED, USER_BANNED, USER_SUSPENDED, RATE_LIMITED, COMMENT_BODY_EMPTY,
    COMMENT_BODY_TOO_LONG, INVALID_ID."""

    class Arguments:
        input = CreateCommentInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        comment = comment_create(
            story_id=decode_id(input.story_id, "Story", field="storyID"),
            author=_user(info),
            body=input.body,
            client_ip=request_ip(info.context),
        )
        return {"comment": comment}


class CreateCommentReplyInput(graphene.InputObjectType):
    story_id = graphene.ID(name="storyID", required=True)
    parent_id = graphene.ID(name="parentID", required=True)
    body = graphene.String(required=True)
    client_mutation_id = graphene.String()


class CreateCommentReply(TalkMutation):
    """Reply to a visible comment at any depth. Errors: those of createComment and
    PARENT_COMMENT_NOT_FOUND."""

    class Arguments:
        input = CreateCommentReplyInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        comment = comment_create(
            story_id=decode_id(input.story_id, "Story", field="storyID"),
            parent_id=decode_id(input.parent_id, "Comment", field="parentID"),
            author=_user(info),
            body=input.body,
            client_ip=request_ip(info.context),
        )
        return {"comment": comment}


class EditCommentInput(graphene.InputObjectType):
    comment_id = graphene.ID(name="commentID", required=True)
    body = graphene.String(required=True)
    client_mutation_id = graphene.String()


class EditComment(TalkMutation):
    """Edit your own comment within TALK['EDIT_WINDOW_SECONDS'] (default 30 s); the old
    body is kept as a revision and the moderation phases run again. Errors: NOT_AUTHOR,
    EDIT_WINDOW_EXPIRED, STORY_CLOSED, COMMENTING_DISABLED, USER_BANNED, USER_SUSPENDED,
    COMMENT_BODY_EMPTY, COMMENT_BODY_TOO_LONG, COMMENT_NOT_FOUND, INVALID_ID."""

    class Arguments:
        input = EditCommentInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        comment = comment_edit(
            comment_id=decode_id(input.comment_id, "Comment", field="commentID"),
            editor=_user(info),
            body=input.body,
        )
        return {"comment": comment}


class CommentIDInput(graphene.InputObjectType):
    comment_id = graphene.ID(name="commentID", required=True)
    client_mutation_id = graphene.String()


class CreateCommentReaction(TalkMutation):
    """React to a visible comment; once per user (repeating is a no-op)."""

    class Arguments:
        input = CommentIDInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        comment = comment_reaction_create(
            comment_id=decode_id(input.comment_id, "Comment", field="commentID"),
            author=_user(info),
        )
        return {"comment": comment}


class RemoveCommentReaction(TalkMutation):
    """Take back your reaction (a no-op when there is none)."""

    class Arguments:
        input = CommentIDInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        comment = comment_reaction_remove(
            comment_id=decode_id(input.comment_id, "Comment", field="commentID"),
            author=_user(info),
        )
        return {"comment": comment}


class CreateCommentFlagInput(graphene.InputObjectType):
    comment_id = graphene.ID(name="commentID", required=True)
    reason = FlagReasonEnum(required=True)
    additional_details = graphene.String(description="Required for OTHER; max 500 chars.")
    client_mutation_id = graphene.String()


class CreateCommentFlag(TalkMutation):
    """Report a comment to the moderators, once per user. Errors: ALREADY_FLAGGED,
    FLAG_NOTE_REQUIRED, COMMENT_NOT_FOUND, COMMENT_NOT_VISIBLE."""

    class Arguments:
        input = CreateCommentFlagInput(required=True)

    comment = graphene.Field(CommentNode)

    @classmethod
    def perform(cls, info, input):
        reason = enum_value(input.reason)
        flag = comment_flag_create(
            comment_id=decode_id(input.comment_id, "Comment", field="commentID"),
            reporter=_user(info),
            reason=reason,
            note=input.additional_details or "",
        )
        flag.comment.refresh_from_db()
        return {"comment": flag.comment}


class SignUpInput(graphene.InputObjectType):
    email = graphene.String(required=True)
    password = graphene.String(required=True, description="Checked by Django's validators.")
    username = graphene.String(required=True, description="3-30 of A-Z a-z 0-9 _ .")
    client_mutation_id = graphene.String()


class SignUp(TalkMutation):
    """Create a local account and sign in (session cookie). Errors: EMAIL_INVALID,
    EMAIL_ALREADY_SET, USERNAME_INVALID, USERNAME_ALREADY_EXISTS, PASSWORD_INVALID."""

    class Arguments:
        input = SignUpInput(required=True)

    viewer = graphene.Field(UserNode)

    @classmethod
    def perform(cls, info, input):
        profile = account_sign_up(
            request=info.context,
            email=input.email,
            password=input.password,
            username=input.username,
        )
        return {"viewer": profile}


class SignInInput(graphene.InputObjectType):
    email = graphene.String(required=True)
    password = graphene.String(required=True)
    client_mutation_id = graphene.String()


class SignIn(TalkMutation):
    """Sign in with e-mail and password. Errors: INVALID_CREDENTIALS."""

    class Arguments:
        input = SignInInput(required=True)

    viewer = graphene.Field(UserNode)

    @classmethod
    def perform(cls, info, input):
        return {
            "viewer": account_sign_in(
                request=info.context, email=input.email, password=input.password
            )
        }


class SignOutInput(graphene.InputObjectType):
    client_mutation_id = graphene.String()


class SignOut(TalkMutation):
    """End the viewer's session."""

    class Arguments:
        input = SignOutInput(required=False)

    @classmethod
    def mutate(cls, root, info, input=None):
        return super().mutate(root, info, input or {})

    @classmethod
    def perform(cls, info, input):
        account_sign_out(request=info.context)
        return {}


class CommentsMutations(graphene.ObjectType):
    create_comment = CreateComment.Field()
    create_comment_reply = CreateCommentReply.Field()
    edit_comment = EditComment.Field()
    create_comment_reaction = CreateCommentReaction.Field()
    remove_comment_reaction = RemoveCommentReaction.Field()
    create_comment_flag = CreateCommentFlag.Field()
    sign_up = SignUp.Field()
    sign_in = SignIn.Field()
    sign_out = SignOut.Field()
