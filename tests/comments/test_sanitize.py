import pytest

from comments.sanitize import plain_text_to_html, sanitize_body, visible_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>alert(1)</script>Hi", "Hi"),
        ("<style>p{color:red}</style><p>Hi</p>", "<p>Hi</p>"),
        ("<iframe src='https://evil.example'></iframe>after", "after"),
        ("<p onclick='steal()'>Hi</p>", "<p>Hi</p>"),
        ("<img src=x onerror=alert(1)>ok", "ok"),
        ("<b onmouseover='x()'>bold</b>", "<b>bold</b>"),
        ("<!-- hidden -->text", "text"),
        ("<div><span>x</span></div>", "x"),
        ("<h1>Title</h1>", "Title"),
        ("   <p>padded</p>  ", "<p>padded</p>"),
    ],
)
def test_dangerous_and_unknown_markup_is_removed(raw, expected):
    assert sanitize_body(raw) == expected


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x"],
)
def test_unsafe_link_schemes_lose_their_href(href):
    assert sanitize_body(f'<a href="{href}">x</a>') == '<a rel="nofollow ugc">x</a>'


def test_links_lose_target_and_rel_and_get_nofollow_ugc():
    raw = '<a href="https://example.com/a?b=1" target="_blank" rel="opener">x</a>'

    assert sanitize_body(raw) == '<a href="https://example.com/a?b=1" rel="nofollow ugc">x</a>'


def test_generic_title_and_lang_attributes_are_dropped():
    raw = '<p title="t" lang="en">x</p><a href="https://example.com/" title="t">y</a>'

    assert sanitize_body(raw) == '<p>x</p><a href="https://example.com/" rel="nofollow ugc">y</a>'


def test_mailto_links_are_allowed():
    assert (
        sanitize_body('<a href="mailto:desk@example.com">mail</a>')
        == '<a href="mailto:desk@example.com" rel="nofollow ugc">mail</a>'
    )


def test_allowed_tags_are_kept_verbatim():
    raw = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><blockquote>q</blockquote>"
        "<ul><li>1</li></ul><ol><li>2</li></ol><br><p>p</p>"
    )

    assert sanitize_body(raw) == raw


def test_visible_text_ignores_markup_unescapes_and_collapses_whitespace():
    body = "<p>Tom &amp; <b>Jerry</b></p>\n<p>  run\n  away </p>"

    assert visible_text(body) == "Tom & Jerry run away"
    assert len(visible_text(body)) == 20


def test_visible_text_of_markup_only_body_is_empty():
    assert visible_text(sanitize_body("<p> </p><br><script>x</script>")) == ""


def test_plain_text_becomes_paragraphs_and_breaks_with_escaping():
    assert plain_text_to_html("a\r\nb\n\n\n\nc <d>") == "<p>a<br>b</p><p>c &lt;d&gt;</p>"
