"""Comment importers: Disqus exports and WordPress WXR files (see each module).

Each format has a streaming parser yielding plain records and a service function
(``import_disqus``, ``import_wordpress``); :func:`import_comments` detects the format
and calls the right one. All share :class:`~comments.importers.writer.ImportWriter`.
"""

from __future__ import annotations

from comments.importers.disqus import import_disqus
from comments.importers.records import CommentImportError, ImportSummary
from comments.importers.wordpress import import_wordpress
from comments.importers.xmlstream import ExportFile, local_name, sniff_root_element

__all__ = [
    "FORMATS",
    "CommentImportError",
    "ImportSummary",
    "detect_format",
    "import_comments",
    "import_disqus",
    "import_wordpress",
]

FORMATS = ("disqus", "wordpress")
_ROOTS = {"disqus": "disqus", "rss": "wordpress"}


def detect_format(*, file: ExportFile) -> str:
    """Return ``"disqus"`` or ``"wordpress"`` from the file's root element.

    Raises:
        CommentImportError: unreadable file, no root element, or an unknown one.
    """
    root = sniff_root_element(file)
    if root is None:
        raise CommentImportError("Not an XML export: no root element found.")
    detected = _ROOTS.get(local_name(root).split(":")[-1])
    if detected is None:
        raise CommentImportError(
            f"Unknown export format: root element <{root}>; expected <disqus> (Disqus) "
            "or <rss> (WordPress WXR). Give --format to force one."
        )
    return detected


def import_comments(
    *,
    file: ExportFile,
    format: str | None = None,
    site_domain: str | None = None,
    include_pings: bool = False,
) -> ImportSummary:
    """Import a Disqus or WordPress export, detecting which when ``format`` is None.

    Args:
        format: ``"disqus"``, ``"wordpress"``, or None to detect it from the root element.
        site_domain: see :func:`import_disqus`.
        include_pings: WordPress only: import pingbacks and trackbacks too.
    Returns:
        The summary of the import.
    Raises:
        CommentImportError: unknown format, unreadable or malformed file. Nothing has
            been written then.
    """
    format = format or detect_format(file=file)
    if format == "disqus":
        return import_disqus(file=file, site_domain=site_domain)
    if format == "wordpress":
        return import_wordpress(file=file, site_domain=site_domain, include_pings=include_pings)
    raise CommentImportError(f"Unknown format {format!r}: use one of {', '.join(FORMATS)}.")
