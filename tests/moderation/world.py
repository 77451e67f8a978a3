"""A moderation world shared by the moderation tests: two sites, comments in every state,
the six kinds of actor of the permission matrix, and a snapshot of everything moderation
can change (to prove a denied act changed nothing).

Plain functions, not fixtures: each test module declares the fixtures it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from comments.models import (
    Comment,
    CommentAction,
    CommentFlag,
    CommentStatus,
    FlagReason,
    Site,
    Story,
)
from moderation.models import (
    ModeratorNote,
    Profile,
    Role,
    SiteBan,
    UserStanding,
    UserStatusAction,
)
from moderation.selectors import ProfileStatus, profile_status_get
from tests.factories import CommentFactory, ProfileFactory, SiteFactory, StoryFactory

# The actors of the permission matrix, lowest first.
ACTORS = ["anonymous", "commenter", "staff", "other_site_moderator", "moderator", "admin"]
MODERATORS = {"moderator", "admin"}


@dataclass
class World:
    site_a: Site
    site_b: Site
    story_a1: Story
    story_a2: Story
    story_b: Story
    author: Profile  # wrote every comment below
    actors: dict[str, Profile | None]
    site_a_moderator: Profile
    comments: dict[str, Comment] = field(default_factory=dict)

    def comment(self, name: str) -> Comment:
        return Comment.objects.get(pk=self.comments[name].pk)

    def names(self, comments) -> list[str]:
        by_pk = {c.pk: name for name, c in self.comments.items()}
        return [by_pk[c.pk] for c in comments]


# name -> (story attribute, status, open flags, parent name); listed oldest first.
COMMENTS: list[tuple[str, str, str, int, str | None]] = [
    ("a_none", "story_a1", CommentStatus.NONE, 0, None),
    ("a_flagged", "story_a1", CommentStatus.NONE, 2, None),
    ("a_reply", "story_a1", CommentStatus.NONE, 0, "a_none"),
    ("a_approved", "story_a1", CommentStatus.APPROVED, 0, None),
    ("a_approved_flagged", "story_a1", CommentStatus.APPROVED, 1, None),
    ("a_rejected", "story_a1", CommentStatus.REJECTED, 0, None),
    ("a_premod", "story_a1", CommentStatus.PREMOD, 0, None),
    ("a_withheld", "story_a1", CommentStatus.SYSTEM_WITHHELD, 0, None),
    ("a2_none", "story_a2", CommentStatus.NONE, 0, None),
    ("a2_premod", "story_a2", CommentStatus.PREMOD, 0, None),
    ("b_none", "story_b", CommentStatus.NONE, 0, None),
    ("b_flagged", "story_b", CommentStatus.NONE, 1, None),
    ("b_approved", "story_b", CommentStatus.APPROVED, 0, None),
    ("b_rejected", "story_b", CommentStatus.REJECTED, 0, None),
    ("b_premod", "story_b", CommentStatus.PREMOD, 0, None),
    ("b_withheld", "story_b", CommentStatus.SYSTEM_WITHHELD, 0, None),
]


def flag(comment: Comment, count: int) -> None:
    """Add ``count`` open reader flags (distinct reporters), counters included."""
    for _ in range(count):
        CommentFlag.objects.create(
            comment=comment,
            reporter=ProfileFactory(),
            reason=FlagReason.COMMENT_REPORTED_ABUSIVE,
        )
    Comment.objects.filter(pk=comment.pk).update(flag_count=count, open_flag_count=count)
    comment.refresh_from_db()


def moderator(role: str = Role.MODERATOR, sites: list[Site] | None = None, **kwargs) -> Profile:
    profile = ProfileFactory(role=role, **kwargs)
    if sites:
        profile.moderation_sites.set(sites)
    return profile


def build_world() -> World:
    site_a = SiteFactory(name="Alpha Daily", domain="alpha.example.com")
    site_b = SiteFactory(name="Beta Times", domain="beta.example.com")
    world = World(
        site_a=site_a,
        site_b=site_b,
        story_a1=StoryFactory(site=site_a),
        story_a2=StoryFactory(site=site_a),
        story_b=StoryFactory(site=site_b),
        author=ProfileFactory(user__username="author", username="author"),
        actors={
            "anonymous": None,
            "commenter": ProfileFactory(user__username="commenter"),
            "staff": ProfileFactory(user__username="staff", role=Role.STAFF),
            "other_site_moderator": moderator(sites=[site_b], user__username="bmod"),
            "moderator": moderator(user__username="moderator"),
            "admin": moderator(role=Role.ADMIN, user__username="admin"),
        },
        site_a_moderator=moderator(sites=[site_a], user__username="amod"),
    )
    start = timezone.now() - timedelta(hours=1)
    for minute, (name, story, status, flags, parent) in enumerate(COMMENTS):
        kwargs: dict[str, Any] = {"status": status, "created_at": start + timedelta(minutes=minute)}
        if parent:
            kwargs["parent"] = world.comments[parent]
        else:
            kwargs["story"] = getattr(world, story)
        comment = CommentFactory(author=world.author, **kwargs)
        if flags:
            flag(comment, flags)
        world.comments[name] = comment
    return world


def snapshot() -> dict[str, Any]:
    """Everything a moderation act may change, in comparable form."""
    return {
        "comments": {
            pk: rest
            for pk, *rest in Comment.objects.values_list(
                "pk", "status", "tags", "open_flag_count", "flag_count", "reply_count"
            )
        },
        "stories": dict(Story.objects.values_list("pk", "comment_count")),
        "flags": dict(CommentFlag.objects.values_list("pk", "is_resolved")),
        "standings": {
            pk: rest
            for pk, *rest in UserStanding.objects.values_list(
                "profile_id",
                "is_banned",
                "suspended_until",
                "suspension_message",
                "is_premod",
                "warning_message",
                "warning_acknowledged_at",
            )
        },
        "site_bans": set(SiteBan.objects.values_list("profile_id", "site_id")),
        "comment_actions": CommentAction.objects.count(),
        "status_actions": UserStatusAction.objects.count(),
        "notes": ModeratorNote.objects.count(),
        "profiles": {
            pk: (role, sorted(str(s) for s in Profile.objects.get(pk=pk).moderation_sites.all()))
            for pk, role in Profile.objects.values_list("pk", "role")
        },
    }


def history(profile: Profile) -> list[tuple]:
    """The profile's status actions, oldest first: (kind, actor, message, until, site, role)."""
    return list(
        UserStatusAction.objects.filter(profile=profile)
        .order_by("created_at", "id")
        .values_list("kind", "actor__username", "message", "until", "site__name", "role")
    )


def status_of(profile: Profile) -> ProfileStatus:
    """The profile's status, read afresh (``profile.standing`` is cached per instance)."""
    return profile_status_get(profile=Profile.objects.get(pk=profile.pk))


def standing(profile: Profile) -> UserStanding:
    return UserStanding.objects.get(profile=profile)
