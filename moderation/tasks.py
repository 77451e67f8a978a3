"""Celery entry points of the moderation app: load, call one service, nothing else."""

from __future__ import annotations

from celery import shared_task

from moderation.services.comment_status import user_comments_reject


@shared_task(name="talk.moderation.reject_user_comments")
def user_comments_reject_task(
    profile_id: str, actor_id: str | None = None, site_ids: list[str] | None = None
) -> int:
    """Reject a banned user's published and held comments (Coral's rejector job).

    Idempotent and resumable: a re-delivered or re-run task rejects only what is left, so
    each comment is rejected once (see :func:`moderation.services.user_comments_reject`).

    Args:
        profile_id: the banned author's profile id.
        actor_id: the banning moderator's profile id, recorded on each audit row.
        site_ids: only comments on these sites (a site ban); None for every site.
    Returns:
        How many comments this run rejected.
    """
    return user_comments_reject(profile_id=profile_id, actor_id=actor_id, site_ids=site_ids)
