"""The signed-in user's account: linked accounts (JSON and unlinking) and sessions."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from flask import jsonify, redirect, request, url_for

from ..accounts import (
    CannotUnlink,
    active_sessions,
    end_other_sessions,
    end_session,
    sign_in_methods,
    unlink,
)
from ..core.models import User
from ..core.sessions import ActiveSession
from ..current import current_session_or_none, current_user, login_required, sign_out
from ..state import AuthState, auth_state
from ..urls import redirect_target
from ..web.csrf import check_csrf
from ..web.responses import error_response, wants_json
from .blueprint import blueprint, render_page, with_provider_forms

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

logger = logging.getLogger("flask_authadapter")


def _signed_in_post() -> tuple[AuthState, ActiveSession]:
    """The state and this request's session, for a CSRF-checked POST of a signed-in user
    (the views are behind ``login_required``)."""
    state = auth_state()
    check_csrf(request, state.config)
    active = current_session_or_none()
    assert active is not None
    return state, active


@blueprint.get("/accounts")
@login_required
def accounts_json() -> ResponseReturnValue:
    """The signed-in user's ways to sign in: linked accounts (no tokens) and email."""
    user = current_user
    assert isinstance(user, User)
    methods = sign_in_methods(user)
    return jsonify(
        accounts=[
            {
                "provider": a.provider,
                "providerAccountId": a.provider_account_id,
                "type": a.type,
                "canUnlink": methods.count > 1,
            }
            for a in methods.accounts
        ],
        email=methods.email,
    )


@blueprint.post("/accounts/unlink")
@login_required
def unlink_account() -> ResponseReturnValue:
    """Unlink one provider account of the signed-in user (never the last way to sign in)."""
    state, active = _signed_in_post()
    provider = request.form.get("provider", "")
    account_id = request.form.get("provider_account_id", "")
    try:
        unlinked = unlink(active.user, provider, account_id, current=active)
    except CannotUnlink as refusal:
        logger.info("unlinking refused: %s", refusal)
        return error_response(refusal, state.config)
    if unlinked.current_ended:  # this browser signed in with that account: signed out now
        sign_out()
    if wants_json(request):
        return jsonify(
            unlinked={"provider": provider, "providerAccountId": account_id},
            sessionsEnded=unlinked.sessions_ended,
            signedOut=unlinked.current_ended,
        )
    if unlinked.current_ended:
        return redirect(url_for(state.endpoint("signin_page")))
    return redirect(redirect_target(state, request.form.get("callback_url")))


@blueprint.get("/account")
@login_required
def account_page() -> ResponseReturnValue:
    """The signed-in user's account: email, linked accounts, active sessions."""
    state = auth_state()
    active = current_session_or_none()
    assert active is not None
    user = active.user
    methods = sign_in_methods(user)
    linked = {a.provider for a in methods.accounts}
    page = render_page(
        "auth/account.html",
        state,
        user=user,
        methods=methods,
        sessions=active_sessions(user, active),
        providers=state.providers,
        linkable=[p for p in state.oauth_providers if p.id not in linked],
        notice=request.args.get("done"),
    )
    return with_provider_forms(page, state)


@blueprint.post("/account/sessions/end")
@login_required
def end_session_view() -> ResponseReturnValue:
    """End one of the signed-in user's sessions (this one: that is signing out)."""
    state, active = _signed_in_post()
    handle = request.form.get("session", "")
    current = next((s for s in active_sessions(active.user, active) if s.current), None)
    if current is not None and handle.isascii() and hmac.compare_digest(current.handle, handle):
        sign_out()
        return redirect(url_for(state.endpoint("signin_page")))
    end_session(active.user, handle)
    return redirect(url_for(state.endpoint("account_page"), done="session-ended"))


@blueprint.post("/account/sessions/end-others")
@login_required
def end_other_sessions_view() -> ResponseReturnValue:
    """Sign out every other session of the signed-in user."""
    state, active = _signed_in_post()
    end_other_sessions(active.user, active)
    return redirect(url_for(state.endpoint("account_page"), done="others-ended"))
