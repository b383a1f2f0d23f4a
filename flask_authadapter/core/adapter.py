"""The adapter contract: what any store must do for flask-authadapter.

An adapter is any object with these methods; :class:`Adapter` is a
:class:`typing.Protocol`, so no base class is needed. The rules every method keeps:

- Every method is synchronous and runs its own short transaction.
- "Not found" returns ``None`` (or ``0`` for counts), never raises.
- Every ``datetime`` going in or out is timezone-aware UTC.
- Ids are ``str`` in the contract, whatever the column type behind them.
- Failures raise the errors of :mod:`flask_authadapter.core.errors`:
  :class:`~flask_authadapter.core.errors.StorageError` (chaining the driver's exception),
  :class:`~flask_authadapter.core.errors.DuplicateEmail`,
  :class:`~flask_authadapter.core.errors.DuplicateAccount`,
  :class:`~flask_authadapter.core.errors.InvalidValue`.

An adapter may implement a subset: :data:`FEATURE_METHODS` says which methods each feature
of the extension needs, and :func:`missing_methods` lists what an adapter lacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from .errors import InvalidValue
from .models import Account, Session, User, VerificationToken

#: What an adapter's optional ``unlink_account_unless_last`` did: ``"unlinked"``,
#: ``"not_linked"`` (not that user's account), or ``"last"`` (their last way to sign in).
UnlinkOutcome = Literal["unlinked", "not_linked", "last"]


@runtime_checkable
class Adapter(Protocol):
    """The storage contract. See the module docstring for the rules every method keeps."""

    # Users ---------------------------------------------------------------------------
    def create_user(self, user: User) -> User:
        """Store a new user; generate ``user.id`` when it is ``None``. Returns the stored user."""
        ...

    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        ...

    def get_user_by_email(self, email: str) -> User | None:
        """The user whose (normalised) email is exactly ``email``, or ``None``."""
        ...

    def get_user_by_account(self, provider: str, provider_account_id: str) -> User | None:
        """The user who linked this provider account, or ``None``."""
        ...

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change fields (or ``extra`` keys, passed by name) of a user; returns the user.

        Raises :class:`~flask_authadapter.core.errors.UnknownUser` when there is no such user.
        """
        ...

    def delete_user(self, user_id: str) -> None:
        """Delete a user with their accounts and sessions. No error when already gone."""
        ...

    # Accounts ------------------------------------------------------------------------
    def link_account(self, account: Account) -> Account:
        """Store a provider account for ``account.user_id``. ``type``, ``provider`` and
        ``provider_account_id`` must be filled: ``InvalidValue`` otherwise, before anything
        is written."""
        ...

    def unlink_account(self, provider: str, provider_account_id: str) -> None:
        """Remove a provider account. No error when already gone."""
        ...

    def get_account(self, provider: str, provider_account_id: str) -> Account | None:
        """The stored provider account, or ``None``."""
        ...

    def update_account(
        self, provider: str, provider_account_id: str, **changes: Any
    ) -> Account | None:
        """Change fields of a provider account (fresh tokens); ``None`` when it is gone."""
        ...

    def list_accounts(self, user_id: str) -> list[Account]:
        """Every provider account of a user, by provider then account id. Optional: only
        the account page and the unlink helpers need it."""
        ...

    # Sessions ------------------------------------------------------------------------
    def create_session(self, session: Session) -> Session:
        """Store a new session."""
        ...

    def get_session_and_user(self, session_token: str) -> tuple[Session, User] | None:
        """The session and its user in one round trip, or ``None``. Expiry is not checked."""
        ...

    def update_session(self, session_token: str, **changes: Any) -> Session | None:
        """Change fields of a session (usually ``expires``); ``None`` when it is gone."""
        ...

    def delete_session(self, session_token: str) -> None:
        """Delete a session. No error when already gone."""
        ...

    def list_sessions(self, user_id: str) -> list[Session]:
        """Every stored session of a user, oldest first: by ``created_at``, or ``expires``
        for a session without one, then by ``expires``."""
        ...

    def delete_sessions(self, user_id: str) -> int:
        """Delete every session of a user ("sign out everywhere"); returns how many."""
        ...

    # Verification tokens -------------------------------------------------------------
    def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        """Store a verification token."""
        ...

    def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        """Delete and return the token: once, then ``None``, also under concurrency.

        Expiry is not checked here: an expired token is returned (and deleted) too, so the
        caller can tell "expired" from "unknown".
        """
        ...

    def delete_verification_tokens(self, identifier: str) -> int:
        """Delete every token of ``identifier``; returns how many."""
        ...

    # Maintenance ---------------------------------------------------------------------
    def delete_expired(self, now: datetime) -> int:
        """Delete sessions and tokens that expired before ``now``, in batches; returns how many."""
        ...


#: The adapter methods each feature of the extension calls.
FEATURE_METHODS: dict[str, tuple[str, ...]] = {
    "users": ("create_user", "get_user", "get_user_by_email", "update_user", "delete_user"),
    "sessions": (
        "create_session",
        "get_session_and_user",
        "update_session",
        "delete_session",
        "list_sessions",
        "delete_sessions",
    ),
    "accounts": (
        "get_user_by_account",
        "link_account",
        "unlink_account",
        "get_account",
        "update_account",
    ),
    "verification_tokens": (
        "create_verification_token",
        "use_verification_token",
        "delete_verification_tokens",
    ),
    "maintenance": ("delete_expired",),
    # Optional: listing a user's accounts, for the account page and unlinking.
    "account_listing": ("list_accounts",),
}


def missing_methods(adapter: object, features: Iterable[str]) -> list[str]:
    """The methods ``features`` need that ``adapter`` does not have, in contract order."""
    missing: list[str] = []
    for feature in features:
        for name in FEATURE_METHODS[feature]:
            if not callable(getattr(adapter, name, None)) and name not in missing:
                missing.append(name)
    return missing


#: The fields that identify a stored record, which ``update_user``, ``update_account`` and
#: ``update_session`` refuse to change, by record name.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "user": ("id",),
    "account": ("user_id", "provider", "provider_account_id"),
    "session": ("session_token", "user_id"),
}


def check_keys_unchanged(kind: str, changes: Iterable[str]) -> None:
    """Refuse ``changes`` (field names) that include a key field of ``kind`` ("user",
    "account", "session"), before anything is written."""
    for key in KEY_FIELDS[kind]:
        if key in changes:
            article = "an" if kind[0] in "aeiou" else "a"
            raise InvalidValue(f"{article} {kind}'s {key} cannot be changed")
