"""A dict-based adapter for tests and prototypes: thread-safe, nothing persists."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from ..core import values
from ..core.adapter import UnlinkOutcome, check_keys_unchanged
from ..core.errors import (
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    InvalidValue,
    UnknownUser,
)
from ..core.models import (
    ACCOUNT_FIELDS,
    ACCOUNT_REQUIRED,
    SESSION_FIELDS,
    USER_FIELDS,
    Account,
    Session,
    User,
    VerificationToken,
)

R = TypeVar("R", User, Account, Session, VerificationToken)


def _copy(record: R) -> R:
    """A copy the caller may change without touching the store."""
    return copy.deepcopy(record)


def _check_texts(kind: str, record: User | Account | Session) -> None:
    """Refuse text that no database stores faithfully, as the SQL adapter does."""
    fields = {**vars(record), **record.extra}
    for name, value in fields.items():
        if name != "extra":
            values.check_text(f"{kind}.{name}", value)


def _apply(record: R, kind: str, names: tuple[str, ...], changes: dict[str, Any]) -> R:
    """``record`` with ``changes`` applied: known fields by name, anything else into extra."""
    field_changes = {k: v for k, v in changes.items() if k in names}
    extra_changes = {k: v for k, v in changes.items() if k not in names}
    if "extra" in extra_changes:
        raise InvalidValue(f"pass {kind}.extra keys by name, not as extra=")
    values.check_extra_keys(kind, extra_changes, names)
    updated = replace(record, **field_changes)
    if extra_changes and hasattr(updated, "extra"):
        updated.extra = {**updated.extra, **copy.deepcopy(extra_changes)}
    return updated


class MemoryAdapter:
    """Keeps users, accounts, sessions and verification tokens in dicts, behind one lock.

    It keeps the whole contract (including atomic :meth:`use_verification_token`) and any
    ``extra`` keys, so an app can be prototyped and tested before choosing a database.
    """

    def __init__(self, *, id_factory: Callable[[], str] | None = None) -> None:
        self._lock = threading.RLock()
        self._new_id = id_factory or (lambda: str(uuid.uuid4()))
        self._users: dict[str, User] = {}
        self._emails: dict[str, str] = {}
        self._accounts: dict[tuple[str, str], Account] = {}
        self._sessions: dict[str, Session] = {}
        self._tokens: dict[tuple[str, str], VerificationToken] = {}

    def stores_field(self, kind: str, name: str) -> bool:
        """Whether ``kind`` records keep the field or extra ``name``: always, in memory."""
        return True

    def stores_extra(self, kind: str, name: str) -> bool:
        """Whether ``extra[name]`` of ``kind`` records is kept: always, in memory."""
        return True

    # Users --------------------------------------------------------------------------
    @staticmethod
    def _clean_user(user: User) -> User:
        values.check_email_length(user.email)
        values.check_extra_keys("User", user.extra, USER_FIELDS)
        _check_texts("User", user)
        return replace(
            user, email_verified=values.utc_or_none("email_verified", user.email_verified)
        )

    def create_user(self, user: User) -> User:
        """Store a new user; an id is generated when ``user.id`` is None."""
        user = self._clean_user(_copy(user))
        with self._lock:
            if user.id is None:
                user.id = self._new_id()
            user.id = str(user.id)
            if user.id in self._users:
                raise ConflictError("a user with this id already exists")
            if user.email is not None and user.email in self._emails:
                raise DuplicateEmail()
            self._users[user.id] = user
            if user.email is not None:
                self._emails[user.email] = user.id
            return _copy(user)

    def create_user_and_link_account(self, user: User, account: Account) -> tuple[User, Account]:
        """Store a new user and their first provider account: both or neither."""
        values.check_filled("Account", account, ACCOUNT_REQUIRED)
        with self._lock:
            key = (account.provider, account.provider_account_id)
            if key in self._accounts:
                raise DuplicateAccount(*key)
            created = self.create_user(user)
            assert created.id is not None
            try:
                return created, self.link_account(replace(account, user_id=created.id))
            except BaseException:
                self.delete_user(created.id)  # under the same lock: nobody saw the user
                raise

    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        with self._lock:
            user = self._users.get(str(user_id))
            return None if user is None else _copy(user)

    def get_user_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        with self._lock:
            user_id = self._emails.get(email)
            return None if user_id is None else _copy(self._users[user_id])

    def get_user_by_account(self, provider: str, provider_account_id: str) -> User | None:
        """The user who linked this provider account, or None."""
        with self._lock:
            account = self._accounts.get((provider, provider_account_id))
            return None if account is None else self.get_user(account.user_id)

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change fields or extra keys of a user; raises UnknownUser when it does not exist."""
        check_keys_unchanged("user", changes)
        with self._lock:
            current = self._users.get(str(user_id))
            if current is None:
                raise UnknownUser("no user with this id")
            updated = self._clean_user(_apply(current, "User", USER_FIELDS, changes))
            if updated.email != current.email:
                if updated.email is not None and updated.email in self._emails:
                    raise DuplicateEmail()
                if current.email is not None:
                    del self._emails[current.email]
                if updated.email is not None:
                    self._emails[updated.email] = current.id  # type: ignore[assignment]
            self._users[str(user_id)] = updated
            return _copy(updated)

    def delete_user(self, user_id: str) -> None:
        """Delete a user and their accounts and sessions."""
        user_id = str(user_id)
        with self._lock:
            user = self._users.pop(user_id, None)
            if user is None:
                return
            if user.email is not None:
                self._emails.pop(user.email, None)
            for account_key in [k for k, a in self._accounts.items() if a.user_id == user_id]:
                del self._accounts[account_key]
            for token in [k for k, s in self._sessions.items() if s.user_id == user_id]:
                del self._sessions[token]

    # Accounts -----------------------------------------------------------------------
    def link_account(self, account: Account) -> Account:
        """Store a provider account of an existing user."""
        values.check_filled("Account", account, ACCOUNT_REQUIRED)
        account = replace(_copy(account), user_id=str(account.user_id))
        values.check_extra_keys("Account", account.extra, ACCOUNT_FIELDS)
        _check_texts("Account", account)
        with self._lock:
            if account.user_id not in self._users:
                raise UnknownUser("link_account: no user with this id")
            key = (account.provider, account.provider_account_id)
            if key in self._accounts:
                raise DuplicateAccount(*key)
            self._accounts[key] = account
            return _copy(account)

    def unlink_account(self, provider: str, provider_account_id: str) -> None:
        """Remove a provider account; no error when already gone."""
        with self._lock:
            self._accounts.pop((provider, provider_account_id), None)

    def unlink_account_unless_last(
        self, user_id: str, provider: str, provider_account_id: str, *, other_ways: int = 0
    ) -> UnlinkOutcome:
        """Remove ``user_id``'s provider account unless it is their last way to sign in
        (``other_ways`` counts the ways besides provider accounts), in one atomic step."""
        user_id = str(user_id)
        with self._lock:
            key = (provider, provider_account_id)
            account = self._accounts.get(key)
            if account is None or account.user_id != user_id:
                return "not_linked"
            remaining = sum(1 for a in self._accounts.values() if a.user_id == user_id) - 1
            if remaining + other_ways < 1:
                return "last"
            del self._accounts[key]
            return "unlinked"

    def get_account(self, provider: str, provider_account_id: str) -> Account | None:
        """The stored provider account, or None."""
        with self._lock:
            account = self._accounts.get((provider, provider_account_id))
            return None if account is None else _copy(account)

    def update_account(
        self, provider: str, provider_account_id: str, **changes: Any
    ) -> Account | None:
        """Change fields of a provider account; None when it does not exist."""
        check_keys_unchanged("account", changes)
        with self._lock:
            account_key = (provider, provider_account_id)
            current = self._accounts.get(account_key)
            if current is None:
                return None
            updated = _apply(current, "Account", ACCOUNT_FIELDS, changes)
            _check_texts("Account", updated)
            self._accounts[account_key] = updated
            return _copy(updated)

    def list_accounts(self, user_id: str) -> list[Account]:
        """A user's provider accounts, by provider then account id."""
        user_id = str(user_id)
        with self._lock:
            found = [_copy(a) for a in self._accounts.values() if a.user_id == user_id]
        return sorted(found, key=lambda a: (a.provider, a.provider_account_id))

    def iter_accounts(self) -> Iterator[Account]:
        """Every provider account of every user, by provider then account id (optional in
        the contract: ``flask auth reseal-tokens`` needs it)."""
        with self._lock:
            found = [_copy(a) for a in self._accounts.values()]
        yield from sorted(found, key=lambda a: (a.provider, a.provider_account_id))

    # Sessions -----------------------------------------------------------------------
    @staticmethod
    def _clean_session(session: Session) -> Session:
        values.check_extra_keys("Session", session.extra, SESSION_FIELDS)
        _check_texts("Session", session)
        return replace(
            session,
            user_id=str(session.user_id),
            expires=values.to_utc("expires", session.expires),
            created_at=values.utc_or_none("created_at", session.created_at),
        )

    def create_session(self, session: Session) -> Session:
        """Store a new session of an existing user."""
        session = self._clean_session(_copy(session))
        with self._lock:
            if session.user_id not in self._users:
                raise UnknownUser("create_session: no user with this id")
            if session.session_token in self._sessions:
                raise ConflictError("a session with this token already exists")
            self._sessions[session.session_token] = session
            return _copy(session)

    def get_session_and_user(self, session_token: str) -> tuple[Session, User] | None:
        """The session and its user, or None."""
        with self._lock:
            session = self._sessions.get(session_token)
            if session is None:
                return None
            user = self._users.get(session.user_id)
            if user is None:  # pragma: no cover - delete_user removes sessions with the user
                return None
            return _copy(session), _copy(user)

    def update_session(self, session_token: str, **changes: Any) -> Session | None:
        """Change fields of a session; None when it does not exist."""
        check_keys_unchanged("session", changes)
        with self._lock:
            current = self._sessions.get(session_token)
            if current is None:
                return None
            updated = self._clean_session(_apply(current, "Session", SESSION_FIELDS, changes))
            self._sessions[session_token] = updated
            return _copy(updated)

    def delete_session(self, session_token: str) -> None:
        """Delete a session; no error when already gone."""
        with self._lock:
            self._sessions.pop(session_token, None)

    def list_sessions(self, user_id: str) -> list[Session]:
        """A user's sessions, oldest first, in the contract's order (``created_at``, or
        ``expires`` for a session without one; then ``expires``)."""
        user_id = str(user_id)
        with self._lock:
            found = [_copy(s) for s in self._sessions.values() if s.user_id == user_id]
        return sorted(found, key=lambda s: (s.created_at or s.expires, s.expires))

    def delete_sessions(self, user_id: str) -> int:
        """Delete every session of a user; returns how many."""
        user_id = str(user_id)
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.user_id == user_id]
            for key in keys:
                del self._sessions[key]
            return len(keys)

    # Verification tokens --------------------------------------------------------------
    def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        """Store a verification token."""
        values.check_email_length(token.identifier)
        values.check_text("VerificationToken.token", token.token)
        token = replace(token, expires=values.to_utc("expires", token.expires))
        with self._lock:
            key = (token.identifier, token.token)
            if key in self._tokens:
                raise ConflictError("this verification token already exists")
            self._tokens[key] = token
            return _copy(token)

    def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        """Delete and return the token, once; None afterwards."""
        with self._lock:
            return self._tokens.pop((identifier, token), None)

    def delete_verification_tokens(self, identifier: str) -> int:
        """Delete every token of ``identifier``; returns how many."""
        with self._lock:
            keys = [k for k in self._tokens if k[0] == identifier]
            for key in keys:
                del self._tokens[key]
            return len(keys)

    # Maintenance ----------------------------------------------------------------------
    def delete_expired(self, now: datetime) -> int:
        """Delete sessions and tokens that expired before ``now``; returns how many."""
        now = values.to_utc("now", now)
        with self._lock:
            sessions = [k for k, s in self._sessions.items() if s.expires < now]
            tokens = [k for k, t in self._tokens.items() if t.expires < now]
            for key in sessions:
                del self._sessions[key]
            for token_key in tokens:
                del self._tokens[token_key]
            return len(sessions) + len(tokens)
