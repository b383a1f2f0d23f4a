"""Fixtures for the example's tests: a clean environment, the demo's mail sink, apps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from example.app import create_app
from example.mailbox import Mailbox, start_smtp

#: Environment variables the example reads: none of the developer's may leak into a test.
PREFIXES = ("AUTH_", "MAIL_", "DEMO_", "EXAMPLE_")
NAMES = ("DATABASE_URL", "SECRET_KEY", "PORT")


def example_variables(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    return [key for key in environ if key.startswith(PREFIXES) or key in NAMES]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AUTH_*, MAIL_*, DATABASE_URL... from the environment the tests run in."""
    for key in example_variables(os.environ):
        monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[Mailbox, int]]:
    """The demo's mail sink on a free port, for the session: (mailbox, port)."""
    mailbox = Mailbox()
    controller = start_smtp(mailbox, 0)
    try:
        yield mailbox, int(controller.port)
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_sink: tuple[Mailbox, int]) -> Mailbox:
    """The sink's mailbox, emptied for this test."""
    smtp_sink[0].clear()
    return smtp_sink[0]


MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(tmp_path: Path) -> MakeApp:
    """``make_app(**config)``: the example app on a fresh SQLite database and instance
    folder, reached at http://localhost (the test client's host)."""
    count = 0

    def make(**config: Any) -> Flask:
        nonlocal count
        count += 1
        instance = tmp_path / f"instance-{count}"
        settings: dict[str, Any] = {
            "EXAMPLE_INSTANCE_PATH": str(instance),
            "AUTH_URL": "http://localhost",
            "TESTING": True,
            "MAIL_SUPPRESS_SEND": False,  # Flask-Mail sends nothing under TESTING otherwise
        }
        settings.update(config)
        return create_app(settings)

    return make


@pytest.fixture
def demo_config(smtp_sink: tuple[Mailbox, int], mailbox: Mailbox) -> dict[str, Any]:
    """The settings ``python -m example`` gives the app (mail to the sink, the mailbox
    page), without the OpenID provider."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_sink[1], "DEMO_MAILBOX": mailbox}
