"""The demo's mail sink: an SMTP server (aiosmtpd) that keeps every message it receives.

``python -m example`` starts one on a free port and points the app's ``MAIL_*`` settings at
it; the app then shows the messages on ``/demo/mailbox``, so a person can click their
sign-in link without any mail account. Nothing leaves the machine.

:class:`Mailbox` is the aiosmtpd handler (it keeps the messages, thread-safely);
:func:`start_smtp` serves it. aiosmtpd is imported only when a server is started, so the
app itself does not need it.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, cast

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

__all__ = ["HOST", "Mailbox", "ReceivedMessage", "free_port", "render_text", "start_smtp"]

#: The sink listens on loopback only.
HOST = "127.0.0.1"

#: A link in a text body.
_URL = re.compile(r"https?://[^\s<>\"']+")
#: A sign-in code as the email shows it: two groups of four of the unambiguous alphabet.
_CODE = re.compile(r"\b[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}\b")


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the sink accepted: the parsed message, when, and the SMTP envelope."""

    message: EmailMessage
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]

    @property
    def to(self) -> str:
        """The ``To`` header (else the envelope's recipients)."""
        return str(self.message["To"] or ", ".join(self.rcpt_tos))

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "(no subject)")

    @property
    def text(self) -> str:
        """The ``text/plain`` body, decoded ("" when there is none)."""
        part = self.message.get_body(preferencelist=("plain",))
        if part is None:
            return ""
        return str(cast(EmailMessage, part).get_content())

    @property
    def links(self) -> list[str]:
        """Every http(s) URL of the text body, in order."""
        return _URL.findall(self.text)

    @property
    def codes(self) -> list[str]:
        """Every sign-in code (``ABCD-2345``) of the text body, outside its links."""
        return _CODE.findall(_URL.sub(" ", self.text))


class Mailbox:
    """An aiosmtpd handler that accepts every message and keeps it (thread-safe)."""

    def __init__(self) -> None:
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition()

    # aiosmtpd calls this, in its own thread, for every message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.add(
            ReceivedMessage(
                message=parsed,
                received_at=datetime.now(timezone.utc),
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(str(rcpt) for rcpt in envelope.rcpt_tos),
            )
        )
        return "250 Message accepted for delivery"

    def add(self, received: ReceivedMessage) -> None:
        with self._changed:
            self._messages.append(received)
            self._changed.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of the messages, oldest first."""
        with self._changed:
            return list(self._messages)

    def newest_first(self) -> list[ReceivedMessage]:
        return self.messages[::-1]

    def __len__(self) -> int:
        with self._changed:
            return len(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages are kept; the messages (TimeoutError if not)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"the mailbox has {len(self._messages)} message(s), not {count}"
                    )
                self._changed.wait(left)
            return list(self._messages)


def free_port(host: str = HOST) -> int:
    """A TCP port of ``host`` nothing listens on (a socket bound to port 0, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_smtp(mailbox: Mailbox, port: int = 0, host: str = HOST) -> Controller:
    """Serve ``mailbox`` over SMTP on ``host:port`` (a free port when ``port`` is 0).

    Returns the started aiosmtpd ``Controller`` (``.port`` is the port); ``.stop()`` it.
    aiosmtpd's ``Controller(port=0)`` cannot be used (it checks that it started by
    connecting to the port it was given), so port 0 becomes a free port here first.
    Raises OSError when the port is taken.
    """
    from aiosmtpd.controller import Controller

    attempts = 1 if port else 3  # a free port may be taken before aiosmtpd binds it
    for attempt in range(attempts):
        controller = Controller(
            mailbox, hostname=host, port=port or free_port(host), ready_timeout=5.0
        )
        try:
            controller.start()
        except OSError:
            if attempt == attempts - 1:
                raise
            continue
        return controller
    raise AssertionError("unreachable")


def render_text(text: str) -> Markup:
    """A text body as HTML: escaped, its links clickable, its sign-in code highlighted."""
    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        pieces.append(_with_codes(text[position : match.start()]))
        url = escape(match.group(0))
        pieces.append(f'<a href="{url}">{url}</a>')
        position = match.end()
    pieces.append(_with_codes(text[position:]))
    return Markup("".join(pieces))  # noqa: S704 - every piece is escaped above


def _with_codes(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for match in _CODE.finditer(text):
        pieces.append(str(escape(text[position : match.start()])))
        pieces.append(f'<strong class="code">{escape(match.group(0))}</strong>')
        position = match.end()
    pieces.append(str(escape(text[position:])))
    return "".join(pieces)
