"""Finishing a sign-in: the ``sign_in`` callback, the core's rules, signals, a new session,
and the redirect. The views call these once a provider has said who the person is.

A provider's tokens are sealed here, before the core's rules hand the account to the
adapter, and opened again for the ``account_linked`` signal: the ``sign_in`` callback and
the signal's receivers see them in plain text, the store never does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import abort, current_app, redirect, request
from werkzeug.wrappers import Response

from .core.account_tokens import open_account_tokens, reseal_stored_tokens, seal_account_tokens
from .core.errors import AccessDenied
from .core.models import Account, User
from .core.sessions import SIGNED_IN_WITH
from .core.signin import SignInOutcome, clean_profile, email_sign_in, oauth_sign_in
from .extension import AuthState, current_session_or_none, sign_in
from .providers.base import Provider, ProviderResult
from .signals import account_linked, send, user_created, user_updated
from .web.redirects import origin_of, safe_redirect

__all__ = ["base_url", "finish_email_sign_in", "finish_oauth_sign_in", "redirect_target"]

logger = logging.getLogger("flask_authadapter")


def base_url(state: AuthState) -> str:
    """The site's public base URL: AUTH_URL, or (when unset) the request's own; a request
    whose Host cannot make a URL is refused (400)."""
    if state.config.url:
        return state.config.url
    try:
        root = request.url_root.rstrip("/")
        origin_of(root)
    except (ValueError, UnicodeError):
        abort(400, "the request's Host header is not a usable host name")
    return root


def redirect_target(state: AuthState, url: str | None) -> str:
    """Where to go: ``url`` through the ``redirect`` callback, kept same-origin."""
    base = base_url(state)
    target = safe_redirect(url, base_url=base, default=state.config.default_redirect)
    callback = state.auth.callbacks["redirect"]
    if callback is not None:
        target = safe_redirect(
            callback(url=target, base_url=base),
            base_url=base,
            default=state.config.default_redirect,
        )
    return target


def _ask_sign_in_callback(
    state: AuthState,
    *,
    user: Callable[[], User],
    account: Account | None,
    profile: dict[str, Any] | None,
    email: str | None,
) -> Response | None:
    """Run the app's ``sign_in`` callback: None to go on, a redirect, or AccessDenied.

    ``user`` finds the user the sign-in is for; it is only called (and costs its queries)
    when the app registered a callback."""
    callback = state.auth.callbacks["sign_in"]
    if callback is None:
        return None
    decision = callback(user=user(), account=account, profile=profile, email=email)
    if decision is False:
        raise AccessDenied("the sign_in callback refused the sign-in")
    if isinstance(decision, str):
        return redirect(redirect_target(state, decision))
    return None


def _announce(outcome: SignInOutcome) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if outcome.is_new_user:
        send(user_created, app, user=outcome.user)
    if outcome.user_updated:
        send(user_updated, app, user=outcome.user)
    if outcome.account_linked and outcome.account is not None:
        send(account_linked, app, user=outcome.user, account=outcome.account)


def _with_tokens_resealed(state: AuthState, outcome: SignInOutcome) -> SignInOutcome:
    """After a sign-in wrote fresh tokens: the stored ones it left (a refresh token the
    provider did not send again) sealed under the current secret too; the outcome's account
    with its tokens opened, for the signals."""
    stored = outcome.account
    if stored is None:
        return outcome
    plan = reseal_stored_tokens(state.adapter, stored, state.token_sealer)
    if plan.unreadable:
        logger.warning(
            "a %s account's stored %s cannot be opened (changed, or sealed under a secret "
            "that is not configured); left as stored",
            stored.provider,
            ", ".join(plan.unreadable),
        )
    if not outcome.account_linked:
        return outcome  # only account_linked hands the account to receivers
    return replace(outcome, account=open_account_tokens(stored, state.token_sealer))


def finish_oauth_sign_in(
    state: AuthState, provider: Provider, result: ProviderResult, callback_url: str | None
) -> Response:
    """Sign in (or link) with what an OAuth / OIDC provider returned."""
    adapter = state.adapter
    account = replace(result.account, provider=provider.id, user_id="")
    profile = clean_profile(result.profile)
    active = current_session_or_none()
    signed_in_user = active.user if active is not None else None

    def candidate() -> User:
        # The user this sign-in is for, as far as is known before the rules run. An email
        # the provider did not verify finds nobody: it is no claim on the address.
        found = adapter.get_user_by_account(provider.id, account.provider_account_id)
        if found is None and profile.email and result.email_verified:
            found = adapter.get_user_by_email(profile.email)
        return found or profile

    answer = _ask_sign_in_callback(
        state, user=candidate, account=account, profile=dict(result.raw), email=None
    )
    if answer is not None:
        return answer
    outcome = oauth_sign_in(
        adapter,
        account=seal_account_tokens(account, state.token_sealer),
        profile=profile,
        current_user=signed_in_user,
        allow_dangerous_email_account_linking=provider.allow_dangerous_email_account_linking,
        email_verified=result.email_verified,
        clock=state.clock,
    )
    _announce(_with_tokens_resealed(state, outcome))
    kept = None
    if active is not None and outcome.account_linked and outcome.user.id == active.user.id:
        # Linking to the signed-in user: the new session is still signed in the way the
        # person proved who they are, not with the account just added.
        kept = active.session.extra.get(SIGNED_IN_WITH)
    sign_in(
        outcome.user,
        provider=provider.id,
        provider_account_id=account.provider_account_id,
        is_new_user=outcome.is_new_user,
        signed_in_with=kept if isinstance(kept, str) else None,
    )
    return redirect(redirect_target(state, callback_url))


def finish_email_sign_in(
    state: AuthState, provider: Provider, email: str, callback_url: str | None
) -> Response:
    """Sign in the owner of ``email``, who just proved they receive mail there."""
    answer = _ask_sign_in_callback(
        state,
        user=lambda: state.adapter.get_user_by_email(email) or User(email=email),
        account=None,
        profile=None,
        email=email,
    )
    if answer is not None:
        return answer
    outcome = email_sign_in(state.adapter, email=email, clock=state.clock)
    _announce(outcome)
    sign_in(outcome.user, provider=provider.id, is_new_user=outcome.is_new_user)
    return redirect(redirect_target(state, callback_url))
