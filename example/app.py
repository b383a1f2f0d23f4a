"""A small Flask app using flask-authadapter's storage.

Settings come from the environment: ``DATABASE_URL`` (default: a SQLite file in the
instance folder), ``SECRET_KEY``. The database is upgraded with the shipped migrations
(``flask --app example.app db upgrade``), never with ``create_all``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template_string
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

db = SQLAlchemy()
migrate = Migrate()

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>flask-authadapter example</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}</style></head>
<body>
<h1>flask-authadapter example</h1>
<p>The storage layer is running on <code>{{ backend }}</code>, upgraded to the shipped
migrations. It holds <strong>{{ users }}</strong> user(s) and
<strong>{{ sessions }}</strong> session(s).</p>
<p>Sign-in pages (email links, OpenID Connect) are being built; this page will become the
full demo.</p>
</body></html>"""


def create_app(config: dict[str, object] | None = None) -> Flask:
    """The app factory."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    default_db = f"sqlite:///{Path(app.instance_path) / 'example.sqlite3'}"
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", default_db),
    )
    app.config.update(config or {})
    db.init_app(app)
    adapter = SQLAlchemyAdapter(db)
    migrate.init_app(app, db, directory=str(MIGRATIONS))

    @app.get("/")
    def home() -> str:
        users = adapter.models.user
        sessions = adapter.models.session
        return render_template_string(
            PAGE,
            backend=db.engine.dialect.name,
            users=db.session.scalar(select(func.count()).select_from(users)),
            sessions=db.session.scalar(select(func.count()).select_from(sessions)),
        )

    return app
