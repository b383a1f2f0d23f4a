"""Error pages and JSON, and the headers every auth response carries."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import Request, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from ..config import AuthConfig
from ..core.errors import ERROR_STATUS

__all__ = ["ERROR_MESSAGES", "csp_allowing", "error_response", "no_store", "wants_json"]

#: What the person is told for each code: a title and one sentence. Never the details.
ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    "Configuration": (
        "Server error",
        "Sign-in is not set up correctly on this site. Please tell the site's owner.",
    ),
    "AccessDenied": ("Access denied", "You do not have permission to sign in."),
    "Verification": (
        "Unable to sign in",
        "The sign-in link is no longer valid. It may have been used already or it may "
        "have expired. Please ask for a new one.",
    ),
    "OAuthSignin": ("Unable to sign in", "Signing in with this provider could not start."),
    "OAuthCallbackError": (
        "Unable to sign in",
        "The provider's answer could not be used. Please try again.",
    ),
    # Said only to someone whose provider vouched for the address (an unverified email
    # never leads here), and without naming it: it confirms nothing to anyone else.
    "OAuthAccountNotLinked": (
        "Use the account you signed up with",
        "You may already have an account here that you sign in to another way, for "
        "example with an email link. Sign in that way, then link this provider from "
        "your account page.",
    ),
    "EmailSignin": (
        "Unable to send the email",
        "Please check the address and try again.",
    ),
    "MissingCSRF": (
        "Please try again",
        "The form had expired or came from another site. Reload the page and try again.",
    ),
    "SessionRequired": ("Please sign in", "You need to sign in to see this page."),
    "RateLimited": (
        "Too many attempts",
        "Please wait a few minutes before trying again.",
    ),
    "Unavailable": (
        "Temporarily unavailable",
        "Sign-in is unavailable for a moment. Please try again shortly.",
    ),
    "TooLarge": (
        "Too much data",
        "The form sent was far larger than a sign-in form can be. Please go back and try again.",
    ),
    "Default": ("Unable to sign in", "Something went wrong. Please try again."),
}

#: Statuses of the codes that are not sign-in errors.
_EXTRA_STATUS = {"Unavailable": 503, "TooLarge": 413}


def status_of(code: str) -> int:
    """The HTTP status of error ``code``."""
    return ERROR_STATUS.get(code) or _EXTRA_STATUS.get(code) or ERROR_STATUS["Default"]


def known_code(code: object) -> str:
    """``code`` if it is one of the error codes, else ``"Default"``."""
    return code if isinstance(code, str) and code in ERROR_MESSAGES else "Default"


def wants_json(req: Request) -> bool:
    """Whether the client asked for JSON rather than a page."""
    if req.is_json:
        return True
    best = req.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def no_store(response: Response) -> Response:
    """Forbid caching of a response that shows or sets anything personal."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def csp_allowing(policy: str, directive: str, sources: list[str]) -> str:
    """``policy`` (a Content-Security-Policy) with ``sources`` allowed by ``directive`` too.

    A fetch directive (``script-src``...) that the policy lacks falls back to
    ``default-src``: it is added with default-src's sources and these. A directive without
    that fallback (``form-action``) that the policy lacks restricts nothing: left as it is."""

    def joined(known: list[str]) -> list[str]:
        allowed = [word for word in known if word != "'none'"]
        for source in sources:
            if source not in allowed:
                allowed.append(source)
        return allowed

    directives = [part.split() for part in policy.split(";") if part.strip()]
    fallback: list[str] | None = None
    for words in directives:
        name = words[0].lower()
        if name == directive:
            words[1:] = joined(words[1:])
            return "; ".join(" ".join(words) for words in directives)
        if name == "default-src":
            fallback = words[1:]
    if fallback is None or not directive.endswith("-src"):
        return policy
    return "; ".join(" ".join(words) for words in [*directives, [directive, *joined(fallback)]])


def retry_message(seconds: int) -> str:
    """When to try again, in whole minutes rounded up (never sooner than the limit allows)."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"Please wait {minutes} minute{'s' if minutes != 1 else ''} before trying again."


def error_response(
    code: str,
    config: AuthConfig,
    *,
    site_name: str,
    as_json: bool | None = None,
    retry_after: int | None = None,
) -> Response:
    """The error page (or JSON) for ``code``, with its status; the app's page if configured.

    ``as_json`` forces JSON (an endpoint that only speaks JSON); by default the client's
    ``Accept`` header decides. ``retry_after`` (seconds) is sent as ``Retry-After`` and
    said in the message (and as ``retryAfter`` in JSON)."""
    response = _error_response(known_code(code), config, site_name, as_json, retry_after)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _error_response(
    code: str, config: AuthConfig, site_name: str, as_json: bool | None, retry_after: int | None
) -> Response:
    status = status_of(code)
    title, message = ERROR_MESSAGES[code]
    if retry_after:
        message = retry_message(retry_after)
    response: Response
    if as_json or (as_json is None and wants_json(request)):
        extra = {"retryAfter": retry_after} if retry_after else {}
        response = jsonify(error=code, message=message, **extra)
        response.status_code = status
        return no_store(response)
    page = config.pages.get("error")
    if page:
        response = redirect(f"{page}{'&' if '?' in page else '?'}{urlencode({'error': code})}")
        return no_store(response)
    body = render_template(
        "auth/error.html",
        code=code,
        title=title,
        message=message,
        site_name=site_name,
        prefix=config.url_prefix,
    )
    return no_store(Response(body, status=status, mimetype="text/html"))
