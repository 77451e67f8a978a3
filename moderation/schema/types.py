"""GraphQL types of the moderation app, named as in Coral's schema.

Also mounts ``status`` on the ``User`` type of ``comments.schema.types`` (Coral's
``User.status``): the type belongs to the comments app, the field to moderation, and the
comments app must not import moderation's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphene

from comments.errors import TalkError
from comments.schema.context import graphql_error, request_cache, viewer_profile
from comments.schema.types import CommentConnection, SiteNode, UserNode, build_connection, page_size
from moderation.models import ModerationQueue, Profile, RejectionReason, Role
from moderation.selectors import (
    ProfileStatus,
    moderation_queue_counts,
    moderation_queue_page,
    profile_status_get,
)

RejectionReasonEnum = graphene.Enum(
    "REJECTION_REASON_CODE",
    [(r.value, r.value) for r in RejectionReason],
    description="Why a moderator rejected a comment (Coral's codes); OTHER needs details.",
)
ModerationQueueEnum = graphene.Enum(
    "MODERATION_QUEUE",
    [(q.value, q.value) for q in ModerationQueue],
    description="Coral's moderation queues (REPORTED, PENDING, UNMODERATED) plus the "
    "APPROVED and REJECTED histories.",
)
UserStatusEnum = graphene.Enum(
    "USER_STATUS",
    [(s, s) for s in ("ACTIVE", "BANNED", "SUSPENDED", "PREMOD", "WARNED")],
    description="Coral's user statuses; ACTIVE when no other applies. Site bans are "
    "listed in ``ban.sites``, not here.",
)


class ModerationError(graphene.ObjectType):
    """An error returned as data by a moderation mutation; nothing changed."""

    code = graphene.String(
        required=True,
        description="Stable code, e.g. PERMISSION_DENIED, NOT_AUTHENTICATED, USER_ALREADY_BANNED.",
    )
    message = graphene.String(required=True, description="For people; may change.")
    field = graphene.String(description="The input field at fault, when one is.")


# User status (Coral's UserStatus)


class BanStatus(graphene.ObjectType):
    """Whether the user is banned everywhere, and the sites they are banned from."""

    active = graphene.Boolean(required=True, description="Banned on every site.")
    sites = graphene.List(
        graphene.NonNull(SiteNode),
        required=True,
        description="Sites the user is banned from (site bans), by name.",
    )


class SuspensionStatus(graphene.ObjectType):
    """A running suspension: no commenting until ``until``."""

    active = graphene.Boolean(required=True, description="A suspension is running.")
    until = graphene.DateTime(description="End of the running suspension (UTC); else null.")


class PremodStatus(graphene.ObjectType):
    """Whether every comment of the user is held for review."""

    active = graphene.Boolean(required=True, description="Always pre-moderated.")


class WarningStatus(graphene.ObjectType):
    """A warning the user has not acknowledged yet."""

    active = graphene.Boolean(required=True, description="A warning awaits acknowledgement.")
    message = graphene.String(description="The moderator's warning while active; else null.")


class UserStatus(graphene.ObjectType):
    """A user's moderation status (Coral's UserStatus)."""

    current = graphene.List(
        graphene.NonNull(UserStatusEnum),
        required=True,
        description="Every status that applies now; [ACTIVE] when none does.",
    )
    ban = graphene.Field(BanStatus, required=True, description="Bans everywhere and per site.")
    suspension = graphene.Field(
        SuspensionStatus, required=True, description="Timed suspension from commenting."
    )
    premod = graphene.Field(PremodStatus, required=True, description="Always pre-moderated.")
    warning = graphene.Field(
        WarningStatus, required=True, description="Warning awaiting acknowledgement."
    )

    @staticmethod
    def resolve_current(status: ProfileStatus, info):
        return status.current

    @staticmethod
    def resolve_ban(status: ProfileStatus, info):
        return BanStatus(active=status.is_banned, sites=status.ban_sites)

    @staticmethod
    def resolve_suspension(status: ProfileStatus, info):
        return SuspensionStatus(active=status.is_suspended, until=status.suspended_until)

    @staticmethod
    def resolve_premod(status: ProfileStatus, info):
        return PremodStatus(active=status.is_premod)

    @staticmethod
    def resolve_warning(status: ProfileStatus, info):
        return WarningStatus(active=status.has_warning, message=status.warning_message)


def resolve_user_status(profile: Profile, info) -> ProfileStatus | None:
    """The status of ``profile`` for moderators (any scope) and the user themself."""
    viewer = viewer_profile(info)
    if viewer is None:
        return None
    if viewer.pk != profile.pk and not viewer.has_role(Role.MODERATOR):
        return None
    return profile_status_get(profile=profile)


UserNode._meta.fields.setdefault(
    "status",
    graphene.Field(
        UserStatus,
        resolver=resolve_user_status,
        description="Moderation status (ban, suspension, pre-moderation, warning). Only "
        "for moderators and the user themself; null for everyone else.",
    ),
)


# Moderation queues (Coral's ModerationQueues)


@dataclass
class QueueScope:
    """What ``moderationQueues`` was asked for; the counts are read once, on demand."""

    moderator: Profile
    site_id: object = None
    story_id: object = None
    _counts: dict[str, int] | None = field(default=None, repr=False)

    def counts(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = moderation_queue_counts(
                moderator=self.moderator, site_id=self.site_id, story_id=self.story_id
            )
        return self._counts


@dataclass(frozen=True)
class QueueRef:
    scope: QueueScope
    queue: ModerationQueue


class ModerationQueueType(graphene.ObjectType):
    """One moderation queue: how many comments it holds and a page of them."""

    queue = ModerationQueueEnum(required=True, description="Which queue this is.")
    count = graphene.Int(
        required=True, description="Comments in the queue (within the filters and scope)."
    )
    comments = graphene.Field(
        CommentConnection,
        required=True,
        description="The queue's comments, newest first.",
        first=graphene.Int(description="Page size, 1 to 100; default 20."),
        after=graphene.String(description="endCursor of the previous page of this queue."),
    )

    class Meta:
        name = "ModerationQueue"

    @staticmethod
    def resolve_queue(ref: QueueRef, info):
        return ref.queue.value

    @staticmethod
    def resolve_count(ref: QueueRef, info):
        return ref.scope.counts()[ref.queue.value]

    @staticmethod
    def resolve_comments(ref: QueueRef, info, first=None, after=None):
        try:
            page = moderation_queue_page(
                queue=ref.queue,
                moderator=ref.scope.moderator,
                site_id=ref.scope.site_id,
                story_id=ref.scope.story_id,
                first=page_size(first),
                after=after,
            )
        except TalkError as exc:
            raise graphql_error(exc) from exc
        # The page selected each comment's story: spare CommentNode.story its query.
        stories = request_cache(info).setdefault("stories", {})
        for comment in page.items:
            stories.setdefault(comment.story_id, comment.story)
        return build_connection(info, page)


def _queue_field(queue: ModerationQueue, description: str) -> graphene.Field:
    return graphene.Field(
        ModerationQueueType,
        required=True,
        description=description,
        resolver=lambda scope, info: QueueRef(scope=scope, queue=queue),
    )


class ModerationQueues(graphene.ObjectType):
    """The moderation queues a moderator may see, filtered by site and story."""

    reported = _queue_field(
        ModerationQueue.REPORTED, "Published (NONE) comments with open reports."
    )
    pending = _queue_field(ModerationQueue.PENDING, "Held comments: PREMOD and SYSTEM_WITHHELD.")
    unmoderated = _queue_field(
        ModerationQueue.UNMODERATED,
        "Comments no moderator decided on yet: NONE, PREMOD and SYSTEM_WITHHELD.",
    )
    approved = _queue_field(ModerationQueue.APPROVED, "Approved comments.")
    rejected = _queue_field(ModerationQueue.REJECTED, "Rejected comments.")
