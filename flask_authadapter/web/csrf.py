"""CSRF protection for the blueprint's POSTs: a signed double-submit token, and an
Origin / Sec-Fetch-Site check.

The CSRF cookie holds ``token.signature`` (HMAC under AUTH_SECRET, so a cookie planted by
someone else does not verify); forms and the ``/csrf`` endpoint give out the token, which a
POST sends back as the ``csrf_token`` field or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac

from flask import Request, g

from ..config import AuthConfig
from ..core.errors import MissingCSRF
from ..core.tokens import new_token, plausible_token, sign, verify_signature
from .cookies import read_cookie
from .redirects import origin_of

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_PURPOSE = "csrf"
_CROSS_SITE = ("cross-site", "same-site")


def _from_cookie(value: str | None, config: AuthConfig) -> str | None:
    """The token in a CSRF cookie, if its signature verifies."""
    if not value or value.count(".") != 1:
        return None
    token, signature = value.split(".")
    if not plausible_token(token):
        return None
    if not verify_signature(config.secrets, token, signature, purpose=_PURPOSE):
        return None
    return token


def csrf_token(request: Request, config: AuthConfig) -> str:
    """This browser's CSRF token: from its cookie, or a new one (the cookie is then set)."""
    token: str | None = g.get("_authadapter_csrf")
    if token is None:
        token = _from_cookie(read_cookie(request, config.csrf_cookie_name, config), config)
        if token is None:
            return rotate_csrf_token(config)
        g._authadapter_csrf = token
    return token


def rotate_csrf_token(config: AuthConfig) -> str:
    """Give this browser a new CSRF token (its cookie is set with the response): done when
    someone signs in or out, so a token seen before cannot be used after."""
    token = new_token()
    g._authadapter_csrf = token
    g._authadapter_csrf_new = f"{token}.{sign(config.secret, token, purpose=_PURPOSE)}"
    return token


def pending_csrf_cookie() -> str | None:
    """The CSRF cookie value to set on this response, if a new token was made."""
    value: str | None = g.get("_authadapter_csrf_new")
    return value


def check_csrf(request: Request, config: AuthConfig) -> None:
    """Raise :class:`MissingCSRF` unless this POST is same-origin and carries the token."""
    site = request.headers.get("Sec-Fetch-Site")
    if site in _CROSS_SITE:
        raise MissingCSRF(f"a POST from another site (Sec-Fetch-Site: {site})")
    origin = request.headers.get("Origin")
    # "null" names no origin: browsers send it for pages whose Referrer-Policy is
    # no-referrer (ours), and for sandboxed or opaque ones. Such a POST is refused above
    # when it is cross-site (Sec-Fetch-Site), and needs the CSRF token below in any case.
    if origin is not None and origin.strip().lower() != "null":
        try:
            expected = origin_of(config.url) if config.url else origin_of(request.host_url)
        except (ValueError, UnicodeError):
            raise MissingCSRF("the request's Host header is not a usable host name") from None
        if origin.strip().lower() != expected:
            raise MissingCSRF("a POST from another origin")
    expected_token = _from_cookie(read_cookie(request, config.csrf_cookie_name, config), config)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if expected_token is None or not hmac.compare_digest(
        sent.encode("utf-8", "replace"), expected_token.encode()
    ):
        raise MissingCSRF("the CSRF token is missing or does not match")
