"""Storage adapters: the contract (:class:`Adapter`) and the ones that ship.

- :class:`~flask_authadapter.adapters.memory.MemoryAdapter`: dicts, for tests and prototypes.
- :class:`~flask_authadapter.adapters.sqlalchemy.SQLAlchemyAdapter`: SQLite, PostgreSQL,
  MariaDB/MySQL through SQLAlchemy 2 (imported from its own module, so that this package
  does not import SQLAlchemy).
"""

from .base import FEATURE_METHODS, Adapter, missing_methods

__all__ = ["FEATURE_METHODS", "Adapter", "missing_methods"]
