"""The embed in a real browser: demo pages, the stream iframe, and what readers do in it."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import FrameLocator, Page, expect

pytestmark = pytest.mark.browser

STORY_TITLE = "Yeşil Mavi Hayat"  # the Disqus export's thread, https://yesilmavihayat.com/yorumlar
NEWEST_IMPORTED = "Sevgili Meltemciğim, Yeşil Mavi Hayat isimli kitabını okudum"
SECOND_NEWEST_IMPORTED = "Meltemim, çok beğendim. Rahat, sade, ama derin"
OLDEST_IMPORTED = "Hepinize tüm desteğiniz ve gönderdiğiniz fotoğraflar için"
THIRD_OLDEST_IMPORTED = "Öncelikle arkasında çok büyük bir araştırma"
FOURTH_OLDEST_IMPORTED = "Elime almam ile akisi"
PASSWORD = "plum-harbour-walrus-42"
FRAME_FITS_CONTENT = """() => {
  const iframe = document.querySelector("#talk-embed iframe");
  const inner = iframe.contentDocument.documentElement.getBoundingClientRect().height;
  return inner > 100 && Math.abs(iframe.getBoundingClientRect().height - inner) <= 1;
}"""


def open_story(page: Page, title: str = STORY_TITLE) -> FrameLocator:
    page.goto("/")
    # "/" embeds the demo article's stream above the story list: let the iframe reach its
    # final height first, or the link moves under the click.
    page.wait_for_function(FRAME_FITS_CONTENT)
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(r"/demo/story/[0-9a-f-]{36}$"))
    frame = page.frame_locator("#talk-embed iframe")
    expect(frame.locator(".talk-header")).to_be_visible()
    frame.locator("main[aria-busy=false]").wait_for()
    return frame


def sign_up(frame: FrameLocator) -> str:
    username = f"reader_{uuid.uuid4().hex[:10]}"
    frame.get_by_role("tab", name="Create account").click()
    form = frame.locator("#talk-sign-up")
    form.get_by_label("Email address").fill(f"{username}@example.com")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect(frame.locator(".talk-viewer")).to_have_text(
        re.compile(rf"Signed in as\s+{username}\s+·\s+Sign out")
    )
    return username


def post_comment(frame: FrameLocator, text: str) -> None:
    frame.get_by_role("textbox", name="Post a comment").fill(text)
    frame.locator("[data-ref=composer-slot]").get_by_role("button", name="Post").click()
    expect(comment_article(frame, text)).to_be_visible()


def reply_to(frame: FrameLocator, parent_text: str, text: str, parent_author: str) -> None:
    parent = comment_article(frame, parent_text)
    parent.get_by_role("button", name="Reply").click()
    frame.get_by_role("textbox", name=f"Reply to {parent_author}").fill(text)
    parent.locator("form").get_by_role("button", name="Reply").click()
    expect(frame.locator("article .talk-content", has_text=text)).to_be_visible()


def comment_article(frame: FrameLocator, text: str):
    """The <article> of the comment showing ``text`` (without its replies)."""
    return frame.locator("article.talk-comment-body", has_text=text)


def top_level_texts(frame: FrameLocator) -> list[str]:
    return frame.locator("ol.talk-comments > li > article .talk-content").all_inner_texts()


def index_of(texts: list[str], prefix: str) -> int:
    return next(i for i, text in enumerate(texts) if text.startswith(prefix))


def test_comment_and_reply_survive_reload(page: Page):
    # given: the imported story, opened from the demo front page
    frame = open_story(page)
    expect(comment_article(frame, NEWEST_IMPORTED)).to_be_visible()
    expect(comment_article(frame, NEWEST_IMPORTED).locator(".talk-author")).to_have_text(
        "Ferhunde İmer"
    )
    expect(frame.locator(".talk-story-title")).to_have_text(STORY_TITLE)
    count = int(frame.locator(".talk-count").inner_text())
    assert count >= 49

    # when: a new reader signs up, comments, and replies to their comment
    username = sign_up(frame)
    comment = f"A first comment from the browser test {uuid.uuid4().hex[:6]}"
    reply = f"And a reply to it {uuid.uuid4().hex[:6]}"
    post_comment(frame, comment)
    expect(frame.locator(".talk-count")).to_have_text(str(count + 1))
    reply_to(frame, comment, reply, username)

    # then: both are still there after a reload, the reply nested under its parent
    page.reload()
    parent = frame.locator("ol.talk-comments > li.talk-comment", has_text=comment)
    expect(parent.locator(":scope > article .talk-author")).to_have_text(username)
    nested = parent.locator(":scope > ol.talk-replies > li.talk-comment")
    expect(nested).to_have_count(1)
    expect(nested.locator(".talk-content")).to_have_text(reply)
    expect(nested).to_have_attribute("data-depth", "1")
    expect(frame.locator(".talk-count")).to_have_text(str(count + 2))
    expect(frame.locator(".talk-viewer")).to_contain_text(username)


def test_show_more_replies_loads_a_deeper_thread(page: Page):
    # given: a thread four replies deep (the first load fetches three levels)
    frame = open_story(page)
    username = sign_up(frame)
    token = uuid.uuid4().hex[:6]
    texts = [f"Thread {token} level {level}" for level in range(5)]
    post_comment(frame, texts[0])
    for parent, child in zip(texts, texts[1:], strict=False):
        reply_to(frame, parent, child, username)

    # when
    page.reload()
    deepest_loaded = frame.locator("li.talk-comment[data-depth='3']", has_text=texts[3])
    more = deepest_loaded.locator(":scope > [data-action=more-replies]")
    expect(more).to_have_text("Show 1 reply")
    expect(frame.locator("article", has_text=texts[4])).to_have_count(0)
    more.click()

    # then
    fetched = deepest_loaded.locator(":scope > ol.talk-replies > li.talk-comment")
    expect(fetched).to_have_attribute("data-depth", "4")
    expect(fetched.locator(".talk-content")).to_have_text(texts[4])
    expect(more).to_be_hidden()


def test_sort_switch_changes_order(page: Page):
    frame = open_story(page)
    expect(comment_article(frame, NEWEST_IMPORTED)).to_be_visible()
    newest = top_level_texts(frame)
    assert index_of(newest, NEWEST_IMPORTED) < index_of(newest, SECOND_NEWEST_IMPORTED)
    assert not any(text.startswith(OLDEST_IMPORTED) for text in newest)

    frame.get_by_label("Sort by").select_option(label="Oldest")

    expect(frame.locator("ol.talk-comments > li").first).to_contain_text(OLDEST_IMPORTED)
    oldest = top_level_texts(frame)
    assert index_of(oldest, THIRD_OLDEST_IMPORTED) < index_of(oldest, FOURTH_OLDEST_IMPORTED)
    assert not any(text.startswith(NEWEST_IMPORTED) for text in oldest)
    frame.get_by_role("button", name="Load more comments").click()
    expect(comment_article(frame, NEWEST_IMPORTED)).to_have_count(0)
    expect(frame.locator("ol.talk-comments > li")).to_have_count(40)


def test_reaction_toggles_count(page: Page):
    frame = open_story(page)
    article = comment_article(frame, SECOND_NEWEST_IMPORTED)
    respect = article.get_by_role("button", name=re.compile("^Respect"))
    respect.click()  # signed out: asks to sign in first
    expect(frame.locator(".talk-auth-lead")).to_have_text("Sign in to react to comments.")
    sign_up(frame)

    article.get_by_role("button", name=re.compile("^Respect")).click()
    pressed = article.locator("[data-action=react]")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_have_text(re.compile(r"Respected\s*1"))

    pressed.click()
    expect(pressed).to_have_attribute("aria-pressed", "false")
    expect(pressed.locator("[data-ref=react-count]")).to_have_text("")


def test_report_opens_and_submits(page: Page):
    frame = open_story(page)
    sign_up(frame)
    article = comment_article(frame, NEWEST_IMPORTED)
    article.get_by_role("button", name="Report").click()
    form = article.locator("form.talk-report")
    expect(form.get_by_role("group", name="Report this comment")).to_be_visible()

    form.get_by_label("Other", exact=True).check()
    form.get_by_role("button", name="Submit report").click()
    expect(form.locator("[role=alert]")).to_have_text("Tell us why you are reporting this comment.")

    form.get_by_label("Tell us more").fill("Testing the report form.")
    form.get_by_role("button", name="Submit report").click()
    expect(article.get_by_role("status")).to_contain_text("Thank you for your report")
    expect(article.get_by_role("button", name="Reported")).to_be_disabled()


def test_edit_within_window_marks_edited(page: Page):
    frame = open_story(page)
    sign_up(frame)
    original = f"Typo in this commment {uuid.uuid4().hex[:6]}"
    fixed = original.replace("commment", "comment")
    post_comment(frame, original)
    article = comment_article(frame, original)
    edit = article.get_by_role("button", name=re.compile(r"^Edit \(\d+s left\)$"))
    expect(article.locator(".talk-edited")).to_be_hidden()

    edit.click()
    frame.get_by_role("textbox", name="Edit your comment").fill(fixed)
    article.get_by_role("button", name="Save").click()

    edited = comment_article(frame, fixed)
    expect(edited.locator(".talk-content")).to_have_text(fixed)
    expect(edited.locator(".talk-edited")).to_have_text("(Edited)")
    page.reload()
    expect(comment_article(frame, fixed).locator(".talk-edited")).to_be_visible()


def test_sign_out_and_sign_in_with_inline_errors(page: Page):
    frame = open_story(page)
    username = sign_up(frame)
    frame.get_by_role("button", name="Sign out").click()
    expect(frame.locator(".talk-auth")).to_be_visible()
    expect(frame.get_by_role("textbox", name="Post a comment")).to_have_count(0)

    form = frame.locator("#talk-sign-in")
    form.get_by_label("Email address").fill(f"{username}@example.com")
    form.get_by_label("Password").fill("not-the-password")
    form.get_by_role("button", name="Sign in").click()
    expect(form.get_by_role("alert")).to_have_text("E-mail or password is incorrect.")

    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(frame.locator(".talk-viewer")).to_contain_text(f"Signed in as {username}")
    expect(frame.get_by_role("textbox", name="Post a comment")).to_be_visible()


def test_closed_story_has_no_composer(page: Page):
    frame = open_story(page, "Closed story for the browser test")
    sign_up(frame)
    expect(frame.locator(".talk-closed")).to_have_text("Commenting is closed on this story.")
    expect(frame.get_by_role("textbox", name="Post a comment")).to_have_count(0)


def test_premod_comment_awaits_review(page: Page):
    frame = open_story(page, "Pre-moderated story for the browser test")
    sign_up(frame)
    text = f"Held for review {uuid.uuid4().hex[:6]}"
    post_comment(frame, text)
    expect(comment_article(frame, text).locator(".talk-pending")).to_contain_text("Awaiting review")
    expect(frame.locator(".talk-count")).to_have_text("0")


def test_demo_article_creates_its_story_lazily(page: Page):
    page.goto("/demo/article")
    frame = page.frame_locator("#talk-embed iframe")
    expect(frame.locator(".talk-empty")).to_have_text("No comments yet. Start the conversation.")
    expect(frame.locator(".talk-count")).to_have_text("0")
    expect(page.locator(".setup-hint")).to_have_count(0)
    # the loader sized the iframe to the stream's height, reported with postMessage
    page.wait_for_function(FRAME_FITS_CONTENT)


def test_front_page_is_the_demo_article_with_its_stream_and_lists_stories(
    page: Page, talk_server: str
):
    query = (
        '{ story(url: "https://yesilmavihayat.com/yorumlar") { commentCounts { totalPublished } } }'
    )
    request = urllib.request.Request(
        f"{talk_server}/api/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        count = json.load(response)["data"]["story"]["commentCounts"]["totalPublished"]
    assert count >= 49  # the export's 49 visible comments, plus what other tests posted
    page.goto("/")
    frame = page.frame_locator("#talk-embed iframe")
    expect(frame.locator(".talk-header")).to_be_visible()
    # the stream belongs to the demo article's canonical URL, shared with /demo/article
    expect(page.locator("link[rel=canonical]")).to_have_attribute(
        "href", re.compile(r"^http://127\.0\.0\.1:\d+/demo/article$")
    )
    expect(page.locator(".more-stories .story-link", has_text=STORY_TITLE)).to_have_count(1)
    expect(page.locator(".more-stories .story-item", has_text=STORY_TITLE)).to_contain_text(
        f"{count} comments"
    )


def test_screenshot_of_story_page(page: Page):
    frame = open_story(page)
    expect(comment_article(frame, NEWEST_IMPORTED)).to_be_visible()
    page.wait_for_timeout(300)  # let the iframe settle at its final height
    page.screenshot(path="/tmp/talk-stream.png", full_page=True)
    top = page.locator("#talk-embed").evaluate("el => el.getBoundingClientRect().top + scrollY")
    clip = {"x": 0, "y": top - 16, "width": 1100, "height": 1400}
    page.screenshot(path="/tmp/talk-stream-comments.png", full_page=True, clip=clip)


def test_stream_page_is_frameable_only_by_its_site(talk_server: str):
    url = f"{talk_server}/embed/stream?storyURL={quote('https://yesilmavihayat.com/yorumlar')}"
    with urllib.request.urlopen(url, timeout=5) as response:
        headers = response.headers
    assert headers.get("X-Frame-Options") is None
    policy = dict(
        part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
    )
    ancestors = policy["frame-ancestors"].split()
    assert ancestors[:2] == ["'self'", "https://yesilmavihayat.com"]  # then the site's origins
    assert all(source.endswith("yesilmavihayat.com") for source in ancestors[1:])
    assert policy["script-src"] == "'self'"
    assert "csrftoken=" in headers["Set-Cookie"]
