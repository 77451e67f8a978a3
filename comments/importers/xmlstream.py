"""Streaming, hardened XML reading for the importers (defusedxml ``iterparse``).

Each thread, post or item is cleared once read, so memory does not grow with the file.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from comments.importers.records import (
    _FALLBACK_NAMESPACES,
    _MAX_PROLOG,
    CommentImportError,
)

# --- streaming XML --------------------------------------------------------------------


def local_name(tag: str) -> str:
    """Return the local part of an ElementTree tag (``{uri}name`` -> ``name``)."""
    return tag.rsplit("}", 1)[-1]


def _find_root_tag(head: bytes) -> tuple[int, int, bytes] | None:
    """Return (start, end, qualified name) of the root start tag in ``head``.

    ``end`` is the index of its closing ``>``. Returns None when ``head`` does not hold
    the whole tag yet. Skips the XML declaration, processing instructions, comments and
    a doctype.
    """
    pos = 0
    while True:
        lt = head.find(b"<", pos)
        if lt < 0 or len(head) < lt + 4:
            return None
        if head.startswith(b"<?", lt):
            end = head.find(b"?>", lt + 2)
            if end < 0:
                return None
            pos = end + 2
        elif head.startswith(b"<!--", lt):
            end = head.find(b"-->", lt + 4)
            if end < 0:
                return None
            pos = end + 3
        elif head.startswith(b"<!", lt):
            gt = head.find(b">", lt)
            bracket = head.find(b"[", lt)
            if 0 <= bracket < gt:  # internal subset: skip to "]>"
                gt = head.find(b"]", bracket)
                gt = head.find(b">", gt) if gt >= 0 else -1
            if gt < 0:
                return None
            pos = gt + 1
        else:
            match = re.match(rb"<([^\s/>]+)", head[lt:])
            if match is None:
                return None
            quote = 0
            for index in range(lt + 1, len(head)):
                char = head[index]
                if quote:
                    if char == quote:
                        quote = 0
                elif char in (0x22, 0x27):
                    quote = char
                elif char == 0x3E:
                    return lt, index, match.group(1)
            return None


class _DeclaringReader(io.RawIOBase):
    """A binary stream that adds declarations of undeclared well-known prefixes.

    Reads until the root start tag is complete (at most 1 MiB), inserts
    ``xmlns:atom="..."`` into it when the tag does not declare that prefix, then passes
    the rest of the file through unchanged, chunk by chunk. ``root_name`` is the root
    element's qualified name (None when no root element was found).
    """

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._head: bytes | None = None
        self.root_name: str | None = None

    def _prime(self) -> None:
        buffer = b""
        found = None
        while found is None and len(buffer) < _MAX_PROLOG:
            chunk = self._raw.read(64 * 1024)
            if not chunk:
                break
            buffer += chunk
            found = _find_root_tag(buffer)
        if found is not None:
            start, end, qname = found
            tag = buffer[start:end]
            declarations = b"".join(
                b' xmlns:%s="%s"' % (prefix, uri)
                for prefix, uri in _FALLBACK_NAMESPACES.items()
                if re.search(rb"\sxmlns:" + prefix + rb"\s*=", tag) is None
            )
            insert_at = start + 1 + len(qname)
            buffer = buffer[:insert_at] + declarations + buffer[insert_at:]
            self.root_name = qname.decode("utf-8", "replace")
        self._head = buffer

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head is None:
            self._prime()
        assert self._head is not None
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._raw.read(), b""
            else:
                data, self._head = self._head[:size], self._head[size:]
            return data
        return self._raw.read(size)


ExportFile = str | os.PathLike[str] | IO[bytes]


@contextmanager
def open_export(file: ExportFile) -> Iterator[_DeclaringReader]:
    """Open an export for one streaming pass; the importers make several.

    Args:
        file: a path, or a seekable binary file object (rewound to its start).
    Raises:
        CommentImportError: the file cannot be opened.
    """
    if isinstance(file, str | os.PathLike):
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommentImportError(f"Cannot read {os.fspath(file)}: {exc.strerror}.")
        with handle:
            yield _DeclaringReader(handle)
    else:
        file.seek(0)
        yield _DeclaringReader(file)


def sniff_root_element(file: ExportFile) -> str | None:
    """Return the qualified name of ``file``'s root element (e.g. ``rss``), None if none."""
    with open_export(file) as stream:
        stream.read(1)
        return stream.root_name


def iter_xml(stream: IO[bytes]) -> Iterator[tuple[str, Element]]:
    """Yield ``("start"|"end", element)`` events of ``stream``, parsed safely.

    Raises:
        CommentImportError: the XML is malformed, or uses entities or external
            references (refused by defusedxml).
    """
    try:
        yield from iterparse(stream, events=("start", "end"))
    except ParseError as exc:
        raise CommentImportError(f"Malformed XML: {exc}.")
    except DefusedXmlException as exc:
        raise CommentImportError(f"Refused XML: {exc}.")
