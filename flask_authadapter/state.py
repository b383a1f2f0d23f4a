"""What :meth:`Auth.init_app` set up for one app, and the one way to reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from flask import Flask, current_app, request

from .callbacks import Callbacks
from .config import AuthConfig
from .core.adapter import Adapter
from .core.clock import Clock
from .core.sealing import Sealer
from .core.sessions import SessionManager
from .providers.base import Provider
from .providers.email import Email
from .ratelimit import RateLimits
from .web.cookies import read_cookie

#: The key of an app's :class:`AuthState` in ``app.extensions``.
EXTENSION_KEY = "authadapter"


@dataclass
class AuthState:
    """What :meth:`Auth.init_app` set up for one app."""

    config: AuthConfig
    adapter: Adapter
    providers: dict[str, Provider]
    sessions: SessionManager
    clock: Clock
    limits: RateLimits
    #: The app's callbacks (the Auth's own object: one registered later applies too).
    callbacks: Callbacks
    #: Seals and opens the provider's tokens of accounts (see core/account_tokens.py).
    token_sealer: Sealer
    #: Seals the cookie of an email sign-in waiting for its link or code.
    pending_sealer: Sealer
    features: frozenset[str] = field(default_factory=frozenset)
    #: The session cookie's name when the settings fix it (AUTH_COOKIE_SECURE or AUTH_URL
    #: set), worked out once; None when it depends on each request's scheme.
    session_cookie: str | None = None
    #: Whether the app's first request checked that AUTH_DEFAULT_REDIRECT is one of its pages.
    first_request_seen: bool = False

    @property
    def email_provider(self) -> Email | None:
        """The Email provider, if one is configured (there is at most one)."""
        return next((p for p in self.providers.values() if isinstance(p, Email)), None)

    @property
    def oauth_providers(self) -> list[Provider]:
        """The providers that are not the Email provider, in their configured order."""
        return [p for p in self.providers.values() if not isinstance(p, Email)]

    def endpoint(self, view: str) -> str:
        """The endpoint of the blueprint's ``view`` (under AUTH_BLUEPRINT_NAME)."""
        return f"{self.config.blueprint_name}.{view}"

    def session_token(self) -> str | None:
        """The session cookie's value in this request, or None."""
        current = request._get_current_object()  # type: ignore[attr-defined]
        name = self.session_cookie
        if name is None:
            return read_cookie(current, self.config.cookie_name, self.config)
        token: str | None = current.cookies.get(name)
        return token


def auth_state(app: Flask | None = None) -> AuthState:
    """The sign-in state of ``app`` (default: the current app)."""
    target = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return cast(AuthState, target.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError("flask-authadapter is not set up: call Auth.init_app(app)") from None
