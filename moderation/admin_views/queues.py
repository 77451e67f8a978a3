"""The queue pages, the comment page and the act endpoint (mounted by CommentAdmin)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from comments.errors import TalkError
from comments.models import Comment, Site, Story
from comments.selectors import comment_get, story_get
from moderation import services
from moderation.admin_forms import CommentActForm
from moderation.admin_views.cards import build_cards, with_card_data
from moderation.admin_views.common import (
    MODERATE_COMMENT,
    MODERATE_USER,
    moderated_sites,
    moderator_get,
    reason_label,
    require_permission,
    safe_next,
    wants_json,
)
from moderation.models import ModerationQueue, Profile, RejectionReason
from moderation.selectors import (
    comment_moderation_history,
    moderation_queue_counts,
    moderation_queue_list,
    profile_can_moderate,
)

PAGE_SIZE = 25
STORY_CHOICES_LIMIT = 200
QUEUE_BY_SLUG = {queue.value.lower(): queue for queue in ModerationQueue}
QUEUE_EMPTY_TEXT = {
    ModerationQueue.REPORTED: "No reported comments. Readers' reports will appear here.",
    ModerationQueue.PENDING: "Nothing is waiting for review.",
    ModerationQueue.UNMODERATED: "Every comment has been moderated.",
    ModerationQueue.APPROVED: "No approved comments yet.",
    ModerationQueue.REJECTED: "No rejected comments.",
}
ACTION_VERBS = {
    "approve": "Approved",
    "reject": "Rejected",
    "feature": "Featured",
    "unfeature": "Unfeatured",
}


class _CountedPaginator(Paginator):
    """A paginator told its count (the queue counts already hold it): one query less."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count


@dataclass(frozen=True)
class QueueFilters:
    site_id: uuid.UUID | None
    story_id: uuid.UUID | None

    @classmethod
    def from_query(cls, query) -> QueueFilters:
        def parse(name: str) -> uuid.UUID | None:
            try:
                return uuid.UUID(query.get(name, ""))
            except ValueError:
                return None

        return cls(site_id=parse("site"), story_id=parse("story"))

    def query_string(self, **extra) -> str:
        params = {"site": self.site_id, "story": self.story_id, **extra}
        return urlencode({key: value for key, value in params.items() if value})


class ModerationConsole:
    """The console's views, bound to one admin site (for its context and URL namespace)."""

    def __init__(self, admin_site: AdminSite) -> None:
        self.admin_site = admin_site

    def get_urls(self) -> list:
        """URL patterns to mount under the Comment admin (names in the admin namespace)."""
        wrap = self.admin_site.admin_view
        return [
            path("moderate/", wrap(self.index), name="talk_moderation_index"),
            path("moderate/act/", wrap(require_POST(self.act)), name="talk_moderation_act"),
            path(
                "moderate/comment/<uuid:comment_id>/",
                wrap(self.comment_page),
                name="talk_moderation_comment",
            ),
            path("moderate/<slug:queue>/", wrap(self.queue), name="talk_moderation_queue"),
        ]

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:{name}", args=args)

    def context(self, request: HttpRequest, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "queues": list(ModerationQueue),
            "rejection_reasons": RejectionReason.choices,
            "default_rejection_reason": RejectionReason.OFFENSIVE,
            "act_url": self.url("talk_moderation_act"),
            "can_moderate_users": request.user.has_perm(MODERATE_USER),
            **extra,
        }

    def index(self, request: HttpRequest) -> HttpResponse:
        require_permission(request, MODERATE_COMMENT)
        target = self.url("talk_moderation_queue", "reported")
        query = request.GET.urlencode()
        return HttpResponseRedirect(f"{target}?{query}" if query else target)

    def queue(self, request: HttpRequest, queue: str) -> HttpResponse:
        """One queue page: tabs with counts, site and story filters, a page of cards."""
        require_permission(request, MODERATE_COMMENT)
        current = QUEUE_BY_SLUG.get(queue)
        if current is None:
            raise Http404("No such queue.")
        moderator = moderator_get(request)
        filters = QueueFilters.from_query(request.GET)
        sites = moderated_sites(moderator)
        filter_story = story_get(story_id=filters.story_id) if filters.story_id else None
        counts = moderation_queue_counts(
            moderator=moderator, site_id=filters.site_id, story_id=filters.story_id
        )
        comments = moderation_queue_list(
            queue=current, moderator=moderator, site_id=filters.site_id, story_id=filters.story_id
        )
        paginator = _CountedPaginator(
            with_card_data(comments), PAGE_SIZE, count=counts.get(current.value, 0)
        )
        page = paginator.get_page(request.GET.get("page"))
        context = self.context(
            request,
            title=f"{current.label} comments",
            queue=current,
            counts=[(q, q.value.lower(), counts.get(q.value, 0)) for q in ModerationQueue],
            count=counts.get(current.value, 0),
            cards=build_cards(page.object_list),
            page=page,
            page_range=list(paginator.get_elided_page_range(page.number, on_each_side=2)),
            filters=filters,
            filter_query=filters.query_string(),
            filter_story=filter_story,
            sites=list(sites),
            stories=_story_choices(sites=sites, site_id=filters.site_id),
            empty_text=QUEUE_EMPTY_TEXT[current],
        )
        return TemplateResponse(request, "talk/admin/queue.html", context)

    def comment_page(self, request: HttpRequest, comment_id: uuid.UUID) -> HttpResponse:
        """A comment with its whole moderation history, revisions and flags."""
        require_permission(request, MODERATE_COMMENT)
        moderator = moderator_get(request)
        comment = comment_get(comment_id=comment_id)
        if comment is None:
            raise Http404("No such comment.")
        if not profile_can_moderate(profile=moderator, site_id=comment.site_id):
            raise PermissionDenied
        card = build_cards(with_card_data(Comment.objects.filter(pk=comment.pk)))[0]
        history = list(comment_moderation_history(comment=comment))
        for action in history:
            action.rejection_label = reason_label(action.rejection_reason)
            action.reason_labels = [reason_label(reason) for reason in action.reasons or []]
        context = self.context(
            request,
            title="Comment",
            card=card,
            history=history,
            revisions=list(comment.revisions.all()),
            flags=card.flags,
            next_url=request.get_full_path(),
        )
        return TemplateResponse(request, "talk/admin/comment.html", context)

    def act(self, request: HttpRequest) -> HttpResponse:
        """Approve, reject, feature or unfeature comments; JSON for the console's script.

        Each comment is acted on separately (one failing leaves the others done). The
        JSON reply: ``ok``, ``message``, ``results`` (``id``, ``ok``, ``error``,
        ``status``, ``in_queue``, ``html`` of the updated card when still in the queue)
        and ``counts`` (queue value -> count, with the page's filters).
        """
        require_permission(request, MODERATE_COMMENT)
        moderator = moderator_get(request)
        form = CommentActForm(request.POST)
        fallback = self.url("talk_moderation_index")
        next_url = safe_next(request, request.POST.get("next"), fallback)
        if not form.is_valid():
            message = " ".join(error for errors in form.errors.values() for error in errors)
            if wants_json(request):
                return JsonResponse({"ok": False, "message": message, "results": []}, status=400)
            messages.error(request, message)
            return redirect(next_url)
        data = form.cleaned_data
        results = [
            self._act_one(action=data["action"], comment_id=pk, moderator=moderator, data=data)
            for pk in data["comment_ids"]
        ]
        message, level = _summary(data, results)
        if not wants_json(request):
            messages.add_message(request, level, message)
            return redirect(next_url)
        return JsonResponse(self._act_payload(request, moderator, data, results, message))

    def _act_one(self, *, action: str, comment_id, moderator: Profile, data: dict) -> dict:
        result = {"id": str(comment_id), "ok": False, "error": "", "status": None}
        comment = comment_get(comment_id=comment_id)
        if comment is None:
            result["error"] = "That comment does not exist."
            return result
        try:
            if action == "approve":
                comment = services.comment_approve(comment=comment, moderator=moderator)
            elif action == "reject":
                comment = services.comment_reject(
                    comment=comment, moderator=moderator, reason=data["reason"], note=data["note"]
                )
            elif action == "feature":
                comment = services.comment_feature(comment=comment, moderator=moderator)
            else:
                comment = services.comment_unfeature(comment=comment, moderator=moderator)
        except TalkError as exc:
            result["error"] = exc.message
            return result
        result.update(ok=True, status=comment.status)
        return result

    def _act_payload(self, request, moderator, data, results, message) -> dict:
        queue = data.get("queue")
        site_id, story_id = data.get("site"), data.get("story")
        payload = {"ok": all(r["ok"] for r in results), "message": message, "results": results}
        done = [r["id"] for r in results if r["ok"]]
        if queue:
            remaining = moderation_queue_list(
                queue=ModerationQueue(queue),
                moderator=moderator,
                site_id=site_id,
                story_id=story_id,
            ).filter(pk__in=done)
            cards = {str(card.comment.pk): card for card in build_cards(with_card_data(remaining))}
            for result in results:
                card = cards.get(result["id"])
                # A comment the act failed on stays where it was.
                result["in_queue"] = card is not None or not result["ok"]
                if card is not None:
                    result["html"] = render_to_string(
                        "talk/admin/_card.html",
                        self.context(
                            request,
                            card=card,
                            queue=ModerationQueue(queue),
                            filters=QueueFilters(site_id=site_id, story_id=story_id),
                            next_url=data.get("next") or "",
                        ),
                        request=request,
                    )
        payload["counts"] = moderation_queue_counts(
            moderator=moderator, site_id=site_id, story_id=story_id
        )
        return payload


def _summary(data: dict, results: list[dict]) -> tuple[str, int]:
    done = sum(1 for r in results if r["ok"])
    failed = [r for r in results if not r["ok"]]
    noun = "comment" if done == 1 else "comments"
    parts = []
    if done:
        text = f"{ACTION_VERBS[data['action']]} {done} {noun}"
        if data["action"] == "reject":
            text += f" ({RejectionReason(data['reason']).label})"
        parts.append(text + ".")
    if failed:
        errors = sorted({r["error"] for r in failed})
        parts.append(
            f"{len(failed)} {'comment' if len(failed) == 1 else 'comments'} not changed: "
            + " ".join(errors)
        )
    level = (
        messages.ERROR if failed and not done else messages.WARNING if failed else messages.SUCCESS
    )
    return " ".join(parts), level


def _story_choices(*, sites: QuerySet[Site], site_id) -> list[Story]:
    stories = Story.objects.filter(site__in=sites)
    if site_id:
        stories = stories.filter(site_id=site_id)
    return list(
        stories.order_by("-created_at", "id").only("id", "title", "url")[:STORY_CHOICES_LIMIT]
    )
