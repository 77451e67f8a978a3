"""The user page (mounted by ProfileAdmin): a user's comments, standing, history, notes,
and every act on them."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from comments.errors import TalkError
from comments.models import Comment
from moderation import services
from moderation.admin_forms import (
    BanForm,
    NoteDeleteForm,
    NoteForm,
    RoleForm,
    SiteBanRemoveForm,
    SuspendForm,
    WarnForm,
)
from moderation.admin_views.common import (
    MODERATE_COMMENT,
    MODERATE_USER,
    STATUS_LABELS,
    moderated_sites,
    moderator_get,
    require_permission,
)
from moderation.admin_views.queues import ModerationConsole
from moderation.models import ModeratorNote, Profile, Role
from moderation.selectors import (
    profile_is_unscoped_moderator,
    profile_moderation_site_ids,
    profile_status_history,
    standing_get,
)

SITE_FORMS = (BanForm, RoleForm)
RECENT_COMMENTS = 20


def profile_comments(
    *, profile: Profile, moderator: Profile, limit: int = RECENT_COMMENTS
) -> list[Comment]:
    """The profile's latest comments on the sites ``moderator`` may moderate."""
    comments = Comment.objects.filter(author=profile).select_related("story")
    scope = profile_moderation_site_ids(profile=moderator)
    if scope is not None:
        comments = comments.filter(site_id__in=scope)
    latest = list(comments.order_by("-created_at", "-id")[:limit])
    for comment in latest:
        comment.status_label = STATUS_LABELS.get(comment.status, comment.status)
    return latest


class UserModeration:
    """The user page: comments, standing, status history, notes, and the acts on a user.

    Each POST names its ``action``; the matching form is validated and one service
    called, then the page redirects to itself (errors are admin messages, or the form
    is shown again with its field errors).
    """

    ACTIONS = {
        "ban": (BanForm, MODERATE_USER),
        "ban_remove": (SiteBanRemoveForm, MODERATE_USER),
        "suspend": (SuspendForm, MODERATE_USER),
        "suspension_remove": (None, MODERATE_USER),
        "premod": (None, MODERATE_USER),
        "premod_remove": (None, MODERATE_USER),
        "warn": (WarnForm, MODERATE_USER),
        "warning_remove": (None, MODERATE_USER),
        "note_add": (NoteForm, None),
        "note_delete": (NoteDeleteForm, None),
        "role": (RoleForm, MODERATE_USER),
    }

    def __init__(self, console: ModerationConsole) -> None:
        self.console = console

    def url_for(self, profile: Profile) -> str:
        return self.console.url("talk_moderation_profile_moderate", profile.pk)

    def view(self, request: HttpRequest, profile_id: uuid.UUID) -> HttpResponse:
        require_permission(request, MODERATE_COMMENT, MODERATE_USER)
        moderator = moderator_get(request)  # first: non-moderators learn nothing about ids
        profile = Profile.objects.select_related("user").filter(pk=profile_id).first()
        if profile is None:
            raise Http404("No such user.")
        bound: dict[str, forms.Form] = {}
        if request.method == "POST":
            response, bound = self._post(request, profile=profile, moderator=moderator)
            if response is not None:
                return response
        return TemplateResponse(
            request,
            "talk/admin/profile.html",
            self._context(request, profile=profile, moderator=moderator, bound=bound),
            status=400 if bound else 200,
        )

    def _post(self, request, *, profile, moderator):
        action = request.POST.get("action", "")
        if action not in self.ACTIONS:
            messages.error(request, "Unknown action.")
            return redirect(self.url_for(profile)), {}
        form_class, permission = self.ACTIONS[action]
        if permission is not None:
            require_permission(request, permission)
        form = None
        if form_class is not None:
            kwargs = {"sites": moderated_sites(moderator)} if form_class in SITE_FORMS else {}
            form = form_class(request.POST, **kwargs)
            if not form.is_valid():
                messages.error(request, "Please correct the errors below.")
                return None, {action: form}
        try:
            message = getattr(self, f"_{action}")(profile=profile, moderator=moderator, form=form)
        except TalkError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return redirect(self.url_for(profile)), {}

    # One method per action: call the service, return the success message.

    def _ban(self, *, profile, moderator, form):
        services.user_ban(
            profile=profile,
            moderator=moderator,
            message=form.cleaned_data["message"],
            site_ids=form.site_ids,
            reject_existing_comments=form.cleaned_data["reject_existing_comments"],
        )
        where = "everywhere" if form.site_ids is None else f"on {len(form.site_ids)} site(s)"
        return f"Banned {profile} {where}."

    def _ban_remove(self, *, profile, moderator, form):
        site_id = form.cleaned_data["site"]
        services.user_ban_remove(
            profile=profile, moderator=moderator, site_ids=[site_id] if site_id else None
        )
        return f"Removed the ban of {profile}."

    def _suspend(self, *, profile, moderator, form):
        services.user_suspend(
            profile=profile,
            moderator=moderator,
            seconds=form.seconds,
            message=form.cleaned_data["message"],
        )
        return f"Suspended {profile} for {form.duration_label}."

    def _suspension_remove(self, *, profile, moderator, form):
        services.user_suspension_remove(profile=profile, moderator=moderator)
        return f"Removed the suspension of {profile}."

    def _premod(self, *, profile, moderator, form):
        services.user_premod(profile=profile, moderator=moderator)
        return f"Every new comment by {profile} will be held for review."

    def _premod_remove(self, *, profile, moderator, form):
        services.user_premod_remove(profile=profile, moderator=moderator)
        return f"{profile} is no longer always pre-moderated."

    def _warn(self, *, profile, moderator, form):
        services.user_warn(
            profile=profile, moderator=moderator, message=form.cleaned_data["message"]
        )
        return f"Warned {profile}."

    def _warning_remove(self, *, profile, moderator, form):
        services.user_warning_remove(profile=profile, moderator=moderator)
        return f"Removed the warning of {profile}."

    def _note_add(self, *, profile, moderator, form):
        services.moderator_note_create(
            profile=profile, moderator=moderator, body=form.cleaned_data["body"]
        )
        return "Note added."

    def _note_delete(self, *, profile, moderator, form):
        note = ModeratorNote.objects.filter(pk=form.cleaned_data["note"], profile=profile).first()
        if note is None:
            raise TalkError("That note does not exist (any more).")
        services.moderator_note_delete(note=note, moderator=moderator)
        return "Note deleted."

    def _role(self, *, profile, moderator, form):
        services.profile_role_set(
            profile=profile,
            role=form.cleaned_data["role"],
            actor=moderator,
            site_ids=form.site_ids,
        )
        return f"{profile} is now {Role(form.cleaned_data['role']).label}."

    def _context(self, request, *, profile, moderator, bound) -> dict:
        standing = standing_get(profile=profile)
        sites = moderated_sites(moderator)
        forms_ = {
            "ban_form": bound.get("ban")
            or BanForm(
                sites=sites,
                initial={
                    "scope": "all" if profile_is_unscoped_moderator(profile=moderator) else "sites"
                },
            ),
            "suspend_form": bound.get("suspend") or SuspendForm(),
            "warn_form": bound.get("warn") or WarnForm(),
            "note_form": bound.get("note_add") or NoteForm(),
            "role_form": bound.get("role")
            or RoleForm(
                sites=sites,
                initial={"role": profile.role, "sites": list(profile.moderation_sites.all())},
            ),
        }
        return self.console.context(
            request,
            title=f"User {profile}",
            profile=profile,
            standing=standing,
            is_suspended=standing.is_suspended(),
            site_bans=list(profile.site_bans.select_related("site")),
            comments=profile_comments(profile=profile, moderator=moderator),
            history=list(profile_status_history(profile=profile)),
            notes=list(profile.moderator_notes.select_related("author")),
            can_set_role=request.user.has_perm(MODERATE_USER),
            profile_change_url=reverse(
                f"{self.console.admin_site.name}:talk_moderation_profile_change",
                args=[profile.pk],
            ),
            **forms_,
        )
