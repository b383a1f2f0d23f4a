"""The Email provider: its options, its start-up checks, the message it renders, and what
``flask auth providers`` shows of it (flask_authadapter.providers.email).

The whole sign-in flow against a real SMTP server is tested elsewhere; here the provider is
driven directly and through a real app (tests/apps.py) whose mail goes to a ``send=``
callable, or through Flask-Mail with sending suppressed (TESTING), never to a network.
"""

from __future__ import annotations

import re
import smtplib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask_mail import Message, email_dispatched

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.emails import normalize_email
from flask_authadapter.core.errors import ConfigurationError, EmailSignin
from flask_authadapter.core.verification import CODE_ALPHABET, CODE_LENGTH
from flask_authadapter.providers.email import Email, SignInEmail
from flask_authadapter.ratelimit import EmailLimits
from flask_authadapter.state import auth_state
from tests.apps import csrf_from, make_app

UTC = timezone.utc
NOW = datetime(2031, 5, 17, 9, 30, 15, tzinfo=UTC)
BASE = "https://app.example"
SENDER = "Acme <no-reply@acme.example>"
CODE = "ABCD2345"
URL = f"{BASE}/auth/callback/email?token=T0k3n&email=ada%40example.com&callback_url=%2F"
MAIL_PASSWORD = "hunter2-mail-password"


def _closed_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(*providers: Email, **config: Any) -> Flask:
    """A real app with ``providers``; AUTH_URL and no reachable SMTP server by default."""
    config.setdefault("AUTH_URL", BASE)
    config.setdefault("MAIL_SERVER", "127.0.0.1")
    config.setdefault("MAIL_PORT", _closed_port())  # anything sent by SMTP would fail
    app, _ = make_app(MemoryAdapter(), providers=list(providers), **config)
    return app


def _message(app: Flask, provider: Email, **changes: Any) -> SignInEmail:
    """``provider``'s message, with the app's site name (AUTH_SITE_NAME) unless changed."""
    options: dict[str, Any] = {
        "to": "ada@example.com",
        "url": URL,
        "code": CODE,
        "expires": NOW + provider.max_age,
        "site_name": auth_state(app).config.site_name,
    }
    options.update(changes)
    with app.app_context():
        return provider.message(**options)


def _request_link(app: Flask, email: str) -> Any:
    client = app.test_client()
    token = csrf_from(client)
    return client.post("/auth/signin/email", data={"csrf_token": token, "email": email})


# The provider itself ---------------------------------------------------------------------------


def test_defaults() -> None:
    provider = Email()
    assert provider.id == "email"
    assert provider.type == "email"
    assert provider.name == "Email"
    assert provider.max_age == timedelta(minutes=15)
    assert provider.custom_send is None
    assert provider.normalize is normalize_email
    assert provider.subject == "Sign in to {site}"
    assert provider.sender is None
    assert provider.max_attempts == 5
    assert provider.timeout == 10
    assert provider.rate_limits == EmailLimits()


def test_options() -> None:
    def send(message: SignInEmail) -> None: ...

    def normalize(value: object) -> str:
        return normalize_email(value)

    provider = Email(
        "work-email",
        name="Work email",
        max_age=timedelta(minutes=5),
        send=send,
        normalize=normalize,
        subject="Your link",
        sender=SENDER,
        max_attempts=3,
        timeout=timedelta(seconds=4),
        rate_limits=None,
    )
    assert (provider.id, provider.name, provider.max_age) == (
        "work-email",
        "Work email",
        timedelta(minutes=5),
    )
    assert provider.custom_send is send
    assert provider.normalize is normalize
    assert (provider.subject, provider.sender) == ("Your link", SENDER)
    assert (provider.max_attempts, provider.timeout, provider.rate_limits) == (3, 4.0, None)
    assert repr(provider) == "Email('work-email')"


@pytest.mark.parametrize(
    "max_age", [timedelta(0), timedelta(seconds=-1), -timedelta(minutes=15)], ids=str
)
def test_max_age_must_be_positive(max_age: timedelta) -> None:
    with pytest.raises(ValueError, match=r"Email\(max_age=\.\.\.\) must be a positive"):
        Email(max_age=max_age)


@pytest.mark.parametrize("bad_id", ["", "Email", "e mail", "e/mail", "e.mail"])
def test_the_id_is_checked(bad_id: str) -> None:
    with pytest.raises(ValueError, match="provider id"):
        Email(bad_id)


# Start-up checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [None, ""])
def test_init_app_without_auth_url_is_a_configuration_error(url: str | None) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_URL"):
        _app(Email(sender=SENDER), AUTH_URL=url)
    # Even with a send= of the app's own: links must be built from AUTH_URL.
    with pytest.raises(ConfigurationError, match="AUTH_URL"):
        _app(Email(send=lambda message: None), AUTH_URL=url)


def test_init_app_without_any_sender_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="MAIL_DEFAULT_SENDER"):
        _app(Email())


@pytest.mark.parametrize(
    ("provider", "config"),
    [
        (Email(sender=SENDER), {}),
        (Email(), {"MAIL_DEFAULT_SENDER": SENDER}),
        (Email(send=lambda message: None), {}),  # the app sends it its own way
    ],
    ids=["sender=", "MAIL_DEFAULT_SENDER", "send="],
)
def test_init_app_accepts_any_sender(provider: Email, config: dict[str, Any]) -> None:
    app = _app(provider, **config)
    assert "authadapter" in app.extensions


# A custom send ---------------------------------------------------------------------------------


def test_a_custom_send_gets_the_whole_message_and_nothing_goes_to_smtp() -> None:
    outbox: list[SignInEmail] = []
    clock = FrozenClock(NOW)
    app, _ = make_app(
        MemoryAdapter(),
        providers=[Email(send=outbox.append, max_age=timedelta(minutes=10))],
        clock=clock,
        AUTH_URL=BASE,
        AUTH_SITE_NAME="Acme",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_closed_port(),
        MAIL_DEFAULT_SENDER=SENDER,
    )
    response = _request_link(app, "  Ada@Example.com ")
    assert response.status_code == 302
    assert response.location.endswith("/auth/verify-request")  # not the EmailSignin page

    (message,) = outbox
    assert isinstance(message, SignInEmail)
    assert message.to == "ada@example.com"
    assert message.sender == SENDER
    assert message.subject == "Sign in to Acme"
    assert message.site_name == "Acme"
    assert message.expires == NOW + timedelta(minutes=10)
    assert len(message.code) == CODE_LENGTH
    assert set(message.code) <= set(CODE_ALPHABET)
    link = urlsplit(message.url)
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{BASE}/auth/callback/email"
    query = parse_qs(link.query)
    assert query["email"] == ["ada@example.com"]
    assert len(query["token"][0]) == 43
    shown = f"{message.code[:4]}-{message.code[4:]}"
    for body in (message.text, message.html):
        assert shown in body
        assert "Acme" in body
        assert "10 minutes" in body
    assert message.url in message.text
    assert message.url.replace("&", "&amp;") in message.html


def test_send_calls_the_custom_send() -> None:
    outbox: list[SignInEmail] = []
    provider = Email(send=outbox.append)
    app = _app(provider)
    message = _message(app, provider)
    with app.app_context():
        provider.send(message)
    assert outbox == [message]


def test_without_send_the_message_goes_through_flask_mail() -> None:
    # TESTING makes Flask-Mail suppress the SMTP conversation; its signal still shows the
    # message exactly as it would have been sent.
    provider = Email()
    app = _app(provider, MAIL_DEFAULT_SENDER=SENDER, AUTH_SITE_NAME="Acme")
    dispatched: list[Message] = []

    def record(sender: Any, message: Message, **extra: Any) -> None:
        dispatched.append(message)

    with email_dispatched.connected_to(record):
        response = _request_link(app, "ada@example.com")
    assert response.status_code == 302
    assert response.location.endswith("/auth/verify-request")
    (sent,) = dispatched
    assert sent.recipients == ["ada@example.com"]
    assert sent.sender == SENDER
    assert sent.subject == "Sign in to Acme"
    assert f"{BASE}/auth/callback/email?token=" in sent.body
    assert sent.html is not None
    assert f"{BASE}/auth/callback/email?token=" in sent.html


# normalize= ------------------------------------------------------------------------------------


def _company_only(value: object) -> str:
    email = normalize_email(value)
    if not email.endswith("@company.example"):
        raise EmailSignin("only company addresses may sign in")
    return email


def test_normalize_replaces_the_normaliser() -> None:
    outbox: list[SignInEmail] = []
    adapter = MemoryAdapter()
    app, _ = make_app(
        adapter, providers=[Email(send=outbox.append, normalize=_company_only)], AUTH_URL=BASE
    )
    refused = _request_link(app, "ada@example.org")
    assert refused.status_code == 302
    assert urlsplit(refused.location).path == "/auth/signin"
    assert parse_qs(urlsplit(refused.location).query)["error"] == ["EmailSignin"]
    assert outbox == []
    assert adapter._tokens == {}

    accepted = _request_link(app, " Ada@Company.Example ")
    assert accepted.location.endswith("/auth/verify-request")
    assert [message.to for message in outbox] == ["ada@company.example"]


def test_the_custom_normaliser_also_reads_the_links_address() -> None:
    # The confirm page refuses a link whose address the app's normaliser refuses.
    app = _app(Email(send=lambda message: None, normalize=_company_only))
    client = app.test_client()
    token = "Zk3pQ0xV_n-7bT2mWcL9yRa4uE1oHs8dJf6gKi5lNqP"
    ok = client.get(f"/auth/callback/email?token={token}&email=ada%40company.example")
    refused = client.get(f"/auth/callback/email?token={token}&email=ada%40example.org")
    assert ok.status_code == 200
    assert refused.status_code != 200


# subject ---------------------------------------------------------------------------------------


def test_the_subject_names_the_site() -> None:
    provider = Email(send=lambda message: None, subject="Your {site} sign-in link ({site})")
    app = _app(provider, AUTH_SITE_NAME="Acme")
    assert _message(app, provider).subject == "Your Acme sign-in link (Acme)"


def test_a_subject_without_the_site_is_kept_as_is() -> None:
    provider = Email(send=lambda message: None, subject="Your sign-in link")
    assert _message(_app(provider), provider).subject == "Your sign-in link"


def test_the_default_site_name_is_the_apps_name() -> None:
    provider = Email(send=lambda message: None)
    app = _app(provider)
    message = _message(app, provider)
    assert message.site_name == app.name
    assert message.subject == f"Sign in to {app.name}"


@pytest.mark.parametrize("subject", ["Sign in {now}", "Sign in {}", "Sign in :-}"])
def test_a_subject_that_cannot_be_formatted_is_refused_at_start_up(subject: str) -> None:
    with pytest.raises((ValueError, ConfigurationError)):
        _app(Email(send=lambda message: None, subject=subject))


# message(): both bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "shown"),
    [(timedelta(minutes=15), "15 minutes"), (timedelta(minutes=5), "5 minutes")],
)
def test_message_renders_both_bodies(max_age: timedelta, shown: str) -> None:
    provider = Email(sender=SENDER, max_age=max_age)
    app = _app(provider, AUTH_SITE_NAME="Acme Books")
    message = _message(app, provider)

    assert message.to == "ada@example.com"
    assert message.sender == SENDER
    assert message.url == URL
    assert message.code == CODE
    assert message.expires == NOW + max_age
    assert message.site_name == "Acme Books"
    assert message.subject == "Sign in to Acme Books"

    for body in (message.text, message.html):
        assert "ABCD-2345" in body
        assert "ABCD2345" not in body
        assert shown in body
        assert "Acme Books" in body
        assert "ada@example.com" in body
    # The plain-text link is the link; in HTML its & are escaped, as an attribute needs.
    assert URL in message.text
    assert f'href="{URL.replace("&", "&amp;")}"' in message.html
    assert message.html.lstrip().lower().startswith("<!doctype html>")
    assert "<" not in message.text  # no markup in the plain-text body


def test_the_sender_option_wins_over_mail_default_sender() -> None:
    provider = Email(sender=SENDER)
    app = _app(provider, MAIL_DEFAULT_SENDER="other@acme.example")
    assert _message(app, provider).sender == SENDER
    provider = Email()
    app = _app(provider, MAIL_DEFAULT_SENDER="other@acme.example")
    assert _message(app, provider).sender == "other@acme.example"


def test_the_html_body_escapes_the_address_and_the_site_name() -> None:
    provider = Email(send=lambda message: None)
    app = _app(provider, AUTH_SITE_NAME='<script>alert("site")</script> & Co')
    message = _message(app, provider, to='"><script>alert(1)</script>@example.com')
    assert "<script" not in message.html.lower()
    assert "&lt;script&gt;alert(&#34;site&#34;)&lt;/script&gt; &amp; Co" in message.html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in message.html
    # The text body is plain text: shown as is, which is what a mail client displays.
    assert '<script>alert("site")</script> & Co' in message.text


# templates: the app's own win ---------------------------------------------------------------------


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """An empty template folder of the app's own, with its auth/email/ directory."""
    folder = tmp_path / "templates"
    (folder / "auth" / "email").mkdir(parents=True)
    return folder


def test_the_apps_templates_override_the_packages(templates: Path) -> None:
    (templates / "auth" / "email" / "signin.txt").write_text(
        "OWN TEXT {{ site_name }} {{ url }} {{ code_display }} {{ minutes }} {{ email }}"
    )
    (templates / "auth" / "email" / "signin.html").write_text(
        "<p>OWN HTML {{ site_name }} <a href='{{ url }}'>{{ code_display }}</a></p>"
    )
    provider = Email(send=lambda message: None)
    app = _app(provider, AUTH_SITE_NAME="Acme")
    app.template_folder = str(templates)
    message = _message(app, provider)
    assert message.text == f"OWN TEXT Acme {URL} ABCD-2345 15 ada@example.com"
    assert message.html == (
        f"<p>OWN HTML Acme <a href='{URL.replace('&', '&amp;')}'>ABCD-2345</a></p>"
    )


def test_overriding_one_template_keeps_the_other(templates: Path) -> None:
    (templates / "auth" / "email" / "signin.txt").write_text("OWN TEXT {{ code_display }}")
    provider = Email(send=lambda message: None)
    app = _app(provider)
    app.template_folder = str(templates)
    message = _message(app, provider)
    assert message.text == "OWN TEXT ABCD-2345"
    assert "OWN" not in message.html
    assert "ABCD-2345" in message.html


# settings() and `flask auth providers` ------------------------------------------------------------


def test_settings_show_no_secret() -> None:
    provider = Email(sender=SENDER, max_age=timedelta(minutes=10))
    app = _app(
        provider,
        MAIL_SERVER="smtp.acme.example",
        MAIL_PORT=587,
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD=MAIL_PASSWORD,
    )
    with app.app_context():
        settings = provider.settings()
    assert settings == {
        "type": "email",
        "max_age": "600s",
        "sender": SENDER,
        "mail_server": "smtp.acme.example:587",
        "custom_send": False,
        "max_attempts": 5,
        "timeout": "10s",
        "rate_limits": (
            "per_address=3 per 10 minutes, per_address_total=10 per 10 minutes, "
            "per_network=20 per hour, send_budget=None, verify=30 per 10 minutes"
        ),
    }
    assert MAIL_PASSWORD not in repr(settings)


@pytest.mark.parametrize("custom_send", [False, True])
def test_flask_auth_providers_never_prints_the_mail_password(custom_send: bool) -> None:
    provider = Email(send=(lambda message: None) if custom_send else None, sender=SENDER)
    app = _app(
        provider,
        MAIL_SERVER="smtp.acme.example",
        MAIL_PORT=465,
        MAIL_USE_SSL=True,
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD=MAIL_PASSWORD,
    )
    result = app.test_cli_runner().invoke(args=["auth", "providers"])
    assert result.exit_code == 0, result.output
    assert MAIL_PASSWORD not in result.output
    assert "hunter2" not in result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"email\s+\(email\)\s+Email", lines[0])
    assert "    max_age: 900s" in lines
    assert f"    sender: {SENDER}" in lines
    assert "    mail_server: smtp.acme.example:465" in lines
    assert f"    custom_send: {custom_send}" in lines
    assert "    max_attempts: 5" in lines


def test_flask_auth_providers_shows_the_email_settings_in_effect() -> None:
    provider = Email(
        send=lambda message: None,
        max_attempts=3,
        timeout=2.5,
        rate_limits=EmailLimits(per_network="7 per hour"),
    )
    output = _app(provider).test_cli_runner().invoke(args=["auth", "providers"]).output
    lines = output.splitlines()
    assert "    max_attempts: 3" in lines
    assert "    timeout: 2.5s" in lines
    assert any(
        line.startswith("    rate_limits: ") and "per_network=7 per hour" in line for line in lines
    )
    unlimited = _app(Email(send=lambda message: None, rate_limits=None))
    assert (
        "    rate_limits: off"
        in unlimited.test_cli_runner().invoke(args=["auth", "providers"]).output.splitlines()
    )


# Flask-Mail's SMTP connection: refused, or silent -------------------------------------------------


@pytest.mark.parametrize("ssl", [False, True], ids=["smtp", "smtps"])
def test_a_mail_server_that_is_down_raises_from_send(ssl: bool) -> None:
    # The email flow turns this into the EmailSignin page and withdraws the link and code.
    provider = Email(sender=SENDER)
    app = _app(provider, MAIL_SUPPRESS_SEND=False, MAIL_USE_SSL=ssl)
    message = _message(app, provider)
    with app.app_context(), pytest.raises(ConnectionRefusedError):
        provider.send(message)


def test_a_silent_mail_server_is_given_up_after_the_timeout() -> None:
    # Flask-Mail itself opens SMTP without a timeout: a server that accepts the connection
    # and never greets would hold the request forever.
    import socket
    import time

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel accepts the connection; nobody ever speaks
        provider = Email(sender=SENDER, timeout=0.3)
        app = _app(
            provider,
            MAIL_SUPPRESS_SEND=False,
            MAIL_PORT=silent.getsockname()[1],
        )
        message = _message(app, provider)
        started = time.monotonic()
        # smtplib reports the timeout while reading the greeting as a disconnection.
        with (
            app.app_context(),
            pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected), match="timed out"),
        ):
            provider.send(message)
        assert 0.25 < time.monotonic() - started < 5
