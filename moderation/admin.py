"""Admin registrations of profiles (with the moderation user page) and site settings.

A profile's role and standing are read-only here: they change through the user page
(``moderation.admin_views.UserModeration``), whose acts go through the services and
are recorded as ``UserStatusAction`` rows.
"""

from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html

from moderation.admin_views import (
    MODERATE_COMMENT,
    MODERATE_USER,
    ModerationConsole,
    UserModeration,
)
from moderation.models import Profile, SiteModerationSettings

CONFIGURE_SITE = "talk_moderation.configure_site"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("username", "role", "user", "external_id", "created_at", "moderation_link")
    list_filter = ("role",)
    search_fields = ("username", "user__email", "external_id")
    raw_id_fields = ("user",)
    readonly_fields = ("moderation_link", "role", "moderation_sites", "created_at")

    def get_urls(self):
        user_page = UserModeration(ModerationConsole(self.admin_site))
        return [
            path(
                "<uuid:profile_id>/moderate/",
                self.admin_site.admin_view(user_page.view),
                name="talk_moderation_profile_moderate",
            ),
            *super().get_urls(),
        ]

    def _is_moderator(self, request) -> bool:
        return request.user.has_perm(MODERATE_COMMENT) or request.user.has_perm(MODERATE_USER)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._is_moderator(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._is_moderator(request)

    @admin.display(description="Moderation")
    def moderation_link(self, profile):
        if profile.pk is None:
            return "-"
        url = reverse(f"{self.admin_site.name}:talk_moderation_profile_moderate", args=[profile.pk])
        return format_html('<a href="{}">Comments, status and notes</a>', url)


class WordListField(forms.CharField):
    """One word or phrase per line: stripped, blank lines and repeats dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": 8, "cols": 60, "class": "talk-word-list"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        seen, lines = set(), []
        for line in value.splitlines():
            word = " ".join(line.split())
            if word and word.casefold() not in seen:
                seen.add(word.casefold())
                lines.append(word)
        return "\n".join(lines)


class SiteModerationSettingsForm(forms.ModelForm):
    banned_words = WordListField(
        required=False,
        help_text="One word or phrase per line. A comment containing one is rejected.",
    )
    suspect_words = WordListField(
        required=False,
        help_text="One word or phrase per line. A comment containing one is flagged for review.",
    )

    class Meta:
        model = SiteModerationSettings
        fields = (
            "site",
            "commenting_disabled",
            "commenting_disabled_message",
            "banned_words",
            "suspect_words",
            "premod_suspect_words",
            "premod_links",
            "new_commenter_premod",
            "new_commenter_approved_threshold",
            "recent_history_enabled",
            "recent_history_days",
            "recent_history_rejection_rate",
            "repeat_post_seconds",
            "spam_check_enabled",
            "toxicity_check_enabled",
        )


@admin.register(SiteModerationSettings)
class SiteModerationSettingsAdmin(admin.ModelAdmin):
    """A site's moderation settings; admins with ``configure_site`` only."""

    form = SiteModerationSettingsForm
    list_display = (
        "site",
        "commenting_disabled",
        "premod_links",
        "new_commenter_premod",
        "recent_history_enabled",
    )
    list_select_related = ("site",)
    list_filter = ("site",)
    fieldsets = (
        (None, {"fields": ("site", "commenting_disabled", "commenting_disabled_message")}),
        ("Word lists", {"fields": ("banned_words", "suspect_words", "premod_suspect_words")}),
        (
            "Pre-moderation",
            {
                "fields": (
                    "premod_links",
                    "new_commenter_premod",
                    "new_commenter_approved_threshold",
                    "repeat_post_seconds",
                )
            },
        ),
        (
            "Recent history",
            {
                "fields": (
                    "recent_history_enabled",
                    "recent_history_days",
                    "recent_history_rejection_rate",
                )
            },
        ),
        ("External checks", {"fields": ("spam_check_enabled", "toxicity_check_enabled")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("site",) if obj is not None else ()

    def _may_configure(self, request) -> bool:
        return request.user.has_perm(CONFIGURE_SITE)

    def has_module_permission(self, request):
        return self._may_configure(request)

    def has_view_permission(self, request, obj=None):
        return self._may_configure(request)

    def has_add_permission(self, request):
        return self._may_configure(request)

    def has_change_permission(self, request, obj=None):
        return self._may_configure(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
