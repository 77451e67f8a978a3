"""System checks of the Talk apps (``talk.E0xx``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from comments.conf import DEFAULTS


@register()
def check_talk_settings(app_configs, **kwargs):
    errors = []
    unknown = set(getattr(settings, "TALK", {}) or {}) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(
                f"Unknown TALK settings: {', '.join(sorted(unknown))}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="talk.E001",
            )
        )
    talk = getattr(settings, "TALK", {}) or {}
    if talk.get("REALTIME_ENABLED", True) and not getattr(settings, "CHANNEL_LAYERS", None):
        errors.append(
            Error(
                "TALK['REALTIME_ENABLED'] is on but CHANNEL_LAYERS is not configured.",
                hint="Configure a channel layer or set TALK['REALTIME_ENABLED'] = False.",
                id="talk.E010",
            )
        )
    return errors
