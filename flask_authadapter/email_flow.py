"""The email sign-in flow, as the views call it: request a link, confirm, redeem.

Opening the link never uses it: ``GET`` (and ``HEAD``) only render a confirm page whose
button POSTs the token. Email security scanners that open every link in a message (Safe
Links, Mimecast, ...) therefore cannot burn it. The same email carries a code that the
browser which asked for the link can type on the "check your email" page instead: the
code is bound to that request (its id is in the browser's pending cookie), and each request
has its own few tries, so neither another browser nor too many wrong codes can touch the
emailed link, or anyone else's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from .actions import finish_email_sign_in, redirect_target
from .core.errors import AccessDenied, EmailSignin, SignInError, Verification
from .core.verification import Verifier
from .extension import AuthState
from .providers.email import Email
from .web.cookies import delete_cookie, read_cookie, write_cookie
from .web.csrf import CSRF_FIELD, csrf_token

__all__ = ["confirm_page", "redeem", "request_link", "verify_request_context"]

logger = logging.getLogger("flask_authadapter")

#: The signed cookie that ties the "check your email" page (and its code form) to the
#: browser that asked for the link.
PENDING_COOKIE = "authadapter.pending"


def _verifier(state: AuthState, provider: Email) -> Verifier:
    return Verifier(
        state.adapter, state.config.secrets, max_age=provider.max_age, clock=state.clock
    )


def _pending_serializer(state: AuthState) -> URLSafeTimedSerializer:
    keys = [*reversed(state.config.secret_fallbacks), state.config.secret]
    return URLSafeTimedSerializer(keys, salt="authadapter.pending-email")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _signin_error_page(state: AuthState, callback_url: str) -> Response:
    query = {"error": EmailSignin.code}
    if callback_url:
        query["callback_url"] = callback_url
    return redirect(f"{url_for(state.endpoint('signin_page'))}?{urlencode(query)}")


def request_link(state: AuthState, provider: Email) -> Response:
    """``POST /signin/email``: send a link and a code, then "check your email".

    The answer is the same whether or not the address belongs to anyone.
    """
    callback_url = redirect_target(state, request.form.get("callback_url"))
    try:
        email = provider.normalize(request.form.get("email"))
    except EmailSignin as error:
        logger.info("sign-in email refused: %s", error)
        return _signin_error_page(state, request.form.get("callback_url") or "")
    state.limits.sending(email, _client_ip())  # RateLimited: the blueprint's 429 page
    existing = state.adapter.get_user_by_email(email)
    decision = _sign_in_callback(state, email, existing)
    if decision is not None:
        return decision
    verifier = _verifier(state, provider)
    issued = verifier.issue(email)
    base = state.config.url
    assert base is not None  # the Email provider refuses to start without AUTH_URL
    link = f"{base}{state.config.url_prefix}/callback/{provider.id}?" + urlencode(
        {"token": issued.token, "email": email, "callback_url": callback_url}
    )
    try:
        provider.send(
            provider.message(
                to=email,
                url=link,
                code=issued.code,
                expires=issued.expires,
                site_name=state.config.site_name,
            )
        )
    except Exception as exc:
        verifier.cancel(issued)  # no usable link or code behind a failed email
        # The exception names the server, never the message: no token reaches the log.
        logger.error("sending the sign-in email failed: %s: %s", type(exc).__name__, exc)
        raise EmailSignin("the sign-in email could not be sent") from None
    response = redirect(url_for(state.endpoint("verify_request_page")))
    pending = _pending_serializer(state).dumps(
        {"email": email, "callback_url": callback_url, "request": issued.request_id}
    )
    write_cookie(response, request, PENDING_COOKIE, pending, state.config)
    return response


def _sign_in_callback(state: AuthState, email: str, existing: Any) -> Response | None:
    callback = state.auth.callbacks["sign_in"]
    if callback is None:
        return None
    from .core.models import User

    decision = callback(user=existing or User(email=email), account=None, profile=None, email=email)
    if decision is False:
        raise AccessDenied("the sign_in callback refused the email sign-in")
    if isinstance(decision, str):
        return redirect(redirect_target(state, decision))
    return None


def confirm_page(state: AuthState, provider: Email) -> str:
    """``GET /callback/email?token=...&email=...``: the confirm page. Uses nothing up."""
    token = request.args.get("token", "")
    try:
        email = provider.normalize(request.args.get("email"))
    except EmailSignin:
        raise Verification("the link's address is malformed") from None
    from .core.tokens import plausible_token

    if not plausible_token(token):
        raise Verification("the link's token is malformed")
    callback_url = redirect_target(state, request.args.get("callback_url"))
    return render_template(
        "auth/confirm.html",
        site_name=state.config.site_name,
        prefix=state.config.url_prefix,
        provider=provider,
        email=email,
        token=token,
        callback_url=callback_url,
        csrf_field=CSRF_FIELD,
        csrf_value=csrf_token(request, state.config),
    )


def _pending(state: AuthState, provider: Email) -> dict[str, str] | None:
    value = read_cookie(request, PENDING_COOKIE, state.config)
    if not value:
        return None
    try:
        data = _pending_serializer(state).loads(
            value, max_age=int(provider.max_age.total_seconds())
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), str) for key in ("email", "request")
    ):
        return None
    return {
        "email": data["email"],
        "callback_url": str(data.get("callback_url") or ""),
        "request": data["request"],
    }


def verify_request_context(state: AuthState, provider: Email | None) -> dict[str, Any]:
    """What the "check your email" page shows: the code form, for the browser that asked."""
    pending = _pending(state, provider) if provider is not None else None
    return {"pending_email": pending["email"] if pending else None, "provider": provider}


def redeem(state: AuthState, provider: Email) -> Response:
    """``POST /callback/email``: use the link's token, or a typed code, and sign in."""
    state.limits.verifying(_client_ip())
    verifier = _verifier(state, provider)
    if "code" in request.form:
        pending = _pending(state, provider)
        if pending is None:
            raise Verification("a code was typed in a browser that did not ask for it")
        email, callback_url, request_id = (
            pending["email"],
            pending["callback_url"],
            pending["request"],
        )
        window = int(provider.max_age.total_seconds())
        verifier.redeem_code(
            email,
            request.form.get("code"),
            request_id=request_id,
            claim=lambda: state.limits.code_attempt(request_id, window),
        )
    else:
        try:
            email = provider.normalize(request.form.get("email"))
        except EmailSignin:
            raise Verification("the link's address is malformed") from None
        callback_url = request.form.get("callback_url") or ""
        verifier.redeem_link(email, request.form.get("token"))
    response = finish_email_sign_in(state, provider, email, callback_url)
    delete_cookie(response, request, PENDING_COOKIE, state.config)
    return response


def is_sign_in_error(error: Exception) -> bool:
    """Whether ``error`` ends the email flow on an error page (rather than a 500)."""
    return isinstance(error, SignInError)


def _app() -> Any:  # pragma: no cover - kept for symmetry with other flows
    return current_app._get_current_object()  # type: ignore[attr-defined]
