"""The blueprint object, the hooks and error handlers of all its views, and what several
views share (a page's common context, the app's own pages, the providers' form targets)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..core.errors import ConflictError, InvalidValue, SignInError
from ..providers.base import Provider
from ..state import AuthState, auth_state
from ..web.csrf import CSRF_FIELD, csrf_token
from ..web.flow_cookie import forget_flow
from ..web.responses import (
    TOO_LARGE,
    UNKNOWN_PROVIDER,
    csp_allowing,
    error_response,
    security_headers,
)
from ..web.urls import with_query

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

logger = logging.getLogger("flask_authadapter")

blueprint = Blueprint(
    "auth",
    "flask_authadapter",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

#: The largest request body the blueprint reads. Its forms hold a few short fields (an
#: address, a code, a token, a callback URL, a provider's form_post answer): a body larger
#: than this is refused with 413 before it is parsed.
MAX_FORM_BYTES = 64 * 1024


@blueprint.before_request
def _bounded_body() -> None:
    """Bound what the blueprint's requests may send (the app's own limit, if lower, holds)."""
    app_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    request.max_content_length = min(app_limit or MAX_FORM_BYTES, MAX_FORM_BYTES)
    request.max_form_memory_size = request.max_content_length


@blueprint.before_request
def _readable_query() -> Response | None:
    """A query string that is not UTF-8 is a bad request, not a decoding error later."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        return error_response(SignInError("the query string is not UTF-8"), auth_state().config)
    return None


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    return security_headers(response, auth_state().config)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    logger.info("a request body over the blueprint's bound was refused")
    return error_response(TOO_LARGE, auth_state().config)


@blueprint.errorhandler(ConflictError)
def _conflict(error: ConflictError) -> Response:
    # A uniqueness rule still broken after the sign-in rules retried (two sign-ins racing
    # on the same account twice over): ask the person to try again.
    logger.warning("sign-in could not be completed: %s", error)
    return error_response(error, auth_state().config)


@blueprint.errorhandler(InvalidValue)
def _invalid_value(error: InvalidValue) -> Response:
    # A value the store refused (nothing was written): a bad request, never a 500.
    logger.warning("a value could not be stored: %s", error)
    return error_response(error, auth_state().config)


@blueprint.errorhandler(SignInError)
def _sign_in_error(error: SignInError) -> Response:
    # The details are for the log; the person sees the code's page.
    logger.info("sign-in refused (%s): %s", error.code, error)
    state = auth_state()
    response = error_response(error, state.config)
    if request.endpoint == state.endpoint("callback"):  # the flow is over: forget it
        forget_flow(response, request, state.config)
    return response


def provider_or_404(state: AuthState, provider_id: str) -> Provider:
    """The configured provider ``provider_id``; for any other, the blueprint's 404 page
    (JSON when asked), never the app's generic one."""
    provider = state.providers.get(provider_id)
    if provider is None:
        abort(error_response(UNKNOWN_PROVIDER, state.config))
    return provider


def with_provider_forms(response: ResponseReturnValue, state: AuthState) -> Response:
    """A page whose forms start provider sign-ins: browsers apply ``form-action`` to the
    redirect that follows the POST, so the providers' origins are allowed as form targets."""
    page = make_response(response)
    policy = state.config.content_security_policy
    if policy is None:
        return page
    origins: list[str] = []
    for provider in state.providers.values():
        origins += [o for o in provider.form_action_origins() if o not in origins]
    if origins:
        page.headers["Content-Security-Policy"] = csp_allowing(policy, "form-action", origins)
    return page


def render_page(template: str, state: AuthState, **context: Any) -> str:
    """A page of the blueprint, with the site's name, the prefix and the CSRF field."""
    return render_template(
        template,
        site_name=state.config.site_name,
        csrf_field=CSRF_FIELD,
        csrf_value=csrf_token(request, state.config),
        prefix=state.config.url_prefix,
        **context,
    )


def app_page(state: AuthState, kind: str) -> Response | None:
    """A redirect to the app's own page for ``kind``, keeping the query, if it has one."""
    page = state.config.pages.get(kind)
    if not page:
        return None
    return redirect(with_query(page, request.query_string.decode("ascii", "replace")))
