"""Create or update the "Demo" site, so the demo article's story can be created lazily."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from comments.errors import SiteDomainTaken
from comments.selectors import url_origin
from comments.services import site_upsert

DEMO_SITE_NAME = "Demo"
DEFAULT_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


class Command(BaseCommand):
    help = (
        'Create or update the "Demo" site: domain = host of the first origin, allowed '
        "origins = the given ones (default: http://127.0.0.1:8000 http://localhost:8000). "
        "Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            metavar="ORIGIN",
            help="scheme://host[:port] allowed to embed the demo; repeat for several.",
        )

    def handle(self, *args, **options):
        origins = []
        for raw in options["origins"] or DEFAULT_ORIGINS:
            origin = url_origin(raw)
            if origin is None or urlsplit(raw.strip()).path.strip("/"):
                raise CommandError(f"{raw!r} is not an origin like http://127.0.0.1:8000.")
            if origin not in origins:
                origins.append(origin)
        domain = urlsplit(origins[0]).hostname or ""
        try:
            site, created = site_upsert(name=DEMO_SITE_NAME, domain=domain, allowed_origins=origins)
        except SiteDomainTaken as exc:
            raise CommandError(f"{exc.message} Rename it or pass another first --origin.")
        verb = "Created" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} site {site.name!r} ({domain}): {', '.join(origins)}")
        )
