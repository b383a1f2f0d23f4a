"""Starting a sign-in with a provider, and the provider's answer (its callback)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from ..flows import email, oauth
from ..providers.base import Provider
from ..providers.email import Email
from ..state import AuthState, auth_state
from ..urls import redirect_target
from ..web.csrf import check_csrf
from ..web.flow_cookie import forget_flow, has_flow_cookie
from ..web.responses import csp_allowing
from .blueprint import blueprint, provider_or_404, render_page

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue


@blueprint.post("/signin/<provider_id>")
def signin_start(provider_id: str) -> ResponseReturnValue:
    """Start signing in with a provider (CSRF-checked: no third-party page can start one)."""
    state = auth_state()
    provider = provider_or_404(state, provider_id)
    check_csrf(request, state.config)
    if isinstance(provider, Email):
        return email.request_link(state, provider, request.form)
    return oauth.start(state, provider, redirect_target(state, request.form.get("callback_url")))


@blueprint.route("/callback/<provider_id>", methods=["GET", "POST"])
def callback(provider_id: str) -> ResponseReturnValue:
    """The provider's answer: finish signing in, then go where the person was going."""
    state = auth_state()
    provider = provider_or_404(state, provider_id)
    if isinstance(provider, Email):
        if request.method == "POST":
            check_csrf(request, state.config)
            return email.redeem(state, provider, request.form)
        context = email.confirm_context(state, provider, request.args)
        return render_page("auth/confirm.html", state, **context)
    if (
        request.method == "POST"
        and not has_flow_cookie(request, state.config)
        and request.form.get("_relayed") != "1"
    ):
        return _relay_form_post(state, provider)
    answer = request.args if request.method == "GET" else request.form
    response = _land(oauth.finish(state, provider, answer), state)
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


def _relay_form_post(state: AuthState, provider: Provider) -> Response:
    """Answer a provider's cross-site form_post (Apple) with a page that posts the same
    fields again from this site, so that the browser sends this site's SameSite=Lax cookies
    with them: the flow's state is checked against this browser's cookie as for a GET.
    Nothing goes into a URL (the code, or Apple's name and email, would reach access logs)."""
    fields = {name: request.form[name] for name in RELAYED_FIELDS if name in request.form}
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
