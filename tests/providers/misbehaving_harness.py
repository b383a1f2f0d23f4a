"""The relying-party conformance harness: an app signing in with OIDC against the
misbehaving provider (:mod:`tests.providers.misbehaving`) as a browser does, and what an
accepted or refused sign-in must leave behind."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC
from flask_authadapter.testing import MemoryRawStore
from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import csrf_from, make_app
from tests.providers.misbehaving import (
    CLIENT_ID,
    CLIENT_SECRET,
    KID,
    MisbehavingProvider,
    new_rsa_key,
)

APP_URL = "http://app.example"
PROVIDER_ID = "rp"

# Made once: RSA key generation is the slow part of this module.
OP_KEY = new_rsa_key(KID)
ATTACKER_KEY = new_rsa_key(KID)  # same kid as the provider's key, another key
ROTATED_KEY = new_rsa_key("op-key-2")


@dataclass
class RelyingParty:
    """An app with the extension and one OIDC provider pointed at the misbehaving one."""

    app: Flask
    raw: MemoryRawStore

    def rows(self) -> dict[str, int]:
        return {kind: self.raw.count(kind) for kind in ("users", "accounts", "sessions")}


def relying_party(op: MisbehavingProvider, issuer: str | None = None) -> RelyingParty:
    adapter = MemoryAdapter()
    provider = OIDC(
        PROVIDER_ID,
        issuer=issuer or op.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        timeout=5.0,
    )
    app, _ = make_app(adapter, providers=[provider], AUTH_URL=APP_URL)
    return RelyingParty(app, MemoryRawStore(adapter))


@dataclass
class Flow:
    """What one sign-in attempt came to."""

    stage: str  # "signin": refused at POST /auth/signin; "callback": at the callback
    response: TestResponse
    client: FlaskClient

    @property
    def text(self) -> str:
        return html.unescape(self.response.get_data(as_text=True))

    def error_code(self) -> str | None:
        """The error code whose page this is (its status and its sentence), or None."""
        for code, page in ERROR_PAGES.items():
            if page.message in self.text and self.response.status_code == page.status:
                return code
        return None

    def signed_in(self) -> bool:
        session = self.client.get("/auth/session", headers={"Accept": "application/json"})
        return session.get_json() is not None


def sign_in(rp: RelyingParty, op: MisbehavingProvider) -> Flow:
    """Sign in as a browser does: the form's POST, the provider, back to the callback."""
    client = rp.app.test_client()
    form = {"csrf_token": csrf_from(client), "callback_url": "/private"}
    started = client.post(f"/auth/signin/{PROVIDER_ID}", data=form)
    if started.status_code != 302:
        return Flow("signin", started, client)
    back = urlsplit(op.authorize(started.location))
    assert f"{back.scheme}://{back.netloc}{back.path}" == (f"{APP_URL}/auth/callback/{PROVIDER_ID}")
    return Flow("callback", client.get(f"{back.path}?{back.query}"), client)


def app_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The relying party's log lines (the extension's and Authlib's)."""
    return [r for r in caplog.records if r.name.startswith(("flask_authadapter", "authlib"))]


def assert_no_secret_leaked(flow: Flow, op: MisbehavingProvider, caplog: Any) -> None:
    lines = [record.getMessage() for record in caplog.records]
    for secret in op.secrets_seen():
        assert not any(secret in line for line in lines), "a secret reached a log line"
        assert secret not in flow.text, "a secret reached the page"


def assert_accepted(flow: Flow, rp: RelyingParty) -> None:
    assert flow.stage == "callback"
    assert flow.response.status_code == 302, flow.text
    assert urlsplit(flow.response.location).path == "/private"
    assert flow.signed_in()
    assert rp.rows() == {"users": 1, "accounts": 1, "sessions": 1}


def assert_refused(
    flow: Flow, rp: RelyingParty, caplog: Any, *, code: str, stage: str, log: str
) -> None:
    assert (flow.stage, flow.error_code()) == (stage, code), (
        flow.response.status_code,
        flow.text[:300],
    )
    assert flow.response.status_code == ERROR_PAGES[code].status == 400
    assert rp.rows() == {"users": 0, "accounts": 0, "sessions": 0}, "something half-written"
    assert not flow.signed_in()
    explained = [
        r.getMessage()
        for r in app_log(caplog)
        if r.levelno in (logging.INFO, logging.WARNING) and log in r.getMessage()
    ]
    assert explained, (
        f"no INFO/WARNING line saying {log!r}: {[r.getMessage() for r in app_log(caplog)]}"
    )
