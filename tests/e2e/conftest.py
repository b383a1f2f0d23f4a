"""Fixtures for the browser tests: the example served for real, and Chromium.

``site`` (one per test session) is the example app of ``example/`` as ``python -m example``
wires it: a werkzeug server on a free port of 127.0.0.1 (threaded, in this process), its
mail going to the demo's SMTP sink (a :class:`~example.mailbox.Mailbox`), a local OpenID
provider (``oidc-provider-mock``) as the "Demo OpenID provider", a fresh SQLite database.
Its ``AUTH_URL`` is ``http://127.0.0.1:<port>``, the exact origin the browser is sent to.

``open_browser()`` gives a page in a new browser context (its own cookies and storage: a
fresh profile) of one Chromium per session. Requests that would leave the machine are
refused (the mock provider's page links a stylesheet on a CDN). When the test ends, the
last page of every context it opened is saved as ``tests/e2e/output/<test>[-<label>].png``.
``open_browser(browser=browser_with_back_forward_cache)`` uses a second Chromium whose
back/forward cache is on, as people have it (Playwright turns it off): what Back shows.

Without Chromium (or Playwright) the tests skip, saying why; with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from example.__main__ import AppRequestLog
from example.mailbox import HOST, Mailbox, ReceivedMessage, start_smtp
from tests.e2e.browser import LAUNCH_ARGS, chromium_path, missing_browser_reason, skip_or_fail
from tests.example.conftest import example_variables

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

    from tests.oidc import MockProvider

#: Where each test's last page is saved (git ignores it).
OUTPUT = Path(__file__).resolve().parent / "output"

#: The browser window: a laptop-sized viewport, light colours, a fixed locale and zone.
VIEWPORT = {"width": 1000, "height": 700}

#: How long a locator or a navigation may wait: everything runs on this machine.
TIMEOUT_MS = 10_000

#: Requests to anywhere but this machine (refused: the tests work offline).
_OFF_MACHINE = re.compile(r"^https?://(?!(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")


@dataclass
class Site:
    """The running example: its URL, its mail sink and its OpenID provider."""

    url: str
    mailbox: Mailbox
    provider: MockProvider

    def emails_to(self, address: str) -> list[ReceivedMessage]:
        """The messages sent to ``address`` so far, oldest first."""
        return [m for m in self.mailbox.messages if m.to == address]

    def wait_for_email(self, address: str, count: int, timeout: float = 10.0) -> ReceivedMessage:
        """The ``count``-th message (1 for the first) sent to ``address``, once it arrived."""
        deadline = time.monotonic() + timeout
        while True:
            received = self.emails_to(address)
            if len(received) >= count:
                return received[count - 1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(received)} email(s) to {address}, not {count}")
            time.sleep(0.02)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example app, served for real on 127.0.0.1 with its mail sink and provider."""
    with serve_example(tmp_path_factory) as served:
        yield served


@contextmanager
def serve_example(tmp_path_factory: pytest.TempPathFactory, **settings: Any) -> Iterator[Site]:
    """The example app with ``settings`` added to its configuration, served for the block."""
    from example.app import create_app
    from tests.oidc import run_mock_provider

    with ExitStack() as stack:
        mailbox = Mailbox()
        smtp = start_smtp(mailbox, 0)
        stack.callback(smtp.stop)
        provider = stack.enter_context(run_mock_provider())

        # Bound first (port 0: a free port, no race), then given the app that needs its URL.
        # The demo's request log: one line per request, no query strings (tokens, codes).
        server = make_server(HOST, 0, _starting, threaded=True, request_handler=AppRequestLog)
        stack.callback(server.server_close)
        url = f"http://{HOST}:{server.port}"

        with pytest.MonkeyPatch.context() as env:
            for key in example_variables(os.environ):
                env.delenv(key)  # none of the developer's AUTH_*, MAIL_*, DATABASE_URL...
            app = create_app(
                {
                    "EXAMPLE_INSTANCE_PATH": str(tmp_path_factory.mktemp("e2e-instance")),
                    "AUTH_URL": url,
                    "MAIL_SERVER": HOST,
                    "MAIL_PORT": smtp.port,
                    "MAIL_USE_TLS": False,
                    "MAIL_USE_SSL": False,
                    "DEMO_OIDC_ISSUER": provider.issuer,
                    "DEMO_MAILBOX": mailbox,
                    **settings,
                }
            )
        server.app = app
        thread = threading.Thread(target=server.serve_forever, name="e2e-app", daemon=True)
        thread.start()
        stack.callback(thread.join, 10)
        stack.callback(server.shutdown)
        yield Site(url=url, mailbox=mailbox, provider=provider)


def _starting(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting\n"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright (sync API), for the session; skipped without Chromium (failed in CI)."""
    reason = missing_browser_reason()
    if reason is not None:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


def _launch(playwright: Playwright, **options: Any) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(chromium_path()), args=LAUNCH_ARGS, **options
    )


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, for the session."""
    chromium = _launch(playwright)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def browser_with_back_forward_cache(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with its back/forward cache on, as people have it (Playwright turns it off
    by default): Back shows the page kept in memory, without asking the server."""
    chromium = _launch(playwright, ignore_default_args=["--disable-back-forward-cache"])
    try:
        yield chromium
    finally:
        chromium.close()


def _refuse(route: Route) -> None:
    route.abort("blockedbyclient")


OpenBrowser = Callable[..., "Page"]


@pytest.fixture
def open_browser(browser: Browser, request: pytest.FixtureRequest) -> Iterator[OpenBrowser]:
    """``open_browser(label=None, user_agent=None, browser=None)``: a page in a new browser
    context.

    Each context is a separate browser profile (its own cookies); ``label`` names its
    screenshot, ``user_agent`` the device its sessions show on the account page; ``browser``
    another browser than the session's (``browser_with_back_forward_cache``)."""
    opened: list[tuple[str | None, BrowserContext]] = []
    default_browser = browser

    def open_page(
        label: str | None = None, user_agent: str | None = None, browser: Browser | None = None
    ) -> Page:
        options: dict[str, Any] = {
            "viewport": VIEWPORT,
            "color_scheme": "light",
            "locale": "en-US",
            "timezone_id": "UTC",
        }
        if user_agent is not None:
            options["user_agent"] = user_agent
        context = (browser or default_browser).new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route(_OFF_MACHINE, _refuse)
        opened.append((label, context))
        return context.new_page()

    yield open_page

    OUTPUT.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    try:
        for label, context in opened:
            if context.pages:
                path = OUTPUT / (f"{name}-{label}.png" if label else f"{name}.png")
                context.pages[-1].screenshot(path=str(path), full_page=True)
    finally:
        for _, context in opened:
            context.close()


@pytest.fixture
def page(open_browser: OpenBrowser) -> Page:
    """A page in a fresh browser context (its screenshot is saved when the test ends)."""
    return open_browser()
