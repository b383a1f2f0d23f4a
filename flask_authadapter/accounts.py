"""A signed-in user's sign-in methods and sessions, for the account page.

Which accounts are linked, and unlinking one; which sessions are live, and ending them.

For an app's own account page (or the blueprint's JSON), with the rule that keeps people
from locking themselves out: the last way to sign in cannot be unlinked. An email counts as
a way to sign in while an Email provider is configured and the user has an address.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from .core.adapter import missing_methods
from .core.devices import ago, browser_label, last_active
from .core.errors import AuthAdapterError, ConfigurationError
from .core.models import Account, User
from .core.sessions import SIGNED_IN_WITH, ActiveSession, signed_in_with_value
from .core.tokens import hash_session_token, sign
from .state import AuthState, auth_state

__all__ = [
    "CannotUnlink",
    "SessionView",
    "SignInMethods",
    "Unlinked",
    "active_sessions",
    "end_other_sessions",
    "end_session",
    "sign_in_methods",
    "unlink",
]


class CannotUnlink(AuthAdapterError):
    """The account is not the user's, or it is their last way to sign in."""

    code = "CannotUnlink"
    status = 409
    title = "Cannot unlink this account"
    message = (
        "This account cannot be unlinked: it is not linked to you, or it is your last "
        "way to sign in. Link another way first."
    )


@dataclass(frozen=True)
class SignInMethods:
    """How a user can sign in: their linked provider accounts, and whether by email."""

    accounts: list[Account]
    email: bool

    @property
    def count(self) -> int:
        """How many ways there are."""
        return len(self.accounts) + (1 if self.email else 0)


def _listing(state: AuthState) -> None:
    missing = missing_methods(state.adapter, ["account_listing"])
    if missing:
        raise ConfigurationError(
            f"the adapter {type(state.adapter).__name__} cannot list accounts "
            "(it has no list_accounts), which the account page needs"
        )


def sign_in_methods(user: User) -> SignInMethods:
    """The ways ``user`` can sign in on this app."""
    state = auth_state()
    _listing(state)
    assert user.id is not None
    accounts = state.adapter.list_accounts(user.id)
    by_email = user.email is not None and state.email_provider is not None
    return SignInMethods(accounts=accounts, email=by_email)


@dataclass(frozen=True)
class Unlinked:
    """What unlinking did: how many sessions it ended, and whether the current one was
    among them (the browser that unlinked is then signed out)."""

    sessions_ended: int
    current_ended: bool


def unlink(
    user: User,
    provider: str,
    provider_account_id: str,
    *,
    current: ActiveSession | None = None,
) -> Unlinked:
    """Unlink one of ``user``'s provider accounts, unless it is their last way to sign in,
    and end the sessions that were signed in through it.

    The check and the removal are one atomic step where the adapter offers it
    (``unlink_account_unless_last``): two concurrent unlinks never leave a user with no way
    to sign in. Sessions whose way of signing in is unknown are ended too, all but
    ``current``. Raises :class:`CannotUnlink` for an account
    that is not the user's or the last way.
    """
    state = auth_state()
    methods = sign_in_methods(user)
    assert user.id is not None
    atomic = getattr(state.adapter, "unlink_account_unless_last", None)
    if callable(atomic):
        outcome = atomic(user.id, provider, provider_account_id, other_ways=int(methods.email))
    elif not any(
        a.provider == provider and a.provider_account_id == provider_account_id
        for a in methods.accounts
    ):
        outcome = "not_linked"
    elif methods.count <= 1:
        outcome = "last"
    else:
        state.adapter.unlink_account(provider, provider_account_id)
        outcome = "unlinked"
    if outcome == "not_linked":
        raise CannotUnlink("that account is not linked to this user")
    if outcome == "last":
        raise CannotUnlink("it is the last way to sign in")
    return _end_sessions_signed_in_with(
        state, user.id, signed_in_with_value(provider, provider_account_id), current
    )


def _end_sessions_signed_in_with(
    state: AuthState, user_id: str, method: str | None, current: ActiveSession | None
) -> Unlinked:
    """End ``user_id``'s sessions signed in with ``method``, and those whose way of signing
    in is unknown (made before it was recorded, or on a store without a place for it)
    except ``current``."""
    current_key = hash_session_token(current.token) if current is not None else None
    ended, current_ended = 0, False
    for session in state.adapter.list_sessions(user_id):
        how = session.extra.get(SIGNED_IN_WITH)
        is_current = session.session_token == current_key
        if how != method and (how is not None or is_current):
            continue
        state.adapter.delete_session(session.session_token)
        ended += 1
        current_ended = current_ended or is_current
    return Unlinked(sessions_ended=ended, current_ended=current_ended)


# Sessions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """One of a user's sessions as the account page shows it.

    ``handle`` names it in forms: an HMAC of the stored key, so a page never shows even the
    hash of a cookie. ``last_extended`` is when its expiry was last moved.

    Ready to show: ``browser`` ("Chrome on Linux", "Unknown browser"), ``signed_in`` ("signed
    in 3 days ago"), ``last_active`` ("active within the last 5 hours": a range unless the
    store writes on every use, see :meth:`SessionPolicy.last_used`) and ``method`` ("Email
    link", a provider's name; None when the store did not record it).
    """

    handle: str
    created_at: datetime | None
    last_extended: datetime
    expires: datetime
    user_agent: str | None
    current: bool
    browser: str = ""
    signed_in: str = ""
    last_active: str = ""
    method: str | None = None


def _handle(state: AuthState, stored_key: str) -> str:
    return sign(state.config.secret, stored_key, purpose="session-handle")[:24]


def _method_label(state: AuthState, signed_in_with: object) -> str | None:
    """A stored ``signed_in_with`` ("email", "github:583231") as its provider's name."""
    if not isinstance(signed_in_with, str) or not signed_in_with:
        return None
    provider_id = signed_in_with.split(":", 1)[0]
    if state.email_provider is not None and provider_id == state.email_provider.id:
        return "Email link"
    provider = state.providers.get(provider_id)
    return provider.name if provider is not None else provider_id


def active_sessions(user: User, current: ActiveSession | None) -> list[SessionView]:
    """``user``'s live sessions: the current one first, then the most recently used (then
    the most recently signed in) first."""
    state = auth_state()
    assert user.id is not None
    now = state.clock()
    current_key = hash_session_token(current.token) if current is not None else None
    policy = state.config.session_policy
    views = []
    for session in state.adapter.list_sessions(user.id):
        if session.expires <= now:
            continue
        agent = session.extra.get("user_agent")
        is_current = session.session_token == current_key
        used_from, used_until = policy.last_used(session.created_at, session.expires)
        views.append(
            SessionView(
                handle=_handle(state, session.session_token),
                created_at=session.created_at,
                last_extended=session.expires - policy.max_age,
                expires=session.expires,
                user_agent=agent if isinstance(agent, str) else None,
                current=is_current,
                browser=browser_label(agent if isinstance(agent, str) else None),
                signed_in=(
                    f"signed in {ago(session.created_at, now)}"
                    if session.created_at is not None
                    else "signed in at an unknown time"
                ),
                last_active=(
                    "active now" if is_current else last_active(used_from, used_until, now)
                ),
                method=_method_label(state, session.extra.get(SIGNED_IN_WITH)),
            )
        )
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    views.sort(key=lambda v: (v.current, v.last_extended, v.created_at or oldest, v.handle))
    views.reverse()
    return views


def end_session(user: User, handle: str) -> bool:
    """End the session of ``user`` named by ``handle``; False when there is none."""
    state = auth_state()
    assert user.id is not None
    if not handle.isascii():  # handles are hex; compare_digest refuses non-ASCII text
        return False
    for session in state.adapter.list_sessions(user.id):
        if hmac.compare_digest(_handle(state, session.session_token), handle):
            state.adapter.delete_session(session.session_token)
            return True
    return False


def end_other_sessions(user: User, current: ActiveSession) -> int:
    """End every session of ``user`` but ``current``; returns how many."""
    state = auth_state()
    assert user.id is not None
    keep = hash_session_token(current.token)
    ended = 0
    for session in state.adapter.list_sessions(user.id):
        if session.session_token != keep:
            state.adapter.delete_session(session.session_token)
            ended += 1
    return ended
