"""Browser tests: a real Talk server (``manage.py serve``) and Debian's Chromium.

The server runs in a subprocess on its own SQLite data dir, so these tests never touch
pytest-django's test database: they need no ``django_db`` marker and read everything back
through HTTP, as a reader's browser would.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO, free_port, manage, shared_export, talk_env, wait_healthy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Stories the tests need beyond the import: a closed one and a pre-moderated one, on the
# Demo site. Written with the ORM in the server's own data dir before the server starts.
EXTRA_STORIES = """
from datetime import timedelta
from django.utils import timezone
from comments.models import Site, Story
site = Site.objects.get(name="Demo")
origin = site.allowed_origins[0]
Story.objects.update_or_create(site=site, url=origin + "/demo/closed", defaults={
    "title": "Closed story for the browser test",
    "closed_at": timezone.now() - timedelta(days=1)})
Story.objects.update_or_create(site=site, url=origin + "/demo/premod", defaults={
    "title": "Pre-moderated story for the browser test", "premod_enabled": True})
"""


_SERVER_LOG: list[Path] = []


@pytest.fixture(scope="package")
def talk_server(tmp_path_factory) -> Iterator[str]:
    """Start Talk on a free port with the Disqus export imported; yield its base URL."""
    data_dir = tmp_path_factory.mktemp("talk-browser-data")
    env = talk_env(data_dir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "setup_demo", "--origin", base_url)
    manage(
        env, "import_comments", str(shared_export("disqus-export-2023.xml")), "--format", "disqus"
    )
    manage(env, "shell", "-v", "0", "-c", EXTRA_STORIES)

    log = data_dir / "server.log"
    _SERVER_LOG.append(log)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="package")
def browser():
    """One headless Debian Chromium for tests/browser (never ``playwright install``).

    Package scope, not session: while Playwright's sync API runs, its event loop is the
    main thread's running loop, which breaks ``async_to_sync`` in the tests that follow.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium: apt-get install chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, talk_server):
    """A fresh page in its own context (own cookies), 1100x900, failing fast."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, base_url=talk_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the server's log to failing browser tests."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVER_LOG and item.get_closest_marker("browser"):
        text = _SERVER_LOG[-1].read_text(errors="replace") if _SERVER_LOG[-1].exists() else ""
        report.sections.append(("Talk server log (last 8000 chars)", text[-8000:]))


# The moderation console (tests/browser/test_console.py): accounts made with the ORM in the
# running server's data dir, since sign-up through the stream is rate-limited per IP.

CONSOLE_PASSWORD = "lantern-quarry-otter-93"

CONSOLE_ACCOUNTS = """
from django.contrib.auth import get_user_model
from moderation.models import Profile, Role
from moderation.services import profile_role_set

User = get_user_model()
root = User.objects.create_superuser("console_admin", "console_admin@example.com", PASSWORD)
admin = Profile.objects.create(user=root, username="console_admin", role=Role.ADMIN)
user = User.objects.create_user("console_mod", "console_mod@example.com", PASSWORD)
moderator = Profile.objects.create(user=user, username="console_mod")
profile_role_set(profile=moderator, role=Role.MODERATOR, actor=admin)
"""

READER_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from moderation.models import Profile

user = get_user_model().objects.create_user(USERNAME, USERNAME + "@example.com", PASSWORD)
Profile.objects.create(user=user, username=USERNAME)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@pytest.fixture(scope="package")
def talk_shell(talk_server):
    """Run Python in ``manage.py shell`` on the running server's data dir; return stdout."""
    env = talk_env(_SERVER_LOG[-1].parent)

    def run(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            pytest.fail(f"manage.py shell failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    return run


@pytest.fixture(scope="package")
def console_moderator(talk_shell) -> tuple[str, str]:
    """(username, password) of a moderator of every site, made by an admin's role change."""
    talk_shell(f"PASSWORD = {CONSOLE_PASSWORD!r}\n{CONSOLE_ACCOUNTS}")
    return "console_mod", CONSOLE_PASSWORD


@pytest.fixture
def reader_session(talk_shell):
    """Create a reader ``username`` and return the key of a signed-in session for them."""

    def make(username: str) -> str:
        code = f"USERNAME = {username!r}\nPASSWORD = {CONSOLE_PASSWORD!r}\n{READER_SESSION}"
        return talk_shell(code).strip().splitlines()[-1]

    return make
