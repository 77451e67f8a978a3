"""The story scraper: parsing saved article pages, fetching limits, the task's retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from celery.exceptions import Retry

from comments.models import Story
from tasks import services
from tasks.scraper import (
    ScrapeError,
    ScrapeTransientError,
    StoryMetadata,
    metadata_parse,
    page_fetch,
)
from tasks.tasks import story_scrape_task
from tests.factories import StoryFactory
from tests.tasks.conftest import FIXTURES

UA = "TalkTest/1.0 (+scraper tests)"
FETCH = {"timeout_seconds": 5, "max_bytes": 5 * 1024 * 1024, "user_agent": UA}


def _parse(name: str, url: str = "https://news.example.com/2024/05/story") -> StoryMetadata:
    return metadata_parse(content=(FIXTURES / name).read_bytes(), url=url)


# -- parsing ---------------------------------------------------------------------------


def test_open_graph_page_gives_every_field():
    metadata = _parse("article_opengraph.html")

    assert metadata == StoryMetadata(
        title="Council votes to pedestrianise High Street",
        description=(
            "After a three-hour debate, councillors backed the plan 27 to 12. "
            "Traders say they were not consulted & will appeal."
        ),
        image_url="https://news.example.com/images/2024/05/high-street-1200x630.jpg",
        author="Priya Shah",  # article:author is a profile URL, so the meta author wins
        section="Local politics",
        published_at=datetime(2024, 5, 14, 18, 32, tzinfo=timezone(timedelta(hours=1))),
    )


def test_json_ld_news_article_inside_graph_gives_every_field():
    metadata = _parse("article_jsonld.html")

    assert metadata == StoryMetadata(
        title="Storm Ciarán: rail services suspended across the south-west",
        description=(
            "Network Rail has closed lines west of Exeter as winds of up to 90mph are forecast."
        ),
        image_url="https://cdn.times.example.org/img/storm-ciaran-16x9.jpg",
        author="Tom Evans, Aisha Khan",
        section="Weather",
        published_at=datetime(2023, 11, 1, 6, 5, tzinfo=UTC),
    )


def test_title_and_meta_description_only_page_in_windows_1252():
    metadata = _parse("article_plain.html")

    assert metadata == StoryMetadata(
        title="Parish notes: church roof appeal passes £50,000",
        description="The appeal to repair St Mary's roof has reached its target, six months early.",
    )


def test_empty_page_parses_to_empty_metadata():
    metadata = metadata_parse(content=b"<html><body><p>hi</p></body></html>", url="https://a.b/")

    assert metadata.is_empty()


def test_not_html_is_a_scrape_error():
    with pytest.raises(ScrapeError):
        metadata_parse(content=b"", url="https://a.b/")


def test_json_ld_entities_are_decoded_and_long_values_cut():
    title = "A &amp; B " + "x" * 600
    content = (
        '<html><head><script type="application/ld+json">'
        f'{{"@type": "BlogPosting", "headline": "{title}", "image": {{"url": "javascript:x"}},'
        ' "author": "Jo Bloggs", "datePublished": "2024-02-29"}'
        "</script></head></html>"
    ).encode()

    metadata = metadata_parse(content=content, url="https://blog.example.com/p/1")

    assert metadata.title == ("A & B " + "x" * 600)[:500]
    assert metadata.image_url == ""  # not http(s)
    assert metadata.author == "Jo Bloggs"
    assert metadata.published_at == datetime(2024, 2, 29, tzinfo=UTC)


# -- fetching --------------------------------------------------------------------------


def test_fetch_sends_the_user_agent_and_returns_the_page(article_server):
    url = f"{article_server.base_url}/articles/article_opengraph.html"

    page = page_fetch(url=url, **FETCH)

    assert page.url == url
    assert page.content == (FIXTURES / "article_opengraph.html").read_bytes()
    assert article_server.requests[0][1]["User-Agent"] == UA


def test_fetch_follows_http_redirects(article_server):
    target = f"{article_server.base_url}/articles/article_jsonld.html"

    page = page_fetch(url=f"{article_server.base_url}/redirect?to={target}", **FETCH)

    assert page.url == target


@pytest.mark.parametrize("target", ["ftp://files.example.com/a.html", "javascript:alert(1)"])
def test_fetch_refuses_redirects_to_other_schemes(article_server, target):
    with pytest.raises(ScrapeError, match="not an http|invalid URL") as caught:
        page_fetch(url=f"{article_server.base_url}/redirect?to={target}", **FETCH)

    assert not isinstance(caught.value, ScrapeTransientError)

    assert len(article_server.requests) == 1


@pytest.mark.parametrize("route", ["articles", "chunked"])  # with and without Content-Length
def test_fetch_refuses_a_page_over_the_cap(article_server, route):
    size = (FIXTURES / "article_huge.html").stat().st_size
    assert size > 256 * 1024

    with pytest.raises(ScrapeError, match="larger than 262144 bytes") as caught:
        page_fetch(
            url=f"{article_server.base_url}/{route}/article_huge.html",
            timeout_seconds=5,
            max_bytes=256 * 1024,
            user_agent=UA,
        )

    assert not isinstance(caught.value, ScrapeTransientError)


def test_fetch_times_out_on_a_slow_server(article_server):
    started = datetime.now(UTC)

    with pytest.raises(ScrapeTransientError, match="timed out"):
        page_fetch(
            url=f"{article_server.base_url}/slow/article_slow.html",
            timeout_seconds=0.5,
            max_bytes=1024 * 1024,
            user_agent=UA,
        )

    assert datetime.now(UTC) - started < timedelta(seconds=2.5)  # the server answers at 3 s


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("status/404", ScrapeError),
        ("status/410", ScrapeError),
        ("image.png", ScrapeError),
        ("status/503", ScrapeTransientError),
        ("status/429", ScrapeTransientError),
    ],
)
def test_fetch_failures_are_transient_or_not(article_server, path, error):
    with pytest.raises(ScrapeError) as caught:
        page_fetch(url=f"{article_server.base_url}/{path}", **FETCH)

    assert type(caught.value) is error


def test_fetch_network_error_is_transient():
    with pytest.raises(ScrapeTransientError, match="network error"):
        page_fetch(url="http://127.0.0.1:9/closed", **FETCH)


# -- the service and the task ----------------------------------------------------------


@pytest.fixture
def scrape_settings(settings):
    settings.TALK = {**settings.TALK, "SCRAPE_USER_AGENT": UA, "SCRAPE_TIMEOUT_SECONDS": 5}
    return settings


def test_task_fills_the_story_from_its_page(db, article_server, scrape_settings):
    story = StoryFactory(url=f"{article_server.base_url}/articles/article_jsonld.html", title="")

    story_scrape_task(str(story.pk))

    story.refresh_from_db()
    assert story.title == "Storm Ciarán: rail services suspended across the south-west"
    assert story.author == "Tom Evans, Aisha Khan"
    assert story.section == "Weather"
    assert story.image_url == "https://cdn.times.example.org/img/storm-ciaran-16x9.jpg"
    assert story.published_at == datetime(2023, 11, 1, 6, 5, tzinfo=UTC)
    assert story.scraped_at is not None


def test_fields_the_page_lacks_keep_their_value(db, article_server, scrape_settings):
    story = StoryFactory(
        url=f"{article_server.base_url}/articles/article_plain.html",
        title="Given by the embed",
        author="Desk",
    )

    services.story_scrape(story_id=story.pk)

    story.refresh_from_db()
    assert story.title == "Parish notes: church roof appeal passes £50,000"
    assert story.author == "Desk"
    assert story.image_url == ""


@pytest.mark.parametrize("path", ["slow/article_slow.html", "status/503"])
def test_transient_failure_retries_with_backoff_and_leaves_the_story(
    db, article_server, scrape_settings, retry_calls, path
):
    scrape_settings.TALK = {**scrape_settings.TALK, "SCRAPE_TIMEOUT_SECONDS": 0.5}
    story = StoryFactory(url=f"{article_server.base_url}/{path}", title="Before")
    calls = retry_calls(story_scrape_task)

    result = story_scrape_task.apply(args=[str(story.pk)], retries=2)

    assert isinstance(result.result, Retry)
    assert [call["countdown"] for call in calls] == [40]  # 10 s * 2**2
    assert isinstance(calls[0]["exc"], ScrapeTransientError)
    unchanged = Story.objects.get(pk=story.pk)
    assert (unchanged.title, unchanged.scraped_at) == ("Before", None)


@pytest.mark.parametrize(
    "path", ["status/404", "articles/article_huge.html", "image.png", "redirect?to=ftp://x/"]
)
def test_permanent_failure_is_not_retried_and_leaves_the_story(
    db, article_server, scrape_settings, retry_calls, path
):
    scrape_settings.TALK = {**scrape_settings.TALK, "SCRAPE_MAX_BYTES": 256 * 1024}
    story = StoryFactory(url=f"{article_server.base_url}/{path}", title="Before")
    calls = retry_calls(story_scrape_task)

    result = story_scrape_task.apply(args=[str(story.pk)])

    assert result.successful()
    assert calls == []
    unchanged = Story.objects.get(pk=story.pk)
    assert (unchanged.title, unchanged.scraped_at) == ("Before", None)


def test_task_gives_up_after_five_attempts(db, article_server, scrape_settings):
    story = StoryFactory(url=f"{article_server.base_url}/status/502", title="Before")

    result = story_scrape_task.apply(args=[str(story.pk)])  # eager: retries run at once

    assert result.failed()
    assert isinstance(result.result, ScrapeTransientError)
    assert len(article_server.requests) == 5


def test_task_does_nothing_when_scraping_is_off(db, article_server, settings):
    settings.TALK = {**settings.TALK, "SCRAPING_ENABLED": False}
    story = StoryFactory(url=f"{article_server.base_url}/articles/article_opengraph.html")

    story_scrape_task(str(story.pk))

    assert article_server.requests == []


def test_task_for_a_deleted_story_is_harmless(db):
    story_scrape_task("00000000-0000-0000-0000-000000000000")
