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

from typing import ClassVar


class AuthAdapterError(Exception):
    """Base class of every error flask-authadapter raises on purpose.

    Each class declares what the person is told when it ends a request: its ``code`` (in
    the error page's URL and the JSON), the HTTP ``status``, a ``title`` and one sentence of
    ``message``. Never the details: ``str(error)`` is for the log.
    """

    code: ClassVar[str] = "Default"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Unable to sign in"
    message: ClassVar[str] = "Something went wrong. Please try again."


class ConfigurationError(AuthAdapterError):
    """The extension or an adapter is set up wrongly; raised at start-up, not per request."""

    code = "Configuration"
    status = 500
    title = "Server error"
    message = "Sign-in is not set up correctly on this site. Please tell the site's owner."


class StorageError(AuthAdapterError):
    """The store failed; the driver's exception, if any, is the ``__cause__``."""

    code = "Unavailable"
    status = 503
    title = "Temporarily unavailable"
    message = "Sign-in is unavailable for a moment. Please try again shortly."


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
# code, its title and message, never the details, which go to the log.


class SignInError(AuthAdapterError):
    """A sign-in flow ended on an error page (the ``Default`` one for this base class)."""


class AccessDenied(SignInError):
    """A ``sign_in`` callback, or the person at the provider, refused the sign-in."""

    code = "AccessDenied"
    status = 403
    title = "Access denied"
    message = "You do not have permission to sign in."


class Cancelled(AccessDenied):
    """The person declined at the provider (pressed "Deny"): nothing was refused to them."""

    code = "Cancelled"
    title = "Sign-in cancelled"
    message = "You cancelled the sign-in. You can try again or choose another way to sign in."


class Verification(SignInError):
    """A sign-in link or code is unknown, used, expired, or for another address."""

    code = "Verification"
    status = 403
    message = (
        "The sign-in link is no longer valid. It may have been used already or it may "
        "have expired. Please ask for a new one."
    )


class OAuthAccountNotLinked(SignInError):
    """The provider account's email belongs to another user, or the account to another
    user than the signed-in one: linking it automatically would hand that user over."""

    code = "OAuthAccountNotLinked"
    status = 409
    # Said only to someone whose provider vouched for the address (an unverified email
    # never leads here), and without naming it: it confirms nothing to anyone else.
    title = "Use the account you signed up with"
    message = (
        "You may already have an account here that you sign in to another way, for "
        "example with an email link. Sign in that way, then link this provider from "
        "your account page."
    )


class OAuthSignin(SignInError):
    """Starting the sign-in at the provider failed."""

    code = "OAuthSignin"
    message = "Signing in with this provider could not start."


class OAuthCallbackError(SignInError):
    """The provider's answer could not be used."""

    code = "OAuthCallbackError"
    message = "The provider's answer could not be used. Please try again."


class EmailSignin(SignInError):
    """The sign-in email could not be sent, or the address is not one address."""

    code = "EmailSignin"
    title = "Unable to send the email"
    message = "Please check the address and try again."


class MissingCSRF(SignInError):
    """A POST came without a valid CSRF token, or from another origin."""

    code = "MissingCSRF"
    status = 403
    title = "Please try again"
    message = "The form had expired or came from another site. Reload the page and try again."


class RateLimited(SignInError):
    """Too many attempts; try again later (``retry_after`` seconds, when known)."""

    code = "RateLimited"
    status = 429
    title = "Too many attempts"
    message = "Please wait a few minutes before trying again."

    def __init__(self, message: str = "rate limit reached", *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
