"""Fixtures of the views tests."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from tests.apps import DummyProvider, make_app
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401


@pytest.fixture
def app(adapter: SQLAlchemyAdapter) -> Flask:
    """The standard test app, with two providers."""
    app, _ = make_app(
        adapter, providers=[DummyProvider("dummy"), DummyProvider("other", name="Other Co")]
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
