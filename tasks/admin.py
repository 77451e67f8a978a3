"""Admin of the jobs app: webhook endpoints per site, and the jobs page.

* Webhook endpoints are edited per site (filter by site); each shows its last 50
  deliveries read-only. Actions "Rotate signing secret" and "Re-enable" call the services.
* "Job failures and retries" is the jobs page: queue depth (pending and in-flight
  messages per queue, SQLite queue or Redis), the failures and retries recorded from
  Celery's signals, recent probes, and a "Send a test job" button.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from tasks import selectors, services
from tasks.models import JobEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=2000, assume_scheme="https", help_text="http(s) URL that receives the POSTs."
    )
    event_types = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Events this endpoint receives, unless 'All events' is on.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("site", "url", "description", "enabled", "all_events", "event_types")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Use an http:// or https:// URL.")
        return url

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_events") and not cleaned.get("event_types"):
            raise forms.ValidationError("Choose at least one event, or 'All events'.")
        return cleaned


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "event",
        "attempt",
        "succeeded",
        "status_code",
        "duration_ms",
        "error",
        "response",
        "event_id",
    )
    readonly_fields = fields
    verbose_name_plural = "Last 50 deliveries"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Response")
    def response(self, delivery: WebhookDelivery) -> str:
        return Truncator(delivery.response_excerpt).chars(200)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = (
        "url",
        "site",
        "enabled",
        "events",
        "consecutive_failures",
        "last_success_at",
        "disabled_at",
    )
    list_filter = ("site", "enabled")
    list_select_related = ("site",)
    search_fields = ("url", "description")
    readonly_fields = (
        "signing_secret",
        "previous_secret_expires_at",
        "consecutive_failures",
        "last_success_at",
        "disabled_at",
        "disabled_reason",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("site", "url", "description", "enabled")}),
        ("Events", {"fields": ("all_events", "event_types")}),
        (
            "Signing",
            {
                "fields": ("signing_secret", "previous_secret_expires_at"),
                "description": "Verify X-Talk-Signature with this secret (docs/jobs.md). "
                "Rotate it with the list action; the previous one keeps signing for 24 hours.",
            },
        ),
        (
            "Health",
            {
                "fields": (
                    "consecutive_failures",
                    "last_success_at",
                    "disabled_at",
                    "disabled_reason",
                    "created_at",
                )
            },
        ),
    )
    inlines = [WebhookDeliveryInline]
    actions = ["rotate_secret", "reenable"]

    @admin.display(description="Events")
    def events(self, endpoint: WebhookEndpoint) -> str:
        return "all" if endpoint.all_events else ", ".join(endpoint.event_types) or "-"

    @admin.action(description="Rotate signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
        self.message_user(
            request,
            f"Rotated the secret of {len(queryset)} endpoint(s); the previous secrets keep "
            "signing for 24 hours.",
            messages.SUCCESS,
        )

    @admin.action(description="Re-enable (reset the failure count)", permissions=["change"])
    def reenable(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_enable(endpoint_id=endpoint.pk)
        self.message_user(request, f"Re-enabled {len(queryset)} endpoint(s).", messages.SUCCESS)


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    """The jobs page: queue depth on top of the recorded failures and retries."""

    change_list_template = "talk/admin/tasks/jobs.html"
    list_display = ("created_at", "kind", "task_name", "retries", "short_exception", "hostname")
    list_filter = ("kind", "task_name")
    search_fields = ("task_name", "task_id", "exception")
    readonly_fields = (
        "created_at",
        "kind",
        "task_name",
        "task_id",
        "arguments",
        "retries",
        "exception",
        "traceback",
        "hostname",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Exception")
    def short_exception(self, event: JobEvent) -> str:
        return Truncator(event.exception).chars(120)

    def get_urls(self):
        return [
            path(
                "probe/",
                self.admin_site.admin_view(require_POST(self.probe_view)),
                name="talk_tasks_job_probe",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Jobs: queues, failures and retries",
            "broker_stats": selectors.job_queue_stats(),
            "probes": selectors.job_probe_list_recent(),
            "probe_url": reverse(f"{self.admin_site.name}:talk_tasks_job_probe"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def probe_view(self, request: HttpRequest):
        if not request.user.is_superuser:
            raise PermissionDenied
        probe = services.job_probe_create()
        self.message_user(
            request,
            f"Test job {probe.pk} sent; it shows as done below once a worker ran it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:talk_tasks_jobevent_changelist")
        )
