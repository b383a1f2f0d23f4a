"""The SQLAlchemy adapter: SQLite, PostgreSQL and MariaDB/MySQL through SQLAlchemy 2 Core."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Select,
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from ...core.errors import (
    AuthAdapterError,
    ConfigurationError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    InvalidValue,
    StorageError,
    UnknownUser,
)
from ...core.models import (
    ACCOUNT_FIELDS,
    ACCOUNT_REQUIRED,
    SESSION_FIELDS,
    USER_FIELDS,
    VERIFICATION_TOKEN_FIELDS,
    Account,
    Session,
    User,
    VerificationToken,
)
from ...core.values import check_filled
from ..base import UnlinkOutcome
from .mapping import RecordTable, exact_text, needs_generated_id
from .models import DefaultModels, default_models
from .prepared import PreparedRead, reads_in_autocommit

__all__ = ["SQLAlchemyAdapter"]

R = TypeVar("R")

#: Databases whose usual collations ignore case and trailing spaces in comparisons.
BYTE_EXACT_DIALECTS = frozenset({"mysql", "mariadb"})

#: How many expired rows :meth:`SQLAlchemyAdapter.delete_expired` deletes per transaction.
DEFAULT_BATCH_SIZE = 1000


def _engine_source(source: object) -> tuple[Callable[[], Engine], MetaData | None]:
    """How to get the engine from what the app passed, and the metadata it offers if any."""
    if isinstance(source, Engine):
        return (lambda: source), None
    if isinstance(source, scoped_session):
        source = source.session_factory
    if isinstance(source, sessionmaker):
        bind = source.kw.get("bind")
        if not isinstance(bind, Engine):
            raise ConfigurationError(
                "SQLAlchemyAdapter needs a sessionmaker bound to an Engine (sessionmaker(bind=...))"
            )
        return (lambda: bind), None
    engine = getattr(type(source), "engine", None)
    metadata = getattr(source, "metadata", None)
    if engine is not None and isinstance(metadata, MetaData):
        # Flask-SQLAlchemy's ``db``: the engine depends on the current app, so ask each time.
        def app_engine() -> Engine:
            try:
                found: Engine = source.engine  # type: ignore[attr-defined]
            except RuntimeError as exc:
                raise ConfigurationError(
                    "SQLAlchemyAdapter(db) is used outside an app context; wrap the call in "
                    "`with app.app_context():`"
                ) from exc
            return found

        return app_engine, metadata
    raise ConfigurationError(
        "SQLAlchemyAdapter takes a Flask-SQLAlchemy db, a sessionmaker or an Engine, "
        f"not {type(source).__name__}"
    )


def _driver_error(action: str, exc: SQLAlchemyError) -> StorageError:
    """A StorageError for ``exc`` whose message never repeats the statement's parameters."""
    if not isinstance(exc, DBAPIError):
        return StorageError(f"{action} failed: {type(exc).__name__}")
    text = f"{action} failed: {type(exc.orig).__name__}"
    # Connection-level messages ("connection refused", "database is locked") help the
    # operator and carry no values; integrity and data errors can echo a row's values, so
    # they are named but not quoted.
    if isinstance(exc, (OperationalError, InterfaceError)):
        lines = str(exc.orig).strip().splitlines()
        if lines:
            text += f": {lines[0][:200]}"
    return StorageError(text)


def _translated(
    action: str,
    exc: SQLAlchemyError,
    on_conflict: Callable[[], AuthAdapterError] | None = None,
) -> AuthAdapterError:
    """The adapter's error for a SQLAlchemy error: ``on_conflict()`` for a constraint
    violation when given, else a StorageError that never quotes the statement's values."""
    if isinstance(exc, IntegrityError) and on_conflict is not None:
        return on_conflict()
    return _driver_error(action, exc)


def _cause(exc: SQLAlchemyError) -> BaseException:
    """What to chain the adapter's error to: the driver's own error when there is one."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


class SQLAlchemyAdapter:
    """Stores users, accounts, sessions and verification tokens through SQLAlchemy.

    ``db_or_session_factory`` is a Flask-SQLAlchemy ``db``, a ``sessionmaker`` (or
    ``scoped_session``) bound to an Engine, or an ``Engine``. With no models given, the
    default tables are declared on ``metadata`` (by default ``db.metadata``, or a new
    :class:`~sqlalchemy.MetaData` available as :attr:`metadata`), so ``db.create_all()`` and
    Alembic's autogenerate see them. Custom models are passed all four together: mapped
    classes or :class:`~sqlalchemy.Table` objects whose further columns become ``extra``.

    Each call runs its own short transaction on its own connection: the application's
    pending work in ``db.session`` is never committed or rolled back by the adapter.
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
    ) -> None:
        self._engine, offered_metadata = _engine_source(db_or_session_factory)
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

        self.users = RecordTable(
            "User", User, self.models.user, USER_FIELDS, required=("id", "email")
        )
        self.accounts = RecordTable(
            "Account",
            Account,
            self.models.account,
            ACCOUNT_FIELDS,
            required=("user_id", *ACCOUNT_REQUIRED),
        )
        self.sessions = RecordTable(
            "Session",
            Session,
            self.models.session,
            SESSION_FIELDS,
            required=("session_token", "user_id", "expires"),
        )
        self.tokens = RecordTable(
            "VerificationToken",
            VerificationToken,
            self.models.verification_token,
            VERIFICATION_TOKEN_FIELDS,
            required=VERIFICATION_TOKEN_FIELDS,
            has_extra=False,
        )
        #: The metadata holding the tables: ``adapter.metadata.create_all(engine)``.
        self.metadata: MetaData = self.users.table.metadata

        # The hot path: the session-plus-user JOIN of every signed-in request, compiled
        # once per engine, and the functions that read its row (see prepared.py).
        self._session_and_user = PreparedRead(
            lambda engine: self._session_and_user_query(engine.dialect.name in BYTE_EXACT_DIALECTS)
        )
        self._read_session = self.sessions.reader(0)
        self._read_user = self.users.reader(len(self.sessions.select_columns))

    def stores_field(self, kind: str, name: str) -> bool:
        """Whether the ``kind`` ("user", "account", "session") table has a column for the
        field or extra ``name`` (an optional field such as a session's ``created_at`` may
        have none in an app's own models). Optional in the contract."""
        table = self._tables().get(kind)
        return table is not None and (name in table.field_names or name in table.extra_names)

    def _tables(self) -> dict[str, RecordTable[Any]]:
        return {"user": self.users, "account": self.accounts, "session": self.sessions}

    def stores_extra(self, kind: str, name: str) -> bool:
        """Whether the ``kind`` ("user", "account", "session") table has a column for the
        extra ``name``. Optional in the contract: the extension asks it before storing an
        optional extra such as a session's ``user_agent``."""
        table = self._tables().get(kind)
        return table is not None and name in table.extra_names

    # Plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _connect(
        self,
        action: str,
        *,
        write: bool = False,
        on_conflict: Callable[[], AuthAdapterError] | None = None,
    ) -> Iterator[Connection]:
        """A connection in its own transaction, committed when ``write``; errors translated.

        Reads (each one statement) run in autocommit mode where that saves round trips
        (PostgreSQL: no BEGIN and ROLLBACK around the SELECT).
        """
        try:
            engine = self._engine()
            if write:
                with engine.begin() as conn:
                    yield conn
            else:
                with engine.connect() as conn:
                    if reads_in_autocommit(engine.dialect):
                        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    yield conn
        except SQLAlchemyError as exc:
            raise _translated(action, exc, on_conflict) from _cause(exc)

    def _byte_exact(self) -> bool:
        """Whether text comparisons need to be made exact (MariaDB/MySQL collations)."""
        return self._engine().dialect.name in BYTE_EXACT_DIALECTS

    def _where(self, rt: RecordTable[Any], **pairs: Any) -> ColumnElement[bool]:
        """``field == value`` for each pair, exact on every database."""
        return rt.match(pairs, byte_exact=self._byte_exact())

    def _session_and_user_query(self, byte_exact: bool) -> Select[Any]:
        sessions, users = self.sessions, self.users
        token_column = sessions.column("session_token")
        token = bindparam("session_token", type_=String())
        where = token_column == token
        if byte_exact:
            where = and_(where, exact_text(token_column, token))
        return (
            select(*sessions.select_columns, *users.select_columns)
            .select_from(
                sessions.table.join(users.table, sessions.column("user_id") == users.column("id"))
            )
            .where(where)
        )

    def _fetch_one(self, action: str, rt: RecordTable[R], **pairs: Any) -> R | None:
        try:
            where = self._where(rt, **pairs)
        except InvalidValue:
            return None  # a value no row can hold: there is no such row
        with self._connect(action) as conn:
            row = conn.execute(select(*rt.select_columns).where(where)).one_or_none()
        return None if row is None else rt.from_row(row)

    @staticmethod
    def _insert(conn: Connection, rt: RecordTable[R], values: dict[str, Any]) -> R:
        """Insert a row and return the record as stored (with generated and default values)."""
        rt.check_required(values, inserting=True)
        statement = insert(rt.table).values(values)
        if conn.dialect.insert_returning:
            return rt.from_row(conn.execute(statement.returning(*rt.select_columns)).one())
        result = conn.execute(statement)
        keys = result.inserted_primary_key
        assert keys is not None
        where = and_(*(c == v for c, v in zip(rt.table.primary_key.columns, keys, strict=True)))
        return rt.from_row(conn.execute(select(*rt.select_columns).where(where)).one())

    @staticmethod
    def _update(
        conn: Connection, rt: RecordTable[R], where: ColumnElement[bool], values: dict[str, Any]
    ) -> R | None:
        """Update the row matching ``where``; the record as stored, or None when none matched."""
        rt.check_required(values, inserting=False)
        query = select(*rt.select_columns).where(where)
        if not values:
            row = conn.execute(query).one_or_none()
        elif conn.dialect.update_returning:
            statement = update(rt.table).where(where).values(values)
            row = conn.execute(statement.returning(*rt.select_columns)).one_or_none()
        else:
            if conn.execute(update(rt.table).where(where).values(values)).rowcount == 0:
                return None
            row = conn.execute(query).one_or_none()
        return None if row is None else rt.from_row(row)

    def _require_user(self, conn: Connection, user_id: str, action: str) -> None:
        """Raise UnknownUser unless the user exists (also where no FK is enforced)."""
        try:
            where = self._where(self.users, id=user_id)
        except InvalidValue:
            raise UnknownUser(f"{action}: no user with this id") from None
        if not conn.execute(select(exists().where(where))).scalar():
            raise UnknownUser(f"{action}: no user with this id")

    # Users ---------------------------------------------------------------------------
    def _new_user_values(self, user: User) -> dict[str, Any]:
        values = self.users.record_values(user)
        id_column = self.users.column("id")
        if user.id is None:
            values.pop(id_column.key, None)
            if needs_generated_id(id_column):
                values.update({id_column.key: self.users.bind_value("id", str(uuid.uuid4()))})
        return values

    def create_user(self, user: User) -> User:
        """Store a new user; an id is generated (or left to the database) when it is None."""
        values = self._new_user_values(user)
        with self._connect(
            "create_user", write=True, on_conflict=lambda: self._user_conflict(user)
        ) as conn:
            return self._insert(conn, self.users, values)

    def create_user_and_link_account(self, user: User, account: Account) -> tuple[User, Account]:
        """Store a new user and their first provider account in one transaction: both or
        neither (optional in the contract; the sign-in rules use it when present)."""
        check_filled("Account", account, ACCOUNT_REQUIRED)
        values = self._new_user_values(user)

        def conflict() -> AuthAdapterError:
            key = {"provider": account.provider, "provider_account_id": account.provider_account_id}
            if self._exists(self.accounts, **key):
                return DuplicateAccount(account.provider, account.provider_account_id)
            return self._user_conflict(user)

        with self._connect(
            "create_user_and_link_account", write=True, on_conflict=conflict
        ) as conn:
            created = self._insert(conn, self.users, values)
            assert created.id is not None
            linked = replace(account, user_id=created.id)
            account_values = {
                **self.accounts.record_values(linked),
                **self.accounts.new_key_values(),
            }
            return created, self._insert(conn, self.accounts, account_values)

    def _exists(self, rt: RecordTable[Any], **pairs: Any) -> bool:
        """Whether a row matches, compared as the database's own constraints compare (so
        also case-insensitively where a collation does): for telling which rule a write
        broke."""
        try:
            where = rt.match(pairs)
        except InvalidValue:
            return False
        with self._connect("conflict check") as conn:
            return bool(conn.execute(select(exists().where(where))).scalar())

    def _user_conflict(self, user: User) -> AuthAdapterError:
        if user.email is not None and self._exists(self.users, email=user.email):
            return DuplicateEmail()
        if user.id is not None and self._exists(self.users, id=user.id):
            return ConflictError("a user with this id already exists")
        return StorageError("create_user failed: a constraint of the users table was violated")

    def _email_conflict(self, changes: dict[str, Any]) -> AuthAdapterError:
        email = changes.get("email")
        if email is not None and self._exists(self.users, email=email):
            return DuplicateEmail()
        return StorageError("update_user failed: a constraint of the users table was violated")

    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return self._fetch_one("get_user", self.users, id=user_id)

    def get_user_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        return self._fetch_one("get_user_by_email", self.users, email=email)

    def get_user_by_account(self, provider: str, provider_account_id: str) -> User | None:
        """The user who linked this provider account, or None."""
        users, accounts = self.users, self.accounts
        try:
            where = self._where(
                accounts, provider=provider, provider_account_id=provider_account_id
            )
        except InvalidValue:
            return None
        query = (
            select(*users.select_columns)
            .select_from(
                users.table.join(accounts.table, accounts.column("user_id") == users.column("id"))
            )
            .where(where)
        )
        with self._connect("get_user_by_account") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else users.from_row(row)

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change fields or extra columns of a user; raises UnknownUser when there is none."""
        if "id" in changes:
            raise InvalidValue("a user's id cannot be changed")
        values = self.users.values(changes)
        try:
            where = self._where(self.users, id=user_id)
        except InvalidValue:
            raise UnknownUser("no user with this id") from None
        conflict = lambda: self._email_conflict(changes)  # noqa: E731
        with self._connect("update_user", write=True, on_conflict=conflict) as conn:
            updated = self._update(conn, self.users, where, values)
        if updated is None:
            raise UnknownUser("no user with this id")
        return updated

    def delete_user(self, user_id: str) -> None:
        """Delete a user and their accounts and sessions, in one transaction."""
        try:
            key = self.users.bind_value("id", user_id)
        except InvalidValue:
            return
        with self._connect("delete_user", write=True) as conn:
            # Explicit, so that it holds where foreign keys are not enforced (SQLite's
            # default) or a custom model has no ON DELETE CASCADE.
            conn.execute(delete(self.sessions.table).where(self.sessions.column("user_id") == key))
            conn.execute(delete(self.accounts.table).where(self.accounts.column("user_id") == key))
            conn.execute(delete(self.users.table).where(self.users.column("id") == key))

    # Accounts --------------------------------------------------------------------------
    def link_account(self, account: Account) -> Account:
        """Store a provider account of an existing user."""
        check_filled("Account", account, ACCOUNT_REQUIRED)
        with self._connect(
            "link_account", write=True, on_conflict=lambda: self._account_conflict(account)
        ) as conn:
            self._require_user(conn, account.user_id, "link_account")
            values = {**self.accounts.record_values(account), **self.accounts.new_key_values()}
            return self._insert(conn, self.accounts, values)

    def _account_conflict(self, account: Account) -> AuthAdapterError:
        key = {"provider": account.provider, "provider_account_id": account.provider_account_id}
        if self._exists(self.accounts, **key):
            return DuplicateAccount(account.provider, account.provider_account_id)
        if not self._exists(self.users, id=account.user_id):
            return UnknownUser("link_account: no user with this id")
        return StorageError("link_account failed: a constraint of the accounts table was violated")

    def unlink_account(self, provider: str, provider_account_id: str) -> None:
        """Remove a provider account; no error when already gone."""
        try:
            where = self._where(
                self.accounts, provider=provider, provider_account_id=provider_account_id
            )
        except InvalidValue:
            return
        with self._connect("unlink_account", write=True) as conn:
            conn.execute(delete(self.accounts.table).where(where))

    def unlink_account_unless_last(
        self, user_id: str, provider: str, provider_account_id: str, *, other_ways: int = 0
    ) -> UnlinkOutcome:
        """Remove ``user_id``'s provider account unless it is their last way to sign in
        (``other_ways`` counts the ways besides provider accounts), in one transaction.

        The user's row is written first (an UPDATE that changes nothing), which takes its
        row lock on PostgreSQL and MariaDB and the write lock on SQLite: concurrent unlinks
        of one user run one after the other, each counting what the previous one left."""
        users, accounts = self.users, self.accounts
        try:
            user_where = self._where(users, id=user_id)
            mine = self._where(accounts, user_id=user_id)
        except InvalidValue:
            return "not_linked"
        user_key = users.column("id")
        with self._connect("unlink_account_unless_last", write=True) as conn:
            if (
                conn.execute(
                    update(users.table).where(user_where).values({user_key: user_key})
                ).rowcount
                == 0
            ):
                return "not_linked"
            keys = [
                (row[0], row[1])
                for row in conn.execute(
                    select(accounts.column("provider"), accounts.column("provider_account_id"))
                    .where(mine)
                    .with_for_update()
                )
            ]
            if (provider, provider_account_id) not in keys:
                return "not_linked"
            if len(keys) - 1 + other_ways < 1:
                return "last"
            target = self._where(
                accounts, provider=provider, provider_account_id=provider_account_id
            )
            conn.execute(delete(accounts.table).where(and_(target, mine)))
            return "unlinked"

    def get_account(self, provider: str, provider_account_id: str) -> Account | None:
        """The stored provider account, or None."""
        return self._fetch_one(
            "get_account", self.accounts, provider=provider, provider_account_id=provider_account_id
        )

    def update_account(
        self, provider: str, provider_account_id: str, **changes: Any
    ) -> Account | None:
        """Change fields of a provider account (fresh tokens); None when there is none."""
        for key in ("user_id", "provider", "provider_account_id"):
            if key in changes:
                raise InvalidValue(f"an account's {key} cannot be changed")
        values = self.accounts.values(changes)
        try:
            where = self._where(
                self.accounts, provider=provider, provider_account_id=provider_account_id
            )
        except InvalidValue:
            return None
        with self._connect("update_account", write=True) as conn:
            return self._update(conn, self.accounts, where, values)

    def list_accounts(self, user_id: str) -> list[Account]:
        """A user's provider accounts, by provider then account id."""
        accounts = self.accounts
        try:
            where = self._where(accounts, user_id=user_id)
        except InvalidValue:
            return []
        order = [accounts.column("provider"), accounts.column("provider_account_id")]
        with self._connect("list_accounts") as conn:
            rows = conn.execute(select(*accounts.select_columns).where(where).order_by(*order))
            return [accounts.from_row(row) for row in rows]

    def iter_accounts(self) -> Iterator[Account]:
        """Every provider account of every user, by provider then account id, read
        ``batch_size`` rows at a time, each batch its own short read (optional in the
        contract: ``flask auth reseal-tokens`` needs it). Accounts changed while it runs
        are seen as they are when their batch is read."""
        accounts = self.accounts
        provider, account_id = accounts.column("provider"), accounts.column("provider_account_id")
        query = select(*accounts.select_columns).order_by(provider, account_id)
        after: tuple[Any, Any] | None = None
        while True:
            page = query
            if after is not None:
                # Keyset paging: rows after the last one read, in the same order.
                page = query.where(
                    or_(provider > after[0], and_(provider == after[0], account_id > after[1]))
                )
            with self._connect("iter_accounts") as conn:
                rows = conn.execute(page.limit(self.batch_size)).all()
            batch = [accounts.from_row(row) for row in rows]
            yield from batch
            if len(batch) < self.batch_size:
                return
            after = (batch[-1].provider, batch[-1].provider_account_id)

    # Sessions --------------------------------------------------------------------------
    def create_session(self, session: Session) -> Session:
        """Store a new session of an existing user."""

        def conflict() -> AuthAdapterError:
            if self._exists(self.sessions, session_token=session.session_token):
                return ConflictError("a session with this token already exists")
            if not self._exists(self.users, id=session.user_id):
                return UnknownUser("create_session: no user with this id")
            return StorageError("create_session failed: a constraint was violated")

        with self._connect("create_session", write=True, on_conflict=conflict) as conn:
            self._require_user(conn, session.user_id, "create_session")
            values = {**self.sessions.record_values(session), **self.sessions.new_key_values()}
            return self._insert(conn, self.sessions, values)

    def get_session_and_user(self, session_token: str) -> tuple[Session, User] | None:
        """The session and its user in one statement (a JOIN), or None."""
        try:
            token = self.sessions.bind_value("session_token", session_token)
        except InvalidValue:
            return None
        try:
            row = self._session_and_user.fetch_one(self._engine(), {"session_token": token})
        except SQLAlchemyError as exc:
            raise _translated("get_session_and_user", exc) from _cause(exc)
        if row is None:
            return None
        return self._read_session(row), self._read_user(row)

    def update_session(self, session_token: str, **changes: Any) -> Session | None:
        """Change fields of a session (usually ``expires``); None when there is none."""
        for key in ("session_token", "user_id"):
            if key in changes:
                raise InvalidValue(f"a session's {key} cannot be changed")
        values = self.sessions.values(changes)
        try:
            where = self._where(self.sessions, session_token=session_token)
        except InvalidValue:
            return None
        with self._connect("update_session", write=True) as conn:
            return self._update(conn, self.sessions, where, values)

    def delete_session(self, session_token: str) -> None:
        """Delete a session; no error when already gone."""
        try:
            where = self._where(self.sessions, session_token=session_token)
        except InvalidValue:
            return
        with self._connect("delete_session", write=True) as conn:
            conn.execute(delete(self.sessions.table).where(where))

    def list_sessions(self, user_id: str) -> list[Session]:
        """A user's sessions, oldest first (by ``created_at``, else ``expires``; then
        ``expires``): the same order on every database, wherever it sorts NULL."""
        sessions = self.sessions
        try:
            where = self._where(sessions, user_id=user_id)
        except InvalidValue:
            return []
        expires = sessions.column("expires")
        created: ColumnElement[Any] = expires
        if sessions.has("created_at"):
            created = func.coalesce(sessions.column("created_at"), expires)
        order = (created, expires)
        with self._connect("list_sessions") as conn:
            rows = conn.execute(select(*sessions.select_columns).where(where).order_by(*order))
            return [sessions.from_row(row) for row in rows]

    def delete_sessions(self, user_id: str) -> int:
        """Delete every session of a user; returns how many."""
        try:
            where = self._where(self.sessions, user_id=user_id)
        except InvalidValue:
            return 0
        with self._connect("delete_sessions", write=True) as conn:
            return conn.execute(delete(self.sessions.table).where(where)).rowcount

    # Verification tokens ----------------------------------------------------------------
    def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        """Store a verification token."""
        values = {**self.tokens.record_values(token), **self.tokens.new_key_values()}
        with self._connect(
            "create_verification_token",
            write=True,
            on_conflict=lambda: self._token_conflict(token),
        ) as conn:
            return self._insert(conn, self.tokens, values)

    def _token_conflict(self, token: VerificationToken) -> AuthAdapterError:
        if self._exists(self.tokens, identifier=token.identifier, token=token.token):
            return ConflictError("this verification token already exists")
        return StorageError("create_verification_token failed: a constraint was violated")

    def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        """Delete and return the token in one statement; None when it is not (or no more) there."""
        tokens = self.tokens
        try:
            where = self._where(tokens, identifier=identifier, token=token)
        except InvalidValue:
            return None
        with self._connect("use_verification_token", write=True) as conn:
            statement = delete(tokens.table).where(where)
            if conn.dialect.delete_returning:
                row = conn.execute(statement.returning(*tokens.select_columns)).one_or_none()
            else:
                # MySQL has no DELETE ... RETURNING: lock the row, read it, delete it.
                query = select(*tokens.select_columns).where(where).with_for_update()
                row = conn.execute(query).one_or_none()
                if row is not None and conn.execute(statement).rowcount != 1:
                    row = None
        return None if row is None else tokens.from_row(row)

    def delete_verification_tokens(self, identifier: str) -> int:
        """Delete every token of ``identifier``; returns how many."""
        try:
            where = self._where(self.tokens, identifier=identifier)
        except InvalidValue:
            return 0
        with self._connect("delete_verification_tokens", write=True) as conn:
            return conn.execute(delete(self.tokens.table).where(where)).rowcount

    # Maintenance ------------------------------------------------------------------------
    def delete_expired(self, now: datetime) -> int:
        """Delete sessions and tokens that expired before ``now``, ``batch_size`` rows per
        transaction so that no lock is held long; returns how many."""
        return self._delete_expired(self.sessions, now) + self._delete_expired(self.tokens, now)

    def _delete_expired(self, rt: RecordTable[Any], now: datetime) -> int:
        keys = list(rt.table.primary_key.columns)
        expired = rt.column("expires") < rt.bind_value("expires", now)
        find = select(*keys).where(expired).limit(self.batch_size)
        if self._engine().dialect.name in BYTE_EXACT_DIALECTS:
            # MySQL takes no LIMIT in an IN subquery (nor one on the table being deleted
            # from): the batch's keys are read, then deleted.
            return self._delete_found(rt, find, expired)
        # Elsewhere one statement per batch: the keys never travel to Python and back.
        batch = find.scalar_subquery() if len(keys) == 1 else find
        in_batch = keys[0].in_(batch) if len(keys) == 1 else tuple_(*keys).in_(batch)
        statement = delete(rt.table).where(in_batch).where(expired)
        total = 0
        while True:
            with self._connect("delete_expired", write=True) as conn:
                deleted = conn.execute(statement).rowcount
            total += deleted
            if deleted < self.batch_size:
                return total

    def _delete_found(
        self, rt: RecordTable[Any], find: Select[Any], expired: ColumnElement[bool]
    ) -> int:
        keys = list(rt.table.primary_key.columns)
        total = 0
        while True:
            with self._connect("delete_expired", write=True) as conn:
                found = conn.execute(find).all()
                if found:
                    if len(keys) == 1:
                        batch = keys[0].in_([row[0] for row in found])
                    else:
                        batch = tuple_(*keys).in_([tuple(row) for row in found])
                    total += conn.execute(delete(rt.table).where(batch).where(expired)).rowcount
            if len(found) < self.batch_size:
                return total
