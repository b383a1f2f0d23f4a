"""The site the header tests ask (every kind of provider, a store that fails when told to)
and the checks of the security headers and of a Content-Security-Policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.errors import StorageError
from flask_authadapter.providers import OIDC, Email, OAuth2
from flask_authadapter.providers.email import SignInEmail
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app
from tests.mail import free_port

PROVIDER = f"http://127.0.0.1:{free_port()}"
SITE = "http://localhost"


class FailingStore(MemoryAdapter):
    """A store that is down whenever ``down`` is set (for the 503 answers)."""

    down = False

    def get_session_and_user(self, session_token: str) -> Any:
        if self.down:
            raise StorageError("the test store is down")
        return super().get_session_and_user(session_token)


@dataclass
class Site:
    """One app for one test, with what the cases need: its mail, its store."""

    app: Flask
    store: FailingStore
    mails: list[SignInEmail] = field(default_factory=list)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def signed_in(self, **kwargs: Any) -> FlaskClient:
        """A client signed in through the test provider (user ada@example.com)."""
        client = self.app.test_client()
        landed = dummy_sign_in(client, **kwargs)
        assert landed.status_code == 302, landed.get_data(as_text=True)
        return client

    def post(
        self, client: FlaskClient, path: str, form: dict[str, str] | None = None, **kw: Any
    ) -> TestResponse:
        """A POST with this browser's CSRF token."""
        data = {"csrf_token": csrf_from(client), **(form or {})}
        return client.post(path, data=data, **kw)

    def ask_for_link(self, client: FlaskClient, email: str) -> TestResponse:
        return self.post(client, "/auth/signin/email", {"email": email})

    def last_link(self) -> str:
        return self.mails[-1].url.removeprefix(SITE)


def make_site(**config: Any) -> Site:
    store = FailingStore()
    mails: list[SignInEmail] = []
    providers = [
        Email(send=mails.append),
        DummyProvider("dummy"),
        OAuth2(
            "oauth",
            authorize_url=f"{PROVIDER}/authorize",
            token_url=f"{PROVIDER}/token",
            userinfo_url=f"{PROVIDER}/userinfo",
            client_id="headers-client",
            client_secret="headers-secret",
            timeout=0.5,
        ),
        OIDC("oidc", issuer=PROVIDER, client_id="headers-client", timeout=0.5),
    ]
    app, _ = make_app(store, providers=providers, AUTH_URL=SITE, **config)
    app.config["TESTING"] = False  # answers as in production (a crash would be a 500 page)
    return Site(app=app, store=store, mails=mails)


# =========================================================================== #
# The checks
# =========================================================================== #

_WILDCARD = re.compile(r"^(\*|https?:|wss?:|\*\..*|.*://\*.*)$")


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response: TestResponse) -> None:
    headers = response.headers
    cache = {d.strip().lower() for d in headers.get("Cache-Control", "").split(",")}
    assert "no-store" in cache, f"Cache-Control: {headers.get('Cache-Control')!r}"
    assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), headers.get(
        "Referrer-Policy"
    )
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    if response.mimetype == "text/html":
        policy = headers.get("Content-Security-Policy")
        assert policy, "an HTML answer without a Content-Security-Policy"
        assert_restrictive(policy)


def assert_restrictive(policy: str) -> None:
    directives = csp_directives(policy)
    assert directives.get("default-src") == ["'none'"], policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    # Forms post here; browsers apply form-action to the redirect after a POST too, so
    # the pages whose forms start a provider sign-in also name the providers' origins.
    form_action = directives.get("form-action") or []
    assert form_action[:1] == ["'self'"], policy
    assert set(form_action[1:]) <= {PROVIDER}, policy
    assert directives.get("base-uri") in (["'none'"], ["'self'"]), policy
    for name, sources in directives.items():
        for source in sources:
            lowered = source.lower()
            assert not lowered.startswith("'unsafe-"), f"{name} {source}: {policy}"
            assert not _WILDCARD.match(lowered), f"{name} {source}: {policy}"
            if lowered == "data:":
                assert name == "img-src", f"{name} {source}: {policy}"
