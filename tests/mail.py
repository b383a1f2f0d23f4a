"""A real SMTP server for the tests (aiosmtpd), and helpers to read what it received.

:class:`MailServer` is what the ``smtp_server`` fixture of ``tests/conftest.py`` gives a
test: an aiosmtpd ``Controller`` on a free loopback port whose handler keeps every message
it accepts (:attr:`MailServer.messages`), and whose behaviour the test switches with
:attr:`MailServer.mode`:

- ``"accept"`` (the default): 250 to everything, the message is kept;
- ``"refuse-rcpt"``: ``550`` to every ``RCPT TO``; ``"refuse-data"``: ``550`` to ``DATA``;
- ``"hang"``: the server never answers ``DATA`` (until it is stopped), to test timeouts.

:func:`free_port` gives a port with nothing listening on it: a server that is "down".

The reading helpers take a :class:`Received` message: :func:`text_body`, :func:`html_body`,
:func:`sign_in_link` (from the text body, checked to be the HTML body's link too),
:func:`sign_in_code` (``ABCD-2345``, checked to be in both bodies) and :func:`link_query`.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import html
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

__all__ = [
    "MODES",
    "MailServer",
    "Received",
    "free_port",
    "html_body",
    "html_links",
    "link_query",
    "sign_in_code",
    "sign_in_link",
    "text_body",
]

#: What the server can be told to do.
MODES = ("accept", "refuse-rcpt", "refuse-data", "hang")

#: How long a hanging server keeps a client waiting at most (it is stopped sooner).
HANG_SECONDS = 60.0

HOST = "127.0.0.1"

# A code as the email shows it: two groups of four from the unambiguous alphabet.
_CODE = re.compile(r"\b([A-HJKMNP-Z2-9]{4})-([A-HJKMNP-Z2-9]{4})\b")
_URL = re.compile(r"https?://\S+")
_HREF = re.compile(r'href="([^"]+)"')


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on (bound, read, and closed again).

    aiosmtpd's ``Controller(port=0)`` cannot be used: it connects to its own port to
    check that it started, and port 0 is not where it listens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    def __getitem__(self, header: str) -> str | None:
        value = self.message[header]
        return None if value is None else str(value)


class _Handler:
    """The aiosmtpd handler: answers as :attr:`MailServer.mode` says, keeps what it accepts."""

    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.server.mode == "refuse-rcpt":
            return "550 5.1.1 Mailbox unavailable (refused by the test)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mode = self.server.mode
        if mode == "refuse-data":
            return "550 5.7.1 Message refused (refused by the test)"
        if mode == "hang":
            self.server.hung.set()
            await asyncio.sleep(HANG_SECONDS)  # cancelled when the controller stops
            return "451 4.3.0 Gave up (the test's server hung)"
        content = cast(bytes, envelope.content)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.server.lock:
            self.server.messages.append(
                Received(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=parsed,
                    raw=content,
                )
            )
        return "250 Message accepted for delivery"


class MailServer:
    """A real SMTP server on ``127.0.0.1``; :meth:`start` it, :meth:`stop` it at the end."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.hung = threading.Event()
        self._mode = "accept"
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    @property
    def mode(self) -> str:
        """``accept``, ``refuse-rcpt``, ``refuse-data`` or ``hang``."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown SMTP server mode {value!r}; one of {MODES}")
        self._mode = value

    def start(self) -> MailServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def config(self) -> dict[str, Any]:
        """The ``MAIL_*`` settings that send to this server."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port}

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def only(self) -> Received:
        """The one message received (fails when there are none or several)."""
        with self.lock:
            messages = list(self.messages)
        assert len(messages) == 1, f"expected exactly one message, got {len(messages)}"
        return messages[0]

    def last(self) -> Received:
        """The latest message received."""
        with self.lock:
            assert self.messages, "no message received"
            return self.messages[-1]


# Reading a message -------------------------------------------------------------------


def _part(received: Received, subtype: str) -> str:
    part = received.message.get_body(preferencelist=(subtype,))
    assert part is not None, f"the message has no text/{subtype} part"
    assert part.get_content_type() == f"text/{subtype}"
    return str(cast(EmailMessage, part).get_content())


def text_body(received: Received) -> str:
    """The ``text/plain`` body, decoded."""
    return _part(received, "plain")


def html_body(received: Received) -> str:
    """The ``text/html`` body, decoded."""
    return _part(received, "html")


def html_links(received: Received) -> list[str]:
    """Every ``href`` of the HTML body, HTML entities decoded (``&amp;`` -> ``&``)."""
    return [html.unescape(href) for href in _HREF.findall(html_body(received))]


def sign_in_link(received: Received) -> str:
    """The sign-in link: the one URL of the text body, also the HTML body's only link."""
    urls = _URL.findall(text_body(received))
    assert len(urls) == 1, f"expected one URL in the text body, got {urls}"
    assert html_links(received) == urls, "the HTML body does not link to the text body's URL"
    return str(urls[0])


def sign_in_code(received: Received) -> str:
    """The sign-in code as shown (``ABCD-2345``), the same in both bodies."""
    found = _CODE.findall(text_body(received))
    assert len(found) == 1, f"expected one code in the text body, got {found}"
    code = "-".join(found[0])
    assert code in html_body(received), "the HTML body does not show the text body's code"
    return code


def link_query(link: str) -> dict[str, str]:
    """The query parameters of a link, one value each."""
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}
