"""Error pages and JSON, and the headers every auth response carries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Request, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from ..config import AuthConfig
from ..core import errors
from ..core.errors import AuthAdapterError, SignInError
from .urls import with_query


@dataclass(frozen=True)
class ErrorPage:
    """What the person is told for an error ``code``: the HTTP status, a title and one
    sentence. Never the details."""

    code: str
    status: int
    title: str
    message: str

    @classmethod
    def of(cls, error: AuthAdapterError | type[AuthAdapterError]) -> ErrorPage:
        """The page an error class (or instance) declares."""
        return cls(error.code, error.status, error.title, error.message)


#: A page for requests that need a signed-in user (``?error=SessionRequired``).
SESSION_REQUIRED = ErrorPage(
    "SessionRequired", 401, "Please sign in", "You need to sign in to see this page."
)
#: A request body over the blueprint's bound.
TOO_LARGE = ErrorPage(
    "TooLarge",
    413,
    "Too much data",
    "The form sent was far larger than a sign-in form can be. Please go back and try again.",
)

#: An address naming no configured provider (a mistyped or stale link, a removed provider).
UNKNOWN_PROVIDER = ErrorPage(
    "UnknownProvider",
    404,
    "Unknown sign-in method",
    "This site has no sign-in method at this address. Please sign in from the sign-in page.",
)

#: The codes an error page may be asked for (``?error=CODE``), each with its page.
ERROR_PAGES: dict[str, ErrorPage] = {
    page.code: page
    for page in [
        *map(
            ErrorPage.of,
            [
                errors.ConfigurationError,
                errors.AccessDenied,
                errors.Cancelled,
                errors.Verification,
                errors.OAuthSignin,
                errors.OAuthCallbackError,
                errors.OAuthAccountNotLinked,
                errors.EmailSignin,
                errors.MissingCSRF,
                errors.RateLimited,
                errors.StorageError,
                SignInError,
            ],
        ),
        SESSION_REQUIRED,
        TOO_LARGE,
    ]
}


def page_for(code: object) -> ErrorPage:
    """The page of error ``code``, or the ``Default`` one for anything else."""
    found = ERROR_PAGES.get(code) if isinstance(code, str) else None
    return found or ERROR_PAGES[SignInError.code]


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


def security_headers(response: Response, config: AuthConfig) -> Response:
    """The headers every response of the blueprint carries (on pages, the
    Content-Security-Policy of AUTH_CONTENT_SECURITY_POLICY, unless it is None)."""
    no_store(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    policy = config.content_security_policy
    if response.mimetype == "text/html" and policy is not None:
        response.headers.setdefault("Content-Security-Policy", policy)
    return response


def error_response(
    error: AuthAdapterError | ErrorPage,
    config: AuthConfig,
    *,
    as_json: bool | None = None,
) -> Response:
    """The error page (or JSON) for ``error``, with its status: the app's own page
    (AUTH_PAGES["error"]) for the codes of :data:`ERROR_PAGES`, else the blueprint's.

    ``as_json`` forces JSON (True) or a page (False); by default the client's ``Accept``
    header decides. An error with a ``retry_after`` (seconds) sends it as ``Retry-After``,
    says it in the message (and as ``retryAfter`` in JSON)."""
    page = error if isinstance(error, ErrorPage) else ErrorPage.of(error)
    retry_after: int | None = getattr(error, "retry_after", None)
    message = retry_message(retry_after) if retry_after else page.message
    response: Response
    if as_json or (as_json is None and wants_json(request)):
        extra: dict[str, Any] = {"retryAfter": retry_after} if retry_after else {}
        response = jsonify(error=page.code, message=message, **extra)
        response.status_code = page.status
    elif (own := config.pages.get("error")) and ERROR_PAGES.get(page.code) == page:
        response = redirect(with_query(own, {"error": page.code}))
    else:
        body = render_template(
            "auth/error.html",
            # The generic page names no code: "Default" would tell the person nothing.
            code=None if page.code == SignInError.code else page.code,
            title=page.title,
            message=message,
            site_name=config.site_name,
            prefix=config.url_prefix,
        )
        response = Response(body, status=page.status, mimetype="text/html")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return no_store(response)
