"""Admin registrations for sites, stories and comments (read-mostly; the moderation
console with queues and actions is built in the moderation app)."""

from django.contrib import admin

from comments.models import Comment, CommentAction, CommentFlag, Site, Story


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "premod_enabled", "created_at")
    search_fields = ("name", "domain")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "comment_count", "closed_at", "created_at")
    list_filter = ("site", "mode")
    list_select_related = ("site",)
    search_fields = ("title", "url")
    readonly_fields = ("comment_count", "external_id", "scraped_at")


class CommentActionInline(admin.TabularInline):
    model = CommentAction
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "reasons", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CommentFlagInline(admin.TabularInline):
    model = CommentFlag
    extra = 0
    can_delete = False
    fields = ("created_at", "reporter", "reason", "note", "is_resolved")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "story", "author", "status", "flag_count", "created_at")
    list_filter = ("status", "site", "created_at")
    list_select_related = ("story", "author")
    search_fields = ("body",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "story",
        "site",
        "author",
        "parent",
        "body",
        "status",
        "depth",
        "ancestor_ids",
        "reply_count",
        "reaction_count",
        "flag_count",
        "created_at",
        "edited_at",
        "external_id",
        "tags",
    )
    inlines = (CommentFlagInline, CommentActionInline)

    def has_add_permission(self, request):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)
        return actions
