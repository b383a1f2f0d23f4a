"""The exceptions of flask-authadapter: storage errors and sign-in errors.

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
    "ERROR_STATUS",
    "AccessDenied",
    "AuthAdapterError",
    "ConfigurationError",
    "ConfigurationProblem",
    "ConflictError",
    "DuplicateAccount",
    "DuplicateEmail",
    "EmailSignin",
    "InvalidValue",
    "MissingCSRF",
    "OAuthAccountNotLinked",
    "OAuthCallbackError",
    "OAuthSignin",
    "RateLimited",
    "SessionRequired",
    "SignInError",
    "StorageError",
    "UnknownUser",
    "Verification",
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


# Sign-in errors -------------------------------------------------------------------------
#
# The codes are Auth.js's (plus RateLimited): the blueprint's error page and JSON show the
# code, never the details, which go to the log.

#: Each error code and the HTTP status its error page answers with.
ERROR_STATUS: dict[str, int] = {
    "Configuration": 500,
    "AccessDenied": 403,
    "Verification": 403,
    "OAuthSignin": 400,
    "OAuthCallbackError": 400,
    "OAuthAccountNotLinked": 409,
    "EmailSignin": 400,
    "MissingCSRF": 403,
    "SessionRequired": 401,
    "RateLimited": 429,
    "Default": 400,
}


class SignInError(AuthAdapterError):
    """A sign-in flow ended with one of the codes of :data:`ERROR_STATUS`.

    ``str(error)`` is for the log; the person sees only the code's page.
    """

    code = "Default"

    @property
    def status(self) -> int:
        """The HTTP status of this code's error page."""
        return ERROR_STATUS[self.code]


class AccessDenied(SignInError):
    """A ``sign_in`` callback, or the person at the provider, refused the sign-in."""

    code = "AccessDenied"


class Verification(SignInError):
    """A sign-in link or code is unknown, used, expired, or for another address."""

    code = "Verification"


class OAuthAccountNotLinked(SignInError):
    """The provider account's email belongs to another user, or the account to another
    user than the signed-in one: linking it automatically would hand that user over."""

    code = "OAuthAccountNotLinked"


class OAuthSignin(SignInError):
    """Starting the sign-in at the provider failed."""

    code = "OAuthSignin"


class OAuthCallbackError(SignInError):
    """The provider's answer could not be used."""

    code = "OAuthCallbackError"


class EmailSignin(SignInError):
    """The sign-in email could not be sent, or the address is not one address."""

    code = "EmailSignin"


class MissingCSRF(SignInError):
    """A POST came without a valid CSRF token, or from another origin."""

    code = "MissingCSRF"


class SessionRequired(SignInError):
    """The page needs a signed-in user."""

    code = "SessionRequired"


class RateLimited(SignInError):
    """Too many attempts; try again later (``retry_after`` seconds, when known)."""

    code = "RateLimited"

    def __init__(self, message: str = "rate limit reached", *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationProblem(SignInError):
    """The server is set up wrongly for this flow (shown as the Configuration page)."""

    code = "Configuration"
