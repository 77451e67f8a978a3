"""Clients of the external moderation services: Akismet (spam) and Perspective (toxicity).

Both are plain HTTPS calls made with ``httpx`` and an explicit timeout, and they run
inside the posting request (asynchronous scans as jobs come later), so the timeout stays
small: ``TALK["EXTERNAL_MODERATION_TIMEOUT_SECONDS"]`` (2 s by default). httpx applies it
to each step of the exchange (connect, send, each read), so a server that does not answer
costs about that long; one that trickles bytes could cost a few times more. The calls
happen inside the comment's database transaction (on an edit the comment row is locked
meanwhile), another reason to keep the timeout small.

Every failure (timeout, network error, HTTP error status, a reply we cannot read) is
raised as :class:`ExternalCheckUnavailable`; the phases then hold the comment for review
rather than publish it unchecked or lose it.
"""

from __future__ import annotations

from datetime import datetime

import httpx

# What Coral asks Perspective for (TOXICITY_MODEL_DEFAULT).
PERSPECTIVE_ATTRIBUTE = "TOXICITY"


class ExternalCheckUnavailable(Exception):
    """An external check gave no usable answer (timeout, network, HTTP error, bad reply).

    The message is short and never contains the request URL (Perspective's carries the
    API key), so it may be logged and shown to moderators.
    """


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return exc.__class__.__name__


def akismet_comment_check(
    *,
    endpoint: str,
    api_key: str,
    blog_url: str,
    timeout_seconds: float,
    content: str,
    permalink: str,
    author_name: str,
    user_ip: str | None,
    created_at: datetime,
) -> bool:
    """Ask Akismet's comment-check whether a comment is spam.

    Sends a form POST (API 1.1, key as the ``api_key`` field) and reads the body:
    ``true`` is spam, ``false`` is not.

    Args:
        endpoint: the comment-check URL (TALK["AKISMET_ENDPOINT"]).
        blog_url: Akismet's ``blog``, the front page of the site.
        timeout_seconds: per connect/send/read step.
        content: the comment as sanitised HTML (links are a signal).
        user_ip: the commenter's address; empty when unknown (edits).
        created_at: UTC-aware; sent as ``comment_date_gmt``.
    Returns:
        True when Akismet says spam.
    Raises:
        ExternalCheckUnavailable: any other outcome, e.g. ``invalid`` (bad key), a
            non-200 status, a timeout or a network error.
    """
    form = {
        "api_key": api_key,
        "blog": blog_url,
        "user_ip": user_ip or "",
        "permalink": permalink,
        "comment_type": "comment",
        "comment_author": author_name,
        "comment_content": content,
        "comment_date_gmt": created_at.isoformat(),
        "blog_charset": "UTF-8",
    }
    try:
        response = httpx.post(endpoint, data=form, timeout=httpx.Timeout(timeout_seconds))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ExternalCheckUnavailable(f"Akismet: {_describe(exc)}") from exc
    answer = response.text.strip()
    if answer == "true":
        return True
    if answer == "false":
        return False
    raise ExternalCheckUnavailable(f"Akismet: unexpected reply {answer[:20]!r}")


def perspective_toxicity_score(
    *, endpoint: str, api_key: str, timeout_seconds: float, text: str
) -> float:
    """Ask Perspective's comments:analyze for the TOXICITY summary score of ``text``.

    The request sets ``doNotStore`` (Coral's default), and leaves the language to
    Perspective's detection.

    Args:
        endpoint: the comments:analyze URL (TALK["PERSPECTIVE_ENDPOINT"]); the key is
            sent as the ``key`` query parameter.
        timeout_seconds: per connect/send/read step.
        text: the comment's visible text.
    Returns:
        ``attributeScores.TOXICITY.summaryScore.value``, 0 to 1.
    Raises:
        ExternalCheckUnavailable: timeout, network error, non-200 status (including
            Perspective's 400 for a language it does not support), or a reply without
            the score.
    """
    payload = {
        "comment": {"text": text},
        "requestedAttributes": {PERSPECTIVE_ATTRIBUTE: {}},
        "doNotStore": True,
    }
    try:
        response = httpx.post(
            endpoint,
            params={"key": api_key},
            json=payload,
            timeout=httpx.Timeout(timeout_seconds),
        )
        response.raise_for_status()
        score = response.json()["attributeScores"][PERSPECTIVE_ATTRIBUTE]["summaryScore"]["value"]
        return float(score)
    except httpx.HTTPError as exc:
        raise ExternalCheckUnavailable(f"Perspective: {_describe(exc)}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ExternalCheckUnavailable("Perspective: unreadable reply") from exc
