"""The Email provider: a sign-in link and a code, sent with Flask-Mail.

The provider only builds and sends the message; issuing, storing and redeeming the link and
the code is the email flow's (``flask_authadapter.flows.email``), which knows the storage.
"""

from __future__ import annotations

import email.charset
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, render_template

from ..config import in_the_environment
from ..core.emails import normalize_email
from ..core.errors import ConfigurationError
from ..ratelimit import EmailLimits
from .base import Provider

if TYPE_CHECKING:
    from flask import Flask


_QUOTED_PRINTABLE_UTF8 = email.charset.Charset("utf-8")
_QUOTED_PRINTABLE_UTF8.body_encoding = email.charset.QP

#: The limits of an Email provider not given others (EmailLimits holds their values).
_DEFAULT_LIMITS = EmailLimits()


@dataclass(frozen=True)
class SignInEmail:
    """One sign-in email, ready to send: the address, the subject, both bodies, and what went
    into them (the link, the code, when they expire) for a ``send`` of the app's own."""

    to: str
    sender: str | None
    subject: str
    text: str
    html: str
    url: str
    code: str
    expires: datetime
    site_name: str


class Email(Provider):
    """Sign in with a link (and a code) sent by email.

    ``max_age``: how long the link and code work (default 15 minutes). ``send``: a callable
    taking a :class:`SignInEmail`, to send it another way than Flask-Mail. ``normalize``:
    turns the typed address into the stored one, raising
    :class:`~flask_authadapter.core.errors.EmailSignin` for anything that is not one address
    (default: NFKC, trimmed, lower case). ``subject`` (``{site}`` is replaced) and
    ``sender`` override the defaults (``MAIL_DEFAULT_SENDER``).

    ``max_attempts``: codes that may be tried per sign-in request before that code is void
    (its link is not). ``timeout``: seconds before a silent SMTP server is given up on.
    ``rate_limits``: how often emails may be asked for and links and codes redeemed
    (:class:`~flask_authadapter.ratelimit.EmailLimits`; None: no limits, e.g. in tests).
    Every argument is checked here: a bad one is a :class:`ValueError` saying what to pass.
    """

    type = "email"

    def __init__(
        self,
        id: str = "email",
        *,
        name: str = "Email",
        max_age: timedelta | float = timedelta(minutes=15),
        send: Callable[[SignInEmail], None] | None = None,
        normalize: Callable[[object], str] = normalize_email,
        subject: str = "Sign in to {site}",
        sender: str | None = None,
        max_attempts: int = 5,
        timeout: timedelta | float = 10,
        rate_limits: EmailLimits | None = _DEFAULT_LIMITS,
    ) -> None:
        super().__init__(id, name=name)
        max_age = _positive_duration("max_age", max_age)
        try:
            subject.format(site="site")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"the Email provider's subject may use only {{site}}: {subject!r} ({exc!r})"
            ) from None
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(
                "Email(max_attempts=...) must be a whole number of at least 1, "
                f"not {max_attempts!r}"
            )
        if rate_limits is not None and not isinstance(rate_limits, EmailLimits):
            raise ValueError(
                "Email(rate_limits=...) must be EmailLimits(...) (from flask_authadapter.ratelimit)"
                f" or None for no limits, not {rate_limits!r}"
            )
        self.max_age = max_age
        self.max_attempts = max_attempts
        self.timeout = _positive_duration("timeout", timeout).total_seconds()
        self.rate_limits = rate_limits
        self.custom_send = send
        self.normalize = normalize
        self.subject = subject
        self.sender = sender

    def init_app(self, app: Flask) -> None:
        """Check that links can be built safely and mail can be sent."""
        if not app.config.get("AUTH_URL"):
            raise ConfigurationError(
                "the Email provider needs AUTH_URL (the site's public URL, e.g. "
                "https://app.example): sign-in links are built from it, never from the "
                f"request's Host header ({in_the_environment('AUTH_URL')})"
            )
        if self.custom_send is None:
            state = _mail_state(app)
            if not (self.sender or state.default_sender):
                raise ConfigurationError(
                    "the Email provider needs a sender: set MAIL_DEFAULT_SENDER or "
                    f"Email(sender=...) ({in_the_environment('MAIL_DEFAULT_SENDER')})"
                )

    def message(
        self, *, to: str, url: str, code: str, expires: datetime, site_name: str
    ) -> SignInEmail:
        """Render the sign-in email from ``templates/auth/email/signin.{txt,html}``;
        ``site_name`` goes into its subject and bodies."""
        context: dict[str, Any] = {
            "email": to,
            "url": url,
            "code": code,
            "code_display": f"{code[:4]}-{code[4:]}",
            "expires": expires,
            "lifetime": describe_lifetime(self.max_age),
            "minutes": int(self.max_age.total_seconds()) // 60,
            "site_name": site_name,
        }
        return SignInEmail(
            to=to,
            sender=self.sender or current_app.config.get("MAIL_DEFAULT_SENDER"),
            subject=self.subject.format(site=site_name),
            text=render_template("auth/email/signin.txt", **context),
            html=render_template("auth/email/signin.html", **context),
            url=url,
            code=code,
            expires=expires,
            site_name=site_name,
        )

    def send(self, message: SignInEmail) -> None:
        """Send ``message``: with the app's ``send`` if given, else through Flask-Mail."""
        if self.custom_send is not None:
            self.custom_send(message)
            return
        send_with_flask_mail(message, timeout=self.timeout)

    def settings(self) -> dict[str, Any]:
        """The provider's settings for ``flask auth providers``."""
        mail = current_app.config
        return {
            "type": self.type,
            "max_age": f"{int(self.max_age.total_seconds())}s",
            "sender": self.sender or mail.get("MAIL_DEFAULT_SENDER"),
            "mail_server": f"{mail.get('MAIL_SERVER', '127.0.0.1')}:{mail.get('MAIL_PORT', 25)}",
            "custom_send": self.custom_send is not None,
            "max_attempts": self.max_attempts,
            "timeout": f"{self.timeout:g}s",
            "rate_limits": _describe(self.rate_limits),
        }


def _describe(limits: EmailLimits | None) -> str:
    """``limits`` on one line for ``flask auth providers``."""
    if limits is None:
        return "off"
    return ", ".join(f"{field.name}={getattr(limits, field.name)}" for field in fields(limits))


def _positive_duration(argument: str, value: object) -> timedelta:
    """``value`` (a timedelta or a number of seconds) if positive and finite."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 < seconds < float("inf")
    ):
        raise ValueError(
            f"Email({argument}=...) must be a positive number of seconds or a timedelta, "
            f"not {value!r}"
        )
    return value if isinstance(value, timedelta) else timedelta(seconds=seconds)


def describe_lifetime(max_age: timedelta) -> str:
    """``max_age`` in words, never promising more than it is: "15 minutes", "1 minute",
    "45 seconds"."""
    seconds = int(max_age.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 7200:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = seconds // 3600
    return f"{hours} hours"


def _mail_state(app: Flask) -> Any:
    """The app's Flask-Mail state, set up from ``MAIL_*`` if the app has no ``Mail``."""
    from flask_mail import Mail

    state = app.extensions.get("mail")
    if state is None:
        state = Mail().init_app(app)
    return state


class _TimedConnection:
    """A Flask-Mail connection whose SMTP calls give up after ``timeout`` seconds (Flask-Mail
    opens SMTP without a timeout, so a silent server would hold a request forever)."""

    def __init__(self, mail: Any, timeout: float) -> None:
        from flask_mail import Connection

        self.connection = Connection(mail)
        self.connection.configure_host = self._configure_host  # type: ignore[method-assign]
        self.mail = mail
        self.timeout = timeout

    def _configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        host: smtplib.SMTP
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def send_with_flask_mail(message: SignInEmail, *, timeout: float) -> None:
    """Send through the app's Flask-Mail settings, giving SMTP ``timeout`` seconds."""
    from flask_mail import Message

    mail = _mail_state(current_app._get_current_object())  # type: ignore[attr-defined]
    mail_message = Message(
        subject=message.subject,
        recipients=[message.to],
        body=message.text,
        html=message.html,
        sender=message.sender or mail.default_sender,
    )
    # Quoted-printable bodies: Flask-Mail sends UTF-8 unwrapped, and a long link would
    # break SMTP's 998-octet line limit ("500 Line too long").
    mail_message.charset = _QUOTED_PRINTABLE_UTF8  # type: ignore[assignment]  # MIMEText takes it
    with _TimedConnection(mail, timeout).connection as connection:
        connection.send(mail_message)
