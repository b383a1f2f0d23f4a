"""The SMTP server refusing, down or silent."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from flask_authadapter.providers.email import Email
from tests.mail import (
    free_port,
    sign_in_link,
)

from .helpers import (
    _LOGGER,
    PENDING_COOKIE,
    Build,
    assert_error_page,
)


@pytest.mark.parametrize("failure", ["refuse-rcpt", "refuse-data", "down", "hang"])
def test_a_mail_server_failure_leaves_no_usable_token(
    build: Build, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=_LOGGER)
    config: dict[str, Any] = {"provider": Email(timeout=1)}
    if failure == "down":
        config["MAIL_PORT"] = free_port()
    site = build(**config)
    if failure != "down":
        site.smtp.mode = failure
    client = site.browser()
    started = time.monotonic()

    answer = site.ask(client, "ada@example.com")

    elapsed = time.monotonic() - started
    assert_error_page(answer, "EmailSignin", 400)
    assert not any(h.startswith(PENDING_COOKIE) for h in answer.headers.getlist("Set-Cookie"))
    assert elapsed < 5, f"the request took {elapsed:.1f}s"
    if failure == "hang":
        assert site.smtp.hung.is_set()  # it did hang in DATA, and the client gave up
    assert site.smtp.messages == []
    assert site.token_rows() == []
    errors = [
        r
        for r in caplog.records
        if r.name == _LOGGER and r.levelno >= logging.ERROR and "sending" in r.getMessage()
    ]
    assert len(errors) == 1, [r.getMessage() for r in caplog.records]
    # The log names the failure, never the link.
    assert "token=" not in errors[0].getMessage()

    # Once the server is back, asking again works.
    site.smtp.mode = "accept"
    if failure == "down":
        return
    received = site.mail(client, "ada@example.com")
    assert site.redeem(client, sign_in_link(received)).status_code == 302


def test_a_mail_server_failure_leaves_an_earlier_link_working(build: Build) -> None:
    site = build()
    client = site.browser()
    earlier = site.mail(client, "ada@example.com")
    site.smtp.mode = "refuse-data"
    assert_error_page(site.ask(client, "ada@example.com"), "EmailSignin", 400)
    assert len(site.token_rows()) == 2  # the earlier pair only: the failed one is gone
    assert site.redeem(client, sign_in_link(earlier)).status_code == 302
