"""flask-authadapter: sign-in for Flask with pluggable storage.

The public names are listed here explicitly; anything not in ``__all__`` may change.
"""

from .adapters.base import Adapter
from .core.errors import (
    AuthAdapterError,
    ConfigurationError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    InvalidValue,
    StorageError,
    UnknownUser,
)
from .core.models import Account, Session, User, VerificationToken

__version__ = "0.1.0.dev0"

__all__ = [
    "Account",
    "Adapter",
    "AuthAdapterError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateAccount",
    "DuplicateEmail",
    "InvalidValue",
    "Session",
    "StorageError",
    "UnknownUser",
    "User",
    "VerificationToken",
    "__version__",
]
