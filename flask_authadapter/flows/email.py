"""The email sign-in: request a link, confirm, redeem.

Opening the link never uses it: ``GET`` (and ``HEAD``) only render a confirm page whose
button POSTs the token. Email security scanners that open every link in a message (Safe
Links, Mimecast, ...) therefore cannot burn it. The same email carries a code that the
browser which asked for the link can type on the "check your email" page instead: the
code is bound to that request (its id is in the browser's pending cookie), and each request
has its own few tries, so neither another browser nor too many wrong codes can touch the
emailed link, or anyone else's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ..core.errors import EmailSignin, Verification
from ..core.sealing import SealedValueError
from ..core.signin import EmailSignIn
from ..core.tokens import plausible_token
from ..core.verification import Verifier
from ..providers.base import Provider
from ..providers.email import Email
from ..state import AuthState
from ..urls import callback_url, redirect_target
from ..web.cookies import delete_cookie, read_cookie, write_cookie
from ..web.urls import with_query
from .callbacks import announce, approve_sign_in, land

logger = logging.getLogger("flask_authadapter")

#: The sealed cookie that ties the "check your email" page (and its code form) to the
#: browser that asked for the link.
PENDING_COOKIE = "authadapter.pending"
#: The purpose the pending cookie is sealed for (its own key).
PENDING_PURPOSE = "email-pending"


@dataclass(frozen=True)
class Pending:
    """The email sign-in this browser asked for: the address, where to land, and the id of
    the request its code belongs to."""

    email: str
    callback_url: str
    request_id: str


def _verifier(state: AuthState, provider: Email) -> Verifier:
    return Verifier(
        state.adapter, state.config.secrets, max_age=provider.max_age, clock=state.clock
    )


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _seal_pending(state: AuthState, pending: Pending) -> str:
    data = {
        "e": pending.email,
        "u": pending.callback_url,
        "r": pending.request_id,
        "t": int(state.clock().timestamp()),
    }
    return state.pending_sealer.seal(json.dumps(data, separators=(",", ":")))


def read_pending(state: AuthState, provider: Email) -> Pending | None:
    """The email sign-in this browser's pending cookie holds, if it opens and is younger
    than the provider's ``max_age``."""
    sealed = read_cookie(request, PENDING_COOKIE, state.config)
    if not sealed:
        return None
    try:
        data = json.loads(state.pending_sealer.open(sealed))
    except (SealedValueError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    began, email, landing, request_id = (data.get(k) for k in ("t", "e", "u", "r"))
    age = int(state.clock().timestamp()) - began if isinstance(began, int) else None
    if age is None or not 0 <= age <= provider.max_age.total_seconds():
        return None
    if not (isinstance(email, str) and isinstance(landing, str) and isinstance(request_id, str)):
        return None
    return Pending(email, landing, request_id)


def request_link(state: AuthState, provider: Email, form: Mapping[str, str]) -> Response:
    """``POST /signin/email``: send a link and a code, then "check your email".

    The answer is the same whether or not the address belongs to anyone.
    """
    landing = redirect_target(state, form.get("callback_url"))
    try:
        email = provider.normalize(form.get("email"))
    except EmailSignin as error:
        logger.info("sign-in email refused: %s", error)
        query = {"error": EmailSignin.code}
        if form.get("callback_url"):
            query["callback_url"] = form["callback_url"]
        return redirect(with_query(url_for(state.endpoint("signin_page")), query))
    state.limits.sending(email, _client_ip())  # RateLimited: the blueprint's 429 page
    decision = approve_sign_in(
        state, user=EmailSignIn(state.adapter, email=email).candidate, account=None,
        profile=None, email=email,
    )  # fmt: skip
    if decision is not None:
        return decision
    verifier = _verifier(state, provider)
    issued = verifier.issue(email)
    link = with_query(
        callback_url(state, provider.id),
        {"token": issued.token, "email": email, "callback_url": landing},
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
    pending = _seal_pending(state, Pending(email, landing, issued.request_id))
    write_cookie(response, request, PENDING_COOKIE, pending, state.config)
    return response


def confirm_context(state: AuthState, provider: Email, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /callback/email?token=...&email=...``: what the confirm page shows. Uses
    nothing up; a malformed link is :class:`Verification`."""
    token = query.get("token", "")
    try:
        email = provider.normalize(query.get("email"))
    except EmailSignin:
        raise Verification("the link's address is malformed") from None
    if not plausible_token(token):
        raise Verification("the link's token is malformed")
    landing = redirect_target(state, query.get("callback_url"))
    return {"provider": provider, "email": email, "token": token, "callback_url": landing}


def verify_request_context(state: AuthState, provider: Email | None) -> dict[str, Any]:
    """What the "check your email" page shows: the code form, for the browser that asked."""
    pending = read_pending(state, provider) if provider is not None else None
    return {"pending_email": pending.email if pending else None, "provider": provider}


def redeem(state: AuthState, provider: Email, form: Mapping[str, str]) -> Response:
    """``POST /callback/email``: use the link's token, or a typed code, and sign in."""
    state.limits.verifying(_client_ip())
    verifier = _verifier(state, provider)
    if "code" in form:
        pending = read_pending(state, provider)
        if pending is None:
            raise Verification("a code was typed in a browser that did not ask for it")
        email, landing, request_id = pending.email, pending.callback_url, pending.request_id
        window = int(provider.max_age.total_seconds())
        verifier.redeem_code(
            email,
            form.get("code"),
            request_id=request_id,
            claim=lambda: state.limits.code_attempt(request_id, window),
        )
    else:
        try:
            email = provider.normalize(form.get("email"))
        except EmailSignin:
            raise Verification("the link's address is malformed") from None
        landing = form.get("callback_url") or ""
        verifier.redeem_link(email, form.get("token"))
    response = finish_email_sign_in(state, provider, email, landing)
    delete_cookie(response, request, PENDING_COOKIE, state.config)
    return response


def finish_email_sign_in(
    state: AuthState, provider: Provider, email: str, landing: str | None
) -> Response:
    """Sign in the owner of ``email``, who just proved they receive mail there."""
    attempt = EmailSignIn(state.adapter, email=email)
    answer = approve_sign_in(state, user=attempt.candidate, account=None, profile=None, email=email)
    if answer is not None:
        return answer
    outcome = attempt.run(clock=state.clock)
    announce(outcome)
    return land(state, outcome, landing, provider=provider.id)
