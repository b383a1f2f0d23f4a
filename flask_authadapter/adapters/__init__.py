"""Storage adapters: the contract (:class:`Adapter`, defined in
:mod:`flask_authadapter.core.adapter` and imported from here) and what helps write one.

- :class:`~flask_authadapter.adapters.memory.MemoryAdapter`: dicts, for tests and prototypes.
- :class:`~flask_authadapter.adapters.sqlalchemy.SQLAlchemyAdapter`: SQLite, PostgreSQL,
  MariaDB/MySQL through SQLAlchemy 2 (imported from its own module, so that this package
  does not import SQLAlchemy).

The value checks the shipped adapters use are exported here for adapter authors, so that
a bad value fails the same way on every store (see docs/adapters.md).
"""

from ..core.adapter import FEATURE_METHODS, Adapter, UnlinkOutcome, missing_methods
from ..core.models import (
    ACCOUNT_FIELDS,
    ACCOUNT_REQUIRED,
    SESSION_FIELDS,
    USER_FIELDS,
    VERIFICATION_TOKEN_FIELDS,
)
from ..core.values import (
    MAX_EMAIL_LENGTH,
    check_email_length,
    check_extra_keys,
    check_filled,
    check_text,
    to_utc,
    utc_or_none,
)

__all__ = [
    "ACCOUNT_FIELDS",
    "ACCOUNT_REQUIRED",
    "FEATURE_METHODS",
    "MAX_EMAIL_LENGTH",
    "SESSION_FIELDS",
    "USER_FIELDS",
    "VERIFICATION_TOKEN_FIELDS",
    "Adapter",
    "UnlinkOutcome",
    "check_email_length",
    "check_extra_keys",
    "check_filled",
    "check_text",
    "missing_methods",
    "to_utc",
    "utc_or_none",
]
