"""A moderator's warning is shown in the stream until the reader acknowledges it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_stream import open_story

pytestmark = pytest.mark.browser

WARN = """
from moderation.models import Profile, Role
from moderation.services import user_warn
reader = Profile.objects.get(username=USERNAME)
admin, _ = Profile.objects.get_or_create(username="warning_admin", defaults={"role": Role.ADMIN})
user_warn(profile=reader, moderator=admin, message=MESSAGE)
"""

STANDING = """
from moderation.models import Profile
from moderation.selectors import standing_get
standing = standing_get(profile=Profile.objects.get(username=USERNAME))
print(standing.warning_acknowledged_at is not None)
"""


def test_warning_shows_until_acknowledged(page: Page, reader_session, talk_shell, talk_server):
    # given: a signed-in reader a moderator has warned
    username = f"warned_{uuid.uuid4().hex[:8]}"
    session = reader_session(username)
    message = "Please keep it civil: personal attacks are removed."
    talk_shell(f"USERNAME = {username!r}\nMESSAGE = {message!r}\n{WARN}")
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": talk_server}])
    # when
    frame = open_story(page)
    # then: the warning is shown with the moderator's message
    warning = frame.locator("[data-ref=warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(message)
    # when: acknowledged
    warning.get_by_role("button", name="I understand").click()
    # then: gone now, stored, and still gone after a reload
    expect(warning).to_be_hidden()
    assert talk_shell(f"USERNAME = {username!r}\n{STANDING}").strip().splitlines()[-1] == "True"
    frame = open_story(page)
    expect(frame.locator(".talk-viewer")).to_contain_text(username)
    expect(frame.locator("[data-ref=warning]")).to_be_hidden()
