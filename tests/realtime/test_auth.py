"""Origin handling of the websocket handshake (realtime.auth)."""

import pytest

from realtime.auth import is_same_origin, normalise_origin


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        (None, None),
        ("null", None),  # an opaque origin (sandboxed frame, file:)
        ("HTTPS://News.Example.com", "https://news.example.com"),
        ("http://[::1]:8000", "http://[::1]:8000"),  # IPv6 keeps its brackets
        ("http://example.com:99999", None),  # a port no origin can have
        ("ftp://example.com", None),
    ],
)
def test_normalise_origin(raw, origin):
    assert normalise_origin(raw) == origin


def test_ipv6_loopback_is_talks_own_origin(settings):
    settings.ALLOWED_HOSTS = ["[::1]"]
    assert is_same_origin(normalise_origin("http://[::1]:8000"), "[::1]:8000")
    assert not is_same_origin(normalise_origin("http://[::1]:8000"), "[::1]:9000")
