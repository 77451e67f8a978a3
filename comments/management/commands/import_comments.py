"""``manage.py import_comments FILE``: import a Disqus or WordPress export."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from comments.importers import FORMATS, CommentImportError, import_comments


class Command(BaseCommand):
    help = (
        "Import stories, threaded comments and authors (as unclaimed profiles) from a "
        "Disqus export or a WordPress WXR file. Streams the file; running it again "
        "duplicates nothing. Prints a summary of what was imported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the export (XML).")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="The export's format; detected from the root element when not given.",
        )
        parser.add_argument(
            "--site",
            dest="site_domain",
            metavar="DOMAIN",
            help=(
                "Import every story into the site with this domain (created when missing); "
                "by default each story goes to the site of its URL's host."
            ),
        )
        parser.add_argument(
            "--include-pings",
            action="store_true",
            help="WordPress: import pingbacks and trackbacks as comments too.",
        )

    def handle(self, *args, **options):
        try:
            summary = import_comments(
                file=options["file"],
                format=options["format"],
                site_domain=options["site_domain"],
                include_pings=options["include_pings"],
            )
        except CommentImportError as exc:
            raise CommandError(f"{options['file']}: {exc.message}") from exc
        self.stdout.write(summary.as_text())
