"""Moderation phases: small functions run in order on a new or edited comment.

Each phase takes a :class:`PhaseContext` and returns a :class:`PhaseResult` or None (no
opinion). The first phase that returns a status decides it; reasons of every phase that
spoke are collected (Coral: ``services/comments/pipeline/phases``). The list is
``TALK["MODERATION_PHASES"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comments.conf import talk_settings
from comments.models import Comment, CommentStatus, Story
from moderation.models import Profile, Role


@dataclass
class PhaseContext:
    comment: Comment
    story: Story
    author: Profile
    is_edit: bool = False


@dataclass
class PhaseResult:
    status: str | None = None
    reasons: list[str] = field(default_factory=list)


def staff_approved(context: PhaseContext) -> PhaseResult | None:
    """STAFF, MODERATOR and ADMIN comments are approved at once (Coral's approveStaff)."""
    if context.author.has_role(Role.STAFF):
        return PhaseResult(status=CommentStatus.APPROVED)
    return None


def premod_story(context: PhaseContext) -> PhaseResult | None:
    """Hold every comment when the story (or its site) is pre-moderated."""
    if context.story.is_premod:
        return PhaseResult(status=CommentStatus.PREMOD, reasons=["PREMOD"])
    return None


def phases_initial_status(*, context: PhaseContext) -> PhaseResult:
    """Run TALK["MODERATION_PHASES"] in order; return the decided status (NONE when no
    phase decides) and the reasons of every phase that returned a result."""
    decided = PhaseResult(status=None)
    for phase in talk_settings.MODERATION_PHASES:
        result = phase(context)
        if result is None:
            continue
        decided.reasons.extend(result.reasons)
        if decided.status is None and result.status is not None:
            decided.status = result.status
    if decided.status is None:
        decided.status = CommentStatus.NONE
    return decided
