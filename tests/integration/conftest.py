"""One app per test: the extension on SQLite through SQLAlchemy, as an app would have it,
called through Flask's test client or served for real."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine
from werkzeug.serving import make_server

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


@pytest.fixture
def make_bare_app(adapter: SQLAlchemyAdapter) -> Callable[..., Flask]:
    """Apps with the extension set up and no page of their own (settings as keywords)."""

    def make(**config: Any) -> Flask:
        app, _ = make_app(adapter, pages=False, **config)
        return app

    return make


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """Serve an app on 127.0.0.1 (Werkzeug's threaded server, a thread per request, as a
    WSGI server runs it): its base URL. Stopped when the test ends."""
    stops: list[Callable[[], None]] = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        stops.extend([server.server_close, lambda: thread.join(5), server.shutdown])
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for stop in reversed(stops):
        stop()
