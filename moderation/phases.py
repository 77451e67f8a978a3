"""Moderation phases: the checks every new or edited comment goes through.

``comments.services.comment_create`` and ``comment_edit`` run them in this order:

1. **Length** (``comments.services._clean_body``): empty or longer than
   TALK["MAX_COMMENT_CHARS"] is refused, on create and on edit, before anything else.
2. **Refusals** (:func:`phases_check_refusals`): raise a ``TalkError`` and write nothing.
   Story closed (``StoryClosed``); commenting disabled on the site
   (``CommentingDisabled``, with the site's message); author banned everywhere or from
   the story's site (``UserBanned``); author suspended (``UserSuspended``, with the end
   and the moderator's message). This list is fixed, not a setting: a misconfigured
   ``TALK`` must not let a banned user post.
3. **Rate limit** (``comments.ratelimit``, creates only), after the refusals so a refused
   attempt is not counted.
4. **Decision** (:func:`phases_initial_status`): TALK["MODERATION_PHASES"], in order.

Decision rule (Coral: ``services/comments/pipeline/pipeline.ts`` ``compose`` with
``helpers.ts`` ``mergePhaseResult``; coral-talk.md §2.4). Phases run in order; each
returns None (no opinion) or a :class:`PhaseResult`. The **first result with a status
decides it and ends the run**: later phases are not called (so a comment rejected for a
banned word is never sent to Akismet or Perspective). The reasons of every phase that
ran are collected, in order: a suspect word found before a hold is kept. When no phase
decides, the status is NONE (published). Reasons that are ``DetectedReason`` values
become system flags (``CommentFlag`` rows with no reporter); the others ("PREMOD",
"STAFF", "SPAM_CHECK_UNAVAILABLE", "TOXICITY_CHECK_UNAVAILABLE") are only recorded on
the comment's ``CommentAction``.

Default order: Coral's ``services/comments/pipeline/phases/index.ts``, content filters
after ``approveStaff``, then per-user pre-moderation, then story/site pre-moderation as
the fallback (the current source; the older order in coral-talk.md §2.4 put
``statusPreModerate`` before ``statusPreModerateUser``). Phase -- when -- result:

- ``repeat_post`` -- the same normalised text by the author (on any site) within the
  site's ``repeat_post_seconds`` (360; 0 turns it off) -- SYSTEM_WITHHELD + REPEAT_POST.
- ``staff_approved`` -- STAFF or ADMIN, or a MODERATOR of this site -- APPROVED.
- ``banned_words`` -- a banned word or phrase -- REJECTED + BANNED_WORD, rejection
  reason BANNED_WORD.
- ``suspect_words`` -- a suspect word or phrase -- SUSPECT_WORD only (status stays
  NONE: the Reported queue), or SYSTEM_WITHHELD + SUSPECT_WORD with
  ``premod_suspect_words``.
- ``toxicity`` -- Perspective's TOXICITY above TALK["PERSPECTIVE_THRESHOLD"] (0.8; ``>``
  as in Coral) -- SYSTEM_WITHHELD + TOXIC.
- ``recent_history`` -- the author's rejection rate reaches the site's rate (below) --
  SYSTEM_WITHHELD + RECENT_HISTORY.
- ``spam`` -- Akismet answers spam -- SYSTEM_WITHHELD + SPAM.
- ``links`` -- ``premod_links`` and a link (``wordlist.contains_link``) --
  SYSTEM_WITHHELD + LINKS.
- ``new_commenter`` -- ``new_commenter_premod`` and fewer APPROVED comments on the site
  than ``new_commenter_approved_threshold`` (2) -- SYSTEM_WITHHELD + NEW_COMMENTER.
- ``premod_user`` -- the author's standing is always-premod -- PREMOD + PREMOD_USER.
- ``premod_story`` -- the story (or its site) is pre-moderated -- PREMOD (reason
  "PREMOD", no flag).

Word lists match whole words and phrases, case- and accent-insensitively, in time linear
in the comment (``moderation.wordlist``); a list edited in the admin applies to the next
comment. Edits run the same phases (``is_edit``); see ``comments.services.comment_edit``
for how the result changes the status.

Consequences of Coral's order, kept on purpose: staff comments are approved before the
word lists (Coral issue #2417: staff comments are never queued), and a repeat post is
held even for staff (``repeatPost`` runs before ``approveStaff``).

Differences from Coral: no "nudge" (Coral first answers a repeat, toxic or spam comment
with an error the author can fix; here it is held at once); and when Akismet or
Perspective fails, times out, or has no key configured, the comment is held
(SYSTEM_WITHHELD, reason ``*_CHECK_UNAVAILABLE``, no flag) where Coral publishes it
unchecked.

Recent history: ``rate = rejected / (rejected + published)`` over the author's comments
on the same site created in the last ``recent_history_days``, where published means NONE
or APPROVED (Coral's ``calculateRejectionRate``); held comments (PREMOD,
SYSTEM_WITHHELD) are undecided and not counted, nor is the comment being edited. As in
Coral there is no minimum sample beyond one rejected comment: a single rejection with
nothing published meets any rate. The comparison is ``>=``, as in Coral.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Count, Q
from django.utils import timezone

from comments.conf import talk_settings
from comments.errors import CommentingDisabled, StoryClosed, UserBanned, UserSuspended
from comments.models import VISIBLE_STATUSES, Comment, CommentStatus, DetectedReason, Story
from comments.sanitize import visible_text
from moderation.adapters import (
    ExternalCheckUnavailable,
    akismet_comment_check,
    perspective_toxicity_score,
)
from moderation.models import Profile, RejectionReason, Role, SiteModerationSettings, UserStanding
from moderation.selectors import (
    profile_can_moderate,
    site_ban_exists,
    site_moderation_settings_get,
    standing_get,
)
from moderation.wordlist import contains_link, normalise_words, wordlist_from_text

logger = logging.getLogger(__name__)

# Reasons recorded on the CommentAction without a flag.
PREMOD = "PREMOD"
STAFF = "STAFF"
SPAM_CHECK_UNAVAILABLE = "SPAM_CHECK_UNAVAILABLE"
TOXICITY_CHECK_UNAVAILABLE = "TOXICITY_CHECK_UNAVAILABLE"
# Recent comments repeat_post compares with; the rate limit keeps the real number small.
REPEAT_POST_LOOKBACK = 50


@dataclass
class PhaseContext:
    """What a phase may look at. Site settings and the author's standing load once."""

    comment: Comment
    story: Story
    author: Profile
    is_edit: bool = False
    client_ip: str | None = None
    now: datetime = field(default_factory=timezone.now)

    @cached_property
    def moderation_settings(self) -> SiteModerationSettings:
        return site_moderation_settings_get(site=self.story.site)

    @cached_property
    def standing(self) -> UserStanding:
        return standing_get(profile=self.author)

    @cached_property
    def text(self) -> str:
        return visible_text(self.comment.body)


@dataclass
class PhaseResult:
    """A phase's opinion, or the merged decision of a run.

    Attributes:
        status: a ``CommentStatus`` that decides, or None (only reasons).
        reasons: ``DetectedReason`` values (each becomes a system flag) and the plain
            codes listed in the module docstring, in the order found.
        rejection_reason: a ``RejectionReason`` when ``status`` is REJECTED.
        notes: reason -> detail for moderators (the words found, the score), at most
            500 characters each; the flag's note, or the action's note for a reason
            that is not a flag.
    """

    status: str | None = None
    reasons: list[str] = field(default_factory=list)
    rejection_reason: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def flags(self) -> list[str]:
        """The reasons that are system flags, in order."""
        return [reason for reason in self.reasons if reason in DetectedReason.values]

    @property
    def action_note(self) -> str:
        """Notes of the reasons that are not flags (why a check was unavailable)."""
        flags = self.flags
        return "; ".join(
            self.notes[reason]
            for reason in self.reasons
            if reason in self.notes and reason not in flags
        )


def phases_check_refusals(*, context: PhaseContext) -> None:
    """Refuse the comment when it may not be posted (or edited) at all.

    Raises:
        StoryClosed: the story's ``closed_at`` has passed.
        CommentingDisabled: the site's ``commenting_disabled`` is on; the message is the
            site's ``commenting_disabled_message`` when set.
        UserBanned: the author is banned everywhere or has a ban for the story's site.
        UserSuspended: the author's ``suspended_until`` is in the future.
    """
    if context.story.is_closed(now=context.now):
        raise StoryClosed()
    settings = context.moderation_settings
    if settings.commenting_disabled:
        raise CommentingDisabled(settings.commenting_disabled_message.strip() or None)
    standing = context.standing
    if standing.is_banned:
        raise UserBanned()
    if site_ban_exists(profile=context.author, site_id=context.story.site_id):
        raise UserBanned("Your account is banned from commenting on this site.")
    if standing.is_suspended(now=context.now):
        raise UserSuspended(
            until=standing.suspended_until, moderator_message=standing.suspension_message
        )


def phases_initial_status(*, context: PhaseContext) -> PhaseResult:
    """Run TALK["MODERATION_PHASES"] in order and return the decision.

    Returns:
        The status of the first phase that returned one (NONE when none did), its
        ``rejection_reason``, and the reasons and notes of every phase that ran (phases
        after the deciding one do not run).
    """
    decided = PhaseResult()
    for phase in talk_settings.MODERATION_PHASES:
        result = phase(context)
        if result is None:
            continue
        for reason in result.reasons:
            if reason not in decided.reasons:
                decided.reasons.append(reason)
        decided.notes.update(result.notes)
        if result.status is not None:
            decided.status = result.status
            decided.rejection_reason = result.rejection_reason
            break
    if decided.status is None:
        decided.status = CommentStatus.NONE
    return decided


def _held(reason: str, note: str = "") -> PhaseResult:
    return PhaseResult(
        status=CommentStatus.SYSTEM_WITHHELD,
        reasons=[reason],
        notes={reason: note[:500]} if note else {},
    )


def _repeat_key(body: str) -> str:
    text = visible_text(body)
    return " ".join(normalise_words(text)) or text.casefold()


def repeat_post(context: PhaseContext) -> PhaseResult | None:
    """Hold a text the author already posted within the site's ``repeat_post_seconds``.

    Texts are compared normalised (case, accents, punctuation and spacing ignored)
    against the author's comments on any site, except the one being edited.
    """
    seconds = context.moderation_settings.repeat_post_seconds
    if not seconds:
        return None
    recent = (
        Comment.objects.filter(
            author=context.author, created_at__gte=context.now - timedelta(seconds=seconds)
        )
        .exclude(pk=context.comment.pk)
        .order_by("-created_at")
        .values_list("body", flat=True)[:REPEAT_POST_LOOKBACK]
    )
    key = _repeat_key(context.comment.body)
    if any(_repeat_key(body) == key for body in recent):
        return _held(DetectedReason.COMMENT_DETECTED_REPEAT_POST)
    return None


def staff_approved(context: PhaseContext) -> PhaseResult | None:
    """Approve STAFF and ADMIN comments, and a MODERATOR's on a site they moderate.

    Coral's approveStaff: site-scoped moderators are staff only on their own sites.
    """
    author = context.author
    if author.role == Role.STAFF or profile_can_moderate(
        profile=author, site_id=context.story.site_id
    ):
        return PhaseResult(status=CommentStatus.APPROVED, reasons=[STAFF])
    return None


def banned_words(context: PhaseContext) -> PhaseResult | None:
    """Reject a comment containing a word or phrase of the site's banned list."""
    found = wordlist_from_text(context.moderation_settings.banned_words).find(context.comment.body)
    if not found:
        return None
    reason = DetectedReason.COMMENT_DETECTED_BANNED_WORD
    return PhaseResult(
        status=CommentStatus.REJECTED,
        reasons=[reason],
        rejection_reason=RejectionReason.BANNED_WORD,
        notes={reason: ", ".join(found)[:500]},
    )


def suspect_words(context: PhaseContext) -> PhaseResult | None:
    """Flag a comment containing a suspect word; hold it when ``premod_suspect_words``."""
    settings = context.moderation_settings
    found = wordlist_from_text(settings.suspect_words).find(context.comment.body)
    if not found:
        return None
    reason = DetectedReason.COMMENT_DETECTED_SUSPECT_WORD
    return PhaseResult(
        status=CommentStatus.SYSTEM_WITHHELD if settings.premod_suspect_words else None,
        reasons=[reason],
        notes={reason: ", ".join(found)[:500]},
    )


def _unavailable(reason: str, detail: str, context: PhaseContext) -> PhaseResult:
    logger.warning(
        "Holding comment %s on story %s: %s (%s)",
        context.comment.pk,
        context.story.pk,
        reason,
        detail,
    )
    return _held(reason, detail)


def toxicity(context: PhaseContext) -> PhaseResult | None:
    """Hold a comment Perspective scores above TALK["PERSPECTIVE_THRESHOLD"].

    Runs when the site's ``toxicity_check_enabled`` is on. Holds it too, as
    TOXICITY_CHECK_UNAVAILABLE, when no key is set or the call fails.
    """
    if not context.moderation_settings.toxicity_check_enabled or not context.text:
        return None
    if not talk_settings.PERSPECTIVE_API_KEY:
        return _unavailable(TOXICITY_CHECK_UNAVAILABLE, "PERSPECTIVE_API_KEY is empty", context)
    try:
        score = perspective_toxicity_score(
            endpoint=talk_settings.PERSPECTIVE_ENDPOINT,
            api_key=talk_settings.PERSPECTIVE_API_KEY,
            timeout_seconds=talk_settings.EXTERNAL_MODERATION_TIMEOUT_SECONDS,
            text=context.text,
        )
    except ExternalCheckUnavailable as exc:
        return _unavailable(TOXICITY_CHECK_UNAVAILABLE, str(exc), context)
    if score > talk_settings.PERSPECTIVE_THRESHOLD:
        return _held(DetectedReason.COMMENT_DETECTED_TOXIC, f"TOXICITY {score:.2f}")
    return None


def recent_history(context: PhaseContext) -> PhaseResult | None:
    """Hold when the author's recent rejection rate on the site reaches the site's rate.

    See the module docstring for the exact rate.
    """
    settings = context.moderation_settings
    if not settings.recent_history_enabled:
        return None
    counts = (
        Comment.objects.filter(
            author=context.author,
            site_id=context.story.site_id,
            created_at__gte=context.now - timedelta(days=settings.recent_history_days),
        )
        .exclude(pk=context.comment.pk)
        .aggregate(
            rejected=Count("pk", filter=Q(status=CommentStatus.REJECTED)),
            published=Count("pk", filter=Q(status__in=VISIBLE_STATUSES)),
        )
    )
    rejected, decided = counts["rejected"], counts["rejected"] + counts["published"]
    if not rejected or rejected / decided < settings.recent_history_rejection_rate:
        return None
    return _held(
        DetectedReason.COMMENT_DETECTED_RECENT_HISTORY,
        f"{rejected} of {decided} comments in {settings.recent_history_days} days rejected",
    )


def spam(context: PhaseContext) -> PhaseResult | None:
    """Hold a comment Akismet calls spam.

    Runs when the site's ``spam_check_enabled`` is on. Holds it too, as
    SPAM_CHECK_UNAVAILABLE, when no key is set or the call fails.
    """
    if not context.moderation_settings.spam_check_enabled:
        return None
    if not talk_settings.AKISMET_API_KEY:
        return _unavailable(SPAM_CHECK_UNAVAILABLE, "AKISMET_API_KEY is empty", context)
    try:
        is_spam = akismet_comment_check(
            endpoint=talk_settings.AKISMET_ENDPOINT,
            api_key=talk_settings.AKISMET_API_KEY,
            blog_url=talk_settings.AKISMET_BLOG_URL or f"https://{context.story.site.domain}/",
            timeout_seconds=talk_settings.EXTERNAL_MODERATION_TIMEOUT_SECONDS,
            content=context.comment.body,
            permalink=context.story.url,
            author_name=context.author.username,
            user_ip=context.client_ip,
            created_at=context.now,
        )
    except ExternalCheckUnavailable as exc:
        return _unavailable(SPAM_CHECK_UNAVAILABLE, str(exc), context)
    if is_spam:
        return _held(DetectedReason.COMMENT_DETECTED_SPAM, "Akismet")
    return None


def links(context: PhaseContext) -> PhaseResult | None:
    """Hold a comment with a link (anchor or URL in the text) when ``premod_links``."""
    if context.moderation_settings.premod_links and contains_link(context.comment.body):
        return _held(DetectedReason.COMMENT_DETECTED_LINKS)
    return None


def new_commenter(context: PhaseContext) -> PhaseResult | None:
    """Hold comments of authors with fewer approved comments on the site than required.

    Runs when the site's ``new_commenter_premod`` is on; a threshold of 0 turns it off.
    """
    settings = context.moderation_settings
    threshold = settings.new_commenter_approved_threshold
    if not settings.new_commenter_premod or threshold <= 0:
        return None
    approved = Comment.objects.filter(
        author=context.author, site_id=context.story.site_id, status=CommentStatus.APPROVED
    ).count()
    if approved >= threshold:
        return None
    return _held(
        DetectedReason.COMMENT_DETECTED_NEW_COMMENTER, f"{approved} of {threshold} approved"
    )


def premod_user(context: PhaseContext) -> PhaseResult | None:
    """Pre-moderate every comment of an author whose standing says so."""
    if context.standing.is_premod:
        return PhaseResult(
            status=CommentStatus.PREMOD, reasons=[DetectedReason.COMMENT_DETECTED_PREMOD_USER]
        )
    return None


def premod_story(context: PhaseContext) -> PhaseResult | None:
    """Pre-moderate every comment when the story (or its site) is pre-moderated."""
    if context.story.is_premod:
        return PhaseResult(status=CommentStatus.PREMOD, reasons=[PREMOD])
    return None


def author_role_tags(*, author: Profile, site_id) -> list[str]:
    """Return the role tag a new comment carries, as Coral's tagStaff / tagMember phases.

    ADMIN, MODERATOR (only on a site they moderate) and STAFF get their role's tag, shown
    as a badge in the stream; MEMBER gets MEMBER; commenters none.
    """
    if author.role == Role.ADMIN:
        return ["ADMIN"]
    if author.role == Role.MODERATOR and profile_can_moderate(profile=author, site_id=site_id):
        return ["MODERATOR"]
    if author.has_role(Role.STAFF):
        return ["STAFF"]
    if author.role == Role.MEMBER:
        return ["MEMBER"]
    return []
