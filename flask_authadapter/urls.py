"""The site's URLs as sign-in needs them: its base, a provider's callback, and where to go
next (the ``redirect`` callback's choice, kept on the site)."""

from __future__ import annotations

from flask import abort, request

from .state import AuthState
from .web.redirects import origin_of, safe_redirect


def base_url(state: AuthState) -> str:
    """The site's public base URL: AUTH_URL, or (when unset) the request's own; a request
    whose Host cannot make a URL is refused (400)."""
    if state.config.url:
        return state.config.url
    try:
        root = request.url_root.rstrip("/")
        origin_of(root)
    except (ValueError, UnicodeError):
        abort(400, "the request's Host header is not a usable host name")
    return root


def callback_url(state: AuthState, provider_id: str) -> str:
    """The absolute URL of ``provider_id``'s callback (an OAuth ``redirect_uri``, or the
    link in a sign-in email)."""
    return f"{base_url(state)}{state.config.url_prefix}/callback/{provider_id}"


def redirect_target(state: AuthState, url: str | None) -> str:
    """Where to go: ``url`` through the ``redirect`` callback, kept same-origin."""
    base = base_url(state)
    default = state.config.default_redirect
    target = safe_redirect(url, base_url=base, default=default)
    chosen = state.callbacks.redirect(url=target, base_url=base)
    return safe_redirect(chosen, base_url=base, default=default)
