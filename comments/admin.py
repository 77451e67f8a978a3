"""Admin registrations for sites, stories and comments.

Read-mostly (STYLE.md §10): comments cannot be added or edited here; their status changes
only through the moderation services, which the list actions and the moderation console
(``moderation.admin_views``, mounted under this admin's URLs) call.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from comments.errors import TalkError
from comments.models import Comment, CommentAction, CommentFlag, Site, Story
from moderation import services
from moderation.admin_forms import CommentAdminActionForm, RejectionFields
from moderation.admin_views import MODERATE_COMMENT, ModerationConsole, excerpt
from moderation.models import Role
from moderation.selectors import profile_get_for_user, profile_moderation_site_ids


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "premod_enabled", "created_at", "moderation_settings_link")
    search_fields = ("name", "domain")

    @admin.display(description="Moderation settings")
    def moderation_settings_link(self, site):
        url = reverse(f"{self.admin_site.name}:talk_moderation_sitemoderationsettings_changelist")
        return format_html('<a href="{}?site__id__exact={}">Configure</a>', url, site.pk)


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
    fields = (
        "created_at",
        "kind",
        "actor",
        "from_status",
        "to_status",
        "rejection_reason",
        "reasons",
        "note",
    )
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
    """Comments, read-only, with approve/reject list actions and the moderation console."""

    change_list_template = "talk/admin/comment_change_list.html"
    list_display = (
        "excerpt",
        "story",
        "author",
        "status",
        "open_flag_count",
        "created_at",
        "moderation_link",
    )
    list_filter = ("status", "site", ("story", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("story", "author")
    search_fields = ("body", "author__username")
    date_hierarchy = "created_at"
    readonly_fields = (
        "moderation_link",
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
        "open_flag_count",
        "created_at",
        "edited_at",
        "external_id",
        "tags",
    )
    inlines = (CommentFlagInline, CommentActionInline)
    actions = ("approve_selected", "reject_selected")
    action_form = CommentAdminActionForm

    def get_urls(self):
        return ModerationConsole(self.admin_site).get_urls() + super().get_urls()

    # Permissions: moderators see comments and act on them; nobody edits them here.

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE_COMMENT)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.has_moderate_permission(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.has_moderate_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        comments = super().get_queryset(request)
        profile = profile_get_for_user(user=request.user)
        if profile is not None and profile.has_role(Role.MODERATOR):
            scope = profile_moderation_site_ids(profile=profile)
            if scope is not None:
                comments = comments.filter(site_id__in=scope)
        return comments

    @admin.display(description="Comment")
    def excerpt(self, comment):
        return excerpt(comment.body, 80) or "(empty)"

    @admin.display(description="Moderation")
    def moderation_link(self, comment):
        url = reverse(f"{self.admin_site.name}:talk_moderation_comment", args=[comment.pk])
        return format_html('<a href="{}">History and actions</a>', url)

    # List actions: one service call per comment, so each is audited and published.

    @admin.action(description="Approve selected comments", permissions=["moderate"])
    def approve_selected(self, request, queryset):
        moderator = services.profile_ensure(user=request.user)
        self._run(
            request,
            queryset,
            "Approved",
            lambda comment: services.comment_approve(comment=comment, moderator=moderator),
        )

    @admin.action(
        description="Reject selected comments (choose a reason)", permissions=["moderate"]
    )
    def reject_selected(self, request, queryset):
        form = RejectionFields(request.POST)
        if not form.is_valid() or not form.cleaned_data["reason"]:
            errors = form.errors.get("note") or ["Choose a rejection reason in the action bar."]
            self.message_user(request, " ".join(errors), messages.ERROR)
            return
        reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
        moderator = services.profile_ensure(user=request.user)
        self._run(
            request,
            queryset,
            "Rejected",
            lambda comment: services.comment_reject(
                comment=comment, moderator=moderator, reason=reason, note=note
            ),
        )

    def _run(self, request, queryset, verb: str, act) -> None:
        done, errors = 0, []
        for comment in queryset.select_related("story", "site", "author"):
            try:
                act(comment)
            except TalkError as exc:
                errors.append(exc.message)
            else:
                done += 1
        if done:
            noun = "comment" if done == 1 else "comments"
            self.message_user(request, f"{verb} {done} {noun}.", messages.SUCCESS)
        if errors:
            failed = "comment" if len(errors) == 1 else "comments"
            detail = " ".join(sorted(set(errors)))
            self.message_user(
                request, f"{len(errors)} {failed} not changed: {detail}", messages.ERROR
            )
