"""What each subscription listens to, who may subscribe, and what an event resolves to.

A :class:`Topic` is the plain-Python side of one ``Subscription`` field: ``prepare``
checks the viewer and arguments once and names the groups to join; ``accepts`` filters
events without touching the database; ``root`` turns an event into the payload the
field's document is executed against (None: not for this subscriber). ``root`` runs on
the node that received the event, once per event and visibility class (see
``realtime.fanout``), so visibility is decided on the receiving side, never by the
publisher. Everything here except ``accepts`` is synchronous and may query the database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from comments.errors import NotAuthenticated, SiteNotFound, StoryNotFound
from comments.models import VISIBLE_STATUSES, Comment, Site
from comments.selectors import CommentOrder, comment_cursor, story_get
from moderation.models import Profile
from realtime import groups
from realtime.auth import OriginPolicy, Viewer
from realtime.errors import ModeratorsOnly, OriginNotAllowed, ResumeTooFar
from realtime.selectors import comment_list_entered_after, site_ids_list, site_origins

# A resume sends at most this many missed comments; beyond, the client must reload.
RESUME_MAX_COMMENTS = 500


@dataclass(frozen=True)
class LiveSource:
    """A prepared subscription: the topic, its decoded arguments and the groups to join.

    It is what a ``subscribe_<field>`` resolver returns. graphql-core requires an async
    iterable there; the events themselves are delivered by the node's shared fan-out
    (``realtime.fanout``), so iterating it directly is an error.
    """

    topic: Topic
    params: Mapping[str, Any]
    groups: tuple[str, ...]
    viewer: Viewer = field(compare=False)

    def __aiter__(self) -> AsyncIterator[Any]:
        raise TypeError(
            "Talk's subscriptions are served by the websocket endpoint /api/graphql/live "
            "(realtime.consumers), not by iterating Schema.subscribe()."
        )


def _visible(comment: Comment | None) -> bool:
    return comment is not None and comment.status in VISIBLE_STATUSES


def _under(comment: Comment, ancestor_id: uuid.UUID | None) -> bool:
    return ancestor_id is None or str(ancestor_id) in comment.ancestor_ids


class Topic:
    """Base of the topics; subclasses set ``name`` and ``events`` and override ``root``."""

    name: str = ""
    events: frozenset[str] = frozenset()
    moderators_only = False
    # Every subscriber is their own visibility class (per-user groups).
    per_viewer = False
    resumable = False

    def accepts(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
        """Return True if ``event`` may concern a subscriber with ``params`` (no I/O)."""
        return event.get("type") in self.events

    def root(
        self, event: Mapping[str, Any], comment: Comment | None, params: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Return the payload root for ``event`` (its comment already loaded), or None."""
        raise NotImplementedError

    def backlog(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the payload roots a resuming subscriber missed, oldest first."""
        return []


# -- the stream (readers) ----------------------------------------------------------------


def prepare_story(
    topic: Topic, *, viewer: Viewer, origin: OriginPolicy, story_id: uuid.UUID, **params: Any
) -> LiveSource:
    """Check that ``story_id`` exists and may be followed from ``origin``.

    Raises:
        StoryNotFound: no such story.
        OriginNotAllowed: the page's origin is not one the story's site allows.
    """
    story = story_get(story_id=story_id)
    if story is None:
        raise StoryNotFound(field="storyID")
    if not origin.allows(site_origins(site_ids=[story.site_id]).get(str(story.site_id), [])):
        raise OriginNotAllowed(field="storyID")
    return LiveSource(
        topic=topic,
        params={"story_id": story_id, **params},
        groups=(groups.story(str(story_id)),),
        viewer=viewer,
    )


class CommentEntered(Topic):
    """A comment or reply became visible on the story: posted visible, or released."""

    name = "commentEntered"
    events = frozenset({"comment.created", "comment.status_updated"})
    resumable = True

    def accepts(self, event, params):
        if event["type"] == "comment.created":
            return event.get("status") in VISIBLE_STATUSES
        if event["type"] == "comment.status_updated":
            return (
                event.get("new_status") in VISIBLE_STATUSES
                and event.get("old_status") not in VISIBLE_STATUSES
            )
        return False

    def root(self, event, comment, params):
        if not _visible(comment) or not _under(comment, params.get("ancestor_id")):
            return None
        return self._payload(comment)

    @staticmethod
    def _payload(comment: Comment) -> dict[str, Any]:
        return {"comment": comment, "cursor": comment_cursor(comment, CommentOrder.CREATED_AT_ASC)}

    def backlog(self, params):
        after: tuple[datetime, uuid.UUID] | None = params.get("after")
        if after is None:
            return []
        missed = comment_list_entered_after(
            story_id=params["story_id"], after=after, limit=RESUME_MAX_COMMENTS + 1
        )
        if len(missed) > RESUME_MAX_COMMENTS:
            raise ResumeTooFar(field="after")
        return [
            self._payload(m.comment) for m in missed if _under(m.comment, params.get("ancestor_id"))
        ]


class CommentEdited(Topic):
    """A visible comment's body was edited."""

    name = "commentEdited"
    events = frozenset({"comment.edited"})

    def root(self, event, comment, params):
        if not _visible(comment) or not _under(comment, params.get("ancestor_id")):
            return None
        return {"comment": comment}


class CommentReactionUpdated(Topic):
    """A visible comment's reaction count changed."""

    name = "commentReactionUpdated"
    events = frozenset({"comment.reaction_updated"})

    def root(self, event, comment, params):
        return {"comment": comment} if _visible(comment) else None


# -- moderation queues (moderators) ------------------------------------------------------


def prepare_moderation(
    topic: Topic,
    *,
    viewer: Viewer,
    origin: OriginPolicy,
    site_id: uuid.UUID | None = None,
    story_id: uuid.UUID | None = None,
    **params: Any,
) -> LiveSource:
    """Check that the viewer moderates the sites asked for; join their moderation groups.

    Without ``site_id`` (and ``story_id``), that is every site the moderator may moderate
    (``Profile.moderation_sites``, else all) that exists now.

    Raises:
        ModeratorsOnly: the viewer is not a moderator, or not of that site.
        SiteNotFound, StoryNotFound: no such site or story.
        OriginNotAllowed: the page's origin may not follow the site.
    """
    if not viewer.is_moderator:
        raise ModeratorsOnly()
    sites: list[str]
    if story_id is not None:
        story = story_get(story_id=story_id)
        if story is None:
            raise StoryNotFound(field="storyID")
        if site_id is not None and story.site_id != site_id:
            raise StoryNotFound("That story is not on that site.", field="storyID")
        sites = [str(story.site_id)]
    elif site_id is not None:
        if not Site.objects.filter(pk=site_id).exists():
            raise SiteNotFound(field="siteID")
        sites = [str(site_id)]
    else:
        sites = [s for s in site_ids_list() if viewer.may_moderate(s)]
    if not all(viewer.may_moderate(s) for s in sites):
        raise ModeratorsOnly("You do not moderate that site.", field="siteID")
    origins = site_origins(site_ids=sites)
    allowed = [s for s in sites if origin.allows(origins.get(s, []))]
    if sites and not allowed:
        raise OriginNotAllowed(field="siteID")
    return LiveSource(
        topic=topic,
        params={"site_id": site_id, "story_id": story_id, **params},
        groups=tuple(groups.moderation(s) for s in allowed),
        viewer=viewer,
    )


class _ModerationTopic(Topic):
    moderators_only = True

    def accepts(self, event, params):
        if event.get("type") not in self.events:
            return False
        story_id = params.get("story_id")
        return story_id is None or event.get("story_id") == str(story_id)


class _QueueTopic(_ModerationTopic):
    def accepts(self, event, params):
        queue = params.get("queue")
        return super().accepts(event, params) and (queue is None or event.get("queue") == queue)

    def root(self, event, comment, params):
        return None if comment is None else {"comment": comment, "queue": event["queue"]}


class CommentEnteredModerationQueue(_QueueTopic):
    """A comment entered a moderation queue (held on posting, reported, ...)."""

    name = "commentEnteredModerationQueue"
    events = frozenset({"comment.entered_moderation_queue"})


class CommentLeftModerationQueue(_QueueTopic):
    """A comment left a moderation queue (a moderator decided, reports dismissed, ...)."""

    name = "commentLeftModerationQueue"
    events = frozenset({"comment.left_moderation_queue"})


class CommentStatusUpdated(_ModerationTopic):
    """A comment's status changed (by a moderator, or the system)."""

    name = "commentStatusUpdated"
    events = frozenset({"comment.moderated"})

    def root(self, event, comment, params):
        if comment is None:
            return None
        actor_id = event.get("actor_id")
        moderator = Profile.objects.filter(pk=actor_id).first() if actor_id else None
        return {
            "comment": comment,
            "new_status": event["new_status"],
            "previous_status": event["old_status"],
            "moderator": moderator,
        }


class CommentFeatured(_ModerationTopic):
    """A comment was featured."""

    name = "commentFeatured"
    events = frozenset({"comment.featured"})

    def root(self, event, comment, params):
        return None if comment is None else {"comment": comment}


# -- the viewer's own notifications -------------------------------------------------------


def prepare_viewer(topic: Topic, *, viewer: Viewer, origin: OriginPolicy, **params) -> LiveSource:
    """Join the viewer's own group.

    Raises:
        NotAuthenticated: the socket has no signed-in viewer.
    """
    if viewer.profile is None:
        raise NotAuthenticated()
    return LiveSource(
        topic=topic,
        params=params,
        groups=(groups.user(str(viewer.profile.pk)),),
        viewer=viewer,
    )


class CommentReplyCreated(Topic):
    """Someone replied to one of the viewer's comments (visible replies only)."""

    name = "commentReplyCreated"
    events = frozenset({"comment.reply_created"})
    per_viewer = True

    def root(self, event, comment, params):
        return {"comment": comment} if _visible(comment) else None


COMMENT_ENTERED = CommentEntered()
COMMENT_EDITED = CommentEdited()
COMMENT_REACTION_UPDATED = CommentReactionUpdated()
COMMENT_ENTERED_MODERATION_QUEUE = CommentEnteredModerationQueue()
COMMENT_LEFT_MODERATION_QUEUE = CommentLeftModerationQueue()
COMMENT_STATUS_UPDATED = CommentStatusUpdated()
COMMENT_FEATURED = CommentFeatured()
COMMENT_REPLY_CREATED = CommentReplyCreated()
