"""Admin registration of profiles."""

from django.contrib import admin

from moderation.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("username", "role", "user", "external_id", "created_at")
    list_filter = ("role",)
    search_fields = ("username", "user__email", "external_id")
    raw_id_fields = ("user",)
