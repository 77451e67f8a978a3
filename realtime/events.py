"""Events sent through the channel layer: JSON of ids and small scalars (STYLE.md rule 4)."""

from __future__ import annotations

from typing import TypedDict


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
