"""The pages: sign in, sign out, "check your email", and the error page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import redirect, request
from werkzeug.wrappers import Response

from ..current import current_user, sign_out
from ..flows.email import verify_request_context
from ..state import auth_state
from ..urls import base_url, redirect_target
from ..web.csrf import check_csrf
from ..web.redirects import safe_redirect
from ..web.responses import error_response, page_for
from .blueprint import app_page, blueprint, render_page, with_provider_forms

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue


def _callback_url_asked() -> str:
    """The ``callback_url`` of the query, if it stays on the site; else empty."""
    return safe_redirect(
        request.args.get("callback_url"), base_url=base_url(auth_state()), default=""
    )


@blueprint.get("/signin")
def signin_page() -> ResponseReturnValue:
    """The sign-in page: the email form and one button per provider."""
    state = auth_state()
    own = app_page(state, "signin")
    if own is not None:
        return own
    code = request.args.get("error")
    error = page_for(code) if code else None
    page = render_page(
        "auth/signin.html",
        state,
        oauth_providers=state.oauth_providers,
        email_provider=state.email_provider,
        callback_url=_callback_url_asked(),
        error=(error.title, error.message) if error else None,
    )
    return with_provider_forms(page, state)


@blueprint.get("/signout")
def signout_page() -> ResponseReturnValue:
    """A page with a sign-out button (signing out is a POST)."""
    state = auth_state()
    own = app_page(state, "signout")
    if own is not None:
        return own
    return render_page(
        "auth/signout.html", state, user=current_user, callback_url=_callback_url_asked()
    )


@blueprint.post("/signout")
def signout() -> ResponseReturnValue:
    """Sign out: the session row is deleted, the cookie cleared."""
    state = auth_state()
    check_csrf(request, state.config)
    sign_out()
    return redirect(redirect_target(state, request.form.get("callback_url")))


@blueprint.get("/verify-request")
def verify_request_page() -> ResponseReturnValue:
    """ "Check your email"."""
    state = auth_state()
    own = app_page(state, "verify_request")
    if own is not None:
        return own
    context = verify_request_context(state, state.email_provider)
    return render_page("auth/verify_request.html", state, **context)


@blueprint.get("/error")
def error_page() -> Response:
    """The error page for ``?error=CODE``, with that code's status."""
    state = auth_state()
    own = app_page(state, "error")
    if own is not None:
        return own
    return error_response(page_for(request.args.get("error")), state.config, as_json=False)
