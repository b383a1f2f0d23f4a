"""The default tables: ``users``, ``accounts``, ``sessions``, ``verification_tokens``.

:func:`default_models` declares them on a given :class:`~sqlalchemy.MetaData` (a
Flask-SQLAlchemy ``db.metadata``, or an app's own ``Base.metadata``) so that
``db.create_all()`` and Alembic's autogenerate see them. They are declared once per
metadata; asking again returns the same classes.

Constraint and index names are explicit, so that migrations are the same on every database.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from ...core.errors import ConfigurationError
from ...core.values import MAX_EMAIL_LENGTH

#: A timestamp that keeps its time zone where the database can (PostgreSQL ``timestamptz``)
#: and microseconds everywhere (MariaDB/MySQL's ``DATETIME`` would drop them). Values are
#: stored as UTC; the adapter turns the naive values SQLite and MySQL hand back into UTC.
UTC_DATETIME: TypeEngine[datetime] = DateTime(timezone=True).with_variant(
    mysql.DATETIME(fsp=6), "mysql", "mariadb"
)

#: Long enough for a UUID in text form (the default ids) and any integer id as text.
ID_LENGTH = 36

TABLE_NAMES = ("users", "accounts", "sessions", "verification_tokens")


@dataclass(frozen=True)
class DefaultModels:
    """The four default model classes declared on one metadata."""

    user: type[Any]
    account: type[Any]
    session: type[Any]
    verification_token: type[Any]


def _declare(target: MetaData) -> DefaultModels:
    class Base(DeclarativeBase):
        """A private declarative base whose tables land on the given metadata."""

        # A separate base keeps these classes out of the app's own class registry (no
        # clash with an app's ``User`` class) while the tables share its metadata.
        metadata: ClassVar[MetaData] = target

    class AuthUser(Base):
        """A person who can sign in."""

        __tablename__ = "users"
        __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

        id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
        email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LENGTH))
        email_verified: Mapped[datetime | None] = mapped_column(UTC_DATETIME)
        name: Mapped[str | None] = mapped_column(String(255))
        image: Mapped[str | None] = mapped_column(Text)

    class AuthAccount(Base):
        """A user's account at an OAuth / OpenID Connect provider."""

        __tablename__ = "accounts"
        __table_args__ = (
            UniqueConstraint(
                "provider", "provider_account_id", name="uq_accounts_provider_account_id"
            ),
            Index("ix_accounts_user_id", "user_id"),
        )

        id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
        user_id: Mapped[str] = mapped_column(
            String(ID_LENGTH),
            ForeignKey("users.id", ondelete="CASCADE", name="fk_accounts_user_id_users"),
        )
        type: Mapped[str] = mapped_column(String(32))
        provider: Mapped[str] = mapped_column(String(64))
        provider_account_id: Mapped[str] = mapped_column(String(255))
        refresh_token: Mapped[str | None] = mapped_column(Text)
        access_token: Mapped[str | None] = mapped_column(Text)
        expires_at: Mapped[int | None] = mapped_column(BigInteger)
        token_type: Mapped[str | None] = mapped_column(String(64))
        scope: Mapped[str | None] = mapped_column(Text)
        id_token: Mapped[str | None] = mapped_column(Text)
        session_state: Mapped[str | None] = mapped_column(Text)

    class AuthSession(Base):
        """A server-side session, keyed by the SHA-256 of the cookie's token."""

        __tablename__ = "sessions"
        __table_args__ = (
            Index("ix_sessions_user_id", "user_id"),
            Index("ix_sessions_expires", "expires"),
        )

        session_token: Mapped[str] = mapped_column(String(128), primary_key=True)
        user_id: Mapped[str] = mapped_column(
            String(ID_LENGTH),
            ForeignKey("users.id", ondelete="CASCADE", name="fk_sessions_user_id_users"),
        )
        expires: Mapped[datetime] = mapped_column(UTC_DATETIME)
        created_at: Mapped[datetime | None] = mapped_column(UTC_DATETIME)
        user_agent: Mapped[str | None] = mapped_column(String(512))
        signed_in_with: Mapped[str | None] = mapped_column(String(320))

    class AuthVerificationToken(Base):
        """A single-use sign-in token, keyed by (identifier, HMAC of the token)."""

        __tablename__ = "verification_tokens"
        __table_args__ = (
            PrimaryKeyConstraint("identifier", "token", name="pk_verification_tokens"),
            Index("ix_verification_tokens_expires", "expires"),
        )

        identifier: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
        token: Mapped[str] = mapped_column(String(128))
        expires: Mapped[datetime] = mapped_column(UTC_DATETIME)

    return DefaultModels(AuthUser, AuthAccount, AuthSession, AuthVerificationToken)


_declared: weakref.WeakKeyDictionary[MetaData, DefaultModels] = weakref.WeakKeyDictionary()
_declared_lock = threading.Lock()


def default_models(metadata: MetaData | None = None) -> DefaultModels:
    """The default models declared on ``metadata`` (a new one when None), once per metadata.

    Raises :class:`~flask_authadapter.core.errors.ConfigurationError` when the metadata
    already holds another table of one of those names: pass your own models instead.
    """
    if metadata is None:
        metadata = MetaData()
    with _declared_lock:
        found = _declared.get(metadata)
        if found is not None:
            return found
        taken = [name for name in TABLE_NAMES if name in metadata.tables]
        if taken:
            raise ConfigurationError(
                f"the metadata already has table(s) {', '.join(taken)} that are not "
                "flask-authadapter's; pass your own models to SQLAlchemyAdapter "
                "(user_model=, account_model=, session_model=, verification_token_model=)"
            )
        models = _declare(metadata)
        _declared[metadata] = models
        return models
