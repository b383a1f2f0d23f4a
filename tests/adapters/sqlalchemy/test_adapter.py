"""What is particular to SQLAlchemyAdapter: statements per call, how it is given its
database, never touching the application's own transaction, and its errors."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter, default_models
from flask_authadapter.errors import (
    ConfigurationError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    InvalidValue,
    StorageError,
)
from flask_authadapter.models import Account, Session, User, VerificationToken
from harness.counting import Statements
from tests.adapters.sqlalchemy.custom_models import MODELS, Member
from tests.databases import adapter_on, empty_tables

UTC = timezone.utc


@pytest.fixture(scope="module")
def default_adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    yield from adapter_on(engine, batch_size=7)


@pytest.fixture
def adapter(default_adapter: SQLAlchemyAdapter, engine: Engine) -> SQLAlchemyAdapter:
    # Other tests of this module drop and create the same tables: make sure they exist.
    default_adapter.metadata.create_all(engine)
    empty_tables(engine, default_adapter.metadata)
    return default_adapter


def _session_for(adapter: SQLAlchemyAdapter) -> tuple[User, Session]:
    user = adapter.create_user(User(email=f"{secrets.token_hex(4)}@example.com"))
    assert user.id is not None
    now = datetime.now(UTC)
    session = adapter.create_session(
        Session(secrets.token_hex(32), user.id, now + timedelta(days=30), now)
    )
    return user, session


# Statements per call ---------------------------------------------------------------------


def test_get_session_and_user_is_one_joined_statement(
    adapter: SQLAlchemyAdapter, engine: Engine
) -> None:
    user, session = _session_for(adapter)
    with Statements(engine) as statements:
        found = adapter.get_session_and_user(session.session_token)
    assert found is not None
    assert found[1].id == user.id
    assert len(statements.seen) == 1, statements.seen
    assert " JOIN " in statements.seen[0]
    assert statements.seen[0].startswith("SELECT")


def test_an_unknown_session_is_also_one_statement(
    adapter: SQLAlchemyAdapter, engine: Engine
) -> None:
    with Statements(engine) as statements:
        assert adapter.get_session_and_user(secrets.token_hex(32)) is None
    assert len(statements.seen) == 1


def test_use_verification_token_is_one_delete_returning(
    adapter: SQLAlchemyAdapter, engine: Engine
) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=15)
    token = adapter.create_verification_token(
        VerificationToken("who@example.com", secrets.token_hex(32), expires)
    )
    with Statements(engine) as statements:
        assert adapter.use_verification_token(token.identifier, token.token) is not None
    assert len(statements.seen) == 1, statements.seen
    assert statements.seen[0].startswith("DELETE FROM VERIFICATION_TOKENS")
    assert " RETURNING " in statements.seen[0]


def test_delete_expired_works_in_batches(adapter: SQLAlchemyAdapter, engine: Engine) -> None:
    user, _ = _session_for(adapter)
    assert user.id is not None
    now = datetime.now(UTC)
    for minutes in range(1, 26):
        adapter.create_session(
            Session(secrets.token_hex(32), user.id, now - timedelta(minutes=minutes), now)
        )
    with Statements(engine) as statements:
        assert adapter.delete_expired(now) == 25
    deletes = [s for s in statements.seen if s.startswith("DELETE FROM SESSIONS")]
    # batch_size=7: 7 + 7 + 7 + 4 rows, each batch in its own transaction.
    assert len(deletes) == 4


# How the adapter is given its database -------------------------------------------------


class AppBase(DeclarativeBase):
    pass


class Note(AppBase):
    """A model of the application's own."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(100))


@pytest.fixture
def flask_db(engine: Engine) -> Iterator[tuple[Flask, SQLAlchemy, SQLAlchemyAdapter]]:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db = SQLAlchemy(model_class=AppBase)
    db.init_app(app)
    adapter = SQLAlchemyAdapter(db)
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            yield app, db, adapter
        finally:
            db.session.rollback()
            db.drop_all()
            db.session.remove()
            db.engine.dispose()


def test_flask_sqlalchemy_db_gets_the_default_tables(
    flask_db: tuple[Flask, SQLAlchemy, SQLAlchemyAdapter],
) -> None:
    _, db, adapter = flask_db
    for name in ("users", "accounts", "sessions", "verification_tokens", "notes"):
        assert name in db.metadata.tables
    # Asking again for the same metadata gives the same models, not a clash.
    assert default_models(db.metadata) is adapter.models
    again = SQLAlchemyAdapter(db)
    user = adapter.create_user(User(email="same@example.com"))
    assert again.get_user_by_email("same@example.com") == user


def test_the_apps_pending_work_is_never_committed(
    flask_db: tuple[Flask, SQLAlchemy, SQLAlchemyAdapter],
) -> None:
    _, db, adapter = flask_db
    db.session.add(Note(text="not committed by the app"))
    if db.engine.dialect.name != "sqlite":
        # A flushed, uncommitted row: on a server database the adapter's own transaction
        # runs beside the app's. (SQLite would block on the app's write lock instead.)
        db.session.flush()
    user, session = _session_for(adapter)
    adapter.update_user(user.id or "", name="Changed")
    adapter.delete_session(session.session_token)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    stored = adapter.get_user(user.id or "")
    assert stored is not None
    assert stored.name == "Changed"


def test_the_apps_transaction_survives_an_adapter_error(
    flask_db: tuple[Flask, SQLAlchemy, SQLAlchemyAdapter],
) -> None:
    _, db, adapter = flask_db
    adapter.create_user(User(email="taken@example.com"))
    db.session.add(Note(text="kept"))
    with pytest.raises(DuplicateEmail):
        adapter.create_user(User(email="taken@example.com"))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Note)) == 1


@pytest.mark.parametrize("wrap", ["engine", "sessionmaker", "scoped_session"])
def test_plain_sqlalchemy_sources(engine: Engine, wrap: str) -> None:
    factory = sessionmaker(bind=engine)
    source: Any = {
        "engine": engine,
        "sessionmaker": factory,
        "scoped_session": scoped_session(factory),
    }[wrap]
    metadata = MetaData()
    adapter = SQLAlchemyAdapter(source, metadata=metadata)
    assert adapter.metadata is metadata
    assert set(metadata.tables) == {"users", "accounts", "sessions", "verification_tokens"}
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        user = adapter.create_user(User(email="plain@example.com"))
        assert adapter.get_user_by_email("plain@example.com") == user
    finally:
        metadata.drop_all(engine)


# Custom models -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def custom_adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    yield from adapter_on(engine, **MODELS)


def test_integer_ids_come_back_as_str(custom_adapter: SQLAlchemyAdapter, engine: Engine) -> None:
    empty_tables(engine, custom_adapter.metadata)
    user = custom_adapter.create_user(User(email="int@example.com"))
    assert user.id is not None
    assert user.id.isdigit()
    account = custom_adapter.link_account(
        Account(user_id=user.id, type="oidc", provider="keycloak", provider_account_id="s-1")
    )
    assert account.user_id == user.id
    # A column default of the app's model shows in extra.
    assert user.extra["role"] == "member"
    assert user.role == "member"


def test_an_overlong_extra_value_is_refused_before_the_database(
    custom_adapter: SQLAlchemyAdapter, engine: Engine
) -> None:
    empty_tables(engine, custom_adapter.metadata)
    with pytest.raises(InvalidValue, match="role"):
        custom_adapter.create_user(User(email="long@example.com", extra={"role": "r" * 33}))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Member)) == 0


# Errors ---------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_raises_storage_error_with_the_driver_cause(
    backend: str,
) -> None:
    port = _closed_port()
    url = {
        "sqlite": "sqlite:////nonexistent-dir/auth.sqlite3",
        "postgres": f"postgresql+psycopg://postgres@127.0.0.1:{port}/x?connect_timeout=2",
        "mariadb": f"mysql+pymysql://root@127.0.0.1:{port}/x?connect_timeout=2",
    }[backend]
    adapter = SQLAlchemyAdapter(create_engine(url))
    token = secrets.token_hex(32)
    with pytest.raises(StorageError) as caught:
        adapter.get_session_and_user(token)
    cause = caught.value.__cause__
    assert cause is not None
    assert type(cause).__module__.split(".")[0] in {"sqlite3", "psycopg", "pymysql"}
    assert token not in str(caught.value)
    assert "get_session_and_user" in str(caught.value)


def test_missing_tables_raise_storage_error(engine: Engine) -> None:
    adapter = SQLAlchemyAdapter(engine, metadata=MetaData())  # tables never created
    with pytest.raises(StorageError):
        adapter.get_user("1")
    secret = secrets.token_hex(32)
    with pytest.raises(StorageError) as caught:
        adapter.create_verification_token(
            VerificationToken("x@example.com", secret, datetime.now(UTC))
        )
    assert secret not in str(caught.value)


def test_values_equal_under_the_collation_are_duplicates(
    adapter: SQLAlchemyAdapter, backend: str
) -> None:
    """MariaDB's usual collations ignore case: an email or provider account id differing only
    in case breaks the unique constraint there, and is told apart as the duplicate it is
    (look-ups stay byte-exact). Elsewhere both are stored."""
    first = adapter.create_user(User(email="ada@example.com"))
    assert first.id is not None
    adapter.link_account(Account(first.id, "oauth", "github", "abc"))
    user = User(email="Ada@example.com")
    account = Account(first.id, "oauth", "github", "ABC")
    if backend != "mariadb":
        adapter.create_user(user)
        adapter.link_account(account)
        return
    with pytest.raises(DuplicateEmail):
        adapter.create_user(user)
    with pytest.raises(DuplicateAccount):
        adapter.link_account(account)
    assert adapter.get_user_by_email("Ada@example.com") is None


def test_a_duplicate_verification_token_is_a_conflict(adapter: SQLAlchemyAdapter) -> None:
    secret = secrets.token_hex(32)
    token = VerificationToken("dup@example.com", secret, datetime.now(UTC))
    adapter.create_verification_token(token)
    with pytest.raises(ConflictError) as caught:
        adapter.create_verification_token(token)
    assert secret not in str(caught.value)


# Configuration errors (no database needed) ------------------------------------------------


def test_models_are_given_all_or_none() -> None:
    with pytest.raises(ConfigurationError, match="all four"):
        SQLAlchemyAdapter(create_engine("sqlite://"), user_model=Member)


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="takes a Flask-SQLAlchemy db"):
        SQLAlchemyAdapter("sqlite:///auth.db")
    with pytest.raises(ConfigurationError, match="bound to an Engine"):
        SQLAlchemyAdapter(sessionmaker())


def test_a_clashing_table_name_is_refused() -> None:
    metadata = MetaData()

    class Base(DeclarativeBase):
        metadata = MetaData()

    from sqlalchemy import Column, Integer, Table

    Table("users", metadata, Column("id", Integer, primary_key=True))
    with pytest.raises(ConfigurationError, match="users"):
        SQLAlchemyAdapter(create_engine("sqlite://"), metadata=metadata)


def test_a_custom_model_missing_a_required_column_is_refused() -> None:
    from sqlalchemy import Column, Integer, Table

    metadata = MetaData()
    no_email = Table("people", metadata, Column("id", Integer, primary_key=True))
    models = {**MODELS, "user_model": no_email}
    with pytest.raises(ConfigurationError, match="email"):
        SQLAlchemyAdapter(create_engine("sqlite://"), **models)
