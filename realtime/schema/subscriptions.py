"""GraphQL subscriptions, named as in Coral. Served over graphql-transport-ws only.

Each ``subscribe_<field>`` decodes its arguments and asks ``realtime.topics`` to check
the viewer and name the groups to join; it returns a :class:`~realtime.topics.LiveSource`,
which the websocket consumer hands to the node's shared fan-out (``realtime.fanout``).
Events are then executed against the field with the payload as root value, once per
visibility class. Over HTTP a subscription document gets an error.
"""

from __future__ import annotations

import graphene
from channels.db import database_sync_to_async
from graphql import GraphQLError

from comments.errors import TalkError
from comments.schema.context import decode_id, graphql_error
from comments.schema.types import CommentNode, CommentStatusEnum, UserNode, enum_value
from realtime import topics
from realtime.events import MODERATION_QUEUES
from realtime.selectors import comment_position

ModerationQueueEnum = graphene.Enum(
    "MODERATION_QUEUE",
    [(q, q) for q in MODERATION_QUEUES],
    description=(
        "Coral's moderation queues: UNMODERATED (not decided yet: NONE, PREMOD, "
        "SYSTEM_WITHHELD), PENDING (held: PREMOD, SYSTEM_WITHHELD), REPORTED (published "
        "and reported)."
    ),
)

WEBSOCKET_ONLY = (
    "Subscriptions are served over the websocket endpoint /api/graphql/live "
    "(protocol graphql-transport-ws)."
)


class CommentEnteredPayload(graphene.ObjectType):
    comment = graphene.Field(CommentNode, required=True, description="The comment or reply.")
    cursor = graphene.String(
        required=True,
        description="The comment's CREATED_AT_ASC cursor. To resume after a disconnect, "
        "pass the cursor of the newest comment seen as `after`.",
    )


class CommentEditedPayload(graphene.ObjectType):
    comment = graphene.Field(CommentNode, required=True, description="With its new body.")


class CommentReactionUpdatedPayload(graphene.ObjectType):
    comment = graphene.Field(CommentNode, required=True, description="With its new actionCounts.")


class CommentEnteredModerationQueuePayload(graphene.ObjectType):
    queue = ModerationQueueEnum(required=True, description="The queue it entered.")
    comment = graphene.Field(CommentNode, required=True, description="The comment, any status.")


class CommentLeftModerationQueuePayload(graphene.ObjectType):
    queue = ModerationQueueEnum(required=True, description="The queue it left.")
    comment = graphene.Field(CommentNode, required=True, description="The comment, any status.")


class CommentStatusUpdatedPayload(graphene.ObjectType):
    new_status = CommentStatusEnum(required=True, description="The status now.")
    previous_status = CommentStatusEnum(required=True, description="The status before.")
    moderator = graphene.Field(UserNode, description="Null when the system decided.")
    comment = graphene.Field(CommentNode, required=True, description="The comment.")


class CommentFeaturedPayload(graphene.ObjectType):
    comment = graphene.Field(CommentNode, required=True, description="The featured comment.")


class CommentReplyCreatedPayload(graphene.ObjectType):
    comment = graphene.Field(CommentNode, required=True, description="The reply.")


def _story_id_arg(required: bool = True):
    return graphene.ID(name="storyID", required=required, description="Global id of the story.")


def _ancestor_arg():
    return graphene.ID(
        name="ancestorID",
        description="Only comments in the thread under this comment (global id).",
    )


def _moderation_args() -> dict:
    return {
        "site_id": graphene.ID(
            name="siteID",
            description="Only this site; default: every site the moderator moderates.",
        ),
        "story_id": _story_id_arg(required=False),
    }


async def _prepare(info, prepare, topic, **params) -> topics.LiveSource:
    """Run ``prepare`` (sync, DB) for the socket's viewer and origin; map domain errors."""
    context = info.context
    try:
        return await database_sync_to_async(prepare)(
            topic, viewer=context.viewer, origin=context.origin, **params
        )
    except TalkError as exc:
        raise graphql_error(exc) from exc


def _decode(global_id, type_name: str, field: str):
    try:
        return decode_id(global_id, type_name, field=field, optional=True)
    except TalkError as exc:
        raise graphql_error(exc) from exc


def _payload(root):
    if not isinstance(root, dict) or "comment" not in root:
        raise GraphQLError(WEBSOCKET_ONLY)
    return root


class RealtimeSubscriptions(graphene.ObjectType):
    comment_entered = graphene.Field(
        CommentEnteredPayload,
        required=True,
        story_id=_story_id_arg(),
        ancestor_id=_ancestor_arg(),
        after=graphene.String(
            description="Resume: the cursor of the newest comment seen (a live payload's "
            "`cursor`, or a CREATED_AT_DESC/ASC edge cursor). What entered since is sent "
            "first, oldest first, then live events; at most 500 comments, else the error "
            "RESUME_TOO_FAR."
        ),
        description="A comment or reply became visible on the story: posted, or "
        "approved by a moderator. Held comments never appear here.",
    )
    comment_edited = graphene.Field(
        CommentEditedPayload,
        required=True,
        story_id=_story_id_arg(),
        ancestor_id=_ancestor_arg(),
        description="A visible comment on the story was edited.",
    )
    comment_reaction_updated = graphene.Field(
        CommentReactionUpdatedPayload,
        required=True,
        story_id=_story_id_arg(),
        description="The reaction count of a visible comment on the story changed.",
    )
    comment_entered_moderation_queue = graphene.Field(
        CommentEnteredModerationQueuePayload,
        required=True,
        queue=ModerationQueueEnum(description="Only this queue; default: all."),
        description="Moderators only: a comment entered a moderation queue.",
        **_moderation_args(),
    )
    comment_left_moderation_queue = graphene.Field(
        CommentLeftModerationQueuePayload,
        required=True,
        queue=ModerationQueueEnum(description="Only this queue; default: all."),
        description="Moderators only: a comment left a moderation queue.",
        **_moderation_args(),
    )
    comment_status_updated = graphene.Field(
        CommentStatusUpdatedPayload,
        required=True,
        description="Moderators only: a comment's status changed.",
        **_moderation_args(),
    )
    comment_featured = graphene.Field(
        CommentFeaturedPayload,
        required=True,
        description="Moderators only: a comment was featured.",
        **_moderation_args(),
    )
    comment_reply_created = graphene.Field(
        CommentReplyCreatedPayload,
        required=True,
        description="Signed-in viewers only: someone replied to one of your comments.",
    )

    @staticmethod
    async def subscribe_comment_entered(root, info, story_id, ancestor_id=None, after=None):
        position = None
        if after:
            try:
                position = comment_position(after)
            except TalkError as exc:
                raise graphql_error(exc) from exc
        return await _prepare(
            info,
            topics.prepare_story,
            topics.COMMENT_ENTERED,
            story_id=_decode(story_id, "Story", "storyID"),
            ancestor_id=_decode(ancestor_id, "Comment", "ancestorID"),
            after=position,
        )

    @staticmethod
    async def subscribe_comment_edited(root, info, story_id, ancestor_id=None):
        return await _prepare(
            info,
            topics.prepare_story,
            topics.COMMENT_EDITED,
            story_id=_decode(story_id, "Story", "storyID"),
            ancestor_id=_decode(ancestor_id, "Comment", "ancestorID"),
        )

    @staticmethod
    async def subscribe_comment_reaction_updated(root, info, story_id):
        return await _prepare(
            info,
            topics.prepare_story,
            topics.COMMENT_REACTION_UPDATED,
            story_id=_decode(story_id, "Story", "storyID"),
        )

    @staticmethod
    async def _moderation(info, topic, site_id=None, story_id=None, **params):
        return await _prepare(
            info,
            topics.prepare_moderation,
            topic,
            site_id=_decode(site_id, "Site", "siteID"),
            story_id=_decode(story_id, "Story", "storyID"),
            **params,
        )

    @staticmethod
    async def subscribe_comment_entered_moderation_queue(
        root, info, site_id=None, story_id=None, queue=None
    ):
        return await RealtimeSubscriptions._moderation(
            info,
            topics.COMMENT_ENTERED_MODERATION_QUEUE,
            site_id=site_id,
            story_id=story_id,
            queue=enum_value(queue),
        )

    @staticmethod
    async def subscribe_comment_left_moderation_queue(
        root, info, site_id=None, story_id=None, queue=None
    ):
        return await RealtimeSubscriptions._moderation(
            info,
            topics.COMMENT_LEFT_MODERATION_QUEUE,
            site_id=site_id,
            story_id=story_id,
            queue=enum_value(queue),
        )

    @staticmethod
    async def subscribe_comment_status_updated(root, info, site_id=None, story_id=None):
        return await RealtimeSubscriptions._moderation(
            info, topics.COMMENT_STATUS_UPDATED, site_id=site_id, story_id=story_id
        )

    @staticmethod
    async def subscribe_comment_featured(root, info, site_id=None, story_id=None):
        return await RealtimeSubscriptions._moderation(
            info, topics.COMMENT_FEATURED, site_id=site_id, story_id=story_id
        )

    @staticmethod
    async def subscribe_comment_reply_created(root, info):
        return await _prepare(info, topics.prepare_viewer, topics.COMMENT_REPLY_CREATED)

    @staticmethod
    def resolve_comment_entered(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_edited(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_reaction_updated(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_entered_moderation_queue(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_left_moderation_queue(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_status_updated(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_featured(root, info, **args):
        return _payload(root)

    @staticmethod
    def resolve_comment_reply_created(root, info, **args):
        return _payload(root)
