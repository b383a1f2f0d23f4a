"""The SQLAlchemy adapter: SQLite, PostgreSQL and MariaDB/MySQL through SQLAlchemy 2 Core.

One class for users, composed of a part per record: users.py, accounts.py, sessions.py and
tokens.py, over the shared tables and transactions of store.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from ...core.errors import ConfigurationError
from ...core.models import ACCOUNT_REQUIRED, Account, Session, User, VerificationToken
from .accounts import AccountStore
from .connection import engine_source
from .mapping import RecordTable
from .models import DefaultModels, default_models
from .sessions import SessionStore
from .tokens import VerificationTokenStore
from .users import UserStore

#: How many expired rows :meth:`SQLAlchemyAdapter.delete_expired` deletes per transaction.
DEFAULT_BATCH_SIZE = 1000


class SQLAlchemyAdapter(UserStore, AccountStore, SessionStore, VerificationTokenStore):
    """Stores users, accounts, sessions and verification tokens through SQLAlchemy.

    ``db_or_session_factory`` is a Flask-SQLAlchemy ``db``, a ``sessionmaker`` (or
    ``scoped_session``) bound to an Engine, or an ``Engine``. With no models given, the
    default tables are declared on ``metadata`` (by default ``db.metadata``, or a new
    :class:`~sqlalchemy.MetaData` available as :attr:`metadata`), so ``db.create_all()`` and
    Alembic's autogenerate see them. Custom models are passed all four together: mapped
    classes or :class:`~sqlalchemy.Table` objects whose further columns become ``extra``.

    Each call runs its own short transaction on its own connection: the application's
    pending work in ``db.session`` is never committed or rolled back by the adapter.

    ``fast_session_lookup=True`` runs the session lookup of every signed-in request on the
    pooled DBAPI connection, skipping ``Connection.execute``: about 50 us less per lookup on
    SQLite and 110 us on PostgreSQL (see benchmarks/README.md). It relies on SQLAlchemy
    internals, hence off by default; while anything observes the engine (event listeners,
    ``echo``) it takes the ordinary path anyway.
    """

    def __init__(
        self,
        db_or_session_factory: object,
        *,
        user_model: object | None = None,
        account_model: object | None = None,
        session_model: object | None = None,
        verification_token_model: object | None = None,
        metadata: MetaData | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        fast_session_lookup: bool = False,
    ) -> None:
        self._engine, offered_metadata = engine_source(db_or_session_factory)
        given = [user_model, account_model, session_model, verification_token_model]
        if all(model is None for model in given):
            self.models = default_models(metadata or offered_metadata or MetaData())
        elif any(model is None for model in given):
            raise ConfigurationError(
                "pass all four models (user_model, account_model, session_model, "
                "verification_token_model) or none of them for the default tables"
            )
        else:
            self.models = DefaultModels(*given)  # type: ignore[arg-type]
        if batch_size < 1:
            raise ConfigurationError("batch_size must be at least 1")
        self.batch_size = batch_size

        self.users = RecordTable("User", User, self.models.user, required=("id", "email"))
        self.accounts = RecordTable(
            "Account", Account, self.models.account, required=("user_id", *ACCOUNT_REQUIRED)
        )
        self.sessions = RecordTable(
            "Session",
            Session,
            self.models.session,
            required=("session_token", "user_id", "expires"),
        )
        self.tokens = RecordTable(
            "VerificationToken",
            VerificationToken,
            self.models.verification_token,
            required=("identifier", "token", "expires"),
            has_extra=False,
        )
        #: The metadata holding the tables: ``adapter.metadata.create_all(engine)``.
        self.metadata: MetaData = self.users.table.metadata
        self._init_session_lookup(fast=fast_session_lookup)

    def _tables(self) -> dict[str, RecordTable[Any]]:
        return {"user": self.users, "account": self.accounts, "session": self.sessions}

    def stores_field(self, kind: str, name: str) -> bool:
        """Whether the ``kind`` ("user", "account", "session") table has a column for the
        field or extra ``name`` (an optional field such as a session's ``created_at`` may
        have none in an app's own models). Optional in the contract."""
        table = self._tables().get(kind)
        return table is not None and (name in table.field_names or name in table.extra_names)

    def stores_extra(self, kind: str, name: str) -> bool:
        """Whether the ``kind`` ("user", "account", "session") table has a column for the
        extra ``name``. Optional in the contract: the extension asks it before storing an
        optional extra such as a session's ``user_agent``."""
        table = self._tables().get(kind)
        return table is not None and name in table.extra_names
