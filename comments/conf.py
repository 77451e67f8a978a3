"""The ``TALK`` settings dict: defaults, lazy reading, validation (STYLE.md §11).

Read ``talk_settings.X`` at call time, never at import time. ``override_settings(TALK=...)``
takes effect at once because the cache is dropped on ``setting_changed``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Create a Story the first time the embed loads an unknown URL of a known site.
    "LAZY_STORY_CREATION": True,
    # Seconds after posting during which the author may edit a comment (Coral: 30).
    "EDIT_WINDOW_SECONDS": 30,
    # Maximum visible characters of a comment body, counted after sanitising.
    "MAX_COMMENT_CHARS": 5000,
    # Maximum size of the raw HTML body accepted before sanitising, in characters.
    "MAX_COMMENT_HTML_CHARS": 20000,
    # Publish realtime events to the channel layer.
    "REALTIME_ENABLED": True,
    # Default and maximum page size of comment connections.
    "DEFAULT_PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
    # Ordered moderation phases run on new and edited comments (import strings). The first
    # phase that returns a status decides it and ends the run; see moderation.phases for
    # the rule and why this is Coral's order.
    "MODERATION_PHASES": [
        "moderation.phases.repeat_post",
        "moderation.phases.staff_approved",
        "moderation.phases.banned_words",
        "moderation.phases.suspect_words",
        "moderation.phases.toxicity",
        "moderation.phases.recent_history",
        "moderation.phases.spam",
        "moderation.phases.links",
        "moderation.phases.new_commenter",
        "moderation.phases.premod_user",
        "moderation.phases.premod_story",
    ],
    # External checks, switched on per site (SiteModerationSettings.spam_check_enabled /
    # toxicity_check_enabled). They run inside the posting request, so the timeout is
    # small; a check that fails or times out holds the comment (SYSTEM_WITHHELD).
    # Akismet comment-check (spam): the API key; empty holds every checked comment.
    "AKISMET_API_KEY": "",
    # Akismet's "blog" parameter; empty: the comment's site, "https://<Site.domain>/".
    "AKISMET_BLOG_URL": "",
    # Akismet comment-check URL (overridable for tests and proxies).
    "AKISMET_ENDPOINT": "https://rest.akismet.com/1.1/comment-check",
    # Google Perspective (toxicity): the API key; empty holds every checked comment.
    "PERSPECTIVE_API_KEY": "",
    # Perspective comments:analyze URL (overridable for tests and proxies).
    "PERSPECTIVE_ENDPOINT": "https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze",
    # TOXICITY summary score (0-1) above which a comment is held (Coral's default 80%).
    "PERSPECTIVE_THRESHOLD": 0.8,
    # Seconds each external call may take (httpx: connect, write, read and pool each).
    "EXTERNAL_MODERATION_TIMEOUT_SECONDS": 2.0,
    # Rate limits per operation and key kind ("user", "ip", "email"), in the syntax of
    # the `limits` library. Coral's are stricter for comments (1 per 3 s); these allow a
    # quick reply after a comment while stopping floods.
    "RATE_LIMITS_ENABLED": True,
    "RATE_LIMITS": {
        "comment": {"user": "5 per minute;60 per hour", "ip": "20 per minute"},
        "reaction": {"user": "30 per minute"},
        "flag": {"user": "10 per minute"},
        "sign_in": {"ip": "10 per 10 minutes", "email": "10 per 10 minutes"},
        "sign_up": {"ip": "10 per 10 minutes"},
    },
    # Where counters live: memory:// (one process) or a redis:// URL (shared).
    "RATE_LIMIT_STORAGE_URL": "memory://",
    # Username rules, from Coral: letters, digits, "_" and "."; 3 to 30 characters.
    "USERNAME_PATTERN": r"^[A-Za-z0-9_.]{3,30}$",
    # Story metadata scraper (tasks.scraper): fetch a lazily created story's page and fill
    # its title, description, image, author, section and published date.
    "SCRAPING_ENABLED": True,
    # Seconds one scrape may take in all (connect, redirects, download); Coral: 10.
    "SCRAPE_TIMEOUT_SECONDS": 10,
    # Bytes of a page read at most; a larger page is not scraped (Coral: 10 MB).
    "SCRAPE_MAX_BYTES": 5 * 1024 * 1024,
    # User-Agent header of the scraper's requests.
    "SCRAPE_USER_AGENT": "TalkForDjango-Scraper/1.0 (+comment metadata)",
    # Days after publication (else creation) when commenting on a story closes; None: never.
    "AUTO_CLOSE_AFTER_DAYS": None,
}

IMPORT_STRINGS = {"MODERATION_PHASES"}
REMOVED: set[str] = set()


class TalkSettings:
    """Lazy view of ``settings.TALK`` merged over :data:`DEFAULTS`.

    Raises:
        ImproperlyConfigured: on an unknown or removed key, or an import string that
            cannot be imported.
    """

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        configured = getattr(settings, "TALK", {}) or {}
        for key in configured:
            if key in REMOVED:
                raise ImproperlyConfigured(f"TALK[{key!r}] was removed.")
            if key not in DEFAULTS:
                raise ImproperlyConfigured(
                    f"Unknown key TALK[{key!r}]; valid keys: {', '.join(sorted(DEFAULTS))}."
                )
        return configured

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(name)
        if name not in self._cache:
            value = self.user_settings.get(name, DEFAULTS[name])
            if name in IMPORT_STRINGS:
                try:
                    value = [import_string(item) for item in value]
                except ImportError as exc:
                    raise ImproperlyConfigured(f"TALK[{name!r}]: {exc}") from exc
            self._cache[name] = value
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()


talk_settings = TalkSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "TALK":
        talk_settings.reload()


setting_changed.connect(_reload)
