"""One app per test: the extension on SQLite through SQLAlchemy, as an app would have it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from tests.apps import make_app


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[SQLAlchemyAdapter]:
    """The default tables in a fresh SQLite file."""
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}", connect_args={"timeout": 30})
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    yield adapter
    engine.dispose()


@pytest.fixture
def app(adapter: SQLAlchemyAdapter) -> Flask:
    """An app with the extension set up (``/``, ``/whoami``, ``/private``); tests add the
    views they are about."""
    app, _ = make_app(adapter)
    return app
