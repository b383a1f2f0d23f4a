"""The conformance suite against SQLAlchemyAdapter on SQLite, PostgreSQL and MariaDB,
with the default tables (also with the opt-in fast session lookup) and with an
application's own (custom) tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.testing import AdapterSuite, SQLAlchemyRawStore
from tests.adapters.sqlalchemy.custom_models import MODELS
from tests.databases import adapter_on, empty_tables


@pytest.fixture(scope="module")
def default_adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    # A small batch size, so that the expiry tests cross several batches.
    yield from adapter_on(engine, batch_size=7)


@pytest.fixture(scope="module")
def custom_adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    yield from adapter_on(engine, batch_size=7, **MODELS)


class TestDefaultModels(AdapterSuite):
    session_extra = {
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        "signed_in_with": "github:583231",
    }

    @pytest.fixture
    def adapter(self, default_adapter: SQLAlchemyAdapter, engine: Engine) -> SQLAlchemyAdapter:
        empty_tables(engine, default_adapter.metadata)
        return default_adapter

    @pytest.fixture
    def raw(self, adapter: SQLAlchemyAdapter) -> SQLAlchemyRawStore:
        return SQLAlchemyRawStore(adapter)


class TestCustomModels(AdapterSuite):
    user_extra = {"role": "admin", "phone": "+44 20 7946 0000"}
    session_extra = {"ip_address": "2001:db8::1"}
    account_extra = {"tenant": "contoso"}

    @pytest.fixture
    def adapter(self, custom_adapter: SQLAlchemyAdapter, engine: Engine) -> SQLAlchemyAdapter:
        empty_tables(engine, custom_adapter.metadata)
        return custom_adapter

    @pytest.fixture
    def raw(self, adapter: SQLAlchemyAdapter) -> SQLAlchemyRawStore:
        return SQLAlchemyRawStore(adapter)


@pytest.fixture(scope="module")
def fast_lookup_adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    yield from adapter_on(engine, batch_size=7, fast_session_lookup=True)


class TestFastSessionLookup(TestDefaultModels):
    """The opt-in session lookup on the pooled DBAPI connection keeps the whole contract."""

    @pytest.fixture
    def adapter(self, fast_lookup_adapter: SQLAlchemyAdapter, engine: Engine) -> SQLAlchemyAdapter:
        empty_tables(engine, fast_lookup_adapter.metadata)
        return fast_lookup_adapter
