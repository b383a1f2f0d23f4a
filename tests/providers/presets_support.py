"""Helpers of the preset tests: an app per preset, the authorization redirect, discovery
loaded as if fetched, ID tokens signed with a test key, and a local provider API."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from werkzeug.wrappers import Request, Response

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC
from flask_authadapter.providers.base import Provider
from tests.apps import csrf_from, make_app

APP_URL = "http://app.example"
NONCE = "nonce-0123456789"

# =========================================================================== #
# Helpers: an app per preset, the authorization redirect, discovery, ID tokens
# =========================================================================== #


def without(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def app_with(provider: Provider, **config: Any) -> Flask:
    """A real app with the extension and this one provider."""
    app, _ = make_app(MemoryAdapter(), providers=[provider], AUTH_URL=APP_URL, **config)
    return app


def authorize_redirect(app: Flask, provider_id: str) -> tuple[str, dict[str, str]]:
    """Start signing in as a browser does; the authorization URL (without query) and query."""
    client = app.test_client()
    response = client.post(f"/auth/signin/{provider_id}", data={"csrf_token": csrf_from(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    url = urlsplit(response.location)
    query = parse_qs(url.query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return f"{url.scheme}://{url.netloc}{url.path}", {k: v[0] for k, v in query.items()}


def assert_code_flow(query: Mapping[str, str], *, client_id: str, provider_id: str) -> None:
    """What every preset's authorization request carries: code flow, PKCE S256, state."""
    assert query["response_type"] == "code"
    assert query["client_id"] == client_id
    assert query["redirect_uri"] == f"{APP_URL}/auth/callback/{provider_id}"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(query["state"]) >= 20


# The test key that signs ID tokens, published as the provider's JWKS.
SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
JWKS = {"keys": [SIGNING_KEY.as_dict(private=False)]}


def load_discovery(app: Flask, provider: OIDC, document: Mapping[str, Any]) -> None:
    """Give the preset's Authlib client this discovery document as if it had fetched it."""
    with app.app_context():
        provider.client().server_metadata.update(
            {**document, "jwks": JWKS, "_loaded_at": time.time()}
        )


def id_token_claims(app: Flask, provider: OIDC, claims: Mapping[str, Any]) -> dict[str, Any]:
    """Sign ``claims`` as the provider would; Authlib validates them with the preset's
    options (signature, ``iss``, ``aud``, ``exp``, ``nonce``, and the preset's own rules).
    The samples' ``at_hash`` is of another access token: left out."""
    now = int(time.time())
    full = {"aud": provider.client_id, "iat": now, "exp": now + 600, "nonce": NONCE}
    full.update(without(claims, "at_hash"))
    id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, full, SIGNING_KEY)
    with app.app_context():
        parsed = provider.client().parse_id_token(
            {"id_token": id_token, "access_token": "at", "token_type": "Bearer"},
            nonce=NONCE,
            claims_options=provider.claims_options(),
        )
    return dict(parsed)


class FakeAPI:
    """A provider's HTTP API on 127.0.0.1: JSON answers by path; requests are recorded."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, Any]] = {}
        self.seen: list[tuple[str, str | None]] = []
        self.url = ""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append((request.path, request.headers.get("Authorization")))
        status, body = self.routes.get(request.path, (404, {"message": "Not Found"}))
        return Response(json.dumps(body), status=status, mimetype="application/json")(
            environ, start_response
        )


#: The Sign in with Apple key of the Apple preset tests (a P-256 key, as Apple issues).
APPLE_KEY = ECKey.generate_key("P-256")
APPLE_PEM = APPLE_KEY.as_pem(private=True).decode()
