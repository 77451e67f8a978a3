"""Events sent through the channel layer: JSON of ids and small scalars (STYLE.md rule 4).

Each event type goes to exactly one kind of group (see :data:`realtime.groups.EVENT_SCOPES`):
the receiving node routes a message to its local subscriptions by the group derived from
the event itself, so the same type is never sent to two kinds of group.
"""

from __future__ import annotations

from typing import TypedDict

# Coral's MODERATION_QUEUE values.
QUEUE_UNMODERATED = "UNMODERATED"
QUEUE_PENDING = "PENDING"
QUEUE_REPORTED = "REPORTED"
MODERATION_QUEUES = (QUEUE_UNMODERATED, QUEUE_PENDING, QUEUE_REPORTED)


# -- story group (talk.story.<story_id>): what readers of a stream see --------------------


class CommentCreated(TypedDict):
    type: str  # "comment.created"
    comment_id: str
    story_id: str
    parent_id: str | None
    status: str


class CommentEdited(TypedDict):
    type: str  # "comment.edited"
    comment_id: str
    story_id: str


class CommentStatusUpdated(TypedDict):
    type: str  # "comment.status_updated"
    comment_id: str
    story_id: str
    old_status: str
    new_status: str


class CommentReactionUpdated(TypedDict):
    type: str  # "comment.reaction_updated"
    comment_id: str
    story_id: str
    reaction_count: int


# -- moderation group (talk.moderation.<site_id>): the site's moderators ------------------


class CommentEnteredModerationQueue(TypedDict):
    type: str  # "comment.entered_moderation_queue"
    comment_id: str
    story_id: str
    site_id: str
    queue: str  # one of MODERATION_QUEUES


class CommentLeftModerationQueue(TypedDict):
    type: str  # "comment.left_moderation_queue"
    comment_id: str
    story_id: str
    site_id: str
    queue: str  # one of MODERATION_QUEUES


class CommentModerated(TypedDict):
    """A status change as moderators see it (readers get ``comment.status_updated``)."""

    type: str  # "comment.moderated"
    comment_id: str
    story_id: str
    site_id: str
    old_status: str
    new_status: str
    actor_id: str | None  # the moderator's profile id; None for the system


class CommentFeatured(TypedDict):
    type: str  # "comment.featured"
    comment_id: str
    story_id: str
    site_id: str


# -- user group (talk.user.<profile_id>): one viewer's own notifications -----------------


class CommentReplyCreated(TypedDict):
    """A visible reply to a comment of ``user_id`` (posted, or released by a moderator)."""

    type: str  # "comment.reply_created"
    comment_id: str
    story_id: str
    parent_id: str
    user_id: str  # the profile id of the parent's author


# -- node-internal ------------------------------------------------------------------------


class Barrier(TypedDict):
    """Sent by a node to a group it just joined: once it comes back, the node's
    subscription to the group is live (see ``realtime.fanout``). Other nodes ignore it."""

    type: str  # "realtime.barrier"
    token: str
