"""Create or update the "Demo" site, so the demo article's story can be created lazily."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from comments.models import Site
from comments.selectors import url_origin

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
        # TODO: move into a ``site_upsert`` service once comments/services.py has site writes.
        with transaction.atomic():
            clash = Site.objects.filter(domain=domain).exclude(name=DEMO_SITE_NAME).first()
            if clash is not None:
                raise CommandError(
                    f"Site {clash.name!r} already uses the domain {domain!r}; "
                    "rename it or pass another first --origin."
                )
            site = Site.objects.filter(name=DEMO_SITE_NAME).order_by("created_at", "id").first()
            created = site is None
            if created:
                site = Site(name=DEMO_SITE_NAME)
            site.domain = domain
            site.allowed_origins = origins
            site.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} site {site.name!r} ({domain}): {', '.join(origins)}")
        )
