"""A small OpenID provider that misbehaves on purpose, for the relying-party conformance tests.

In the spirit of the OpenID Foundation's RP tests (``rp-id_token-aud``,
``rp-id_token-bad-sig-rs256``, ``rp-nonce-invalid``, ``rp-userinfo-bad-sub-claim``, ...):
by default it is a correct OpenID provider for the authorization code flow (discovery, a
JWKS, PKCE S256, ``nonce``, RFC 9207 ``iss``, client_secret_basic, userinfo), and each test
changes ONE thing, so that a refusal shows the relying party checks exactly that thing.

Tokens are made with joserfc, the JOSE library Authlib itself uses. It is plain WSGI on
werkzeug: :meth:`MisbehavingProvider.serve` serves it on ``127.0.0.1`` (port 0) in a
thread for the relying party's back-channel requests (discovery, JWKS, token, userinfo);
the browser's visit to the authorization endpoint goes through :meth:`authorize`, which
calls the same WSGI app in-process and returns where the provider sends the browser.

The knobs (all reset by :meth:`MisbehavingProvider.reset`):

- ``discovery_changes``: keys of the discovery document replaced (``DROP`` removes one);
- ``published_keys``: the keys of the JWKS (``jwks_changes`` can replace the document);
- ``callback_changes``: the authorization response's parameters (``code``, ``state``,
  ``iss``) replaced or dropped;
- ``claims_changes`` / ``time_offsets`` / ``header_changes``: the ID token's claims (time
  claims as seconds from the moment it is issued) and JOSE header;
- ``id_token_signer``: how the ID token is made from (header, claims); see the forgers
  :func:`signed_with`, :func:`unsigned` and :func:`hmac_with`;
- ``include_id_token``, ``token_response`` (a function of the correct body to a response):
  the token endpoint's answer;
- ``userinfo_changes``: the userinfo document.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import Key, RSAKey
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DROP",
    "EMAIL",
    "KID",
    "SUBJECT",
    "MisbehavingProvider",
    "hmac_with",
    "new_rsa_key",
    "signed_with",
    "unsigned",
]

CLIENT_ID = "rp-client"
CLIENT_SECRET = "rp-client-secret-" + "s" * 32  # long enough to be an HS256 key
KID = "op-key-1"
SUBJECT = "op-user-1"
EMAIL = "ada@example.com"


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


#: A value in a ``*_changes`` dict that removes the key instead of replacing it.
DROP: Any = _Drop()

IdTokenSigner = Callable[[dict[str, Any], dict[str, Any]], str]


def _changed(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is DROP:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_b64(data: Mapping[str, Any]) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())


def new_rsa_key(kid: str = KID) -> RSAKey:
    """A fresh 2048-bit RSA signing key with ``kid``."""
    key: RSAKey = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return key


def signed_with(key: Key) -> IdTokenSigner:
    """Sign with ``key`` whatever the header says (e.g. another key under the same kid)."""

    def sign(header: dict[str, Any], claims: dict[str, Any]) -> str:
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    return sign


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An unsecured JWT (RFC 7519 section 6): header ``{"alg": "none"}``, empty signature."""
    return f"{_json_b64(_changed(header, {'alg': 'none', 'kid': DROP}))}.{_json_b64(claims)}."


def hmac_with(secret: bytes | str, alg: str = "HS256") -> IdTokenSigner:
    """MAC the token with ``secret`` (the client secret, or an RSA public key's PEM: the
    classic algorithm confusion), header ``alg`` HS256 and no kid."""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret

    def sign(header: dict[str, Any], claims: dict[str, Any]) -> str:
        header = _changed(header, {"alg": alg, "kid": DROP})
        signing_input = f"{_json_b64(header)}.{_json_b64(claims)}"
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
        mac = hmac.new(secret_bytes, signing_input.encode("ascii"), digest[alg]).digest()
        return f"{signing_input}.{_b64(mac)}"

    return sign


class _Quiet(WSGIRequestHandler):
    """No access log: the provider's request lines are not the relying party's logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class MisbehavingProvider:
    """An OpenID provider whose every answer a test can bend. See the module docstring."""

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def __init__(self, key: RSAKey | None = None) -> None:
        self.key = key or new_rsa_key()
        self.url = ""  # set by serve()
        self._lock = threading.Lock()
        self.reset()

    # Configuration --------------------------------------------------------------------
    def reset(self) -> None:
        """Back to a well-behaved provider, with nothing recorded."""
        with self._lock:
            self.issuer_path = ""
            self.discovery_changes: dict[str, Any] = {}
            self.published_keys: list[Key] = [self.key]
            self.jwks_changes: dict[str, Any] = {}
            self.callback_changes: dict[str, Any] = {}
            self.claims_changes: dict[str, Any] = {}
            self.time_offsets: dict[str, int] = {}
            self.header_changes: dict[str, Any] = {}
            self.id_token_signer: IdTokenSigner = signed_with(self.key)
            self.include_id_token = True
            self.token_response: Callable[[dict[str, Any]], Response] | None = None
            self.userinfo_changes: dict[str, Any] = {}
            # What the relying party sent, for the tests to assert on.
            self.authorizations: list[dict[str, str]] = []
            self.token_requests: list[dict[str, str]] = []
            self.issued: list[dict[str, Any]] = []  # the token responses, with the id_token
            self.userinfo_requests = 0
            self.jwks_requests = 0
            self.discovery_requests = 0
            self._codes: dict[str, dict[str, str]] = {}

    @property
    def issuer(self) -> str:
        """The issuer identifier (its own URL, plus ``issuer_path``)."""
        return f"{self.url}{self.issuer_path}"

    def discovery(self) -> dict[str, Any]:
        """The discovery document, with ``discovery_changes`` applied."""
        correct = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
        return _changed(correct, self.discovery_changes)

    def claims(self, nonce: str | None) -> dict[str, Any]:
        """The ID token's claims: ``time_offsets`` (seconds from now, e.g. ``{"exp": -600}``)
        and ``claims_changes`` applied."""
        now = int(time.time())
        correct: dict[str, Any] = {
            "iss": self.issuer,
            "sub": SUBJECT,
            "aud": self.client_id,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
        }
        if nonce is not None:
            correct["nonce"] = nonce
        correct.update({name: now + offset for name, offset in self.time_offsets.items()})
        return _changed(correct, self.claims_changes)

    def header(self) -> dict[str, Any]:
        """The ID token's JOSE header, with ``header_changes`` applied."""
        return _changed({"alg": "RS256", "typ": "JWT", "kid": KID}, self.header_changes)

    # Serving ----------------------------------------------------------------------------
    @contextmanager
    def serve(self) -> Iterator[MisbehavingProvider]:
        """Serve on 127.0.0.1 on a free port, in a thread, until the block ends."""
        server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(5)
            server.server_close()

    def authorize(self, location: str) -> str:
        """The browser's visit to the authorization endpoint (in-process): the URL the
        provider sends the browser back to."""
        url = urlsplit(location)
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{self.url}/authorize", location
        response = Client(self).get(f"{url.path}?{url.query}")
        assert response.status_code == 302, response.get_data(as_text=True)
        return str(response.headers["Location"])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path
        if path == f"{urlsplit(self.issuer).path.rstrip('/')}/.well-known/openid-configuration":
            response = self._discovery()
        else:
            handler = {
                "/authorize": self._authorize,
                "/token": self._token,
                "/jwks": self._jwks,
                "/userinfo": self._userinfo,
            }.get(path)
            response = handler(request) if handler else _json({"error": "not_found"}, 404)
        return response(environ, start_response)

    # Endpoints ----------------------------------------------------------------------------
    def _discovery(self) -> Response:
        with self._lock:
            self.discovery_requests += 1
        return _json(self.discovery())

    def _jwks(self, request: Request) -> Response:
        with self._lock:
            self.jwks_requests += 1
        keys = {"keys": [k.as_dict(private=False) for k in self.published_keys]}
        return _json(_changed(keys, self.jwks_changes))

    def _authorize(self, request: Request) -> Response:
        params = request.args.to_dict()
        with self._lock:
            self.authorizations.append(params)
        required = ("response_type", "client_id", "redirect_uri", "state", "code_challenge")
        missing = [name for name in required if not params.get(name)]
        if missing or params["client_id"] != self.client_id:
            return _json({"error": "invalid_request", "missing": missing}, 400)
        if params["response_type"] != "code" or params.get("code_challenge_method") != "S256":
            return _json({"error": "invalid_request"}, 400)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": params["redirect_uri"],
                "code_challenge": params["code_challenge"],
                "nonce": params.get("nonce", ""),
            }
        answer = {"code": code, "state": params["state"], "iss": self.issuer}
        answer = _changed(answer, self.callback_changes)
        response = Response(status=302)
        response.headers["Location"] = f"{params['redirect_uri']}?{urlencode(answer)}"
        return response

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        auth = request.authorization
        with self._lock:
            self.token_requests.append(form)
            grant = self._codes.pop(form.get("code", ""), None)
        if auth is None or (auth.username, auth.password) != (self.client_id, self.client_secret):
            response = _json({"error": "invalid_client"}, 401)
            response.www_authenticate = WWWAuthenticate("basic")
            return response
        if form.get("grant_type") != "authorization_code" or grant is None:
            return _json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
            return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        body: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "openid email profile",
        }
        if self.include_id_token:
            claims = self.claims(grant["nonce"] or None)
            body["id_token"] = self.id_token_signer(self.header(), claims)
        with self._lock:
            self.issued.append(dict(body))
        if self.token_response is not None:
            return self.token_response(body)
        return _json(body)

    def _userinfo(self, request: Request) -> Response:
        with self._lock:
            self.userinfo_requests += 1
            issued = {t["access_token"] for t in self.issued}
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in issued:
            return _json({"error": "invalid_token"}, 401)
        correct = {"sub": SUBJECT, "email": EMAIL, "email_verified": True, "name": "Ada"}
        return _json(_changed(correct, self.userinfo_changes))

    # For the tests --------------------------------------------------------------------------
    def secrets_seen(self) -> list[str]:
        """Every secret of the flows so far (codes, verifiers, tokens, nonces, states, the
        client secret): none may appear in the relying party's logs or pages."""
        found = [self.client_secret]
        for params in self.authorizations:
            found += [params.get("state", ""), params.get("nonce", "")]
        for form in self.token_requests:
            found += [form.get("code", ""), form.get("code_verifier", "")]
        for body in self.issued:
            found += [body.get("access_token", ""), body.get("id_token", "")]
        return [s for s in found if len(s) >= 8]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")
