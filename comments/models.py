"""Sites, stories, comments and what readers do to comments (DESIGN.md §4).

Portability rules (DESIGN.md §3): UUID primary keys, orderings end with the primary key,
counters are denormalised on the row and changed with ``F()``, no raw SQL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """UUID primary key and an indexed ``created_at`` (settable, so imports keep dates)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True


class Site(TimeStampedModel):
    """A newsroom property: its domain, the origins allowed to embed it, its settings."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, help_text="e.g. news.example.com")
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text='Origins that may embed the stream, e.g. ["https://news.example.com"].',
    )
    premod_enabled = models.BooleanField(
        default=False, help_text="Hold every new comment for review (pre-moderation)."
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        """Return True if ``origin`` (scheme://host[:port]) may embed this site's stories."""
        origin = origin.rstrip("/").lower()
        return any(origin == allowed.rstrip("/").lower() for allowed in self.allowed_origins)


class StoryMode(models.TextChoices):
    COMMENTS = "COMMENTS", "Comments"
    QA = "QA", "Questions and answers"
    RATINGS_AND_REVIEWS = "RATINGS_AND_REVIEWS", "Ratings and reviews"


class Story(TimeStampedModel):
    """An article that carries a comment stream, keyed by its canonical URL per site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="stories")
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=200, blank=True)
    section = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    scraped_at = models.DateTimeField(null=True, blank=True)
    mode = models.CharField(max_length=32, choices=StoryMode.choices, default=StoryMode.COMMENTS)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Commenting closes at this time; empty: open."
    )
    premod_enabled = models.BooleanField(
        null=True, blank=True, help_text="Override the site's pre-moderation; empty: inherit."
    )
    # Visible comments (NONE or APPROVED) at every depth; kept by the comment services.
    comment_count = models.PositiveIntegerField(default=0)
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "stories"
        constraints = [models.UniqueConstraint(fields=["site", "url"], name="talk_story_site_url")]

    def __str__(self) -> str:
        return self.title or self.url

    def is_closed(self, *, now=None) -> bool:
        return self.closed_at is not None and self.closed_at <= (now or timezone.now())

    @property
    def is_premod(self) -> bool:
        return self.site.premod_enabled if self.premod_enabled is None else self.premod_enabled


class CommentStatus(models.TextChoices):
    """Coral's comment statuses. Only NONE and APPROVED are visible to readers."""

    NONE = "NONE", "Published (unmoderated)"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    PREMOD = "PREMOD", "Pre-moderation"
    SYSTEM_WITHHELD = "SYSTEM_WITHHELD", "Withheld by the system"


VISIBLE_STATUSES = (CommentStatus.NONE, CommentStatus.APPROVED)
HELD_STATUSES = (CommentStatus.PREMOD, CommentStatus.SYSTEM_WITHHELD)


class CommentTag(models.TextChoices):
    FEATURED = "FEATURED", "Featured"
    STAFF = "STAFF", "Staff"
    MODERATOR = "MODERATOR", "Moderator"
    ADMIN = "ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"


class Comment(TimeStampedModel):
    """A comment or a reply, at any depth.

    ``ancestor_ids`` lists the ids (as strings) from the top-level comment down to the
    parent, so a thread can be fetched without recursion; ``depth`` is its length.
    ``body`` is sanitised HTML (see ``comments.sanitize``).
    """

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="comments")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "talk_moderation.Profile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    ancestor_ids = models.JSONField(default=list, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=CommentStatus.choices, default=CommentStatus.NONE
    )
    tags = models.JSONField(default=list, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Denormalised counters, changed with F() by the services.
    reply_count = models.PositiveIntegerField(default=0, help_text="Visible direct replies.")
    reaction_count = models.PositiveIntegerField(default=0)
    flag_count = models.PositiveIntegerField(default=0, help_text="All flags ever raised.")
    open_flag_count = models.PositiveIntegerField(
        default=0, help_text="Flags not yet resolved by a moderator's decision."
    )
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["story", "parent", "status", "created_at"], name="talk_c_stream"),
            models.Index(fields=["story", "parent", "reply_count"], name="talk_c_replies"),
            models.Index(fields=["story", "parent", "reaction_count"], name="talk_c_reactions"),
            models.Index(fields=["status", "created_at"], name="talk_c_status"),
            models.Index(fields=["site", "status", "created_at"], name="talk_c_site_status"),
            models.Index(fields=["open_flag_count", "status"], name="talk_c_reported"),
            models.Index(fields=["author", "created_at"], name="talk_c_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author or 'deleted'} on {self.story_id}: {self.body[:40]}"

    @property
    def is_visible(self) -> bool:
        return self.status in VISIBLE_STATUSES

    def edit_window_ends_at(self, *, window_seconds: int):
        return self.created_at + timedelta(seconds=window_seconds)


class CommentRevision(TimeStampedModel):
    """A body a comment had. The first revision is the original; each edit adds one."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]


class CommentReaction(TimeStampedModel):
    """One reader's reaction ("Respect" in Coral) to a comment; at most one per pair."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    author = models.ForeignKey(
        "talk_moderation.Profile", on_delete=models.CASCADE, related_name="reactions"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "author"], name="talk_reaction_once")
        ]


class FlagReason(models.TextChoices):
    """Coral's reader report reasons (COMMENT_FLAG_REPORTED_REASON)."""

    COMMENT_REPORTED_OFFENSIVE = "COMMENT_REPORTED_OFFENSIVE", "Offensive"
    COMMENT_REPORTED_ABUSIVE = "COMMENT_REPORTED_ABUSIVE", "Abusive"
    COMMENT_REPORTED_SPAM = "COMMENT_REPORTED_SPAM", "Spam or an advertisement"
    COMMENT_REPORTED_OTHER = "COMMENT_REPORTED_OTHER", "Other"


class DetectedReason(models.TextChoices):
    """Coral's system flags (COMMENT_FLAG_DETECTED_REASON plus NEW_COMMENTER).

    Moderation phases record these as :class:`CommentFlag` rows without a reporter.
    """

    COMMENT_DETECTED_TOXIC = "COMMENT_DETECTED_TOXIC", "Toxic"
    COMMENT_DETECTED_SPAM = "COMMENT_DETECTED_SPAM", "Spam"
    COMMENT_DETECTED_LINKS = "COMMENT_DETECTED_LINKS", "Links"
    COMMENT_DETECTED_BANNED_WORD = "COMMENT_DETECTED_BANNED_WORD", "Banned word"
    COMMENT_DETECTED_SUSPECT_WORD = "COMMENT_DETECTED_SUSPECT_WORD", "Suspect word"
    COMMENT_DETECTED_RECENT_HISTORY = "COMMENT_DETECTED_RECENT_HISTORY", "Recent history"
    COMMENT_DETECTED_PREMOD_USER = "COMMENT_DETECTED_PREMOD_USER", "Pre-moderated user"
    COMMENT_DETECTED_NEW_COMMENTER = "COMMENT_DETECTED_NEW_COMMENTER", "New commenter"
    COMMENT_DETECTED_REPEAT_POST = "COMMENT_DETECTED_REPEAT_POST", "Repeat post"


class CommentFlag(TimeStampedModel):
    """A report of a comment by a reader (or, later, by the system)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(
        "talk_moderation.Profile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags",
    )
    reason = models.CharField(max_length=48, choices=FlagReason.choices + DetectedReason.choices)
    note = models.TextField(blank=True, max_length=500)
    is_resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # NULL reporters (system flags) never collide, so this stays a plain
            # unique constraint that every backend supports.
            models.UniqueConstraint(fields=["comment", "reporter"], name="talk_flag_once")
        ]


class ActionKind(models.TextChoices):
    CREATED = "CREATED", "Created"
    EDITED = "EDITED", "Edited"
    STATUS_CHANGED = "STATUS_CHANGED", "Status changed"
    FEATURED = "FEATURED", "Featured"
    UNFEATURED = "UNFEATURED", "Unfeatured"
    FLAGS_RESOLVED = "FLAGS_RESOLVED", "Reports resolved"
    IMPORTED = "IMPORTED", "Imported"


class CommentAction(TimeStampedModel):
    """Audit log: who did what to a comment, when, why; one row per act."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="actions")
    actor = models.ForeignKey(
        "talk_moderation.Profile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comment_actions",
    )
    kind = models.CharField(max_length=32, choices=ActionKind.choices)
    from_status = models.CharField(max_length=16, choices=CommentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CommentStatus.choices, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    rejection_reason = models.CharField(
        max_length=32, blank=True, help_text="Coral's REJECTION_REASON_CODE, when rejected."
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
