"""Every ``AUTH_*`` setting, its default, and how it is read: the one place they live.

Durations may be given as a :class:`~datetime.timedelta` or a number of seconds (so
``app.config.from_prefixed_env()`` works). Every setting is checked by :func:`load_config` at
start-up: problems are :class:`ConfigurationError` naming the key, never a 500 on the first
request (nor an email that fails at run time).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .core.errors import ConfigurationError
from .core.sessions import SessionPolicy

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DEFAULTS",
    "PAGE_KINDS",
    "REMOVED",
    "AuthConfig",
    "csrf_cookie_name",
    "in_the_environment",
    "load_config",
]

logger = logging.getLogger("flask_authadapter")

#: The pages' Content-Security-Policy by default: nothing from elsewhere, no inline style or
#: script, no framing, forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

#: The session lifetimes of an app that sets none (SessionPolicy holds their values).
_POLICY = SessionPolicy()

#: Every setting with its default. ``AUTH_SECRET`` falls back to ``SECRET_KEY``. Email
#: sign-in's own settings are the Email provider's arguments (``Email(max_attempts=...,
#: timeout=..., rate_limits=EmailLimits(...))``).
DEFAULTS: dict[str, Any] = {
    # The secret that signs CSRF tokens and MACs verification tokens; falls back to
    # SECRET_KEY. Old secrets in AUTH_SECRET_FALLBACKS still verify (rotation).
    "AUTH_SECRET": None,
    "AUTH_SECRET_FALLBACKS": (),
    # The public base URL of the app ("https://example.com"): links in emails are built
    # from it, never from the request's Host header; its scheme decides Secure cookies.
    "AUTH_URL": None,
    # Where the blueprint's routes live, and its name (the first part of its endpoints:
    # url_for("auth.signin_page")). An app with a blueprint of its own named "auth" sets
    # another name (and usually another prefix).
    "AUTH_URL_PREFIX": "/auth",
    "AUTH_BLUEPRINT_NAME": "auth",
    # Sessions: sliding lifetime, how often the expiry is moved, optional absolute cap.
    "AUTH_SESSION_MAX_AGE": _POLICY.max_age,
    "AUTH_SESSION_UPDATE_AGE": _POLICY.update_age,
    "AUTH_SESSION_ABSOLUTE_MAX_AGE": _POLICY.absolute_max_age,
    # Cookies. Over HTTPS the names get the __Host- prefix (or __Secure- when a domain is
    # set). The CSRF cookie is named after the session cookie (see csrf_cookie_name).
    # AUTH_COOKIE_SECURE None means: secure when AUTH_URL (or the request) is https.
    "AUTH_COOKIE_NAME": "authadapter.session",
    "AUTH_COOKIE_SECURE": None,
    "AUTH_COOKIE_SAMESITE": "Lax",
    "AUTH_COOKIE_DOMAIN": None,
    # The app's own pages instead of the blueprint's (paths or URLs), as Auth.js's `pages`:
    # a mapping of some of PAGE_KINDS, {"signin": "/login"}. None: the blueprint's.
    "AUTH_PAGES": None,
    # Where to go after signing in or out when no callback_url was given.
    "AUTH_DEFAULT_REDIRECT": "/",
    # The site's name in page titles and emails (default: the app's name).
    "AUTH_SITE_NAME": None,
    # Where the rate-limit counters live (the `limits` library's storage URI): memory://
    # for one process, redis://host:6379 to share the counts between instances.
    "AUTH_RATELIMIT_STORAGE_URI": "memory://",
    # The Content-Security-Policy header of the blueprint's pages (None: send none). An app
    # whose own auth/base.html has an inline <style> or <script> allows it here.
    "AUTH_CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
}

#: The pages an app may replace with its own in AUTH_PAGES.
PAGE_KINDS = ("signin", "signout", "error", "verify_request")

_EMAIL_LIMIT = "moved: pass Email(rate_limits=EmailLimits({}=...)) (flask_authadapter.ratelimit)"

#: Settings no longer read, and what replaces each: :func:`load_config` refuses them, so
#: that no app's setting is silently ignored.
REMOVED: dict[str, str] = {
    "AUTH_RATELIMIT_ENABLED": "moved: pass Email(rate_limits=None) to turn the limits off",
    "AUTH_RATELIMIT_EMAIL": _EMAIL_LIMIT.format("per_address"),
    "AUTH_RATELIMIT_EMAIL_TOTAL": _EMAIL_LIMIT.format("per_address_total"),
    "AUTH_RATELIMIT_IP": _EMAIL_LIMIT.format("per_network"),
    "AUTH_RATELIMIT_SEND_GLOBAL": _EMAIL_LIMIT.format("send_budget"),
    "AUTH_RATELIMIT_VERIFY": _EMAIL_LIMIT.format("verify"),
    "AUTH_CODE_MAX_ATTEMPTS": "moved: pass Email(max_attempts=...)",
    "AUTH_EMAIL_TIMEOUT": "moved: pass Email(timeout=...) (seconds)",
    **{
        f"AUTH_PAGES_{kind.upper()}": f'moved: set AUTH_PAGES = {{"{kind}": ...}}'
        for kind in PAGE_KINDS
    },
    "AUTH_CSRF_COOKIE_NAME": (
        "removed: the CSRF cookie is named after AUTH_COOKIE_NAME (its last .part replaced "
        "by .csrf: authadapter.session gives authadapter.csrf); set AUTH_COOKIE_NAME only"
    ),
    "AUTH_SESSION_STORE_USER_AGENT": (
        "removed: a session's user agent is kept when the adapter's sessions table has a "
        "user_agent column; use session models without that column to keep none"
    ),
}

_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


@dataclass(frozen=True)
class AuthConfig:
    """The settings of one app, read and checked once at start-up."""

    secret: str
    secret_fallbacks: tuple[str, ...]
    url: str | None
    url_prefix: str
    blueprint_name: str
    session_policy: SessionPolicy
    cookie_name: str
    csrf_cookie_name: str
    cookie_secure: bool | None
    cookie_samesite: str
    cookie_domain: str | None
    pages: Mapping[str, str | None]
    default_redirect: str
    site_name: str
    ratelimit_storage_uri: str
    content_security_policy: str | None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The current secret, then the fallbacks: the order in which to verify."""
        return (self.secret, *self.secret_fallbacks)


def _duration(name: str, value: Any, *, optional: bool = False) -> timedelta | None:
    if value is None and optional:
        return None
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a number of seconds or a timedelta")
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    if isinstance(value, str) and value.strip().isdigit():
        return timedelta(seconds=int(value))
    raise ConfigurationError(f"{name} must be a number of seconds or a timedelta, not {value!r}")


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(value, int):
        return bool(value)
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def _base_url(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigurationError("AUTH_URL must be a URL such as https://example.com")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"AUTH_URL must be an http(s) URL without query or fragment, not {value!r}"
        )
    return value.rstrip("/")


def _prefix(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.endswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(char.isspace() for char in value)
    ):
        raise ConfigurationError(
            f"AUTH_URL_PREFIX must be a path like /auth (one leading /, none at the end, no "
            f"spaces or backslashes), not {value!r}"
        )
    return value


def in_the_environment(key: str) -> str:
    """How setting ``key`` is named in the environment, for error messages."""
    return f"in the environment, FLASK_{key} for app.config.from_prefixed_env()"


def _secrets(config: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    secret = config.get("AUTH_SECRET") or config.get("SECRET_KEY")
    if not secret:
        raise ConfigurationError(
            "flask-authadapter needs a secret: set AUTH_SECRET (or SECRET_KEY) to a long "
            'random value, e.g. the output of: python -c "import secrets; '
            f'print(secrets.token_urlsafe(32))" ({in_the_environment("AUTH_SECRET")})'
        )
    if isinstance(secret, bytes):
        secret = secret.decode("utf-8")
    if not isinstance(secret, str):
        raise ConfigurationError("AUTH_SECRET must be a string")
    if len(secret) < 32:
        logger.warning(
            "AUTH_SECRET is shorter than 32 characters; use a long random value in production"
        )
    fallbacks = config.get("AUTH_SECRET_FALLBACKS") or ()
    if isinstance(fallbacks, str):
        fallbacks = [part.strip() for part in fallbacks.split(",") if part.strip()]
    if not all(isinstance(item, (str, bytes)) and item for item in fallbacks):
        raise ConfigurationError("AUTH_SECRET_FALLBACKS must be a list of non-empty strings")
    decoded = tuple(f.decode("utf-8") if isinstance(f, bytes) else f for f in fallbacks)
    return secret, decoded


def load_config(config: Mapping[str, Any], *, app_name: str = "") -> AuthConfig:
    """Read and check the ``AUTH_*`` settings of an app's config (missing keys: defaults)."""

    def get(key: str) -> Any:
        return config.get(key, DEFAULTS[key])

    _refuse_removed(config)
    secret, fallbacks = _secrets(config)
    max_age = _duration("AUTH_SESSION_MAX_AGE", get("AUTH_SESSION_MAX_AGE"))
    update_age = _duration("AUTH_SESSION_UPDATE_AGE", get("AUTH_SESSION_UPDATE_AGE"))
    absolute = _duration(
        "AUTH_SESSION_ABSOLUTE_MAX_AGE", get("AUTH_SESSION_ABSOLUTE_MAX_AGE"), optional=True
    )
    assert max_age is not None and update_age is not None
    try:
        policy = SessionPolicy(max_age=max_age, update_age=update_age, absolute_max_age=absolute)
    except ValueError as exc:
        raise ConfigurationError(f"session settings: {exc}") from None
    samesite_setting = get("AUTH_COOKIE_SAMESITE")
    samesite = (
        _SAMESITE.get(samesite_setting.lower()) if isinstance(samesite_setting, str) else None
    )
    if samesite is None:
        raise ConfigurationError(
            'AUTH_COOKIE_SAMESITE must be the text "Lax", "Strict" or "None", '
            f"not {samesite_setting!r}"
        )
    secure = get("AUTH_COOKIE_SECURE")
    url = _base_url(get("AUTH_URL"))
    cookie_secure = None if secure is None else _flag("AUTH_COOKIE_SECURE", secure)
    insecure_url = url is not None and url.startswith("http://")
    if samesite == "None" and (cookie_secure is False or (cookie_secure is None and insecure_url)):
        raise ConfigurationError("AUTH_COOKIE_SAMESITE=None needs secure cookies")
    cookie_name = _cookie_name("AUTH_COOKIE_NAME", get("AUTH_COOKIE_NAME"))
    return AuthConfig(
        secret=secret,
        secret_fallbacks=fallbacks,
        url=url,
        url_prefix=_prefix(get("AUTH_URL_PREFIX")),
        blueprint_name=_blueprint_name(get("AUTH_BLUEPRINT_NAME")),
        session_policy=policy,
        cookie_name=cookie_name,
        csrf_cookie_name=csrf_cookie_name(cookie_name),
        cookie_secure=cookie_secure,
        cookie_samesite=samesite,
        cookie_domain=_optional_text("AUTH_COOKIE_DOMAIN", get("AUTH_COOKIE_DOMAIN")),
        pages=_pages(get("AUTH_PAGES")),
        default_redirect=_text("AUTH_DEFAULT_REDIRECT", get("AUTH_DEFAULT_REDIRECT")),
        site_name=_optional_text("AUTH_SITE_NAME", get("AUTH_SITE_NAME"))
        or app_name
        or "this site",
        ratelimit_storage_uri=_text(
            "AUTH_RATELIMIT_STORAGE_URI", get("AUTH_RATELIMIT_STORAGE_URI")
        ),
        content_security_policy=_policy(get("AUTH_CONTENT_SECURITY_POLICY")),
    )


def _refuse_removed(config: Mapping[str, Any]) -> None:
    """Raise for every setting of :data:`REMOVED` the app still sets, saying what replaces it."""
    found = [f"{key} {REMOVED[key]}" for key in REMOVED if key in config]
    if found:
        raise ConfigurationError("; ".join(found))


def _pages(value: Any) -> Mapping[str, str | None]:
    """AUTH_PAGES: the app's own page for each of :data:`PAGE_KINDS` it names."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f'AUTH_PAGES must be a mapping such as {{"signin": "/login"}}, not {value!r}'
        )
    unknown = sorted(repr(kind) for kind in value if kind not in PAGE_KINDS)
    if unknown:
        raise ConfigurationError(
            f"AUTH_PAGES names no such page: {', '.join(unknown)} (the pages are "
            f"{', '.join(PAGE_KINDS)})"
        )
    return MappingProxyType(
        {kind: _optional_text(f'AUTH_PAGES["{kind}"]', value.get(kind)) for kind in PAGE_KINDS}
    )


def csrf_cookie_name(cookie_name: str) -> str:
    """The CSRF cookie's name, made from the session cookie's: its last ``.part`` replaced
    by ``.csrf`` (``authadapter.session`` gives ``authadapter.csrf``), or ``.csrf`` added."""
    stem = cookie_name.rpartition(".")[0] or cookie_name
    name = f"{stem}.csrf"
    if name == cookie_name:
        raise ConfigurationError(
            f"AUTH_COOKIE_NAME must not end in .csrf, which names the CSRF cookie made from "
            f"it, not {cookie_name!r}"
        )
    return name


def _text(name: str, value: Any) -> str:
    """A setting that is non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be non-empty text, not {value!r}")
    return value


def _optional_text(name: str, value: Any) -> str | None:
    """A setting that is text, or unset (None or empty)."""
    if value is None or value == "":
        return None
    return _text(name, value)


#: What a cookie name may hold (RFC 6265's token: no separators, spaces or controls).
_COOKIE_NAME_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')


def _cookie_name(name: str, value: Any) -> str:
    text = _text(name, value)
    if not text.isascii() or any(c in _COOKIE_NAME_SEPARATORS or not c.isprintable() for c in text):
        raise ConfigurationError(
            f"{name} must be a cookie name (ASCII letters, digits and .-_ and the like, no "
            f"spaces or separators), not {value!r}"
        )
    return text


def _blueprint_name(value: Any) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise ConfigurationError(
            f"AUTH_BLUEPRINT_NAME must be a name like auth or authadapter (letters, digits "
            f"and _, no dots), not {value!r}"
        )
    return value


def _policy(value: Any) -> str | None:
    """AUTH_CONTENT_SECURITY_POLICY: a header value, or None (or empty) to send none."""
    policy = _optional_text("AUTH_CONTENT_SECURITY_POLICY", value)
    if policy is not None and ("\r" in policy or "\n" in policy):
        raise ConfigurationError("AUTH_CONTENT_SECURITY_POLICY must be on one line")
    return policy
