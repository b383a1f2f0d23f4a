"""A real OpenID provider for the tests: ``oidc-provider-mock`` (Flask + Authlib).

:class:`MockProvider` wraps one running mock server: its ``issuer``, setting a user's
claims, approving or denying at its authorization page as a person would (real HTTP), and
the token requests it received (a small WSGI recorder sits in front of the mock, which does
not enforce PKCE: the tests check the ``code_verifier`` against the ``code_challenge``).

The mock derives its issuer from the Host it is called with: always reach it as
``localhost``, never 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import oidc_provider_mock  # type: ignore[import-untyped]
import requests

__all__ = [
    "MockProvider",
    "TokenExchange",
    "TokenRecorder",
    "callback_target",
    "decode_jwt_claims",
    "pkce_challenge",
    "run_mock_provider",
]

#: What a request to the provider may take before the test fails (it runs on this machine).
TIMEOUT = 10


@dataclass
class TokenExchange:
    """One request to the token endpoint as the provider received it, and its answer."""

    form: dict[str, str]
    authorization: str | None
    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TokenRecorder:
    """WSGI middleware: records every POST to ``/oauth2/token`` (form, Authorization, answer)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.exchanges: list[TokenExchange] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != "/oauth2/token" or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        exchange = TokenExchange(
            form=dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)),
            authorization=environ.get("HTTP_AUTHORIZATION"),
        )
        status: list[str] = []

        def recording_start_response(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        body = b"".join(self.app(environ, recording_start_response))
        exchange.status = int(status[0].split()[0]) if status else 0
        try:
            exchange.body = json.loads(body)
        except ValueError:
            exchange.body = {}
        with self._lock:
            self.exchanges.append(exchange)
        return [body]

    def for_code(self, code: str) -> list[TokenExchange]:
        """The token requests that presented authorization code ``code``."""
        with self._lock:
            return [e for e in self.exchanges if e.form.get("code") == code]


class MockProvider:
    """A running ``oidc-provider-mock`` server, seen from the tests."""

    def __init__(self, port: int, recorder: TokenRecorder) -> None:
        self.port = port
        self.issuer = f"http://localhost:{port}"
        self.recorder = recorder

    def set_user(self, sub: str, **claims: Any) -> None:
        """Give user ``sub`` these claims (``email``, ``email_verified``, ``name``, ...)."""
        answer = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=TIMEOUT)
        assert answer.status_code == 204, answer.text

    def approve(self, authorize_url: str, sub: str) -> str:
        """Sign in as ``sub`` at the authorization page; the provider's redirect (Location)."""
        return self._answer(authorize_url, {"sub": sub})

    def deny(self, authorize_url: str) -> str:
        """Decline at the authorization page; the provider's redirect (Location)."""
        return self._answer(authorize_url, {"action": "deny"})

    def _answer(self, authorize_url: str, form: dict[str, str]) -> str:
        assert authorize_url.startswith(f"{self.issuer}/"), authorize_url
        answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=TIMEOUT)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])

    def token_requests(self, code: str) -> list[TokenExchange]:
        """The token requests this provider received with authorization code ``code``."""
        return self.recorder.for_code(code)


@contextmanager
def run_mock_provider(**options: Any) -> Iterator[MockProvider]:
    """A mock provider on a free port of ``localhost`` for the ``with`` block.

    ``options`` go to ``oidc_provider_mock.run_server_in_thread``. The server is stopped
    (its port closed) when the block ends.
    """
    with oidc_provider_mock.run_server_in_thread(port=0, **options) as server:
        # The request handler calls ``server.app`` for every request: wrap it before the
        # first one.
        recorder = TokenRecorder(server.app)
        server.app = recorder
        yield MockProvider(server.server_port, recorder)


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of ``verifier`` (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def decode_jwt_claims(jwt: str) -> dict[str, Any]:
    """The claims of a JWT, not verified (to read what the provider put in an ID token)."""
    payload = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def callback_target(location: str, base_url: str = "http://app.example") -> str:
    """The path and query of the provider's redirect back to the app (checked to be the app)."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == base_url, location
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
