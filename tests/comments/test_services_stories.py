"""story_find_or_create and story_get_accepting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.errors import SiteNotFound, StoryClosed, StoryNotFound, StoryURLInvalid
from comments.models import Story
from comments.services import story_find_or_create, story_get_accepting
from tests.conftest import EMBED_ORIGIN, SITE_DOMAIN
from tests.factories import SiteFactory, StoryFactory

pytestmark = pytest.mark.django_db


def test_url_on_an_allowed_origin_creates_story_on_that_site(site):
    url = f"{EMBED_ORIGIN}/2024/new-article"

    story = story_find_or_create(url=url, title="New article")

    saved = Story.objects.get()
    assert saved.pk == story.pk
    assert (saved.site_id, saved.url, saved.title, saved.comment_count) == (
        site.pk,
        url,
        "New article",
        0,
    )


def test_url_whose_host_is_the_site_domain_creates_story(db):
    # given: a site that lists no origins at all
    blog = SiteFactory(domain="blog.example.net", allowed_origins=[])

    # when
    story = story_find_or_create(url="http://blog.example.net/post/1")

    # then
    assert Story.objects.get(pk=story.pk).site_id == blog.pk


def test_origin_match_ignores_case_and_trailing_slash(db):
    site = SiteFactory(domain="a.example.com", allowed_origins=["HTTPS://Embed.Example.com/"])

    story = story_find_or_create(url="https://embed.example.com/x")

    assert story.site_id == site.pk


def test_origin_must_match_scheme_and_port(site):
    with pytest.raises(SiteNotFound):
        story_find_or_create(url="http://embed.example.org/x")
    with pytest.raises(SiteNotFound):
        story_find_or_create(url="https://embed.example.org:8443/x")

    assert Story.objects.count() == 0


def test_second_call_returns_the_same_story(site):
    url = f"https://{SITE_DOMAIN}/same"

    first = story_find_or_create(url=url)
    second = story_find_or_create(url=f"  {url} ", title="ignored")

    assert first.pk == second.pk
    assert Story.objects.count() == 1
    assert Story.objects.get().title == ""


def test_unknown_origin_raises_site_not_found(site):
    with pytest.raises(SiteNotFound) as excinfo:
        story_find_or_create(url="https://elsewhere.example.com/article")

    assert excinfo.value.field == "storyURL"
    assert Story.objects.count() == 0


def test_lazy_creation_off_raises_story_not_found(settings, site):
    settings.TALK = {"LAZY_STORY_CREATION": False}

    with pytest.raises(StoryNotFound):
        story_find_or_create(url=f"https://{SITE_DOMAIN}/unknown")

    assert Story.objects.count() == 0


def test_lazy_creation_off_still_finds_existing_story(settings, story):
    settings.TALK = {"LAZY_STORY_CREATION": False}

    assert story_find_or_create(url=story.url).pk == story.pk


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "/relative/path",
        "news.example.com/no-scheme",
        "ftp://news.example.com/file",
        "javascript:alert(1)",
        "https://",
        f"https://{SITE_DOMAIN}/" + "a" * 2000,
    ],
)
def test_invalid_url_raises_story_url_invalid(site, url):
    with pytest.raises(StoryURLInvalid) as excinfo:
        story_find_or_create(url=url)

    assert excinfo.value.field == "storyURL"
    assert Story.objects.count() == 0


@pytest.mark.parametrize("url", [f"https://{SITE_DOMAIN}:99999/a", f"https://{SITE_DOMAIN}:x/a"])
def test_url_with_invalid_port_raises_story_url_invalid(site, url):
    with pytest.raises(StoryURLInvalid):
        story_find_or_create(url=url)


def test_long_title_is_cut_to_500_characters(site):
    story = story_find_or_create(url=f"https://{SITE_DOMAIN}/t", title="t" * 600)

    assert len(Story.objects.get(pk=story.pk).title) == 500


def test_get_accepting_returns_open_story(story):
    assert story_get_accepting(story_id=story.pk).pk == story.pk


def test_get_accepting_raises_for_closed_and_missing(story):
    story.closed_at = timezone.now() - timedelta(minutes=1)
    story.save()

    with pytest.raises(StoryClosed):
        story_get_accepting(story_id=story.pk)
    with pytest.raises(StoryNotFound):
        story_get_accepting(story_id=StoryFactory.build().pk)
