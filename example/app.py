"""The example app: a small Flask site whose sign-in is flask-authadapter.

``create_app()`` is the app factory. Settings come from the environment first, then from
the ``config`` mapping given to the factory (which wins):

- ``DATABASE_URL``: the database (default: ``example.sqlite3`` in the instance folder;
  ``postgresql://`` and ``mysql://``/``mariadb://`` URLs use the psycopg and PyMySQL
  drivers of the ``postgres`` and ``mysql`` extras). It is upgraded with the shipped
  ``migrations/`` (Flask-Migrate), never with ``create_all``.
- ``SECRET_KEY`` / ``AUTH_SECRET``: when neither is set, a random secret is made once and
  kept in the instance folder (``secret_key``), so sessions survive a restart.
- ``AUTH_URL`` (default ``http://127.0.0.1:5000``) and every other ``AUTH_*`` setting of
  flask-authadapter, as text.
- ``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``,
  ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``: with ``MAIL_SERVER`` set, sign-in by email.
- ``AUTH_<ID>_CLIENT_ID`` / ``AUTH_<ID>_CLIENT_SECRET``: each provider preset appears once
  its client id is set (see :data:`PRESETS`; Keycloak and Auth0 need a little more).
- ``DEMO_OIDC_ISSUER``: a "Demo OpenID provider" (what ``python -m example`` starts).
- ``EXAMPLE_INSTANCE_PATH``: the instance folder (default: ``instance/`` of the checkout).
- ``EXAMPLE_UPGRADE_DATABASE`` (default true): upgrade the database when the app starts.

In the config mapping only: ``DEMO_MAILBOX``, a :class:`~example.mailbox.Mailbox` whose
messages ``/demo/mailbox`` shows (the demo's mail sink; never set in production).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_migrate import Migrate, upgrade  # type: ignore[import-untyped]
from flask_sqlalchemy import SQLAlchemy
from werkzeug.wrappers import Response

from flask_authadapter import Auth, current_session, current_user, login_required
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.errors import ConfigurationError
from flask_authadapter.models import AnonymousUser, User
from flask_authadapter.providers import (
    OIDC,
    Apple,
    Auth0,
    Discord,
    Email,
    Facebook,
    GitHub,
    GitLab,
    Google,
    Keycloak,
    MicrosoftEntraID,
    Provider,
    Slack,
)
from flask_authadapter.providers.profile import Profile, standard_profile
from flask_authadapter.ratelimit import EmailLimits
from flask_authadapter.state import auth_state

from .mailbox import Mailbox, render_text

__all__ = [
    "DEFAULT_AUTH_URL",
    "DEFAULT_SENDER",
    "MIGRATIONS",
    "adapter",
    "auth",
    "create_app",
    "db",
    "upgrade_database",
]

ROOT = Path(__file__).resolve().parent.parent
#: The repository's Alembic environment for the auth tables; its revisions are the ones
#: shipped inside the package (flask_authadapter/migrations/versions).
MIGRATIONS = ROOT / "migrations"

DEFAULT_AUTH_URL = "http://127.0.0.1:5000"
DEFAULT_SENDER = "flask-authadapter example <no-reply@example.invalid>"
SITE_NAME = "flask-authadapter example"
SECRET_FILE = "secret_key"  # noqa: S105 - a file name

#: Settings read from the environment as they are (text).
TEXT_SETTINGS = (
    "SECRET_KEY",
    "DEMO_OIDC_ISSUER",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
)
#: Settings read from the environment as true/false.
FLAG_SETTINGS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "EXAMPLE_UPGRADE_DATABASE")

db = SQLAlchemy()
adapter = SQLAlchemyAdapter(db)  # the default auth tables, on db.metadata
auth = Auth()
migrate = Migrate()


# Settings ------------------------------------------------------------------------------


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def database_url(url: str) -> str:
    """``url`` with the driver this project installs when it names none (``postgres://``
    as hosting services give it, ``postgresql://``, ``mysql://``, ``mariadb://``)."""
    drivers = {
        "postgres": "postgresql+psycopg",
        "postgresql": "postgresql+psycopg",
        "mysql": "mysql+pymysql",
        "mariadb": "mariadb+pymysql",
    }
    scheme, sep, rest = url.partition("://")
    return f"{drivers[scheme]}{sep}{rest}" if sep and scheme in drivers else url


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment gives (empty values count as unset)."""
    settings: dict[str, Any] = {}
    for key, value in environ.items():
        if not value:
            continue
        if key.startswith("AUTH_") or key in TEXT_SETTINGS:
            settings[key] = value
        elif key in FLAG_SETTINGS:
            settings[key] = _flag(key, value)
        elif key == "MAIL_PORT":
            settings[key] = _port(value)
        elif key == "DATABASE_URL":
            settings["SQLALCHEMY_DATABASE_URI"] = value
    return settings


def _port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigurationError(f"MAIL_PORT must be a port number, not {value!r}")
    return port


def _instance_path(config: Mapping[str, Any]) -> Path:
    chosen = config.get("EXAMPLE_INSTANCE_PATH") or os.environ.get("EXAMPLE_INSTANCE_PATH")
    return Path(chosen).resolve() if chosen else ROOT / "instance"


def persistent_secret(instance_path: Path) -> str:
    """The secret kept in ``instance_path/secret_key``: made (random, mode 0600) if absent."""
    path = instance_path / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < 32:
            raise ConfigurationError(
                f"{path} holds no usable secret: delete it (a new one is made) or set SECRET_KEY"
            ) from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


# Providers -----------------------------------------------------------------------------

#: The presets that need only a client id (and secret): ``AUTH_<KEY>_CLIENT_ID``. GitLab
#: also reads ``AUTH_GITLAB_URL`` (a self-hosted GitLab), Microsoft Entra ID
#: ``AUTH_MICROSOFT_ENTRA_ID_TENANT``; Apple makes its secret from ``AUTH_APPLE_TEAM_ID``,
#: ``AUTH_APPLE_KEY_ID`` and ``AUTH_APPLE_PRIVATE_KEY``.
PRESETS: dict[str, Callable[[Mapping[str, Any]], Provider]] = {
    "GITHUB": lambda c: GitHub(),
    "GOOGLE": lambda c: Google(),
    "GITLAB": lambda c: GitLab(base_url=c.get("AUTH_GITLAB_URL") or "https://gitlab.com"),
    "DISCORD": lambda c: Discord(),
    "FACEBOOK": lambda c: Facebook(),
    "MICROSOFT_ENTRA_ID": lambda c: MicrosoftEntraID(
        tenant=c.get("AUTH_MICROSOFT_ENTRA_ID_TENANT") or "common"
    ),
    "SLACK": lambda c: Slack(),
    "APPLE": lambda c: Apple(),
    "KEYCLOAK": lambda c: Keycloak(
        _required(c, "AUTH_KEYCLOAK_URL", "the Keycloak server, e.g. https://kc.example"),
        _required(c, "AUTH_KEYCLOAK_REALM", "the realm's name"),
    ),
    "AUTH0": lambda c: Auth0(
        _required(c, "AUTH_AUTH0_DOMAIN", "the tenant's domain, e.g. example.eu.auth0.com")
    ),
}


def _demo_profile(userinfo: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """The demo provider's profile, its email taken as verified.

    The local mock never says ``email_verified``, and an unverified email is no claim on an
    address (the user would have none). In the demo the person typing at its page is the
    person at the keyboard, so its emails are trusted. Never do this for a real provider.
    """
    return replace(standard_profile(userinfo, token), email_verified=True)


def _required(config: Mapping[str, Any], key: str, what: str) -> str:
    value = config.get(key)
    if not value:
        raise ConfigurationError(f"{key} is not set: {what}")
    return str(value)


#: The demo's email limits: generous, so trying it out (or its tests) never meets them. A
#: real deployment keeps the defaults (a few emails per address every ten minutes).
DEMO_EMAIL_LIMITS = EmailLimits(
    per_address="100 per 10 minutes",
    per_address_total="200 per 10 minutes",
    per_network="1000 per hour",
    verify="500 per 10 minutes",
)


def configured_providers(config: Mapping[str, Any]) -> list[Provider]:
    """The providers whose settings are present, in the order the sign-in page shows them;
    the demo (a ``DEMO_MAILBOX``) relaxes the email limits."""
    providers: list[Provider] = []
    if config.get("MAIL_SERVER"):
        demo = config.get("DEMO_MAILBOX") is not None
        providers.append(Email(rate_limits=DEMO_EMAIL_LIMITS) if demo else Email())
    if config.get("DEMO_OIDC_ISSUER"):
        providers.append(
            OIDC(
                "demo",
                issuer=str(config["DEMO_OIDC_ISSUER"]),
                name="Demo OpenID provider",
                client_id="demo-client",
                client_secret="demo-secret",  # noqa: S106 - the local mock accepts any
                profile=_demo_profile,
            )
        )
    for key, make in PRESETS.items():
        if config.get(f"AUTH_{key}_CLIENT_ID"):
            providers.append(make(config))
    return providers


# The database ----------------------------------------------------------------------------

# While true, the migrations' env.py leaves this process's logging alone (the demo and the
# tests configure their own); `flask db upgrade` still logs as Alembic does.
_quiet_alembic: ContextVar[bool] = ContextVar("quiet_alembic", default=False)


@migrate.configure  # type: ignore[untyped-decorator]
def _alembic_logging(config: Any) -> Any:
    if _quiet_alembic.get():
        config.attributes["configure_logger"] = False
    return config


@contextmanager
def _quiet() -> Iterator[None]:
    token = _quiet_alembic.set(True)
    try:
        yield
    finally:
        _quiet_alembic.reset(token)


def upgrade_database(app: Flask) -> None:
    """Upgrade the app's database to the newest of the shipped migrations."""
    with app.app_context(), _quiet():
        upgrade(directory=str(MIGRATIONS))


# The app -------------------------------------------------------------------------------


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app factory: settings from the environment, then ``config``."""
    overrides = dict(config or {})
    instance_path = _instance_path(overrides)
    app = Flask(__name__, instance_path=str(instance_path))
    instance_path.mkdir(parents=True, exist_ok=True)

    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance_path / 'example.sqlite3'}",
        AUTH_URL=DEFAULT_AUTH_URL,
        AUTH_SITE_NAME=SITE_NAME,
        MAIL_DEFAULT_SENDER=DEFAULT_SENDER,
        EXAMPLE_UPGRADE_DATABASE=True,
    )
    app.config.update(settings_from_environment(os.environ))
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    # One secret for Flask and the extension (AUTH_SECRET falls back to SECRET_KEY).
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = app.config.get("AUTH_SECRET") or persistent_secret(instance_path)

    mailbox = app.config.get("DEMO_MAILBOX")
    if mailbox is not None and not isinstance(mailbox, Mailbox):
        raise ConfigurationError("DEMO_MAILBOX must be an example.mailbox.Mailbox")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    auth.init_app(app, adapter=adapter, providers=configured_providers(app.config))
    if _flag("EXAMPLE_UPGRADE_DATABASE", app.config["EXAMPLE_UPGRADE_DATABASE"]):
        upgrade_database(app)

    register_pages(app)
    if mailbox is not None:
        register_mailbox(app, mailbox)
    return app


#: The example's pages: their own styles only, no scripts, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def display_name(user: User | AnonymousUser) -> str:
    """How the pages name a user: the email, else the name, else the linked account."""
    if user.email:
        return user.email
    if user.name:
        return user.name
    if user.id is not None:
        accounts = adapter.list_accounts(user.id)
        if accounts:
            return f"{accounts[0].provider_account_id} ({accounts[0].provider} account)"
    return "a user without an email address"


def register_pages(app: Flask) -> None:
    """The home page and the protected page."""

    @app.context_processor
    def _context() -> dict[str, Any]:
        demo = "demo_mailbox" in app.view_functions
        return {
            "display_name": display_name,
            "demo_mailbox": demo,
            "provider_names": [p.name for p in auth_providers(app)],
        }

    @app.after_request
    def _headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(404)
    def _not_found(error: Exception) -> tuple[str, int]:
        return render_template("not_found.html"), 404

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/protected")
    @login_required
    def protected() -> str:
        return render_template("protected.html", active=current_session)

    # `flask --app example.app shell` gets these.
    app.shell_context_processor(lambda: {"db": db, "adapter": adapter, "user": current_user})


def auth_providers(app: Flask) -> list[Provider]:
    """The providers configured for ``app``."""
    return list(auth_state(app).providers.values())


def register_mailbox(app: Flask, mailbox: Mailbox) -> None:
    """``/demo/mailbox``: the messages the demo's mail sink received, newest first."""

    @app.get("/demo/mailbox")
    def demo_mailbox() -> Response:
        body = render_template(
            "mailbox.html",
            messages=mailbox.newest_first(),
            render_text=render_text,
            demo_limits=DEMO_EMAIL_LIMITS,
        )
        response = Response(body, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response
