"""The exceptions of flask-authadapter, all derived from :class:`AuthAdapterError`.

Storage: :class:`StorageError`, :class:`ConflictError` (:class:`DuplicateEmail`,
:class:`DuplicateAccount`), :class:`InvalidValue` (:class:`UnknownUser`). Sign-in: one
class per error code of the error page (:class:`SignInError` and its subclasses), each with
its HTTP status and message. :class:`SealedValueError`: a sealed value that does not open.
"""

from .core.errors import (
    AccessDenied,
    AuthAdapterError,
    Cancelled,
    ConfigurationError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    EmailSignin,
    InvalidValue,
    MissingCSRF,
    OAuthAccountNotLinked,
    OAuthCallbackError,
    OAuthSignin,
    RateLimited,
    SignInError,
    StorageError,
    UnknownUser,
    Verification,
)
from .core.sealing import SealedValueError

__all__ = [
    "AccessDenied",
    "AuthAdapterError",
    "Cancelled",
    "ConfigurationError",
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
    "SealedValueError",
    "SignInError",
    "StorageError",
    "UnknownUser",
    "Verification",
]
