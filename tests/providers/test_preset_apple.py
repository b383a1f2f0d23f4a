"""The Apple preset: form_post, the client-secret JWT made from the key and renewed, the name
posted on a first sign-in."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import ConfigurationError, OAuthCallbackError
from flask_authadapter.providers.presets import (
    Apple,
)
from flask_authadapter.providers.presets.apple import apple_user_name
from tests.providers.presets_support import (
    APPLE_KEY,
    APPLE_PEM,
    app_with,
    assert_code_flow,
    authorize_redirect,
    load_discovery,
)

# =========================================================================== #
# Apple (OpenID Connect, form_post, client-secret JWT)
# =========================================================================== #

# Follows https://appleid.apple.com/.well-known/openid-configuration
APPLE_DISCOVERY = {
    "issuer": "https://appleid.apple.com",
    "authorization_endpoint": "https://appleid.apple.com/auth/authorize",
    "token_endpoint": "https://appleid.apple.com/auth/token",
    "revocation_endpoint": "https://appleid.apple.com/auth/revoke",
    "jwks_uri": "https://appleid.apple.com/auth/keys",
    "response_types_supported": ["code"],
    "response_modes_supported": ["query", "fragment", "form_post"],
    "subject_types_supported": ["pairwise"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "scopes_supported": ["openid", "email", "name"],
    "token_endpoint_auth_methods_supported": ["client_secret_post"],
}
# Follows "Retrieve the user's information from Apple ID servers":
# https://developer.apple.com/documentation/signinwithapple/authenticating-users-with-sign-in-with-apple
APPLE_CLAIMS = {
    "iss": "https://appleid.apple.com",
    "aud": "com.example.web",
    "sub": "001234.5f1ad2c9b5e84e0b9a0b63b1c4e1d5a8.1234",
    "c_hash": "uWo6Yv1VJL4iD3PKXIO-Iw",
    "email": "q8s7d6f5g4@privaterelay.appleid.com",
    "email_verified": "true",
    "is_private_email": "true",
    "auth_time": 1700000000,
    "nonce_supported": True,
    "real_user_status": 2,
}
# The "user" form field of a first sign-in.
APPLE_USER_FIELD = json.dumps(
    {"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "attacker@example.com"}
)


def apple_app(clock: FrozenClock | None = None, **config: Any) -> tuple[Flask, Apple]:
    kwargs: dict[str, Any] = {"clock": clock} if clock else {}
    preset = Apple(**kwargs)
    settings = {
        "AUTH_APPLE_CLIENT_ID": "com.example.web",
        "AUTH_APPLE_TEAM_ID": "TEAM123456",
        "AUTH_APPLE_KEY_ID": "KEY7654321",
        "AUTH_APPLE_PRIVATE_KEY": APPLE_PEM,
        **config,
    }
    app = app_with(preset, **settings)
    load_discovery(app, preset, APPLE_DISCOVERY)
    return app, preset


def test_apple_profile_mapping_with_the_first_sign_in_name() -> None:
    app, preset = apple_app()
    token = {"access_token": "a0b1", "token_type": "Bearer", "userinfo": APPLE_CLAIMS}
    answer = {"code": "c0de", "state": "st", "user": APPLE_USER_FIELD}  # Apple's form_post
    with app.app_context():
        claims = preset.user_document(token, answer)
    profile = preset.profile(claims, token)
    assert profile.id == APPLE_CLAIMS["sub"]
    assert profile.name == "Jane Appleseed"
    # The ID token's address, verified by Apple's text "true"; never the posted field's.
    assert (profile.email, profile.email_verified) == (APPLE_CLAIMS["email"], True)
    assert profile.image is None


def test_apple_later_sign_ins_have_no_name_and_text_booleans() -> None:
    app, preset = apple_app()
    unverified = {**APPLE_CLAIMS, "email_verified": "false", "is_private_email": False}
    token = {"access_token": "a0b1", "userinfo": unverified}
    with app.app_context():
        profile = preset.profile(preset.user_document(token, {"code": "c"}), token)
    assert profile.name is None
    assert profile.email_verified is False
    boolean = preset.profile({**APPLE_CLAIMS, "email_verified": True}, {})
    assert boolean.email_verified is True


@pytest.mark.parametrize(
    ("posted", "name"),
    [
        (APPLE_USER_FIELD, "Jane Appleseed"),
        (json.dumps({"name": {"firstName": "Jane"}}), "Jane"),
        (json.dumps({"name": {"firstName": " ", "lastName": ""}}), None),
        (json.dumps({"email": "x@example.com"}), None),
        ("not json", None),
        (json.dumps(["a list"]), None),
        (None, None),
    ],
)
def test_apple_user_field(posted: str | None, name: str | None) -> None:
    assert apple_user_name(posted) == name


def test_apple_without_an_id_token_is_a_callback_error() -> None:
    app, preset = apple_app()
    with (
        app.test_request_context("/auth/callback/apple", method="POST"),
        pytest.raises(OAuthCallbackError),
    ):
        preset.fetch_userinfo({"access_token": "a0b1"})


def test_apple_authorization_request_uses_form_post() -> None:
    app, _ = apple_app()
    url, query = authorize_redirect(app, "apple")
    assert url == "https://appleid.apple.com/auth/authorize"
    assert_code_flow(query, client_id="com.example.web", provider_id="apple")
    assert query["response_mode"] == "form_post"
    assert query["scope"] == "openid name email"
    assert query["nonce"]


def test_apple_client_secret_is_an_es256_jwt_of_the_key() -> None:
    clock = FrozenClock()
    app, preset = apple_app(clock, AUTH_APPLE_PRIVATE_KEY=APPLE_PEM.replace("\n", "\\n"))
    with app.app_context():
        client = preset.client()
        secret = client.client_secret
        assert client.client_kwargs["token_endpoint_auth_method"] == "client_secret_post"
    decoded = jwt.decode(secret, ECKey.import_key(APPLE_KEY.as_pem(private=False)))
    assert decoded.header["alg"] == "ES256"
    assert decoded.header["kid"] == "KEY7654321"
    now = int(clock().timestamp())
    assert decoded.claims == {
        "iss": "TEAM123456",
        "iat": now,
        "exp": now + 3600,
        "aud": "https://appleid.apple.com",
        "sub": "com.example.web",
    }
    with app.app_context():
        clock.advance(minutes=20)
        assert preset.client().client_secret == secret  # still fresh: reused
        clock.advance(minutes=11)
        renewed = preset.client().client_secret
    assert renewed != secret
    assert jwt.decode(renewed, APPLE_KEY).claims["iat"] == now + 31 * 60


def test_apple_secret_lifetime_is_bounded_by_apple() -> None:
    assert Apple(secret_lifetime=timedelta(days=180)).secret_lifetime == timedelta(days=180)
    for lifetime in (timedelta(days=183), timedelta(minutes=1)):
        with pytest.raises(ValueError, match="secret_lifetime"):
            Apple(secret_lifetime=lifetime)


def test_apple_arguments_or_a_ready_made_secret() -> None:
    preset = Apple("com.example.web", team_id="T1", key_id="K1", private_key=APPLE_PEM)
    app = app_with(preset)
    with app.app_context():
        assert jwt.decode(preset.client().client_secret, APPLE_KEY).claims["iss"] == "T1"
    fixed = Apple("com.example.web", "a.ready.made.jwt")
    app = app_with(fixed)
    with app.app_context():
        assert fixed.client().client_secret == "a.ready.made.jwt"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"AUTH_APPLE_KEY_ID": None}, "AUTH_APPLE_KEY_ID"),
        ({"AUTH_APPLE_TEAM_ID": None, "AUTH_APPLE_PRIVATE_KEY": None}, "AUTH_APPLE_TEAM_ID"),
        ({"AUTH_APPLE_PRIVATE_KEY": "not a key"}, "not a PEM EC key"),
        (
            {"AUTH_APPLE_PRIVATE_KEY": APPLE_KEY.as_pem(private=False).decode()},
            "private P-256",
        ),
        (
            {"AUTH_APPLE_PRIVATE_KEY": ECKey.generate_key("P-384").as_pem(private=True).decode()},
            "private P-256",
        ),
    ],
)
def test_apple_misconfiguration_is_found_at_start_up(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        apple_app(**config)
