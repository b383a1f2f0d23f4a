"""The blueprint (``auth`` unless AUTH_BLUEPRINT_NAME says otherwise): thin views that parse
the request, call the flows, and render.

Every response is ``Cache-Control: no-store``; every POST is CSRF-checked; every redirect
target is same-origin.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from . import email_flow
from .accounts import (
    CannotUnlink,
    active_sessions,
    end_other_sessions,
    end_session,
    sign_in_methods,
    unlink,
)
from .actions import base_url, finish_oauth_sign_in, redirect_target
from .core.errors import ConflictError, InvalidValue, SignInError
from .core.models import User
from .core.tokens import new_token
from .extension import (
    AuthState,
    auth_state,
    current_session_or_none,
    current_user,
    login_required,
    sign_out,
)
from .providers.base import Provider, SignInFlow
from .providers.email import Email
from .web.csrf import CSRF_FIELD, check_csrf, csrf_token
from .web.flow_cookie import forget_flow, has_flow_cookie, recall_flow, remember_flow
from .web.redirects import safe_redirect
from .web.responses import (
    ERROR_MESSAGES,
    csp_allowing,
    error_response,
    known_code,
    no_store,
    status_of,
    wants_json,
)

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["blueprint"]

logger = logging.getLogger("flask_authadapter")

blueprint = Blueprint(
    "auth",
    __name__,
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


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    logger.info("a request body over the blueprint's bound was refused")
    state = auth_state()
    return error_response("TooLarge", state.config, site_name=state.config.site_name)


@blueprint.before_request
def _readable_query() -> Response | None:
    """A query string that is not UTF-8 is a bad request, not a decoding error later."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        state = auth_state()
        return error_response("Default", state.config, site_name=state.config.site_name)
    return None


def security_headers(response: Response) -> Response:
    """The headers every response of the blueprint carries (on pages, the
    Content-Security-Policy of AUTH_CONTENT_SECURITY_POLICY, unless it is None)."""
    no_store(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    policy = auth_state().config.content_security_policy
    if response.mimetype == "text/html" and policy is not None:
        response.headers.setdefault("Content-Security-Policy", policy)
    return response


blueprint.after_request(security_headers)


@blueprint.errorhandler(ConflictError)
def _conflict(error: ConflictError) -> Response:
    # A uniqueness rule still broken after the sign-in rules retried (two sign-ins racing
    # on the same account twice over): ask the person to try again.
    logger.warning("sign-in could not be completed: %s", error)
    state = auth_state()
    return error_response("Default", state.config, site_name=state.config.site_name)


@blueprint.errorhandler(InvalidValue)
def _invalid_value(error: InvalidValue) -> Response:
    # A value the store refused (nothing was written): a bad request, never a 500.
    logger.warning("a value could not be stored: %s", error)
    state = auth_state()
    return error_response("Default", state.config, site_name=state.config.site_name)


@blueprint.errorhandler(SignInError)
def _sign_in_error(error: SignInError) -> Response:
    # The details are for the log; the person sees the code's page.
    logger.info("sign-in refused (%s): %s", error.code, error)
    state = auth_state()
    response = error_response(
        error.code,
        state.config,
        site_name=state.config.site_name,
        retry_after=getattr(error, "retry_after", None),
    )
    if request.endpoint == state.endpoint("callback"):  # the flow is over: forget it
        forget_flow(response, request, state.config)
    return response


def _provider(state: AuthState, provider_id: str) -> Provider:
    provider = state.providers.get(provider_id)
    if provider is None:
        abort(404)
    return provider


def _flow(
    state: AuthState, provider: Provider, callback_url: str, oauth_state: str | None
) -> SignInFlow:
    prefix = state.config.url_prefix
    return SignInFlow(
        provider_id=provider.id,
        redirect_uri=f"{base_url(state)}{prefix}/callback/{provider.id}",
        callback_url=callback_url,
        state=oauth_state,
    )


def _with_provider_forms(response: ResponseReturnValue, state: AuthState) -> Response:
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


def _page(template: str, state: AuthState, **context: Any) -> str:
    return render_template(
        template,
        site_name=state.config.site_name,
        csrf_field=CSRF_FIELD,
        csrf_value=csrf_token(request, state.config),
        prefix=state.config.url_prefix,
        **context,
    )


def _app_page(state: AuthState, kind: str) -> Response | None:
    """A redirect to the app's own page for ``kind``, keeping the query, if it has one."""
    page = state.config.pages.get(kind)
    if not page:
        return None
    query = request.query_string.decode("ascii", "replace")
    return redirect(f"{page}{('&' if '?' in page else '?') + query if query else ''}")


# Pages ---------------------------------------------------------------------------------


@blueprint.get("/signin")
def signin_page() -> ResponseReturnValue:
    """The sign-in page: the email form and one button per provider."""
    state = auth_state()
    own = _app_page(state, "signin")
    if own is not None:
        return own
    callback_url = safe_redirect(
        request.args.get("callback_url"), base_url=base_url(state), default=""
    )
    code = request.args.get("error")
    error = ERROR_MESSAGES[known_code(code)] if code else None
    page = _page(
        "auth/signin.html",
        state,
        oauth_providers=state.oauth_providers,
        email_provider=state.email_provider,
        callback_url=callback_url,
        error=error,
    )
    return _with_provider_forms(page, state)


@blueprint.post("/signin/<provider_id>")
def signin_start(provider_id: str) -> ResponseReturnValue:
    """Start signing in with a provider (CSRF-checked: no third-party page can start one)."""
    state = auth_state()
    provider = _provider(state, provider_id)
    check_csrf(request, state.config)
    if isinstance(provider, Email):
        return email_flow.request_link(state, provider)
    callback_url = redirect_target(state, request.form.get("callback_url"))
    flow = _flow(state, provider, callback_url, new_token())
    response = Response.force_type(provider.begin(flow), request.environ)  # type: ignore[arg-type]
    remember_flow(response, request, flow, state.config, state.clock())
    return response


@blueprint.route("/callback/<provider_id>", methods=["GET", "POST"])
def callback(provider_id: str) -> ResponseReturnValue:
    """The provider's answer: finish signing in, then go where the person was going."""
    state = auth_state()
    provider = _provider(state, provider_id)
    if isinstance(provider, Email):
        if request.method == "POST":
            check_csrf(request, state.config)
            return email_flow.redeem(state, provider)
        return email_flow.confirm_page(state, provider)
    if (
        request.method == "POST"
        and not has_flow_cookie(request, state.config)
        and request.form.get("_relayed") != "1"
    ):
        return _relay_form_post(provider)
    # No flow (no cookie, or one changed, foreign or too old): no sign-in under way, and
    # the provider refuses the answer for want of a state.
    flow = recall_flow(request, provider.id, state.config, state.clock()) or _flow(
        state, provider, state.config.default_redirect, None
    )
    answer = request.args if request.method == "GET" else request.form
    result = provider.finish(flow, answer)
    response = _land(finish_oauth_sign_in(state, provider, result, flow.callback_url), state)
    forget_flow(response, request, state.config)
    return response


def _land(response: Response, state: AuthState) -> Response:
    """The callback's redirect, or with ``SameSite=Strict`` cookies a page that continues to
    its target: browsers withhold Strict cookies along a redirect chain that began on the
    provider's site, so the new session would not reach the page the redirect lands on."""
    target = response.headers.get("Location")
    if state.config.cookie_samesite != "Strict" or not target or response.status_code >= 400:
        return response
    body = render_template("auth/continue.html", target=target, site_name=state.config.site_name)
    page = Response(body, mimetype="text/html")
    for cookie in response.headers.getlist("Set-Cookie"):
        page.headers.add("Set-Cookie", cookie)
    return page


#: The fields of a provider's form_post answer that are relayed (nothing else is copied).
RELAYED_FIELDS = ("code", "state", "iss", "error", "error_description", "user")


def _relay_form_post(provider: Provider) -> Response:
    """Answer a provider's cross-site form_post (Apple) with a page that posts the same
    fields again from this site, so that the browser sends this site's SameSite=Lax cookies
    with them: the flow's state is checked against this browser's cookie as for a GET.
    Nothing goes into a URL (the code, or Apple's name and email, would reach access logs)."""
    fields = {name: request.form[name] for name in RELAYED_FIELDS if name in request.form}
    state = auth_state()
    body = render_template(
        "auth/relay.html",
        action=url_for(state.endpoint("callback"), provider_id=provider.id),
        fields=fields,
        site_name=state.config.site_name,
    )
    response = Response(body, mimetype="text/html")
    policy = state.config.content_security_policy
    if policy is not None:  # the page's own script (static/relay.js) posts the form
        response.headers["Content-Security-Policy"] = csp_allowing(policy, "script-src", ["'self'"])
    return response


@blueprint.get("/signout")
def signout_page() -> ResponseReturnValue:
    """A page with a sign-out button (signing out is a POST)."""
    state = auth_state()
    own = _app_page(state, "signout")
    if own is not None:
        return own
    callback_url = safe_redirect(
        request.args.get("callback_url"), base_url=base_url(state), default=""
    )
    return _page("auth/signout.html", state, user=current_user, callback_url=callback_url)


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
    own = _app_page(state, "verify_request")
    if own is not None:
        return own
    email_provider = state.email_provider
    context = email_flow.verify_request_context(state, email_provider)
    return _page("auth/verify_request.html", state, **context)


@blueprint.get("/error")
def error_page() -> ResponseReturnValue:
    """The error page for ``?error=CODE``, with that code's status."""
    state = auth_state()
    code = known_code(request.args.get("error"))
    own = _app_page(state, "error")
    if own is not None:
        return own
    title, message = ERROR_MESSAGES[code]
    body = render_template(
        "auth/error.html",
        code=code,
        title=title,
        message=message,
        site_name=state.config.site_name,
        prefix=state.config.url_prefix,
    )
    return Response(body, status=status_of(code), mimetype="text/html")


# Account management --------------------------------------------------------------------


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
    state = auth_state()
    check_csrf(request, state.config)
    user = current_user
    assert isinstance(user, User)
    provider = request.form.get("provider", "")
    account_id = request.form.get("provider_account_id", "")
    try:
        unlinked = unlink(user, provider, account_id, current=current_session_or_none())
    except CannotUnlink as refusal:
        logger.info("unlinking refused: %s", refusal)
        message = (
            "This account cannot be unlinked: it is not linked to you, or it is your last "
            "way to sign in. Link another way first."
        )
        response: Response
        if wants_json(request):
            response = jsonify(error="CannotUnlink", message=message)
        else:
            body = render_template(
                "auth/error.html",
                code="CannotUnlink",
                title="Cannot unlink this account",
                message=message,
                site_name=state.config.site_name,
            )
            response = Response(body, mimetype="text/html")
        response.status_code = 409
        return response
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
    page = _page(
        "auth/account.html",
        state,
        user=user,
        methods=methods,
        sessions=active_sessions(user, active),
        providers=state.providers,
        linkable=[p for p in state.oauth_providers if p.id not in linked],
        notice=request.args.get("done"),
    )
    return _with_provider_forms(page, state)


@blueprint.post("/account/sessions/end")
@login_required
def end_session_view() -> ResponseReturnValue:
    """End one of the signed-in user's sessions (this one: that is signing out)."""
    state = auth_state()
    check_csrf(request, state.config)
    active = current_session_or_none()
    assert active is not None
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
    state = auth_state()
    check_csrf(request, state.config)
    active = current_session_or_none()
    assert active is not None
    end_other_sessions(active.user, active)
    return redirect(url_for(state.endpoint("account_page"), done="others-ended"))


# JSON, as Auth.js's REST API -----------------------------------------------------------


@blueprint.get("/session")
def session_json() -> ResponseReturnValue:
    """The signed-in user and the session's expiry, or null."""
    state = auth_state()
    active = current_session_or_none()
    if active is None:
        return jsonify(None)
    user = active.user
    data: dict[str, Any] = {
        "user": {"id": user.id, "email": user.email, "name": user.name, "image": user.image},
        "expires": active.expires.isoformat().replace("+00:00", "Z"),
    }
    shape = state.auth.callbacks["session"]
    if shape is not None:
        data = shape(session=data, user=user)
    return jsonify(data)


@blueprint.get("/csrf")
def csrf_json() -> ResponseReturnValue:
    """A CSRF token for POSTs from scripts (sent back as ``csrf_token`` or X-CSRF-Token)."""
    state = auth_state()
    return jsonify(csrfToken=csrf_token(request, state.config))


@blueprint.get("/providers")
def providers_json() -> ResponseReturnValue:
    """The configured providers with their sign-in and callback URLs."""
    state = auth_state()
    root = f"{base_url(state)}{state.config.url_prefix}"
    return jsonify(
        {
            p.id: {
                "id": p.id,
                "name": p.name,
                "type": p.type,
                "signinUrl": f"{root}/signin/{p.id}",
                "callbackUrl": f"{root}/callback/{p.id}",
            }
            for p in state.providers.values()
        }
    )
