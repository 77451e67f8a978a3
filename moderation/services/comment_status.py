"""Every comment status change after creation, and the moderators' comment acts.

After creation, a comment's status changes only here (STYLE.md rule 2), so counters, the
audit log and realtime events stay consistent. Coral: ``stacks/{approve,reject}Comment.ts``,
``services/comments/moderation``, ``queue/tasks/rejector.ts``.
"""

from __future__ import annotations

import uuid
from functools import partial

from django.db import transaction
from django.db.models import F

from comments.errors import CommentNotVisible, PermissionDenied
from comments.models import (
    HELD_STATUSES,
    VISIBLE_STATUSES,
    ActionKind,
    Comment,
    CommentAction,
    CommentFlag,
    CommentStatus,
    CommentTag,
    Story,
)
from moderation.errors import RejectionNoteRequired, RejectionReasonInvalid
from moderation.models import ModerationQueue, Profile, RejectionReason
from moderation.selectors import comment_queues, profile_can_moderate
from realtime.publishers import (
    publish_comment_entered_moderation_queue,
    publish_comment_featured,
    publish_comment_left_moderation_queue,
    publish_comment_status_updated,
)
from tasks.services import webhook_event_dispatch

# The rejector works through a banned author's comments this many at a time (Coral: 100).
REJECT_BATCH_SIZE = 100
# What the rejector records on each comment it rejects.
BAN_REJECTION_NOTE = "Rejected with every other comment of the author when they were banned."
MAX_NOTE_CHARS = 2000


def _visible(status: str) -> bool:
    return status in VISIBLE_STATUSES


def comment_status_set(
    *,
    comment: Comment,
    status: str,
    actor: Profile | None,
    reasons: list[str] | None = None,
    note: str = "",
    rejection_reason: str = "",
) -> Comment:
    """Change ``comment``'s status, keep counters right, audit it, publish it.

    A visible -> hidden change decrements the parent's ``reply_count`` and the story's
    ``comment_count`` (and the reverse increments them). No-op when unchanged. Checks no
    permission: callers do (the moderation phases, the moderator acts below).

    Args:
        actor: the deciding moderator; None for the system.
        reasons: machine reasons (phase names, ``USER_BANNED``) for the audit row.
        note: free text for the audit row.
        rejection_reason: a :class:`~moderation.models.RejectionReason` value, when
            rejecting.
    Returns:
        The comment, refreshed.
    """
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        previous = locked.status
        if previous == status:
            return locked
        Comment.objects.filter(pk=locked.pk).update(status=status)
        delta = int(_visible(status)) - int(_visible(previous))
        if delta:
            Story.objects.filter(pk=locked.story_id).update(
                comment_count=F("comment_count") + delta
            )
            if locked.parent_id:
                Comment.objects.filter(pk=locked.parent_id).update(
                    reply_count=F("reply_count") + delta
                )
        locked.status = status
        comment_queue_events_dispatch(
            comment=locked,
            before=comment_queues(status=previous, open_flag_count=locked.open_flag_count),
            after=comment_queues(status=status, open_flag_count=locked.open_flag_count),
            reason=",".join(reasons or []),
        )
        CommentAction.objects.create(
            comment=locked,
            actor=actor,
            kind=ActionKind.STATUS_CHANGED,
            from_status=previous,
            to_status=status,
            reasons=reasons or [],
            note=note,
            rejection_reason=rejection_reason,
        )
        # Also derives comment.moderated and the moderation-queue events (realtime).
        transaction.on_commit(
            partial(
                publish_comment_status_updated,
                comment_id=str(locked.pk),
                story_id=str(locked.story_id),
                old_status=previous,
                new_status=status,
                actor_id=str(actor.pk) if actor is not None else None,
            )
        )
    comment.refresh_from_db()
    return comment


def _require_moderator(*, moderator: Profile | None, comment: Comment) -> None:
    if not profile_can_moderate(profile=moderator, site_id=comment.site_id):
        raise PermissionDenied("You may not moderate comments of this site.")


# Coral's moderation queues; APPROVED and REJECTED are histories, not queues to work.
_WEBHOOK_QUEUES = (ModerationQueue.PENDING, ModerationQueue.REPORTED, ModerationQueue.UNMODERATED)


def comment_webhook_data(*, comment: Comment, story_url: str) -> dict[str, str]:
    """Return the fields every comment webhook carries (``tasks.webhooks`` TypedDicts):
    ``commentID``, ``storyID``, ``storyURL``, ``siteID`` and ``status``."""
    return {
        "commentID": str(comment.pk),
        "storyID": str(comment.story_id),
        "storyURL": story_url,
        "siteID": str(comment.site_id),
        "status": str(comment.status),
    }


def comment_queue_events_dispatch(
    *,
    comment: Comment,
    before: set,
    after: set,
    reason: str = "",
    story_url: str | None = None,
) -> None:
    """Announce a change of moderation queues: webhooks and, for REPORTED, realtime.

    Webhooks COMMENT_ENTERED/LEFT_MODERATION_QUEUE go out for PENDING, REPORTED and
    UNMODERATED. Realtime events go out here for REPORTED only: the publishers derive
    PENDING and UNMODERATED from the status change themselves, while REPORTED depends on
    open reports, which a status does not show. Call inside the transaction that made the
    change; everything is sent on commit.

    Args:
        before, after: the comment's queues (``moderation.selectors.comment_queues``)
            before and after the change; an empty ``before`` for a new comment.
        reason: why it entered (a phase reason or flag reason), for the receiver.
        story_url: the story's URL when the caller has it; else it is read (one query).
    """
    entered = [q for q in _WEBHOOK_QUEUES if q in after and q not in before]
    left = [q for q in _WEBHOOK_QUEUES if q in before and q not in after]
    if not entered and not left:
        return
    if story_url is None:
        story_url = Story.objects.filter(pk=comment.story_id).values_list("url", flat=True).get()
    base = comment_webhook_data(comment=comment, story_url=story_url)
    reported = {
        "comment_id": base["commentID"],
        "story_id": base["storyID"],
        "site_id": base["siteID"],
        "queue": str(ModerationQueue.REPORTED),
    }
    if ModerationQueue.REPORTED in entered:
        transaction.on_commit(partial(publish_comment_entered_moderation_queue, **reported))
    if ModerationQueue.REPORTED in left:
        transaction.on_commit(partial(publish_comment_left_moderation_queue, **reported))
    for queue in entered:
        data = {**base, "queue": str(queue)}
        if reason:
            data["reason"] = reason
        webhook_event_dispatch(
            event="COMMENT_ENTERED_MODERATION_QUEUE", site_id=comment.site_id, data=data
        )
    for queue in left:
        webhook_event_dispatch(
            event="COMMENT_LEFT_MODERATION_QUEUE",
            site_id=comment.site_id,
            data={**base, "queue": str(queue)},
        )


def _flags_resolve(*, comment: Comment, moderator: Profile) -> None:
    """Resolve the open flags of ``comment`` (locked by the caller) and audit it."""
    resolved = CommentFlag.objects.filter(comment=comment, is_resolved=False).update(
        is_resolved=True
    )
    if not resolved and not comment.open_flag_count:
        return
    before = comment_queues(status=comment.status, open_flag_count=comment.open_flag_count)
    Comment.objects.filter(pk=comment.pk).update(open_flag_count=0)
    comment.open_flag_count = 0
    comment_queue_events_dispatch(
        comment=comment,
        before=before,
        after=comment_queues(status=comment.status, open_flag_count=0),
    )
    CommentAction.objects.create(
        comment=comment,
        actor=moderator,
        kind=ActionKind.FLAGS_RESOLVED,
        note=f"{resolved} report(s) resolved.",
    )


def _decide(
    *,
    comment: Comment,
    moderator: Profile,
    status: str,
    rejection_reason: str = "",
    note: str = "",
) -> Comment:
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        comment_status_set(
            comment=locked,
            status=status,
            actor=moderator,
            note=note,
            rejection_reason=rejection_reason,
        )
        _flags_resolve(comment=locked, moderator=moderator)
    comment.refresh_from_db()
    return comment


def comment_approve(*, comment: Comment, moderator: Profile) -> Comment:
    """Approve ``comment`` (any status) and resolve its open reports.

    An approved comment is published and leaves every moderation queue; approving an
    approved comment only resolves reports raised since.

    Returns:
        The comment, refreshed.
    Raises:
        PermissionDenied: ``moderator`` may not moderate the comment's site.
    """
    _require_moderator(moderator=moderator, comment=comment)
    return _decide(comment=comment, moderator=moderator, status=CommentStatus.APPROVED)


def comment_reject(*, comment: Comment, moderator: Profile, reason: str, note: str = "") -> Comment:
    """Reject ``comment`` (hide it from readers) and resolve its open reports.

    Args:
        reason: a :class:`~moderation.models.RejectionReason` value (Coral's
            REJECTION_REASON_CODE), recorded on the audit row.
        note: free text, at most 2000 characters after strip; required for OTHER.
    Returns:
        The comment, refreshed.
    Raises:
        PermissionDenied: ``moderator`` may not moderate the comment's site.
        RejectionReasonInvalid: ``reason`` is not a RejectionReason.
        RejectionNoteRequired: ``reason`` is OTHER and ``note`` is blank.
    """
    _require_moderator(moderator=moderator, comment=comment)
    try:
        code = RejectionReason(reason)
    except ValueError as exc:
        raise RejectionReasonInvalid(field="reason") from exc
    note = note.strip()[:MAX_NOTE_CHARS]
    if code == RejectionReason.OTHER and not note:
        raise RejectionNoteRequired(field="additionalDetails")
    return _decide(
        comment=comment,
        moderator=moderator,
        status=CommentStatus.REJECTED,
        rejection_reason=code.value,
        note=note,
    )


def comment_feature(*, comment: Comment, moderator: Profile) -> Comment:
    """Add the FEATURED tag to a published comment, approving it if it is not yet.

    Featuring a featured comment is a no-op.

    Returns:
        The comment, refreshed.
    Raises:
        PermissionDenied: ``moderator`` may not moderate the comment's site.
        CommentNotVisible: the comment is held or rejected (decide on it first).
    """
    _require_moderator(moderator=moderator, comment=comment)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if not locked.is_visible:
            raise CommentNotVisible("Only published comments can be featured.", field="commentID")
        if CommentTag.FEATURED in locked.tags:
            return locked
        if locked.status != CommentStatus.APPROVED:  # Coral: featuring approves
            _decide(comment=locked, moderator=moderator, status=CommentStatus.APPROVED)
        Comment.objects.filter(pk=locked.pk).update(tags=[*locked.tags, CommentTag.FEATURED.value])
        CommentAction.objects.create(comment=locked, actor=moderator, kind=ActionKind.FEATURED)
        transaction.on_commit(
            partial(
                publish_comment_featured,
                comment_id=str(locked.pk),
                story_id=str(locked.story_id),
                site_id=str(locked.site_id),
            )
        )
    comment.refresh_from_db()
    return comment


def comment_unfeature(*, comment: Comment, moderator: Profile) -> Comment:
    """Remove the FEATURED tag; the status stays. A no-op when not featured.

    Returns:
        The comment, refreshed.
    Raises:
        PermissionDenied: ``moderator`` may not moderate the comment's site.
    """
    _require_moderator(moderator=moderator, comment=comment)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if CommentTag.FEATURED not in locked.tags:
            return locked
        tags = [tag for tag in locked.tags if tag != CommentTag.FEATURED]
        Comment.objects.filter(pk=locked.pk).update(tags=tags)
        CommentAction.objects.create(comment=locked, actor=moderator, kind=ActionKind.UNFEATURED)
    comment.refresh_from_db()
    return comment


def user_comments_reject(
    *,
    profile_id: uuid.UUID | str,
    actor_id: uuid.UUID | str | None,
    site_ids: list[uuid.UUID | str] | None = None,
) -> int:
    """Reject every published or held comment of a banned author (Coral's rejector).

    Works in batches of :data:`REJECT_BATCH_SIZE`; each batch re-queries what is left, and
    each comment is rejected in its own transaction through :func:`comment_status_set`, so
    a crash loses nothing and a re-run (a re-delivered task) rejects each comment once.
    Checks no permission: :func:`~moderation.services.user_ban` did, before enqueuing.

    Args:
        profile_id: the author.
        actor_id: the banning moderator (recorded on each audit row); None for the system.
        site_ids: only comments on these sites (a site ban); None means every site.
    Returns:
        How many comments this run rejected.
    """
    actor = Profile.objects.filter(pk=actor_id).first() if actor_id else None
    pending = Comment.objects.filter(
        author_id=profile_id, status__in=(*VISIBLE_STATUSES, *HELD_STATUSES)
    )
    if site_ids is not None:
        pending = pending.filter(site_id__in=list(site_ids))
    rejected = 0
    while True:
        batch = list(pending.order_by("created_at", "id")[:REJECT_BATCH_SIZE])
        if not batch:
            return rejected
        for comment in batch:
            comment_status_set(
                comment=comment,
                status=CommentStatus.REJECTED,
                actor=actor,
                reasons=["USER_BANNED"],
                note=BAN_REJECTION_NOTE,
                rejection_reason=RejectionReason.OTHER.value,
            )
            rejected += 1
