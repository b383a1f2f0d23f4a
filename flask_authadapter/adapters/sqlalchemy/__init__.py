"""The SQLAlchemy adapter and its default models.

``SQLAlchemyAdapter(db)`` with a Flask-SQLAlchemy ``db`` (or a ``sessionmaker`` / ``Engine``)
is all most apps need; :func:`default_models` gives the default model classes to query them
with the ORM.
"""

from .adapter import SQLAlchemyAdapter
from .models import TABLE_NAMES, UTC_DATETIME, DefaultModels, default_models

__all__ = ["TABLE_NAMES", "UTC_DATETIME", "DefaultModels", "SQLAlchemyAdapter", "default_models"]
