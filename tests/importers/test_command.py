"""``manage.py import_comments``: detection, options, the summary, and refusals."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from comments.importers import writer
from comments.models import Comment, Site, Story
from moderation.models import Profile
from tests.importers.conftest import disqus_export, disqus_post, disqus_thread, snapshot


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_comments", *args, stdout=out)
    return out.getvalue()


def assert_nothing_written() -> None:
    assert not Site.objects.exists()
    assert not Story.objects.exists()
    assert not Comment.objects.exists()
    assert not Profile.objects.exists()


@pytest.mark.django_db
def test_disqus_export_is_detected_and_summarised(data_file):
    output = run(str(data_file("isso-disqus.xml")))

    assert output == (
        "Imported a disqus export.\n"
        "Sites: 2 created\n"
        "Stories: 2 created, 0 already present\n"
        "Comments: 5 imported (NONE: 4, REJECTED: 1), 0 already present\n"
        "Replies imported as top-level comments (parent missing): 0\n"
        "Authors: 3 created (unclaimed profiles)\n"
        "Threads skipped: 1 (no valid http(s) link: 1)\n"
        "Comments skipped: 1 (thread missing from the export: 1)\n"
    )


@pytest.mark.django_db
def test_second_run_reports_everything_as_present(data_file):
    run(str(data_file("isso-disqus.xml")))

    output = run(str(data_file("isso-disqus.xml")))

    assert "Stories: 0 created, 2 already present\n" in output
    assert "Comments: 0 imported, 5 already present\n" in output
    assert "Authors: 0 created (unclaimed profiles)\n" in output


@pytest.mark.django_db
def test_wordpress_export_is_detected_and_pings_are_opt_in(data_file):
    path = str(data_file("wordpress-theme-unit-test.xml"))

    output = run(path)

    assert output.startswith("Imported a wordpress export.\n")
    assert "Comments: 29 imported (APPROVED: 26, PREMOD: 3), 0 already present\n" in output
    assert "Threads skipped: 179 (no comments to import: 179)\n" in output
    assert (
        "Comments skipped: 4 (pingback (see --include-pings): 2,"
        " trackback (see --include-pings): 2)\n"
    ) in output
    output = run(path, "--include-pings")
    assert "Comments: 4 imported (APPROVED: 4), 29 already present\n" in output


@pytest.mark.django_db
def test_site_option_creates_the_site(data_file):
    run(str(data_file("isso-wordpress.xml")), "--site", "news.example.com")

    site = Site.objects.get()
    assert (site.domain, site.name) == ("news.example.com", "news.example.com")
    assert site.allowed_origins == ["https://news.example.com", "http://news.example.com"]
    assert set(Story.objects.values_list("site", flat=True)) == {site.pk}


@pytest.mark.django_db
def test_forced_format_that_does_not_match(data_file):
    with pytest.raises(CommandError, match="Not a WordPress export"):
        run(str(data_file("isso-disqus.xml")), "--format", "wordpress")

    assert_nothing_written()


@pytest.mark.django_db
def test_malformed_file_changes_nothing(tmp_path, data_file, monkeypatch):
    # given: data already imported, and an export whose first records are fine (written
    # at once with batches of one, were they not checked first)
    monkeypatch.setattr(writer, "BATCH_SIZE", 1)
    run(str(data_file("isso-disqus.xml")))
    before = snapshot()
    complete = disqus_export(
        disqus_thread("100", "https://news.example.com/a"),
        disqus_post("101", "100"),
        disqus_post("102", "100"),
    )
    path = tmp_path / "truncated.xml"
    path.write_bytes(complete[: complete.index(b'<post dsq:id="102"') + 40])

    # when / then
    with pytest.raises(CommandError, match=r"truncated\.xml: Malformed XML: .*line"):
        run(str(path))
    assert snapshot() == before


@pytest.mark.django_db
def test_malformed_wordpress_file_changes_nothing(tmp_path, data_file, monkeypatch):
    monkeypatch.setattr(writer, "BATCH_SIZE", 1)
    complete = data_file("wordpress-theme-unit-test.xml").read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(complete[: int(len(complete) * 0.9)])

    with pytest.raises(CommandError, match="Malformed XML"):
        run(str(path))

    assert_nothing_written()


@pytest.mark.django_db
def test_malformed_file_on_an_empty_database(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(
        disqus_export(disqus_thread("1", "https://a.example/x")).replace(b"</thread>", b"")
    )

    with pytest.raises(CommandError, match="Malformed XML"):
        run(str(path))

    assert_nothing_written()


@pytest.mark.django_db
def test_entities_are_refused(tmp_path):
    path = tmp_path / "entities.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        b'<disqus xmlns="http://disqus.com"><thread><link>&b;</link></thread></disqus>'
    )

    with pytest.raises(CommandError, match="Refused XML"):
        run(str(path))

    assert_nothing_written()


@pytest.mark.django_db
def test_unknown_format(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>')

    with pytest.raises(CommandError, match=r"Unknown export format: root element <feed>"):
        run(str(path))


@pytest.mark.django_db
def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nope.xml"))


@pytest.mark.django_db
def test_invalid_site_domain(data_file):
    with pytest.raises(CommandError, match="is not a domain"):
        run(str(data_file("isso-disqus.xml")), "--site", "https://news.example.com/")

    assert_nothing_written()
