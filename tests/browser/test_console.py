"""The moderation console in a real browser: a reported comment rejected with the keyboard."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_stream import STORY_TITLE, comment_article, open_story

pytestmark = pytest.mark.browser

STORY_URL = "https://yesilmavihayat.com/yorumlar"  # the Disqus export's thread
QUEUE = "/admin/talk_comments/comment/moderate/reported/"
STORY_QUERY = """query Story($url: String!) {
  story(url: $url) { id comments(first: 2) { nodes { id body } } }
}"""
CREATE_COMMENT = """mutation Post($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id status } errors { code message } }
}"""
CREATE_REPLY = """mutation Reply($input: CreateCommentReplyInput!) {
  createCommentReply(input: $input) { comment { id status } errors { code message } }
}"""
FLAG_COMMENT = """mutation Flag($input: CreateCommentFlagInput!) {
  createCommentFlag(input: $input) { errors { code message } }
}"""


class Reader:
    """A signed-in reader speaking GraphQL over HTTP, as the embed does (cookie + CSRF)."""

    def __init__(self, browser: Browser, base_url: str, session_key: str) -> None:
        self.context: BrowserContext = browser.new_context(base_url=base_url)
        self.context.add_cookies([{"name": "sessionid", "value": session_key, "url": base_url}])
        # The stream page sets the csrftoken cookie the API wants back in X-CSRFToken.
        response = self.context.request.get(f"/embed/stream?storyURL={quote(STORY_URL)}")
        assert response.ok, response.status

    def graphql(self, document: str, **variables) -> dict:
        token = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")
        response = self.context.request.post(
            "/api/graphql",
            data=json.dumps({"query": document, "variables": variables}),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        body = response.json()
        assert response.ok, body
        assert "errors" not in body, body
        return body["data"]

    def close(self) -> None:
        self.context.close()


def act(data: dict, name: str) -> dict:
    payload = data[name]
    assert payload["errors"] == [], payload
    return payload


@pytest.fixture
def reported(browser, talk_server, reader_session):
    """A reader's comment and reply, reported by another reader; yields their texts."""
    token = uuid.uuid4().hex[:6]
    author = Reader(browser, talk_server, reader_session(f"writer_{token}"))
    reporter = Reader(browser, talk_server, reader_session(f"reporter_{token}"))
    story = author.graphql(STORY_QUERY, url=STORY_URL)["story"]
    imported = story["comments"]["nodes"][1]
    texts = {
        "comment": f"Console test comment {token}: you are all idiots",
        "reply": f"Console test reply {token}, buy cheap watches at example.com",
    }
    comment = act(
        author.graphql(
            CREATE_COMMENT, input={"storyID": story["id"], "body": f"<p>{texts['comment']}</p>"}
        ),
        "createComment",
    )["comment"]
    reply = act(
        author.graphql(
            CREATE_REPLY,
            input={
                "storyID": story["id"],
                "parentID": imported["id"],
                "body": f"<p>{texts['reply']}</p>",
            },
        ),
        "createCommentReply",
    )["comment"]
    assert (comment["status"], reply["status"]) == ("NONE", "NONE")
    flags = [
        (comment["id"], "COMMENT_REPORTED_ABUSIVE", ""),
        (reply["id"], "COMMENT_REPORTED_SPAM", ""),
        (reply["id"], "COMMENT_REPORTED_OTHER", "Selling watches in every thread"),
    ]
    for comment_id, reason, note in flags[:2]:
        act(
            reporter.graphql(
                FLAG_COMMENT,
                input={"commentID": comment_id, "reason": reason, "additionalDetails": note},
            ),
            "createCommentFlag",
        )
    third = Reader(browser, talk_server, reader_session(f"second_{token}"))
    comment_id, reason, note = flags[2]
    act(
        third.graphql(
            FLAG_COMMENT,
            input={"commentID": comment_id, "reason": reason, "additionalDetails": note},
        ),
        "createCommentFlag",
    )
    for reader in (author, reporter, third):
        reader.close()
    return texts


def sign_in_to_admin(page: Page, username: str, password: str, next_url: str) -> None:
    page.goto(f"/admin/login/?next={quote(next_url)}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def queue_count(page: Page, queue: str = "REPORTED") -> int:
    return int(page.locator(f".talk-queue-tab [data-queue-count={queue}]").inner_text())


def test_reject_a_reported_comment_with_the_keyboard(page: Page, console_moderator, reported):
    # given: the moderator on the Reported queue, which holds the reader's comment
    sign_in_to_admin(page, *console_moderator, next_url=QUEUE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reported")
    cards = page.locator(".talk-cards > .talk-card")
    target = cards.filter(has_text=reported["comment"])
    expect(target).to_have_count(1)
    expect(target.locator(".talk-flag")).to_have_text(["Abusive"])
    reply_card = cards.filter(has_text=reported["reply"])
    expect(reply_card.locator(".talk-card-parent")).to_contain_text("In reply to")
    expect(reply_card.locator(".talk-flag")).to_have_text(["Spam or an advertisement", "Other"])
    before = queue_count(page)
    assert before >= 2

    # when: j / k select the card, r opens the reasons, Enter rejects
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(cards.first).to_have_class(re.compile(r"\bis-selected\b"))
    for _ in range(cards.count()):
        if "is-selected" in (target.get_attribute("class") or ""):
            break
        page.keyboard.press("j")
    expect(target).to_have_class(re.compile(r"\bis-selected\b"))
    expect(target).to_be_focused()
    page.screenshot(path="/tmp/talk-console.png", full_page=True)
    page.keyboard.press("r")
    reason = target.get_by_label("Reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("OFFENSIVE")
    page.screenshot(path="/tmp/talk-console-reject.png")
    page.keyboard.press("Enter")

    # then: the card leaves without a reload, the counts follow, the result is announced
    expect(target).to_have_count(0)
    expect(page.locator("#talk-live")).to_have_text("Rejected 1 comment (Offensive).")
    expect(page.locator(".talk-queue-tab [data-queue-count=REPORTED]")).to_have_text(
        str(before - 1)
    )
    expect(page.locator(".talk-cards > .talk-card.is-selected")).to_have_count(1)
    expect(reply_card).to_have_count(1)

    # the mouse works too: approving the reply takes it out of the queue
    reply_card.get_by_role("button", name=re.compile("^Approve")).click()
    expect(reply_card).to_have_count(0)
    expect(page.locator("#talk-live")).to_have_text("Approved 1 comment.")
    expect(page.locator("[data-ref=queue-total]")).to_have_text(str(before - 2))

    # and the public stream no longer shows it, while the reported reply stays
    frame = open_story(page, STORY_TITLE)
    expect(comment_article(frame, reported["reply"])).to_be_visible()
    expect(comment_article(frame, reported["comment"])).to_have_count(0)


def test_comment_and_user_pages(page: Page, console_moderator, reported):
    sign_in_to_admin(page, *console_moderator, next_url=QUEUE)
    card = page.locator(".talk-cards > .talk-card").filter(has_text=reported["reply"])
    card.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.locator(".talk-table")).to_have_count(2)  # history and reports
    reports = page.get_by_role("region", name="Reports").locator("table")
    expect(reports).to_contain_text("Selling watches in every thread")
    page.screenshot(path="/tmp/talk-console-comment.png", full_page=True)

    page.locator(".talk-card-author a").click()
    expect(page.get_by_role("heading", name="Moderate this user")).to_be_visible()
    page.get_by_label("New note").fill("Posts links to a watch shop.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messagelist")).to_have_text("Note added.")
    page.get_by_role("button", name="Always pre-moderate").click()
    expect(page.locator(".messagelist")).to_contain_text("will be held for review")
    expect(page.locator(".talk-standing")).to_contain_text("Always pre-moderated")
    page.screenshot(path="/tmp/talk-console-user.png", full_page=True)

    page.emulate_media(color_scheme="dark")
    page.goto(QUEUE)
    expect(page.locator(".talk-cards > .talk-card").first).to_be_visible()
    page.screenshot(path="/tmp/talk-console-dark.png")


def test_queue_counts_and_list_follow_new_reports_live(
    page: Page, console_moderator, browser, talk_server, reader_session
):
    # given: the moderator on the Reported queue, its live socket connected
    sign_in_to_admin(page, *console_moderator, next_url=QUEUE)
    expect(page.locator("[data-console=queue]")).to_have_attribute("data-live", "open")
    reported_before, unmoderated_before = queue_count(page), queue_count(page, "UNMODERATED")
    notice = page.locator("[data-ref=live-notice]")
    expect(notice).to_be_hidden()
    # when: a reader posts a comment and another reports it, through the API elsewhere
    token = uuid.uuid4().hex[:6]
    author = Reader(browser, talk_server, reader_session(f"live_writer_{token}"))
    reporter = Reader(browser, talk_server, reader_session(f"live_reporter_{token}"))
    story = author.graphql(STORY_QUERY, url=STORY_URL)["story"]
    comment = act(
        author.graphql(
            CREATE_COMMENT, input={"storyID": story["id"], "body": f"<p>Live {token}</p>"}
        ),
        "createComment",
    )["comment"]
    act(
        reporter.graphql(
            FLAG_COMMENT,
            input={"commentID": comment["id"], "reason": "COMMENT_REPORTED_SPAM"},
        ),
        "createCommentFlag",
    )
    # then: without a reload, the counts move and the queue announces the new comment
    expect(page.locator(".talk-queue-tab [data-queue-count=UNMODERATED]")).to_have_text(
        str(unmoderated_before + 1)
    )
    expect(page.locator(".talk-queue-tab [data-queue-count=REPORTED]")).to_have_text(
        str(reported_before + 1)
    )
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("1 new comment in this queue.")
    # and following the link shows it
    notice.get_by_role("link", name="Show them").click()
    expect(page.locator(".talk-cards > .talk-card", has_text=f"Live {token}")).to_have_count(1)
    for reader in (author, reporter):
        reader.close()
