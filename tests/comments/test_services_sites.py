"""site_upsert and the setup_demo command built on it."""

import pytest
from django.core.management import CommandError, call_command

from comments.errors import SiteDomainTaken
from comments.models import Site
from comments.services import site_upsert
from tests.factories import SiteFactory


@pytest.mark.django_db
def test_site_upsert_creates_then_updates_by_name():
    site, created = site_upsert(
        name="Demo", domain="a.example", allowed_origins=["http://a.example"]
    )
    assert created is True
    again, created = site_upsert(
        name="Demo", domain="b.example", allowed_origins=["https://b.example"]
    )
    assert (again.pk, created) == (site.pk, False)
    assert Site.objects.get(pk=site.pk).allowed_origins == ["https://b.example"]
    assert Site.objects.count() == 1


@pytest.mark.django_db
def test_site_upsert_refuses_a_domain_of_another_site_and_changes_nothing():
    SiteFactory(name="News", domain="news.example")
    with pytest.raises(SiteDomainTaken):
        site_upsert(name="Demo", domain="news.example", allowed_origins=[])
    assert list(Site.objects.values_list("name", flat=True)) == ["News"]


@pytest.mark.django_db
def test_setup_demo_is_idempotent_and_validates_origins():
    call_command(
        "setup_demo", "--origin", "http://127.0.0.1:9000", "--origin", "http://localhost:9000"
    )
    call_command(
        "setup_demo", "--origin", "http://127.0.0.1:9000", "--origin", "http://localhost:9000"
    )
    site = Site.objects.get(name="Demo")
    assert (site.domain, site.allowed_origins) == (
        "127.0.0.1",
        ["http://127.0.0.1:9000", "http://localhost:9000"],
    )
    with pytest.raises(CommandError, match="is not an origin"):
        call_command("setup_demo", "--origin", "http://127.0.0.1:9000/some/path")
