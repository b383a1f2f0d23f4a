"""The one place the app's ``sign_in`` callback runs, for every flow, and what follows a
sign-in the rules accepted: the signals, a new session, the redirect."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect
from werkzeug.wrappers import Response

from ..core.errors import AccessDenied
from ..core.models import Account, User
from ..core.signin import SignInOutcome
from ..current import sign_in
from ..signals import account_linked, send, user_created, user_updated
from ..state import AuthState
from ..urls import redirect_target


def approve_sign_in(
    state: AuthState,
    *,
    user: User,
    account: Account | None,
    profile: dict[str, Any] | None,
    email: str | None,
) -> Response | None:
    """Ask the ``sign_in`` callback (the app's, or the default that lets everyone in):
    None to go on, a redirect to where it sends the person instead, or AccessDenied."""
    decision = state.callbacks.sign_in(user=user, account=account, profile=profile, email=email)
    if decision is False:
        raise AccessDenied("the sign_in callback refused the sign-in")
    if isinstance(decision, str):
        return redirect(redirect_target(state, decision))
    return None


def announce(outcome: SignInOutcome) -> None:
    """Send the signals of what a sign-in changed (a new user, a verified email, a link)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if outcome.is_new_user:
        send(user_created, app, user=outcome.user)
    if outcome.user_updated:
        send(user_updated, app, user=outcome.user)
    if outcome.account_linked and outcome.account is not None:
        send(account_linked, app, user=outcome.user, account=outcome.account)


def land(
    state: AuthState,
    outcome: SignInOutcome,
    callback_url: str | None,
    *,
    provider: str,
    provider_account_id: str | None = None,
    signed_in_with: str | None = None,
) -> Response:
    """Sign ``outcome.user`` in and go where the person was going."""
    sign_in(
        outcome.user,
        provider=provider,
        provider_account_id=provider_account_id,
        is_new_user=outcome.is_new_user,
        signed_in_with=signed_in_with,
    )
    return redirect(redirect_target(state, callback_url))
