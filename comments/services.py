"""Writes of the comments app: stories, comments, edits, reactions and flags.

Every function validates before writing, writes in one transaction, and schedules its side
effects (realtime events, public signals) with ``transaction.on_commit``. A call that
raises a :class:`~comments.errors.TalkError` has changed nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from comments import signals
from comments.conf import talk_settings
from comments.errors import (
    AlreadyFlagged,
    CommentEmpty,
    CommentNotFound,
    CommentNotVisible,
    CommentTooLong,
    EditWindowExpired,
    FlagNoteRequired,
    NotAuthor,
    ParentNotFound,
    SiteDomainTaken,
    SiteNotFound,
    StoryClosed,
    StoryNotFound,
    StoryURLInvalid,
)
from comments.models import (
    VISIBLE_STATUSES,
    ActionKind,
    Comment,
    CommentAction,
    CommentFlag,
    CommentReaction,
    CommentRevision,
    CommentStatus,
    FlagReason,
    Site,
    Story,
)
from comments.ratelimit import rate_limit_hit
from comments.sanitize import sanitize_body, visible_text
from comments.selectors import site_get_for_url, story_get, story_get_by_url, url_origin
from moderation.models import Profile
from moderation.phases import (
    PhaseContext,
    PhaseResult,
    author_role_tags,
    phases_check_refusals,
    phases_initial_status,
)
from moderation.selectors import comment_queues
from moderation.services import (
    comment_queue_events_dispatch,
    comment_status_set,
    comment_webhook_data,
    profile_ensure,
)
from realtime.publishers import (
    publish_comment_created,
    publish_comment_edited,
    publish_comment_reaction_updated,
)
from tasks.services import story_scrape_schedule, webhook_event_dispatch


def site_upsert(*, name: str, domain: str, allowed_origins: list[str]) -> tuple[Site, bool]:
    """Create the site called ``name``, or update its domain and allowed origins.

    Args:
        domain: host name, unique among sites (e.g. ``news.example.com``).
        allowed_origins: ``scheme://host[:port]`` values that may embed its stories.
    Returns:
        ``(site, created)``.
    Raises:
        SiteDomainTaken: another site already uses ``domain``.
    """
    with transaction.atomic():
        clash = Site.objects.filter(domain=domain).exclude(name=name).first()
        if clash is not None:
            raise SiteDomainTaken(
                f"Site {clash.name!r} already uses the domain {domain!r}.", field="domain"
            )
        site = Site.objects.filter(name=name).order_by("created_at", "id").first()
        created = site is None
        if created:
            site = Site(name=name)
        site.domain = domain
        site.allowed_origins = list(allowed_origins)
        site.full_clean()
        site.save()
    return site, created


def story_find_or_create(*, url: str, title: str = "") -> Story:
    """Return the story at ``url``, creating it lazily on its site (Coral's ``stream``).

    The URL's origin must belong to a configured :class:`~comments.models.Site`
    (allowed origins or domain). Creation can be switched off with
    ``TALK["LAZY_STORY_CREATION"] = False``.

    Raises:
        StoryURLInvalid: ``url`` is not an absolute http(s) URL (max 2000 chars).
        StoryNotFound: unknown URL and lazy creation is off.
        SiteNotFound: unknown URL on an origin no site claims.
    """
    url = url.strip()
    if len(url) > 2000 or url_origin(url) is None:
        raise StoryURLInvalid(field="storyURL")
    story = story_get_by_url(url=url)
    if story is not None:
        return story
    if not talk_settings.LAZY_STORY_CREATION:
        raise StoryNotFound(field="storyURL")
    site = site_get_for_url(url=url)
    if site is None:
        raise SiteNotFound(field="storyURL")

    try:
        with transaction.atomic():
            story = Story.objects.create(site=site, url=url, title=title[:500])
            # Jobs of a new story, sent once the row is committed (tasks app).
            story_scrape_schedule(story=story)
            webhook_event_dispatch(
                event="STORY_CREATED",
                site_id=site.pk,
                data={"storyID": str(story.pk), "storyURL": story.url, "siteID": str(site.pk)},
            )
    except IntegrityError:  # created concurrently by another request
        story = Story.objects.select_related("site").get(site=site, url=url)
    return story


def story_get_accepting(*, story_id: uuid.UUID) -> Story:
    """Return the story if it accepts comments now.

    Raises:
        StoryNotFound: no such story.
        StoryClosed: ``closed_at`` has passed.
    """
    story = story_get(story_id=story_id)
    if story is None:
        raise StoryNotFound(field="storyID")
    if story.is_closed():
        raise StoryClosed()
    return story


def _clean_body(body: str) -> str:
    if len(body) > talk_settings.MAX_COMMENT_HTML_CHARS:
        raise CommentTooLong(field="body")
    clean = sanitize_body(body)
    text = visible_text(clean)
    if not text:
        raise CommentEmpty(field="body")
    if len(text) > talk_settings.MAX_COMMENT_CHARS:
        raise CommentTooLong(
            f"Comments are limited to {talk_settings.MAX_COMMENT_CHARS} characters.",
            field="body",
        )
    return clean


def comment_create(
    *,
    story_id: uuid.UUID,
    author: AbstractBaseUser,
    body: str,
    parent_id: uuid.UUID | None = None,
    client_ip: str | None = None,
) -> Comment:
    """Post a comment (or a reply when ``parent_id`` is given) as ``author``.

    The checks run in the order of ``moderation.phases``: length, refusals, rate limit,
    then TALK["MODERATION_PHASES"], which decide the status before the first save. The
    phases' system flags are written as ``CommentFlag`` rows without a reporter (counted
    in ``flag_count`` and ``open_flag_count``) and every reason is listed on the CREATED
    ``CommentAction`` (with ``rejection_reason`` when rejected).

    Args:
        body: HTML from the embed; sanitised to the allowlist of ``comments.sanitize``;
            at most TALK["MAX_COMMENT_CHARS"] visible characters.
        parent_id: a visible comment on the same story; any depth is allowed.
        client_ip: used for the per-IP rate limit and sent to Akismet.
    Returns:
        The saved comment with its status (NONE when no phase decided). A visible
        comment increments the story's and the parent's counters.
    Raises:
        NotAuthenticated, StoryNotFound, StoryClosed, ParentNotFound, CommentEmpty,
        CommentTooLong, CommentingDisabled, UserBanned, UserSuspended, RateLimited
        (TALK["RATE_LIMITS"]["comment"], per user and IP). Nothing is written then.
    """
    clean = _clean_body(body)
    with transaction.atomic():
        profile = profile_ensure(user=author)
        story = story_get_accepting(story_id=story_id)
        parent = None
        if parent_id is not None:
            parent = Comment.objects.filter(
                pk=parent_id, story=story, status__in=VISIBLE_STATUSES
            ).first()
            if parent is None:
                raise ParentNotFound(field="parentID")
        comment = Comment(
            story=story,
            site_id=story.site_id,
            author=profile,
            parent=parent,
            ancestor_ids=[*parent.ancestor_ids, str(parent.pk)] if parent else [],
            depth=(parent.depth + 1) if parent else 0,
            body=clean,
        )
        context = PhaseContext(comment=comment, story=story, author=profile, client_ip=client_ip)
        phases_check_refusals(context=context)
        rate_limit_hit(operation="comment", keys={"user": str(profile.pk), "ip": client_ip})
        decision = phases_initial_status(context=context)
        comment.status = decision.status
        comment.tags = author_role_tags(author=profile, site_id=story.site_id)
        comment.save()
        CommentRevision.objects.create(comment=comment, body=clean, created_at=comment.created_at)
        _system_flags_record(comment=comment, decision=decision)
        CommentAction.objects.create(
            comment=comment,
            actor=profile,
            kind=ActionKind.CREATED,
            to_status=comment.status,
            reasons=decision.reasons,
            rejection_reason=decision.rejection_reason,
            note=decision.action_note,
        )
        if comment.is_visible:
            Story.objects.filter(pk=story.pk).update(comment_count=F("comment_count") + 1)
            if parent is not None:
                Comment.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
        transaction.on_commit(
            partial(
                publish_comment_created,
                comment_id=str(comment.pk),
                story_id=str(story.pk),
                parent_id=str(parent.pk) if parent else None,
                status=comment.status,
            )
        )
        _comment_created_webhooks_dispatch(comment=comment, story=story, decision=decision)
        transaction.on_commit(partial(signals.comment_posted.send, sender=Comment, comment=comment))
    return comment


def _comment_created_webhooks_dispatch(
    *, comment: Comment, story: Story, decision: PhaseResult
) -> None:
    """COMMENT_CREATED / COMMENT_REPLY_CREATED for published comments (as Coral), and the
    moderation queues the new comment entered."""
    data = comment_webhook_data(comment=comment, story_url=story.url)
    if comment.is_visible and comment.parent_id is None:
        webhook_event_dispatch(event="COMMENT_CREATED", site_id=story.site_id, data=data)
    elif comment.is_visible:
        webhook_event_dispatch(
            event="COMMENT_REPLY_CREATED",
            site_id=story.site_id,
            data={**data, "parentID": str(comment.parent_id), "ancestorIDs": comment.ancestor_ids},
        )
    comment_queue_events_dispatch(
        comment=comment,
        before=set(),
        after=comment_queues(status=comment.status, open_flag_count=comment.open_flag_count),
        reason=",".join(decision.reasons),
        story_url=story.url,
    )


def _system_flags_record(*, comment: Comment, decision: PhaseResult) -> None:
    """Write the decision's system flags (no reporter) and count them on the comment.

    A reason that already has an open system flag on the comment (an edit finding the
    same thing again) is not flagged twice.
    """
    reasons = decision.flags
    if not reasons:
        return
    already = set(
        CommentFlag.objects.filter(
            comment=comment, reporter=None, is_resolved=False, reason__in=reasons
        ).values_list("reason", flat=True)
    )
    new = [reason for reason in reasons if reason not in already]
    if not new:
        return
    CommentFlag.objects.bulk_create(
        CommentFlag(
            comment=comment, reporter=None, reason=reason, note=decision.notes.get(reason, "")
        )
        for reason in new
    )
    Comment.objects.filter(pk=comment.pk).update(
        flag_count=F("flag_count") + len(new), open_flag_count=F("open_flag_count") + len(new)
    )
    comment.refresh_from_db(fields=["flag_count", "open_flag_count"])


def comment_can_edit(
    *, comment: Comment, profile: Profile | None, now: datetime | None = None
) -> bool:
    """Return True if ``profile`` wrote ``comment`` and the edit window is still open."""
    if profile is None or comment.author_id != profile.pk:
        return False
    if comment.status == CommentStatus.REJECTED:
        return False
    ends = comment.edit_window_ends_at(window_seconds=talk_settings.EDIT_WINDOW_SECONDS)
    return (now or timezone.now()) < ends


def comment_edit(*, comment_id: uuid.UUID, editor: AbstractBaseUser, body: str) -> Comment:
    """Replace the body of ``editor``'s own comment within TALK["EDIT_WINDOW_SECONDS"].

    Keeps the previous body as a :class:`~comments.models.CommentRevision`, sets
    ``edited_at``, and re-runs the refusals and the moderation phases (``is_edit``):
    new system flags are written as on creation (an open flag of the same reason is not
    repeated) and the EDITED action lists the reasons. The status then changes through
    ``comment_status_set`` (counters, audit, event):

    - a phase decided a status: that status (a banned word rejects, with rejection
      reason BANNED_WORD; a hold hides the comment);
    - no phase decided: an APPROVED comment goes back to NONE (the approval was of the
      previous text; Coral does the same), a held comment stays held (a clean edit never
      releases what a rule or a moderator held back; unlike Coral).

    Raises:
        NotAuthenticated, CommentNotFound, NotAuthor, EditWindowExpired, CommentEmpty,
        CommentTooLong, StoryClosed, CommentingDisabled, UserBanned, UserSuspended.
        Nothing is written then.
    """
    clean = _clean_body(body)
    with transaction.atomic():
        profile = profile_ensure(user=editor)
        comment = (
            Comment.objects.select_for_update()
            .select_related("story", "story__site")
            .filter(pk=comment_id)
            .first()
        )
        if comment is None:
            raise CommentNotFound(field="commentID")
        if comment.author_id != profile.pk:
            raise NotAuthor()
        if not comment_can_edit(comment=comment, profile=profile):
            raise EditWindowExpired()
        now = timezone.now()
        comment.body = clean
        context = PhaseContext(
            comment=comment, story=comment.story, author=profile, is_edit=True, now=now
        )
        phases_check_refusals(context=context)
        decision = phases_initial_status(context=context)
        comment.edited_at = now
        comment.save(update_fields=["body", "edited_at"])
        CommentRevision.objects.create(comment=comment, body=clean, created_at=now)
        CommentAction.objects.create(
            comment=comment,
            actor=profile,
            kind=ActionKind.EDITED,
            reasons=decision.reasons,
            note=decision.action_note,
        )
        _system_flags_record(comment=comment, decision=decision)
        status = decision.status
        if status == CommentStatus.NONE and comment.status != CommentStatus.APPROVED:
            status = comment.status
        if status != comment.status:
            comment = comment_status_set(
                comment=comment,
                status=status,
                actor=None,
                reasons=decision.reasons,
                rejection_reason=decision.rejection_reason,
                note=decision.action_note,
            )
        transaction.on_commit(
            partial(
                publish_comment_edited, comment_id=str(comment.pk), story_id=str(comment.story_id)
            )
        )
    return comment


def _visible_comment_for_update(*, comment_id: uuid.UUID) -> Comment:
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise CommentNotFound(field="commentID")
    if not comment.is_visible:
        raise CommentNotVisible(field="commentID")
    return comment


def _reaction_count_changed(comment: Comment) -> None:
    """Reload the counter after an F() update and publish it once committed."""
    comment.refresh_from_db(fields=["reaction_count"])
    transaction.on_commit(
        partial(
            publish_comment_reaction_updated,
            comment_id=str(comment.pk),
            story_id=str(comment.story_id),
            reaction_count=comment.reaction_count,
        )
    )


def comment_reaction_create(*, comment_id: uuid.UUID, author: AbstractBaseUser) -> Comment:
    """Add ``author``'s reaction to a visible comment; idempotent (one per pair).

    Returns:
        The comment with its updated ``reaction_count``.
    Raises:
        NotAuthenticated, RateLimited, CommentNotFound, CommentNotVisible.
    """
    with transaction.atomic():
        profile = profile_ensure(user=author)
        rate_limit_hit(operation="reaction", keys={"user": str(profile.pk)})
        comment = _visible_comment_for_update(comment_id=comment_id)
        _, created = CommentReaction.objects.get_or_create(comment=comment, author=profile)
        if created:
            Comment.objects.filter(pk=comment.pk).update(reaction_count=F("reaction_count") + 1)
            _reaction_count_changed(comment)
    return comment


def comment_reaction_remove(*, comment_id: uuid.UUID, author: AbstractBaseUser) -> Comment:
    """Remove ``author``'s reaction; a no-op when there is none.

    Raises:
        NotAuthenticated, CommentNotFound.
    """
    with transaction.atomic():
        profile = profile_ensure(user=author)
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None:
            raise CommentNotFound(field="commentID")
        deleted, _ = CommentReaction.objects.filter(comment=comment, author=profile).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk, reaction_count__gt=0).update(
                reaction_count=F("reaction_count") - 1
            )
            _reaction_count_changed(comment)
    return comment


def comment_flag_create(
    *, comment_id: uuid.UUID, reporter: AbstractBaseUser, reason: str, note: str = ""
) -> CommentFlag:
    """Report a visible comment, once per reader, with one of Coral's reasons.

    Args:
        reason: a :class:`~comments.models.FlagReason`; OTHER requires ``note``.
        note: free text, at most 500 characters.
    Raises:
        NotAuthenticated, RateLimited, CommentNotFound, CommentNotVisible,
        FlagNoteRequired, AlreadyFlagged.
    """
    reason = FlagReason(reason)
    note = note.strip()[:500]
    if reason == FlagReason.COMMENT_REPORTED_OTHER and not note:
        raise FlagNoteRequired(field="additionalDetails")
    with transaction.atomic():
        profile = profile_ensure(user=reporter)
        rate_limit_hit(operation="flag", keys={"user": str(profile.pk)})
        comment = _visible_comment_for_update(comment_id=comment_id)
        if CommentFlag.objects.filter(comment=comment, reporter=profile).exists():
            raise AlreadyFlagged()
        flag = CommentFlag.objects.create(
            comment=comment, reporter=profile, reason=reason, note=note
        )
        Comment.objects.filter(pk=comment.pk).update(
            flag_count=F("flag_count") + 1, open_flag_count=F("open_flag_count") + 1
        )
        comment_queue_events_dispatch(
            comment=comment,
            before=comment_queues(status=comment.status, open_flag_count=comment.open_flag_count),
            after=comment_queues(
                status=comment.status, open_flag_count=comment.open_flag_count + 1
            ),
            reason=str(reason),
        )
    return flag
