"""The session and CSRF cookies: names, attributes, reading and writing.

Over HTTPS a cookie gets the ``__Host-`` prefix (``Secure``, ``Path=/``, no ``Domain``:
it cannot be set or overwritten by a sibling subdomain), or ``__Secure-`` when the app sets
a cookie domain.
"""

from __future__ import annotations

from datetime import datetime

from flask import Request
from werkzeug.wrappers import Response

from ..config import AuthConfig


def is_secure(config: AuthConfig, request: Request | None) -> bool:
    """Whether cookies are ``Secure``: the setting, else AUTH_URL's scheme, else the request's."""
    if config.cookie_secure is not None:
        return config.cookie_secure
    if config.url is not None:
        return config.url.startswith("https://")
    if request is None:
        raise ValueError("without AUTH_COOKIE_SECURE or AUTH_URL, the request decides")
    return request.is_secure


def fixed_cookie_name(base: str, config: AuthConfig) -> str | None:
    """The name of cookie ``base`` when the settings alone decide it (AUTH_COOKIE_SECURE or
    AUTH_URL set): worked out once at start-up instead of on every request. None when it
    depends on each request's scheme."""
    if config.cookie_secure is None and config.url is None:
        return None
    return cookie_name(base, config, is_secure(config, None))


def cookie_name(base: str, config: AuthConfig, secure: bool) -> str:
    """The cookie's name, with the prefix its attributes allow."""
    if not secure:
        return base
    return ("__Secure-" if config.cookie_domain else "__Host-") + base


def read_cookie(request: Request, base: str, config: AuthConfig) -> str | None:
    """The value of cookie ``base`` (by its prefixed name over HTTPS), or None."""
    return request.cookies.get(cookie_name(base, config, is_secure(config, request)))


def write_cookie(
    response: Response,
    request: Request,
    base: str,
    value: str,
    config: AuthConfig,
    *,
    expires: datetime | None = None,
    samesite: str | None = None,
) -> None:
    """Set cookie ``base``: HttpOnly, SameSite (AUTH_COOKIE_SAMESITE unless ``samesite``
    says otherwise), Path=/, Secure over HTTPS."""
    secure = is_secure(config, request)
    response.set_cookie(
        cookie_name(base, config, secure),
        value,
        expires=expires,
        path="/",
        domain=config.cookie_domain,
        secure=secure,
        httponly=True,
        samesite=samesite or config.cookie_samesite,
    )


def delete_cookie(
    response: Response,
    request: Request,
    base: str,
    config: AuthConfig,
    *,
    samesite: str | None = None,
) -> None:
    """Expire cookie ``base`` in the browser."""
    secure = is_secure(config, request)
    response.delete_cookie(
        cookie_name(base, config, secure),
        path="/",
        domain=config.cookie_domain,
        secure=secure,
        httponly=True,
        samesite=samesite or config.cookie_samesite,
    )
