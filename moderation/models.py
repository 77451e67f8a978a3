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
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["username", "id"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_claimed(self) -> bool:
        return self.user_id is not None

    def has_role(self, role: str) -> bool:
        """Return True when this profile's role is ``role`` or above."""
        return ROLE_ORDER.index(Role(self.role)) >= ROLE_ORDER.index(Role(role))
