"""Database sessions: starting, loading (with sliding expiry), ending. Flask-free.

The browser holds a random token; the store holds only its SHA-256. Loading a session is one
adapter call inside the update window, and a second one (the write that slides the expiry)
at most once per ``update_age``. Expired sessions are deleted when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .adapter import Adapter
from .clock import Clock, system_clock
from .models import Session, User
from .tokens import hash_session_token, new_token, plausible_token

#: Longest user agent kept with a session (a display aid, not an identifier).
USER_AGENT_MAX = 512

#: The session extra that says how the session was signed in (see :func:`signed_in_with_value`).
SIGNED_IN_WITH = "signed_in_with"


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions live.

    ``max_age``: a session expires this long after it was last extended (sliding).
    ``update_age``: the expiry is moved at most this often (a write per ``update_age``).
    ``absolute_max_age``: if set, no session outlives its creation by more than this.
    """

    max_age: timedelta = timedelta(days=30)
    update_age: timedelta = timedelta(days=1)
    absolute_max_age: timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_age <= timedelta(0):
            raise ValueError("the session max_age must be positive")
        if self.update_age < timedelta(0) or self.update_age > self.max_age:
            raise ValueError("the session update_age must be between 0 and max_age")
        if self.absolute_max_age is not None and self.absolute_max_age <= timedelta(0):
            raise ValueError("the session absolute_max_age must be positive")

    def expiry(self, now: datetime, created_at: datetime | None) -> datetime:
        """The expiry a session extended at ``now`` gets, within the absolute cap."""
        expires = now + self.max_age
        if self.absolute_max_age is not None and created_at is not None:
            expires = min(expires, created_at + self.absolute_max_age)
        return expires

    def last_used(
        self, created_at: datetime | None, expires: datetime
    ) -> tuple[datetime, datetime | None]:
        """When a session of this ``expires`` was last used, as a window: it was used at the
        first moment (its expiry was last moved then) and not after the second (a later use
        would have moved it again), which is ``None`` when nothing bounds it.

        Exact only with an ``update_age`` of zero. Past the absolute cap the expiry no
        longer moves, so nothing bounds the last use."""
        extended_at = expires - self.max_age
        cap = self.absolute_max_age
        if cap is not None and created_at is not None and expires >= created_at + cap:
            return max(created_at, extended_at), None
        return extended_at, extended_at + self.update_age


@dataclass
class ActiveSession:
    """A session loaded for a request: the cookie's ``token``, the stored session, its user.

    ``extended`` says the expiry moved during this load, so the cookie should be re-sent.
    """

    token: str
    session: Session
    user: User
    extended: bool = False

    @property
    def expires(self) -> datetime:
        """When the session expires."""
        return self.session.expires


class SessionManager:
    """Starts, loads and ends database sessions through an adapter."""

    def __init__(
        self,
        adapter: Adapter,
        policy: SessionPolicy | None = None,
        *,
        clock: Clock = system_clock,
        store_user_agent: bool = False,
        store_signed_in_with: bool = False,
    ) -> None:
        self.adapter = adapter
        self.policy = policy or SessionPolicy()
        self.clock = clock
        self.store_user_agent = store_user_agent
        self.store_signed_in_with = store_signed_in_with
        # A session is extended once its remaining lifetime is this short or shorter: the
        # same as "update_age has passed since it was last extended", in one comparison.
        self._extend_within = self.policy.max_age - self.policy.update_age

    def start(
        self,
        user: User,
        *,
        user_agent: str | None = None,
        replacing: str | None = None,
        signed_in_with: str | None = None,
    ) -> ActiveSession:
        """Create a new session for ``user``; the session of token ``replacing`` is ended.

        ``signed_in_with`` (see :func:`signed_in_with_value`) is kept with the session when the
        store has a place for it."""
        if user.id is None:
            raise ValueError("a session needs a stored user (user.id is None)")
        if replacing is not None:
            self.end(replacing)
        token = new_token()
        now = self.clock()
        extra: dict[str, Any] = {}
        if self.store_user_agent and user_agent:
            extra["user_agent"] = _printable(user_agent)[:USER_AGENT_MAX]
        if self.store_signed_in_with and signed_in_with:
            extra[SIGNED_IN_WITH] = signed_in_with
        session = self.adapter.create_session(
            Session(
                session_token=hash_session_token(token),
                user_id=user.id,
                expires=self.policy.expiry(now, now),
                created_at=now,
                extra=extra,
            )
        )
        return ActiveSession(token=token, session=session, user=user)

    def load(self, token: str | None) -> ActiveSession | None:
        """The live session of ``token``, extended if due; None for anything else.

        A token of the wrong shape costs no query; an unknown one creates nothing; an
        expired one is deleted.
        """
        if not plausible_token(token):
            return None
        assert token is not None
        key = hash_session_token(token)
        found = self.adapter.get_session_and_user(key)
        if found is None:
            return None
        session, user = found
        now = self.clock()
        if session.expires <= now or (
            self.policy.absolute_max_age is not None and self._past_absolute_cap(session, now)
        ):
            self.adapter.delete_session(key)
            return None
        if session.expires - now > self._extend_within:  # inside the update window
            return ActiveSession(token=token, session=session, user=user)
        expires = self.policy.expiry(now, session.created_at)
        if expires <= session.expires:  # at the absolute cap already
            return ActiveSession(token=token, session=session, user=user)
        updated = self.adapter.update_session(key, expires=expires)
        if updated is None:  # ended meanwhile (signed out elsewhere)
            return None
        return ActiveSession(token=token, session=updated, user=user, extended=True)

    def end(self, token: str | None) -> None:
        """Delete the session of ``token``, if there is one."""
        if plausible_token(token):
            assert token is not None
            self.adapter.delete_session(hash_session_token(token))

    def end_all(self, user_id: str) -> int:
        """Delete every session of a user ("sign out everywhere"); returns how many."""
        return self.adapter.delete_sessions(user_id)

    def _past_absolute_cap(self, session: Session, now: datetime) -> bool:
        cap = self.policy.absolute_max_age
        return (
            cap is not None and session.created_at is not None and session.created_at + cap <= now
        )


def signed_in_with_value(
    provider: str | None, provider_account_id: str | None = None
) -> str | None:
    """How a session was signed in, as stored in its ``signed_in_with`` extra: the provider
    id ("email"), with the provider account's id for OAuth ("github:583231")."""
    if provider is None:
        return None
    if provider_account_id is None:
        return provider
    return f"{provider}:{provider_account_id}"


def _printable(text: str) -> str:
    """``text`` without control characters (a header can carry anything)."""
    return "".join(char for char in text if char.isprintable())
