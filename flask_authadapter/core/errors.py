"""The exceptions of flask-authadapter.

Every exception the package raises on purpose derives from :class:`AuthAdapterError`.
Adapters raise the storage ones:

- :class:`StorageError`: the store failed (database down, locked, timed out, ...). The
  driver's exception is chained as ``__cause__``. Retrying later may succeed.
- :class:`DuplicateEmail` / :class:`DuplicateAccount`: a uniqueness rule would be broken.
  Both derive from :class:`ConflictError`.
- :class:`InvalidValue`: a value cannot be stored (too long, not valid text, a naive
  datetime, an ``extra`` key the store has no column for). Raised before anything is written.
"""

from __future__ import annotations

__all__ = [
    "AuthAdapterError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateAccount",
    "DuplicateEmail",
    "InvalidValue",
    "StorageError",
    "UnknownUser",
]


class AuthAdapterError(Exception):
    """Base class of every error flask-authadapter raises on purpose."""


class ConfigurationError(AuthAdapterError):
    """The extension or an adapter is set up wrongly; raised at start-up, not per request."""


class StorageError(AuthAdapterError):
    """The store failed; the driver's exception, if any, is the ``__cause__``."""


class ConflictError(AuthAdapterError):
    """A write would break a uniqueness rule of the store."""


class DuplicateEmail(ConflictError):
    """Another user already has this email address."""

    def __init__(self, message: str = "another user already has this email address") -> None:
        super().__init__(message)


class DuplicateAccount(ConflictError):
    """This (provider, provider_account_id) is already linked to a user."""

    def __init__(self, provider: str, provider_account_id: str) -> None:
        # The account id is not secret, but it is personal: say which provider only.
        super().__init__(f"an account of provider {provider!r} with this id is already linked")
        self.provider = provider
        self.provider_account_id = provider_account_id


class InvalidValue(AuthAdapterError, ValueError):
    """A value cannot be stored as given; nothing was written."""


class UnknownUser(InvalidValue):
    """A record refers to a user id that does not exist."""
