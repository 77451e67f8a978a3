"""Live updates in the embed: two readers on one story, in two browser contexts.

What one reader posts reaches the other's page over the WebSocket, without a reload:
behind "View N new comments" (newest first), appended (oldest first), as "Show N new
replies" under a thread, and reaction counts as they change.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.test_stream import (
    OLDEST_IMPORTED,
    comment_article,
    open_story,
    post_comment,
    reply_to,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def other_page(browser, talk_server):
    """A second page in its own context (own cookies), like the ``page`` fixture."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, base_url=talk_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def signed_in(reader_session, talk_server):
    """Sign a page's context in as a new reader; return the reader's username."""

    def sign_in(page: Page) -> str:
        username = f"live_{uuid.uuid4().hex[:10]}"
        page.context.add_cookies(
            [{"name": "sessionid", "value": reader_session(username), "url": talk_server}]
        )
        return username

    return sign_in


def open_live(page: Page) -> FrameLocator:
    frame = open_story(page)
    frame.locator("main[data-live=open]").wait_for()
    return frame


def count_of(frame: FrameLocator) -> int:
    return int(frame.locator(".talk-count").inner_text())


def test_new_comments_and_replies_appear_without_a_reload(page, other_page, signed_in):
    # given: a signed-in writer and an anonymous reader on the same story (newest first)
    author = signed_in(page)
    writer = open_live(page)
    reader = open_live(other_page)
    count = count_of(reader)
    text = f"Live from the other window {uuid.uuid4().hex[:6]}"

    # when: the writer posts
    post_comment(writer, text)

    # then: the reader sees it behind a button, and the count at once
    new_comments = reader.get_by_role("button", name="View 1 new comment")
    expect(new_comments).to_be_visible()
    expect(reader.locator(".talk-count")).to_have_text(str(count + 1))
    expect(comment_article(reader, text)).to_have_count(0)
    new_comments.click()
    first = reader.locator("ol.talk-comments > li.talk-comment").first
    expect(first.locator(":scope > article .talk-content")).to_have_text(text)
    expect(first.locator(":scope > article .talk-author")).to_have_text(author)
    expect(new_comments).to_be_hidden()

    # when: the writer replies to it
    reply = f"A live reply {uuid.uuid4().hex[:6]}"
    reply_to(writer, text, reply, author)

    # then: the reader's thread offers it, and shows it nested
    new_replies = first.get_by_role("button", name="Show 1 new reply")
    expect(new_replies).to_be_visible()
    expect(reader.locator(".talk-count")).to_have_text(str(count + 2))
    new_replies.click()
    nested = first.locator(":scope > ol.talk-replies > li.talk-comment")
    expect(nested).to_have_count(1)
    expect(nested.locator(".talk-content")).to_have_text(reply)
    expect(nested).to_have_attribute("data-depth", "1")
    expect(new_replies).to_be_hidden()

    # when: the writer reacts to the reply; then the reader's count follows
    comment_article(writer, reply).get_by_role("button", name=re.compile("^Respect")).click()
    expect(nested.locator("[data-ref=react-count]")).to_have_text("1")


def test_oldest_first_appends_when_everything_is_loaded(page, other_page, signed_in):
    # given: the reader sorts oldest first and loads every page
    signed_in(page)
    writer = open_live(page)
    reader = open_live(other_page)
    reader.get_by_label("Sort by").select_option(label="Oldest")
    more = reader.get_by_role("button", name="Load more comments")
    items = reader.locator("ol.talk-comments > li")
    expect(items.first).to_contain_text(OLDEST_IMPORTED)
    while more.is_visible():
        shown = items.count()
        more.click()
        expect(items).not_to_have_count(shown)
    text = f"Appended at the end {uuid.uuid4().hex[:6]}"

    # when
    post_comment(writer, text)

    # then: it is appended at the end, no button
    last = reader.locator("ol.talk-comments > li.talk-comment").last
    expect(last.locator(":scope > article .talk-content")).to_have_text(text)
    expect(reader.get_by_role("button", name=re.compile("^View \\d+ new comment"))).to_be_hidden()
