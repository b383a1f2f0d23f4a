"""The example app, through Flask's test client: its pages, its settings, its providers, the
demo mailbox, and its database (upgraded with the shipped migrations).

Email sign-in goes through a real SMTP server (the demo's sink), OpenID Connect through the
real mock provider of the test session.
"""

from __future__ import annotations

import smtplib
import stat
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text

from example.app import (
    DEFAULT_AUTH_URL,
    DEFAULT_SENDER,
    MIGRATIONS,
    adapter,
    create_app,
    database_url,
    settings_from_environment,
)
from example.mailbox import Mailbox
from flask_authadapter import sign_in
from flask_authadapter.errors import ConfigurationError
from flask_authadapter.models import User
from tests.example.conftest import MakeApp
from tests.example.pages import Page, codes, parse
from tests.oidc import MockProvider


def page(client: FlaskClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return parse(response.get_data(as_text=True))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def add_test_sign_in(app: Flask) -> None:
    """``/test/sign-in/<email>``: signs that user in with the library's ``sign_in``."""

    @app.get("/test/sign-in/<email>")
    def test_sign_in(email: str) -> str:
        user = adapter.get_user_by_email(email) or adapter.create_user(User(email=email))
        sign_in(user)
        return "ok"


def sign_in_by_email(client: FlaskClient, mailbox: Mailbox, email: str, start: str) -> str:
    """Sign in from page ``start`` (the sign-in page, maybe with a callback_url) through the
    emailed link; where the confirm form lands."""
    form = page(client, start).form("Email me a sign-in link")
    response = client.post(form.action, data={**form.fields, "email": email})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/verify-request")
    (received,) = mailbox.wait_for(1)
    assert received.to == email
    (link,) = received.links
    assert link.startswith("http://localhost/auth/callback/email?")
    confirm = page(client, path_of(link)).form("Sign in")
    response = client.post(confirm.action, data=confirm.fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return str(response.headers["Location"])


# The home page and the protected page ------------------------------------------------------


def test_home_page_for_someone_not_signed_in(make_app: MakeApp) -> None:
    client = make_app().test_client()
    home = page(client, "/")
    assert "You are not signed in" in home.text
    assert home.link("Sign in") == "/auth/signin"
    assert home.link("Protected page") == "/protected"
    assert not home.has_link("Sign out")
    assert not home.has_link("Your account")
    assert not home.has_link("demo mailbox")


def test_home_page_for_someone_signed_in(make_app: MakeApp) -> None:
    app = make_app()
    add_test_sign_in(app)
    client = app.test_client()
    assert client.get("/test/sign-in/ada@example.com").status_code == 200
    home = page(client, "/")
    assert "Signed in as ada@example.com" in home.text
    assert home.link("Protected page") == "/protected"
    assert home.link("Your account") == "/auth/account"
    assert home.link("Sign out") == "/auth/signout"
    assert not home.has_link("Sign in")


def test_protected_page_sends_to_sign_in_then_shows_the_user(make_app: MakeApp) -> None:
    app = make_app()
    add_test_sign_in(app)
    client = app.test_client()
    response = client.get("/protected")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/signin?callback_url=%2Fprotected"

    client.get("/test/sign-in/grace@example.com")
    protected = page(client, "/protected")
    assert "Protected page" in protected.text
    assert "grace@example.com" in protected.text


def test_pages_send_security_headers(make_app: MakeApp) -> None:
    response = make_app().test_client().get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


# Signing in for real -----------------------------------------------------------------------


def test_email_sign_in_lands_on_the_page_first_asked_for(
    make_app: MakeApp, demo_config: dict[str, Any], mailbox: Mailbox
) -> None:
    client = make_app(**demo_config).test_client()
    start = client.get("/protected").headers["Location"]
    assert sign_in_by_email(client, mailbox, "lin@example.com", start) == "/protected"
    assert "lin@example.com" in page(client, "/protected").text
    assert "Signed in as lin@example.com" in page(client, "/").text

    # Signing out: the library's page and its button.
    form = page(client, "/auth/signout").form("Sign out")
    assert client.post(form.action, data=form.fields).status_code == 302
    assert "You are not signed in" in page(client, "/").text


def test_demo_openid_provider_signs_in(make_app: MakeApp, oidc_provider: MockProvider) -> None:
    oidc_provider.set_user("example-ada", email="ada.oidc@example.com", email_verified=True)
    client = make_app(DEMO_OIDC_ISSUER=oidc_provider.issuer).test_client()
    form = page(client, "/auth/signin").form("Sign in with Demo OpenID provider")
    response = client.post(form.action, data=form.fields)
    assert response.status_code == 302
    back = oidc_provider.approve(response.headers["Location"], "example-ada")
    assert back.startswith("http://localhost/auth/callback/demo?")
    assert client.get(path_of(back)).status_code == 302
    assert "Signed in as ada.oidc@example.com" in page(client, "/").text


def test_a_demo_user_without_an_email_is_named_by_the_account(
    make_app: MakeApp, oidc_provider: MockProvider
) -> None:
    # Typing a plain name at the mock gives a user whose "email" is that name: not an
    # address, so not kept.
    client = make_app(DEMO_OIDC_ISSUER=oidc_provider.issuer).test_client()
    form = page(client, "/auth/signin").form("Sign in with Demo OpenID provider")
    authorize = client.post(form.action, data=form.fields).headers["Location"]
    client.get(path_of(oidc_provider.approve(authorize, "example-carol")))
    assert "Signed in as example-carol (demo account)" in page(client, "/").text


# Providers appear once configured ------------------------------------------------------------


def test_no_provider_without_settings(make_app: MakeApp) -> None:
    client = make_app().test_client()
    signin = page(client, "/auth/signin")
    assert signin.buttons == []
    assert "No way to sign in is set up" in signin.text
    assert "None yet" in page(client, "/").text


def test_github_appears_with_its_client_id(make_app: MakeApp) -> None:
    client = make_app(AUTH_GITHUB_CLIENT_ID="id", AUTH_GITHUB_CLIENT_SECRET="s").test_client()
    assert page(client, "/auth/signin").buttons == ["Sign in with GitHub"]


def test_email_appears_with_a_mail_server(make_app: MakeApp) -> None:
    client = make_app(MAIL_SERVER="127.0.0.1").test_client()
    assert page(client, "/auth/signin").buttons == ["Email me a sign-in link"]


def test_the_demo_provider_appears_with_its_issuer(make_app: MakeApp) -> None:
    client = make_app(DEMO_OIDC_ISSUER="http://localhost:1").test_client()
    assert page(client, "/auth/signin").buttons == ["Sign in with Demo OpenID provider"]


PRESET_SETTINGS: list[tuple[str, dict[str, str]]] = [
    ("GitHub", {"AUTH_GITHUB_CLIENT_ID": "id"}),
    ("Google", {"AUTH_GOOGLE_CLIENT_ID": "id"}),
    ("GitLab", {"AUTH_GITLAB_CLIENT_ID": "id", "AUTH_GITLAB_URL": "https://git.example"}),
    ("Discord", {"AUTH_DISCORD_CLIENT_ID": "id"}),
    ("Facebook", {"AUTH_FACEBOOK_CLIENT_ID": "id"}),
    ("Microsoft Entra ID", {"AUTH_MICROSOFT_ENTRA_ID_CLIENT_ID": "id"}),
    ("Slack", {"AUTH_SLACK_CLIENT_ID": "id"}),
    ("Apple", {"AUTH_APPLE_CLIENT_ID": "id", "AUTH_APPLE_CLIENT_SECRET": "s"}),
    (
        "Keycloak",
        {
            "AUTH_KEYCLOAK_CLIENT_ID": "id",
            "AUTH_KEYCLOAK_URL": "https://kc.example",
            "AUTH_KEYCLOAK_REALM": "r",
        },
    ),
    ("Auth0", {"AUTH_AUTH0_CLIENT_ID": "id", "AUTH_AUTH0_DOMAIN": "x.eu.auth0.com"}),
]


@pytest.mark.parametrize(("name", "settings"), PRESET_SETTINGS, ids=[n for n, _ in PRESET_SETTINGS])
def test_each_preset_appears_with_its_environment_variables(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, name: str, settings: dict[str, str]
) -> None:
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    buttons = page(make_app().test_client(), "/auth/signin").buttons
    assert len(buttons) == 1
    assert buttons[0].startswith("Sign in with ")
    assert name.split()[0] in buttons[0]


def test_all_at_once_in_order(make_app: MakeApp) -> None:
    settings = {k: v for _, preset in PRESET_SETTINGS for k, v in preset.items()}
    app = make_app(MAIL_SERVER="127.0.0.1", DEMO_OIDC_ISSUER="http://localhost:1", **settings)
    buttons = page(app.test_client(), "/auth/signin").buttons
    assert buttons[:3] == [
        "Email me a sign-in link",
        "Sign in with Demo OpenID provider",
        "Sign in with GitHub",
    ]
    assert len(buttons) == 2 + len(PRESET_SETTINGS)


def test_a_preset_missing_a_setting_is_named(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_KEYCLOAK_URL"):
        make_app(AUTH_KEYCLOAK_CLIENT_ID="id")


# Settings ---------------------------------------------------------------------------------


def test_the_config_mapping_wins_over_the_environment(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")
    monkeypatch.setenv("AUTH_SITE_NAME", "From the environment")
    app = make_app(MAIL_SERVER="", AUTH_SITE_NAME="From the config")
    signin = page(app.test_client(), "/auth/signin")
    assert "From the config" in signin.text
    assert signin.buttons == []  # MAIL_SERVER emptied by the config: no email sign-in


def test_settings_read_from_the_environment() -> None:
    settings = settings_from_environment(
        {
            "DATABASE_URL": "postgres://u:p@db/app",
            "MAIL_SERVER": "smtp.example",
            "MAIL_PORT": "2525",
            "MAIL_USE_TLS": "true",
            "MAIL_USE_SSL": "0",
            "AUTH_GITHUB_CLIENT_ID": "123",
            "AUTH_SESSION_MAX_AGE": "3600",
            "SECRET_KEY": "",
            "HOME": "/root",
        }
    )
    assert settings == {
        "SQLALCHEMY_DATABASE_URI": "postgres://u:p@db/app",
        "MAIL_SERVER": "smtp.example",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "AUTH_GITHUB_CLIENT_ID": "123",
        "AUTH_SESSION_MAX_AGE": "3600",
    }
    with pytest.raises(ConfigurationError, match="MAIL_PORT"):
        settings_from_environment({"MAIL_PORT": "smtp"})


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("mysql://u@h/d", "mysql+pymysql://u@h/d"),
        ("mariadb://u@h/d", "mariadb+pymysql://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_get_the_installed_driver(given: str, used: str) -> None:
    assert database_url(given) == used


def test_defaults(make_app: MakeApp) -> None:
    app = create_app({"EXAMPLE_INSTANCE_PATH": make_app().instance_path + "-defaults"})
    assert app.config["AUTH_URL"] == DEFAULT_AUTH_URL == "http://127.0.0.1:5000"
    assert app.config["MAIL_DEFAULT_SENDER"] == DEFAULT_SENDER
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{Path(app.instance_path) / 'example.sqlite3'}"
    )


def test_the_instance_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_INSTANCE_PATH", str(tmp_path / "from-env"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "from-env")
    assert (tmp_path / "from-env" / "example.sqlite3").is_file()


def test_a_random_secret_is_kept_in_the_instance_folder(make_app: MakeApp) -> None:
    first = make_app()
    secret_file = Path(first.instance_path) / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = first.config["SECRET_KEY"]
    assert len(secret) >= 32
    assert secret_file.read_text().strip() == secret
    # The same instance folder: the same secret (sessions survive a restart).
    again = create_app({"EXAMPLE_INSTANCE_PATH": first.instance_path})
    assert again.config["SECRET_KEY"] == secret
    # Another instance folder: another secret, never a fixed one.
    assert make_app().config["SECRET_KEY"] != secret


def test_a_given_secret_is_used_and_nothing_is_written(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_SECRET", "s" * 40)
    app = make_app()
    assert app.config["SECRET_KEY"] == "s" * 40
    assert not (Path(app.instance_path) / "secret_key").exists()


# The database -----------------------------------------------------------------------------


def test_the_database_is_upgraded_with_the_shipped_migrations(make_app: MakeApp) -> None:
    app = make_app()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert {"users", "accounts", "sessions", "verification_tokens", "alembic_version"} <= tables
    scripts = ScriptDirectory.from_config(Config(str(MIGRATIONS / "alembic.ini")))
    assert version == scripts.get_current_head()
    # Upgrading again (a restart) is harmless.
    create_app({"EXAMPLE_INSTANCE_PATH": app.instance_path, "SECRET_KEY": "k" * 40})


def test_the_upgrade_can_be_left_to_flask_db_upgrade(make_app: MakeApp) -> None:
    app = make_app(EXAMPLE_UPGRADE_DATABASE=False)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


# The demo mailbox -------------------------------------------------------------------------


def send(port: int, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = "app@example.invalid"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def test_no_mailbox_page_outside_the_demo(make_app: MakeApp) -> None:
    client = make_app(MAIL_SERVER="127.0.0.1").test_client()
    assert client.get("/demo/mailbox").status_code == 404
    assert "mailbox" not in page(client, "/").text.lower()
    assert "mailbox" not in page(client, "/auth/signin").text.lower()


def test_the_mailbox_page_shows_the_messages_newest_first(
    make_app: MakeApp, demo_config: dict[str, Any], smtp_sink: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_sink
    send(port, "first@example.com", "The first", "Hello <b>there</b> & co")
    send(port, "second@example.com", "The second", "Open https://x.example/a?b=1&c=2 now")
    mailbox.wait_for(2)
    client = make_app(**demo_config).test_client()
    response = client.get("/demo/mailbox")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "&lt;b&gt;there&lt;/b&gt; &amp; co" in body  # escaped, never markup
    shown = parse(body)
    assert shown.text.index("The second") < shown.text.index("The first")
    assert "second@example.com" in shown.text
    assert ("https://x.example/a?b=1&c=2", "https://x.example/a?b=1&c=2") in shown.links


def test_the_mailbox_page_shows_the_sign_in_link_and_code(
    make_app: MakeApp, demo_config: dict[str, Any], mailbox: Mailbox
) -> None:
    client = make_app(**demo_config).test_client()
    assert page(client, "/").link("demo mailbox") == "/demo/mailbox"
    assert page(client, "/auth/signin").link("demo mailbox") == "/demo/mailbox"
    assert "No email yet" in page(client, "/demo/mailbox").text

    form = page(client, "/auth/signin").form("Email me a sign-in link")
    client.post(form.action, data={**form.fields, "email": "mo@example.com"})
    (received,) = mailbox.wait_for(1)
    shown = page(client, "/demo/mailbox")
    (link,) = received.links
    assert shown.link("Open the sign-in link") == link
    assert (link, link) in shown.links
    assert codes(shown.text) == received.codes
    assert len(received.codes) == 1
    assert "mo@example.com" in shown.text
    assert "Sign in to flask-authadapter example" in shown.text


def test_demo_mailbox_must_be_a_mailbox(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="DEMO_MAILBOX"):
        make_app(DEMO_MAILBOX=[])


def test_the_demo_sends_more_than_a_few_emails_to_one_address(
    make_app: MakeApp, demo_config: dict[str, Any], mailbox: Mailbox
) -> None:
    client = make_app(**demo_config).test_client()
    for _ in range(8):
        form = page(client, "/auth/signin").form("Email me a sign-in link")
        response = client.post(form.action, data={**form.fields, "email": "many@example.com"})
        assert response.headers["Location"].startswith("/auth/verify-request")
    mailbox.wait_for(8)
    assert "The demo relaxes the email limits" in page(client, "/demo/mailbox").text


def test_an_unknown_page_is_the_examples_own_404(make_app: MakeApp) -> None:
    response = make_app().test_client().get("/no-such-page")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in text
    assert 'href="/"' in text
    assert 'href="/static/example.css' in text  # the example's own layout


def test_an_unknown_sign_in_method_is_the_blueprints_page(make_app: MakeApp) -> None:
    response = make_app().test_client().get("/auth/callback/no-such-provider")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "<h1>Unknown sign-in method</h1>" in text
    assert "Page not found" not in text
