"""AUTH_CONTENT_SECURITY_POLICY in Chromium: the inline ``<style>`` of an app's own
``auth/base.html`` is blocked by the default policy and applied once the setting allows it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.e2e.conftest import OpenBrowser
from tests.integration.existing_apps import ALLOWING_INLINE_STYLE, app_with_override

Serve = Callable[[Flask], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(app)`` -> the URL of ``app`` served for real on 127.0.0.1."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def _background(open_browser: OpenBrowser, url: str, label: str) -> str:
    page = open_browser(label=label)
    page.goto(url)
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def test_an_overrides_inline_style_applies_only_once_allowed(
    tmp_path: Path, serve: Serve, open_browser: OpenBrowser
) -> None:
    strict = serve(app_with_override(tmp_path / "strict"))
    allowing = serve(
        app_with_override(tmp_path / "allowing", AUTH_CONTENT_SECURITY_POLICY=ALLOWING_INLINE_STYLE)
    )
    assert _background(open_browser, f"{strict}/auth/signin", "strict") != "rgb(1, 2, 3)"
    assert _background(open_browser, f"{allowing}/auth/signin", "allowing") == "rgb(1, 2, 3)"
