"""The OAuth / OIDC sign-in: start it at the provider, then finish it with the provider's
answer (sign in, or link an account to the signed-in user).

A provider's tokens are sealed here, before the core's rules hand the account to the
adapter, and opened again for the ``account_linked`` signal: the ``sign_in`` callback and
the signal's receivers see them in plain text, the store never does."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from flask import request
from werkzeug.wrappers import Response

from ..core.account_tokens import open_account_tokens, reseal_stored_tokens, seal_account_tokens
from ..core.sessions import SIGNED_IN_WITH
from ..core.signin import OAuthSignIn, SignInOutcome
from ..core.tokens import new_token
from ..current import current_session_or_none
from ..providers.base import Provider, ProviderResult, SignInFlow
from ..state import AuthState
from ..urls import callback_url
from ..web.flow_cookie import recall_flow, remember_flow
from .callbacks import announce, approve_sign_in, land

logger = logging.getLogger("flask_authadapter")


def _flow(
    state: AuthState, provider: Provider, landing: str, oauth_state: str | None
) -> SignInFlow:
    return SignInFlow(
        provider_id=provider.id,
        redirect_uri=callback_url(state, provider.id),
        callback_url=landing,
        state=oauth_state,
    )


def start(state: AuthState, provider: Provider, landing: str) -> Response:
    """Send the browser to ``provider``, remembering the flow (a new ``state``, and where
    to land, ``landing``, already checked) in the flow cookie."""
    flow = _flow(state, provider, landing, new_token())
    response = Response.force_type(provider.begin(flow), request.environ)  # type: ignore[arg-type]
    remember_flow(response, request, flow, state.config, state.clock())
    return response


def finish(state: AuthState, provider: Provider, answer: Mapping[str, str]) -> Response:
    """Finish the flow this browser began with ``provider`` using its ``answer``, and sign
    in. No flow (no cookie, or one changed, foreign or too old): no sign-in is under way,
    and the provider refuses the answer for want of a state."""
    flow = recall_flow(request, provider.id, state.config, state.clock()) or _flow(
        state, provider, state.config.default_redirect, None
    )
    result = provider.finish(flow, answer)
    return finish_oauth_sign_in(state, provider, result, flow.callback_url)


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
    state: AuthState, provider: Provider, result: ProviderResult, landing: str | None
) -> Response:
    """Sign in (or link) with what an OAuth / OIDC provider returned, then go to
    ``landing``."""
    account = replace(result.account, provider=provider.id, user_id="")
    active = current_session_or_none()
    attempt = OAuthSignIn(
        state.adapter,
        account=seal_account_tokens(account, state.token_sealer),
        profile=result.profile,
        email_verified=result.email_verified,
        current_user=active.user if active is not None else None,
    )
    answer = approve_sign_in(
        state, user=attempt.candidate, account=account, profile=dict(result.raw), email=None
    )
    if answer is not None:
        return answer
    outcome = attempt.run(
        allow_dangerous_email_account_linking=provider.allow_dangerous_email_account_linking,
        clock=state.clock,
    )
    announce(_with_tokens_resealed(state, outcome))
    kept = None
    if active is not None and outcome.account_linked and outcome.user.id == active.user.id:
        # Linking to the signed-in user: the new session is still signed in the way the
        # person proved who they are, not with the account just added.
        kept = active.session.extra.get(SIGNED_IN_WITH)
    return land(
        state,
        outcome,
        landing,
        provider=provider.id,
        provider_account_id=account.provider_account_id,
        signed_in_with=kept if isinstance(kept, str) else None,
    )
