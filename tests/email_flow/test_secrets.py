"""Secrets stay out of logs and error pages."""

from __future__ import annotations

import logging

import pytest

from flask_authadapter.providers.email import Email
from tests.mail import (
    Received,
    link_query,
    sign_in_code,
    sign_in_link,
)

from .helpers import (
    _LOGGER,
    _SMTP_SERVER_LOGGER,
    PENDING_COOKIE,
    SESSION_COOKIE,
    VERIFY_REQUEST,
    Build,
    Site,
    _tampered,
    cookie_value,
    wrong_code,
)


def test_no_token_or_code_is_logged_or_shown(
    build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told: log every statement and its
    # parameters too, to see that only MACs and hashes of the secrets reach the database.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    site = build(Email(timeout=1))
    secrets: list[str] = []
    pages: list[str] = []

    def keep(received: Received) -> tuple[str, str]:
        link, code = sign_in_link(received), sign_in_code(received)
        secrets.extend([link_query(link)["token"], code, code.replace("-", "")])
        return link, code

    # A link: opened, tampered with, used, used again.
    client = site.browser()
    link, _ = keep(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    bad = site.post_form(
        client, {**fields, "token": _tampered(fields["token"])["one-char-changed"]}
    )
    pages.append(bad.get_data(as_text=True))
    assert site.post_form(client, fields).status_code == 302
    session = cookie_value(client, SESSION_COOKIE)
    assert session is not None
    secrets.append(session)
    for answer in (site.post_form(client, fields), site.redeem(site.browser(), link)):
        assert answer.status_code == 403
        pages.append(answer.get_data(as_text=True))

    # A code: wrong, right, reused; another browser.
    other = site.browser(ip="198.51.100.5")
    _, code = keep(site.mail(other, "bob@example.com"))
    for typed in (wrong_code(code), code, code):
        answer = site.type_code(other, typed)
        pages.append(answer.get_data(as_text=True))
    assert site.who(other) == "bob@example.com"
    _, code = keep(site.mail(site.browser(), "carol@example.com"))
    pages.append(site.type_code(site.browser(), code).get_data(as_text=True))

    # The mail server refusing.
    site.smtp.mode = "refuse-data"
    pages.append(site.ask(site.browser(), "dave@example.com").get_data(as_text=True))

    records = [r for r in caplog.records if not r.name.startswith(_SMTP_SERVER_LOGGER)]
    assert any(r.name == _LOGGER for r in records)  # the flow did log
    assert any(r.name.startswith("sqlalchemy.engine") for r in records)  # SQL was logged
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(r) + repr(r.args) for r in records)
    for secret in secrets:
        assert secret not in logged
        for page in pages:
            assert secret not in page


def test_the_pending_cookie_and_pages_keep_no_secret(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    token, code = link_query(sign_in_link(received))["token"], sign_in_code(received)
    pending = cookie_value(client, PENDING_COOKIE)
    assert pending is not None
    page = client.get(VERIFY_REQUEST).get_data(as_text=True)
    for secret in (token, code, code.replace("-", "")):
        assert secret not in pending
        assert secret not in page


def test_the_link_carries_the_address_url_encoded(site: Site) -> None:
    address = "ada+tag@example.com"
    client = site.browser()
    link = sign_in_link(site.mail(client, address))
    assert "ada%2Btag%40example.com" in link
    assert link_query(link)["email"] == address
    assert site.redeem(client, link).status_code == 302
    assert site.who(client) == address


def test_the_verify_request_page_without_a_request_shows_no_form(site: Site) -> None:
    page = site.browser().get(VERIFY_REQUEST)
    assert page.status_code == 200
    assert 'name="code"' not in page.get_data(as_text=True)
