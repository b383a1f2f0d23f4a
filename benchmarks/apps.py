"""The apps measured side by side, each with the same trivial view at ``/``.

Every app is a plain Flask app; the view reads the signed-in user's email (so the
authentication library has to load the user) and returns ``hello <email>``:

``bare``
    Flask alone, no authentication: the floor. The view returns ``hello bench@example.com``.
``authadapter``
    This project: ``Auth`` with :class:`SQLAlchemyAdapter` on a Flask-SQLAlchemy ``db``.
``flask_login``
    Flask-Login with the usual Flask-SQLAlchemy ``user_loader`` (``db.session.get``).
``flask_security``
    Flask-Security-Too with its SQLAlchemy datastore (fsqla_v3 models).

Each app but ``bare`` also has ``/_bench/login``, which signs the benchmark user in (creating
it on first use) the library's own way; the benchmark calls it once and replays the cookie
it sets. :func:`build_app` is also what the gunicorn workers run (``benchmarks.wsgi``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

__all__ = [
    "EMAIL",
    "KINDS",
    "SECRET",
    "USER_AGENT",
    "app_from_environment",
    "build_app",
    "cookie_header",
    "signed_in_cookie",
]

#: The benchmark user.
EMAIL = "bench@example.com"
#: Every app's secret (a fixed one, so that all gunicorn workers share it).
SECRET = "benchmark-secret-" + "s" * 40
#: The User-Agent of every request (Flask-Login's session protection hashes it).
USER_AGENT = "authadapter-bench/1.0"

KINDS = ("bare", "authadapter", "flask_login", "flask_security")


def _base(name: str) -> Flask:
    app = Flask(name)
    app.config.update(SECRET_KEY=SECRET)
    return app


def _bare() -> Flask:
    app = _base("bare")

    @app.get("/")
    def index() -> str:
        return f"hello {EMAIL}"

    return app


def _authadapter(db_url: str) -> Flask:
    from flask_sqlalchemy import SQLAlchemy

    from flask_authadapter import Auth, current_user, sign_in
    from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
    from flask_authadapter.models import User

    app = _base("authadapter")
    app.config.update(SQLALCHEMY_DATABASE_URI=db_url, AUTH_SECRET=SECRET)
    db = SQLAlchemy()
    db.init_app(app)
    adapter = SQLAlchemyAdapter(db)
    Auth(app, adapter=adapter, providers=[])

    @app.get("/")
    def index() -> str:
        return f"hello {current_user.email}"

    @app.get("/plain")
    def plain() -> str:
        return "hello"  # never reads current_user: no query

    @app.get("/_bench/login")
    def login() -> str:
        user = adapter.get_user_by_email(EMAIL) or adapter.create_user(User(email=EMAIL))
        sign_in(user)
        return "signed in"

    with app.app_context():
        db.create_all()
    return app


def _flask_login(db_url: str) -> Flask:
    from flask_login import LoginManager, UserMixin, current_user, login_user
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import Column, Integer, String

    app = _base("flask_login")
    app.config.update(SQLALCHEMY_DATABASE_URI=db_url)
    db = SQLAlchemy()

    class Person(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "people"
        id = Column(Integer, primary_key=True)
        email = Column(String(320), unique=True, nullable=False)
        name = Column(String(255))

    db.init_app(app)
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        return db.session.get(Person, int(user_id))

    @app.get("/")
    def index() -> str:
        return f"hello {current_user.email}"

    @app.get("/_bench/login")
    def login() -> str:
        person = db.session.execute(db.select(Person).filter_by(email=EMAIL)).scalar()
        if person is None:
            person = Person(email=EMAIL)
            db.session.add(person)
            db.session.commit()
        login_user(person)
        return "signed in"

    with app.app_context():
        db.create_all()
    return app


def _flask_security(db_url: str) -> Flask:
    from flask_security import Security, SQLAlchemyUserDatastore, current_user, login_user
    from flask_security.models import fsqla_v3 as fsqla
    from flask_sqlalchemy import SQLAlchemy

    app = _base("flask_security")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=db_url,
        SECURITY_PASSWORD_SALT="benchmark-salt",
        # Flask-Security's defaults otherwise: sessions as it sets them up.
    )
    db = SQLAlchemy()
    fsqla.FsModels.set_db_info(db)

    class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
        __tablename__ = "role"

    class Person(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
        __tablename__ = "user"

    db.init_app(app)
    datastore = SQLAlchemyUserDatastore(db, Person, Role)
    Security(app, datastore)

    @app.get("/")
    def index() -> str:
        return f"hello {current_user.email}"

    @app.get("/_bench/login")
    def login() -> str:
        person = datastore.find_user(email=EMAIL)
        if person is None:
            person = datastore.create_user(email=EMAIL, password=None)
            datastore.commit()
        login_user(person)
        datastore.commit()
        return "signed in"

    with app.app_context():
        db.create_all()
    return app


def build_app(kind: str, db_url: str | None = None) -> Flask:
    """The app ``kind`` (one of :data:`KINDS`) on the database ``db_url``; its tables are
    created if missing."""
    if kind == "bare":
        return _bare()
    if db_url is None:
        raise ValueError(f"the {kind} app needs a database URL")
    builders = {
        "authadapter": _authadapter,
        "flask_login": _flask_login,
        "flask_security": _flask_security,
    }
    return builders[kind](db_url)


def app_from_environment() -> Flask:
    """The app that ``BENCH_APP`` and ``BENCH_DB_URL`` name (for the gunicorn workers)."""
    return build_app(os.environ["BENCH_APP"], os.environ.get("BENCH_DB_URL") or None)


def cookie_header(pairs: dict[str, str]) -> str:
    """A ``Cookie`` request header carrying ``pairs``."""
    return "; ".join(f"{name}={value}" for name, value in pairs.items())


def signed_in_cookie(app: Flask) -> str:
    """Sign the benchmark user in through ``/_bench/login`` (in-process); the ``Cookie``
    header a browser would then send."""
    client = app.test_client()
    answer = client.get("/_bench/login", headers={"User-Agent": USER_AGENT})
    if answer.status_code != 200:
        raise RuntimeError(f"{app.name}: /_bench/login answered {answer.status_code}")
    pairs = {}
    for header in answer.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        pairs[name] = rest.split(";", 1)[0]
    if not pairs:
        raise RuntimeError(f"{app.name}: /_bench/login set no cookie")
    return cookie_header(pairs)
