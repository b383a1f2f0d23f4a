"""The exceptions of flask-authadapter (see :mod:`flask_authadapter.core.errors`)."""

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
