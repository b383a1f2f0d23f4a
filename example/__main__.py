"""``python -m example`` (what ``make demo`` runs): the whole demo, in one process.

1. binds ``127.0.0.1:$PORT`` (default 5000; ``PORT=0`` picks a free one) first, so a port in
   use is reported before anything else starts;
2. starts a mail sink (an SMTP server keeping every message, on a free port) and a local
   OpenID provider (``oidc-provider-mock``, on a free port, reached as ``localhost``);
3. creates the example app with ``AUTH_URL=http://127.0.0.1:$PORT``, its mail going to the
   sink, the demo provider, and the ``/demo/mailbox`` page; its database (``DATABASE_URL``,
   default a SQLite file in the instance folder) is upgraded with the shipped migrations;
4. serves it (threaded) until Ctrl-C or SIGTERM, then stops everything it started and
   exits with status 0. Anything that cannot start: a message and status 1.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from werkzeug.serving import LISTEN_QUEUE, BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"
DEFAULT_PORT = 5000

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


#: Ports browsers refuse to connect to (the Fetch standard's "bad ports"; Chromium says
#: ERR_UNSAFE_PORT).
BAD_PORTS = frozenset(
    {1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95}
    | {101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161}
    | {179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563}
    | {587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060}
    | {5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080}
)


class DemoError(Exception):
    """Something the demo needs could not start; the message says what to do."""


def say(message: str = "") -> None:
    print(message, flush=True)


def _port_from_environment() -> int:
    text = os.environ.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not text.isdigit() or int(text) > 65535:
        raise DemoError(f"PORT must be a port number (0 to 65535), not {text!r}")
    port = int(text)
    if port in BAD_PORTS:
        raise DemoError(
            f"browsers refuse to open pages on port {port} (ERR_UNSAFE_PORT): choose another, "
            f"e.g. PORT={DEFAULT_PORT} make demo"
        )
    return port


def _listen(port: int) -> socket.socket:
    """A socket listening on ``HOST:port``; DemoError, saying what to do, when taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(LISTEN_QUEUE)
    except OSError as exc:
        sock.close()
        raise DemoError(
            f"cannot listen on {HOST}:{port}: {exc.strerror or exc}. Is the demo (or another "
            f"server) already running there? Stop it, or choose another port: "
            f"PORT={port + 1 if port else 5001} make demo"
        ) from None
    return sock


class CanonicalHost:
    """WSGI middleware: a page asked for under another host name (``localhost:5000``) is
    redirected to ``AUTH_URL``'s, where the cookies and the emailed links live."""

    def __init__(self, app: WSGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.netloc = urlsplit(base_url).netloc.lower()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        host = str(environ.get("HTTP_HOST", "")).lower()
        if host and host != self.netloc and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            path = environ.get("PATH_INFO", "/")
            query = environ.get("QUERY_STRING")
            target = f"{self.base_url}{path}{'?' + query if query else ''}"
            start_response("302 Found", [("Location", target), ("Content-Length", "0")])
            return [b""]
        return self.app(environ, start_response)


class AppRequestLog(WSGIRequestHandler):
    """One short line per request, without the query string: sign-in links and OAuth
    callbacks carry tokens and codes there, which have no place in a log."""

    label = "app"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path, _, query = self.path.partition("?")
        status = getattr(code, "value", code)
        self.log(
            "info", "%-8s %s %s%s %s", self.label, self.command, path, "?…" if query else "", status
        )

    def log(self, type: str, message: str, *args: Any) -> None:
        logging.getLogger("werkzeug").log(logging.getLevelName(type.upper()), message, *args)


class ProviderRequestLog(AppRequestLog):
    label = "provider"


def _placeholder(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"The demo is starting.\n"]


def _configure_logging() -> None:
    # oidc-provider-mock imports parts of Authlib that Authlib has deprecated: not ours to
    # fix. (Authlib turns its warnings on when imported, so it is imported first.)
    import authlib.deprecate  # noqa: F401

    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"authlib\.")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"oidc_provider_mock")
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    for name in ("werkzeug", "flask_authadapter", "example"):
        logging.getLogger(name).setLevel(logging.INFO)


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the demo. SIGINT is set explicitly: a shell starts
    a background job with it ignored, and Python then leaves it so."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _ignore_signals() -> None:
    # Once stopping, a second Ctrl-C must not interrupt the clean-up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run(stack: ExitStack) -> BaseWSGIServer:
    """Start everything (registered on ``stack`` to be stopped); the web server, not yet
    serving."""
    port = _port_from_environment()
    listening = _listen(port)
    stack.callback(listening.close)
    server = make_server(
        HOST,
        port,
        _placeholder,
        threaded=True,
        request_handler=AppRequestLog,
        fd=listening.fileno(),
    )
    listening.close()  # the server holds its own copy of the socket
    stack.callback(server.server_close)
    port = server.port
    base_url = f"http://{HOST}:{port}"

    try:
        import oidc_provider_mock  # type: ignore[import-untyped]

        from .mailbox import Mailbox, start_smtp
    except ImportError as exc:
        raise DemoError(
            f"the demo needs aiosmtpd and oidc-provider-mock ({exc.name} is missing): "
            "pip install -e '.[demo,migrations]' (make demo does it)"
        ) from None

    mailbox = Mailbox()
    try:
        smtp = start_smtp(mailbox, 0)
    except Exception as exc:
        raise DemoError(f"the mail sink (SMTP) could not start: {exc}") from None
    stack.callback(smtp.stop)

    try:
        oidc = stack.enter_context(oidc_provider_mock.run_server_in_thread(port=0))
    except OSError as exc:
        raise DemoError(f"the demo OpenID provider could not start: {exc}") from None
    oidc.RequestHandlerClass = ProviderRequestLog
    issuer = f"http://localhost:{oidc.server_port}"

    from .app import create_app

    app = create_app(
        {
            "AUTH_URL": base_url,
            "MAIL_SERVER": HOST,
            "MAIL_PORT": smtp.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_USERNAME": None,
            "MAIL_PASSWORD": None,
            "DEMO_OIDC_ISSUER": issuer,
            "DEMO_MAILBOX": mailbox,
        }
    )
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    server.app = CanonicalHost(app, base_url)

    say("flask-authadapter example: the demo")
    say(f"  database:      {database} (upgraded with the shipped migrations)")
    say(f"  mail sink:     SMTP on {HOST}:{smtp.port}, shown at {base_url}/demo/mailbox")
    say(f"  OpenID provider (oidc-provider-mock): {issuer}")
    say()
    say("  Sign in by email: enter any address, then open the demo mailbox and click the link.")
    say('  Or press "Sign in with Demo OpenID provider" and type any name.')
    say()
    say(f" * Running on {base_url}/ (press Ctrl-C to stop)")
    return server


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo until Ctrl-C or SIGTERM; the exit status."""
    _configure_logging()
    _stop_on_signals()
    status = 0
    try:
        with ExitStack() as stack:
            try:
                server = run(stack)
                server.serve_forever()  # returns on Ctrl-C: werkzeug catches KeyboardInterrupt
            except KeyboardInterrupt:
                pass
            except DemoError as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                status = 1
            except Exception:
                logging.getLogger("example").exception("error: the demo failed")
                status = 1
            # Whatever happened, stop what was started, without being interrupted.
            _ignore_signals()
            if status == 0:
                say("\nStopping the demo...")
    except Exception:
        logging.getLogger("example").exception("error: stopping the demo failed")
        return 1
    if status == 0:
        say("Stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
