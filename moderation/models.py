"""User profiles: the commenter identity, role and (later) moderation status."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """Coral's roles, lowest first: COMMENTER < MEMBER < STAFF < MODERATOR < ADMIN."""

    COMMENTER = "COMMENTER", "Commenter"
    MEMBER = "MEMBER", "Member"
    STAFF = "STAFF", "Staff"
    MODERATOR = "MODERATOR", "Moderator"
    ADMIN = "ADMIN", "Admin"


ROLE_ORDER = [Role.COMMENTER, Role.MEMBER, Role.STAFF, Role.MODERATOR, Role.ADMIN]


class Profile(models.Model):
    """A commenter identity, with or without a Django user.

    Imported authors are *unclaimed* profiles: ``user`` is null and ``external_id`` holds
    the source's key (``disqus:<username>``, ``wordpress:<email-or-name>``) so re-imports
    find them again. Accounts created by sign-up have a user and no external id.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="talk_profile",
    )
    username = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COMMENTER)
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    moderation_sites = models.ManyToManyField(
        "talk_comments.Site",
        blank=True,
        related_name="moderators",
        help_text="Sites a MODERATOR may moderate; empty: every site.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["username", "id"]
        permissions = [
            ("moderate_comment", "Can moderate comments (approve, reject, feature)"),
            ("moderate_user", "Can moderate users (ban, suspend, pre-moderate, warn)"),
            ("configure_site", "Can change sites' moderation settings"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_claimed(self) -> bool:
        return self.user_id is not None

    def has_role(self, role: str) -> bool:
        """Return True when this profile's role is ``role`` or above."""
        return ROLE_ORDER.index(Role(self.role)) >= ROLE_ORDER.index(Role(role))


class ModerationQueue(models.TextChoices):
    """Coral's moderation queues, plus the APPROVED and REJECTED histories."""

    REPORTED = "REPORTED", "Reported"  # visible comments with open flags
    PENDING = "PENDING", "Pending"  # PREMOD or SYSTEM_WITHHELD
    UNMODERATED = "UNMODERATED", "Unmoderated"  # not yet decided by a moderator
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"


class RejectionReason(models.TextChoices):
    """Coral's REJECTION_REASON_CODE; OTHER takes a note."""

    OFFENSIVE = "OFFENSIVE", "Offensive"
    ABUSIVE = "ABUSIVE", "Abusive"
    SPAM = "SPAM", "Spam"
    BANNED_WORD = "BANNED_WORD", "Banned word"
    AD = "AD", "Advertisement"
    ILLEGAL_CONTENT = "ILLEGAL_CONTENT", "Illegal content"
    HARASSMENT_BULLYING = "HARASSMENT_BULLYING", "Harassment or bullying"
    MISINFORMATION = "MISINFORMATION", "Misinformation"
    HATE_SPEECH = "HATE_SPEECH", "Hate speech"
    IRRELEVANT_CONTENT = "IRRELEVANT_CONTENT", "Irrelevant"
    OTHER = "OTHER", "Other"


class UserStatusKind(models.TextChoices):
    """Every act on a user's standing; each is one :class:`UserStatusAction` row."""

    BAN = "BAN", "Banned everywhere"
    REMOVE_BAN = "REMOVE_BAN", "Ban removed"
    SITE_BAN = "SITE_BAN", "Banned on a site"
    REMOVE_SITE_BAN = "REMOVE_SITE_BAN", "Site ban removed"
    SUSPEND = "SUSPEND", "Suspended"
    REMOVE_SUSPENSION = "REMOVE_SUSPENSION", "Suspension removed"
    PREMOD = "PREMOD", "Always pre-moderated"
    REMOVE_PREMOD = "REMOVE_PREMOD", "Pre-moderation removed"
    WARN = "WARN", "Warned"
    REMOVE_WARNING = "REMOVE_WARNING", "Warning removed"
    ACKNOWLEDGE_WARNING = "ACKNOWLEDGE_WARNING", "Warning acknowledged"
    ROLE_CHANGE = "ROLE_CHANGE", "Role changed"


class UserStanding(models.Model):
    """A user's current moderation status (Coral's UserStatus), one row per profile.

    Kept apart from :class:`Profile` so the hot comment path reads one small row; the
    history of every change is :class:`UserStatusAction`. Site bans are
    :class:`SiteBan` rows.
    """

    profile = models.OneToOneField(
        Profile, primary_key=True, on_delete=models.CASCADE, related_name="standing"
    )
    is_banned = models.BooleanField(default=False, help_text="Banned on every site.")
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_message = models.TextField(blank=True)
    is_premod = models.BooleanField(default=False, help_text="Every comment is held.")
    warning_message = models.TextField(
        blank=True, help_text="Shown to the user until acknowledged; empty: no warning."
    )
    warning_acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["profile"]

    def is_suspended(self, *, now=None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or timezone.now())

    @property
    def has_active_warning(self) -> bool:
        return bool(self.warning_message) and self.warning_acknowledged_at is None


class SiteBan(models.Model):
    """A ban of one profile from one site's stories."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="site_bans")
    site = models.ForeignKey("talk_comments.Site", on_delete=models.CASCADE, related_name="bans")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "site"], name="talk_site_ban_once")
        ]


class UserStatusAction(models.Model):
    """Audit log of a user's standing and role: who did what, when, why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="status_history")
    actor = models.ForeignKey(
        Profile,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_actions_taken",
    )
    kind = models.CharField(max_length=32, choices=UserStatusKind.choices)
    message = models.TextField(blank=True)
    until = models.DateTimeField(null=True, blank=True, help_text="End of a suspension.")
    site = models.ForeignKey("talk_comments.Site", null=True, blank=True, on_delete=models.SET_NULL)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ModeratorNote(models.Model):
    """A private note moderators keep about a user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="moderator_notes")
    author = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class SiteModerationSettings(models.Model):
    """A site's moderation configuration, edited by admins in the admin.

    Word lists hold one word or phrase per line; matching is whole-word, case- and
    accent-insensitive (``moderation.wordlist``). Defaults follow Coral's tenant defaults.
    """

    site = models.OneToOneField(
        "talk_comments.Site",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="moderation_settings",
    )
    commenting_disabled = models.BooleanField(
        default=False, help_text="Refuse new comments on every story of the site."
    )
    commenting_disabled_message = models.TextField(blank=True)
    banned_words = models.TextField(
        blank=True, help_text="One per line. A comment containing one is rejected."
    )
    suspect_words = models.TextField(
        blank=True, help_text="One per line. A comment containing one is flagged."
    )
    premod_suspect_words = models.BooleanField(
        default=False, help_text="Hold comments with suspect words instead of flagging them."
    )
    premod_links = models.BooleanField(default=False, help_text="Hold comments with links.")
    new_commenter_premod = models.BooleanField(
        default=False, help_text="Hold comments of new commenters (see the threshold)."
    )
    new_commenter_approved_threshold = models.PositiveSmallIntegerField(
        default=2, help_text="Approved comments a commenter needs before not being held."
    )
    recent_history_enabled = models.BooleanField(
        default=False,
        help_text="Hold comments of users whose recent comments were often rejected.",
    )
    recent_history_days = models.PositiveSmallIntegerField(default=7)
    recent_history_rejection_rate = models.FloatField(
        default=0.3, help_text="Fraction (0-1) of rejected comments that triggers holding."
    )
    repeat_post_seconds = models.PositiveIntegerField(
        default=360,
        help_text="Same body by the same user within this many seconds is held; 0: off.",
    )
    spam_check_enabled = models.BooleanField(
        default=False, help_text="Ask Akismet (TALK['AKISMET_API_KEY'])."
    )
    toxicity_check_enabled = models.BooleanField(
        default=False, help_text="Ask Perspective (TALK['PERSPECTIVE_API_KEY'])."
    )

    class Meta:
        verbose_name = "site moderation settings"
        verbose_name_plural = "site moderation settings"

    def clean(self) -> None:
        """Refuse switching on an external check whose API key is not configured: every
        comment would be held as "check unavailable"."""
        from django.core.exceptions import ValidationError

        from comments.conf import talk_settings

        errors = {}
        if self.spam_check_enabled and not talk_settings.AKISMET_API_KEY:
            errors["spam_check_enabled"] = "Set TALK['AKISMET_API_KEY'] first."
        if self.toxicity_check_enabled and not talk_settings.PERSPECTIVE_API_KEY:
            errors["toxicity_check_enabled"] = "Set TALK['PERSPECTIVE_API_KEY'] first."
        if errors:
            raise ValidationError(errors)
