"""The reference app of the tests and the benchmarks' SQL counts.

:func:`make_app` is a real Flask app with the extension on the given adapter, a public ``/``,
``/whoami`` (the signed-in address, or "anonymous") and a protected ``/private``.
:class:`DummyProvider` is an OAuth-style provider for tests: ``begin`` redirects straight to
the callback with what the test posted (``sub``, ``email``, ``name``, ``verified``), and
``finish`` turns those query parameters into a :class:`ProviderResult`. Everything after the
provider (rules, storage, sessions, cookies) is the real extension on a real database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

from flask_authadapter import Auth, current_user, login_required
from flask_authadapter.core.clock import Clock
from flask_authadapter.core.errors import OAuthCallbackError
from flask_authadapter.models import Account, User
from flask_authadapter.providers.base import Provider, ProviderResult, SignInFlow

__all__ = ["SECRET", "DummyProvider", "add_pages", "make_app"]

SECRET = "test-secret-" + "x" * 40


class DummyProvider(Provider):
    """An OAuth-style provider whose "authorization server" is the test itself."""

    def begin(self, flow: SignInFlow) -> Response:
        fields = {
            k: request.form[k] for k in ("sub", "email", "name", "verified") if k in request.form
        }
        return redirect(f"{flow.redirect_uri}?{urlencode(fields)}")

    def finish(self, flow: SignInFlow, answer: Mapping[str, str]) -> ProviderResult:
        sub = answer.get("sub")
        if not sub:
            raise OAuthCallbackError("the dummy provider's answer has no sub")
        email = answer.get("email") or None
        return ProviderResult(
            account=Account(
                user_id="",
                type="oauth",
                provider=self.id,
                provider_account_id=sub,
                access_token=answer.get("access_token", f"access-{sub}"),
                token_type="bearer",
            ),
            profile=User(email=email, name=answer.get("name") or None),
            # A verifying provider unless the test says otherwise ("verified=0").
            email_verified=answer.get("verified") != "0",
            raw=dict(answer),
        )


def make_app(
    adapter: Any,
    *,
    providers: list[Provider] | None = None,
    clock: Clock | None = None,
    pages: bool = True,
    **config: Any,
) -> tuple[Flask, Auth]:
    """A real app with the extension (``config`` on top of its settings) and, unless
    ``pages`` is false, a public ``/``, ``/whoami`` and a protected ``/private``."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True, **config)
    auth = Auth()
    auth.init_app(
        app,
        adapter=adapter,
        providers=providers if providers is not None else [DummyProvider("dummy")],
        clock=clock,
    )
    if pages:
        add_pages(app)
    return app, auth


def add_pages(app: Flask) -> None:
    """Add the pages of the reference app: ``/``, ``/whoami`` and a protected ``/private``."""

    @app.get("/")
    def home() -> str:
        return "home"

    @app.get("/whoami")
    def whoami() -> str:
        return current_user.email or "anonymous"

    @app.get("/private")
    @login_required
    def private() -> str:
        return f"private page of {current_user.email}"
