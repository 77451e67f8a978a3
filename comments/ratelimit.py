"""Rate limits on comment, reaction, flag and account operations (DESIGN.md §8).

Backed by the ``limits`` library (moving windows) on ``TALK["RATE_LIMIT_STORAGE_URL"]``:
``memory://`` for the single-process embedded default, ``redis://...`` when several
processes must share counters. Limits are configured per operation and per key kind in
``TALK["RATE_LIMITS"]`` with the ``limits`` syntax (e.g. ``"5 per minute"``).
"""

from __future__ import annotations

import math
import time
from functools import cache

from limits import RateLimitItem, parse_many, storage, strategies

from comments.conf import talk_settings
from comments.errors import TalkError


class RateLimited(TalkError):
    code = "RATE_LIMITED"
    default_message = "You are doing that too often. Try again in a moment."

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            f"You are doing that too often. Try again in {retry_after_seconds} seconds."
        )


@cache
def _limiter(url: str) -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(url))


@cache
def _parse(spec: str) -> list[RateLimitItem]:
    return parse_many(spec)


def rate_limit_hit(*, operation: str, keys: dict[str, str | None]) -> None:
    """Count one ``operation`` against each key, or refuse it without counting.

    Args:
        operation: a key of TALK["RATE_LIMITS"], e.g. ``"comment"``.
        keys: key kind -> value, e.g. ``{"user": "<profile id>", "ip": "192.0.2.1"}``;
            kinds without a configured limit and None values are ignored.
    Raises:
        RateLimited: some limit is exhausted; ``retry_after_seconds`` says for how long.
            Nothing is counted then, so a refused call does not extend the wait.
    """
    if not talk_settings.RATE_LIMITS_ENABLED:
        return
    configured = talk_settings.RATE_LIMITS.get(operation, {})
    limiter = _limiter(talk_settings.RATE_LIMIT_STORAGE_URL)
    checks = []
    for kind, value in keys.items():
        if value is None or kind not in configured:
            continue
        for item in _parse(configured[kind]):
            checks.append((item, f"talk:{operation}:{kind}:{value}"))
    for item, key in checks:
        if not limiter.test(item, key):
            reset_at = limiter.get_window_stats(item, key).reset_time
            raise RateLimited(max(1, math.ceil(reset_at - time.time())))
    for item, key in checks:
        limiter.hit(item, key)


def rate_limit_reset() -> None:
    """Forget every counter (tests; an admin lifting limits after an incident)."""
    _limiter(talk_settings.RATE_LIMIT_STORAGE_URL).storage.reset()
