"""The OpenID Connect presets with a configurable issuer or a claim condition (GitLab, Slack,
Keycloak, Auth0): profile mapping, authorization requests, ID-token checks, settings."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from joserfc.errors import JoseError

from flask_authadapter.core.errors import OAuthCallbackError
from flask_authadapter.providers import OIDC
from flask_authadapter.providers.presets import (
    Auth0,
    GitLab,
    Keycloak,
    Slack,
)
from tests.providers.presets_support import (
    app_with,
    assert_code_flow,
    authorize_redirect,
    id_token_claims,
    load_discovery,
)

# =========================================================================== #
# GitLab (OpenID Connect, self-managed base URL)
# =========================================================================== #

# Follows https://docs.gitlab.com/integration/openid_connect_provider/#shared-information
GITLAB_CLAIMS = {
    "iss": "https://gitlab.com",
    "sub": "1",
    "sub_legacy": "2f1a5d2b1f9b6b1e3f6f0a2a2f4e8d6c8a2a1b1b5c5f1c2e8a6f7e4b3c2d1e0f",
    "name": "Administrator",
    "nickname": "root",
    "preferred_username": "root",
    "email": "admin@example.com",
    "email_verified": True,
    "website": "https://example.com",
    "profile": "https://gitlab.com/root",
    "picture": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=80&d=identicon",
    "groups_direct": ["gitlab-org"],
}
# Follows https://gitlab.com/.well-known/openid-configuration (trimmed).
GITLAB_DISCOVERY = {
    "issuer": "https://gitlab.com",
    "authorization_endpoint": "https://gitlab.com/oauth/authorize",
    "token_endpoint": "https://gitlab.com/oauth/token",
    "userinfo_endpoint": "https://gitlab.com/oauth/userinfo",
    "jwks_uri": "https://gitlab.com/oauth/discovery/keys",
    "scopes_supported": ["api", "read_user", "openid", "profile", "email"],
    "response_types_supported": ["code"],
    "id_token_signing_alg_values_supported": ["RS256"],
}


def test_gitlab_profile_mapping() -> None:
    profile = GitLab().profile(GITLAB_CLAIMS, {})
    assert profile.id == "1"
    assert (profile.email, profile.email_verified) == ("admin@example.com", True)
    assert profile.name == "Administrator"
    assert profile.image == GITLAB_CLAIMS["picture"]
    nameless = {k: v for k, v in GITLAB_CLAIMS.items() if k not in ("name", "preferred_username")}
    assert GitLab().profile(nameless, {}).name == "root"
    assert GitLab().profile({**GITLAB_CLAIMS, "email_verified": False}, {}).email_verified is False


def test_gitlab_authorization_request_and_self_managed_issuer() -> None:
    preset = GitLab("gl-app-id", "gl-secret")
    assert preset.issuer == "https://gitlab.com"
    app = app_with(preset)
    load_discovery(app, preset, GITLAB_DISCOVERY)
    url, query = authorize_redirect(app, "gitlab")
    assert url == "https://gitlab.com/oauth/authorize"
    assert_code_flow(query, client_id="gl-app-id", provider_id="gitlab")
    assert query["scope"] == "openid profile email"
    assert query["nonce"]
    own = GitLab(base_url="https://gitlab.example.com/")
    assert own.issuer == "https://gitlab.example.com"
    assert own.server_metadata_url == "https://gitlab.example.com/.well-known/openid-configuration"


# =========================================================================== #
# Slack (OpenID Connect)
# =========================================================================== #

# Follows https://slack.com/.well-known/openid-configuration (trimmed).
SLACK_DISCOVERY = {
    "issuer": "https://slack.com",
    "authorization_endpoint": "https://slack.com/openid/connect/authorize",
    "token_endpoint": "https://slack.com/api/openid.connect.token",
    "userinfo_endpoint": "https://slack.com/api/openid.connect.userInfo",
    "jwks_uri": "https://slack.com/openid/connect/keys",
    "scopes_supported": ["openid", "profile", "email"],
    "response_types_supported": ["code"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "token_endpoint_auth_methods_supported": ["client_secret_post"],
}
# Follows the ID token of https://api.slack.com/authentication/sign-in-with-slack#response
SLACK_CLAIMS = {
    "iss": "https://slack.com",
    "sub": "U0R7JM",
    "https://slack.com/user_id": "U0R7JM",
    "https://slack.com/team_id": "T0R7GR",
    "email": "krane@slack-corp.com",
    "email_verified": True,
    "date_email_verified": 1622128723,
    "locale": "en-US",
    "name": "krane",
    "picture": "https://secure.gravatar.com/avatar/bc.png?s=512&d=mp",
    "given_name": "",
    "family_name": "",
    "https://slack.com/team_name": "kraneflannel",
    "https://slack.com/team_domain": "kraneflannel",
}


def test_slack_profile_mapping() -> None:
    profile = Slack().profile(SLACK_CLAIMS, {})
    assert profile.id == "U0R7JM" == SLACK_CLAIMS["https://slack.com/user_id"]
    assert (profile.email, profile.email_verified) == ("krane@slack-corp.com", True)
    assert profile.name == "krane"
    assert profile.image == SLACK_CLAIMS["picture"]


def test_slack_authorization_request_and_workspace_check() -> None:
    preset = Slack("25259531569.1115258246291", "slack-secret", team_id="T0R7GR")
    app = app_with(preset)
    load_discovery(app, preset, SLACK_DISCOVERY)
    url, query = authorize_redirect(app, "slack")
    assert url == "https://slack.com/openid/connect/authorize"
    assert_code_flow(query, client_id="25259531569.1115258246291", provider_id="slack")
    assert query["scope"] == "openid email profile"
    assert query["team"] == "T0R7GR"
    assert query["nonce"]
    preset.check_claims(SLACK_CLAIMS)
    with app.test_request_context(), pytest.raises(OAuthCallbackError):
        preset.fetch_userinfo({"userinfo": {**SLACK_CLAIMS, "https://slack.com/team_id": "T0X"}})
    assert id_token_claims(app, preset, SLACK_CLAIMS)["sub"] == "U0R7JM"
    with app.app_context():
        assert preset.client().client_kwargs["token_endpoint_auth_method"] == ("client_secret_post")


# =========================================================================== #
# Keycloak (OpenID Connect, base URL + realm)
# =========================================================================== #

KEYCLOAK_ISSUER = "https://sso.example.com/realms/staff"
# Follows a Keycloak realm's .well-known/openid-configuration (trimmed):
# https://www.keycloak.org/securing-apps/oidc-layers#_oidc-endpoints
KEYCLOAK_DISCOVERY = {
    "issuer": KEYCLOAK_ISSUER,
    "authorization_endpoint": f"{KEYCLOAK_ISSUER}/protocol/openid-connect/auth",
    "token_endpoint": f"{KEYCLOAK_ISSUER}/protocol/openid-connect/token",
    "userinfo_endpoint": f"{KEYCLOAK_ISSUER}/protocol/openid-connect/userinfo",
    "jwks_uri": f"{KEYCLOAK_ISSUER}/protocol/openid-connect/certs",
    "id_token_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
    "authorization_response_iss_parameter_supported": True,
}
KEYCLOAK_CLAIMS = {
    "iss": KEYCLOAK_ISSUER,
    "sub": "f1d3a7c2-8b4e-4e39-9c1d-2a5b7e0f9c44",
    "typ": "ID",
    "azp": "flask-app",
    "email_verified": True,
    "name": "Ada Lovelace",
    "preferred_username": "ada",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "email": "ada@example.com",
}


def test_keycloak_issuer_profile_and_authorization_request() -> None:
    preset = Keycloak("https://sso.example.com/", "staff", "flask-app", "kc-secret")
    assert preset.issuer == KEYCLOAK_ISSUER
    assert Keycloak("https://old.example.com/auth", "x").issuer == (
        "https://old.example.com/auth/realms/x"
    )
    profile = preset.profile(KEYCLOAK_CLAIMS, {})
    assert (profile.id, profile.email, profile.email_verified, profile.name) == (
        KEYCLOAK_CLAIMS["sub"],
        "ada@example.com",
        True,
        "Ada Lovelace",
    )
    app = app_with(preset)
    load_discovery(app, preset, KEYCLOAK_DISCOVERY)
    url, query = authorize_redirect(app, "keycloak")
    assert url == f"{KEYCLOAK_ISSUER}/protocol/openid-connect/auth"
    assert_code_flow(query, client_id="flask-app", provider_id="keycloak")
    assert query["scope"] == "openid email profile"
    assert id_token_claims(app, preset, KEYCLOAK_CLAIMS)["sub"] == KEYCLOAK_CLAIMS["sub"]
    with pytest.raises(ValueError, match="realm"):
        Keycloak("https://sso.example.com", "")


# =========================================================================== #
# Auth0 (OpenID Connect, the issuer's trailing slash)
# =========================================================================== #

AUTH0_ISSUER = "https://example.eu.auth0.com/"
# Follows https://{domain}/.well-known/openid-configuration of an Auth0 tenant (trimmed).
AUTH0_DISCOVERY = {
    "issuer": AUTH0_ISSUER,
    "authorization_endpoint": "https://example.eu.auth0.com/authorize",
    "token_endpoint": "https://example.eu.auth0.com/oauth/token",
    "userinfo_endpoint": "https://example.eu.auth0.com/userinfo",
    "jwks_uri": "https://example.eu.auth0.com/.well-known/jwks.json",
    "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
}
# Follows https://auth0.com/docs/secure/tokens/id-tokens/id-token-structure
AUTH0_CLAIMS = {
    "iss": AUTH0_ISSUER,
    "sub": "auth0|64b7f2e4c1a2b3c4d5e6f789",
    "nickname": "jdoe",
    "name": "jdoe@example.com",
    "picture": "https://s.gravatar.com/avatar/abc?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Fjd.png",
    "updated_at": "2024-05-01T10:00:00.000Z",
    "email": "jdoe@example.com",
    "email_verified": False,
    "sid": "Fr3Qw2Vn8zXcLp0s",
}


def auth0_app(**options: Any) -> tuple[Flask, Auth0]:
    preset = Auth0("https://example.eu.auth0.com/", "a0-client", "a0-secret", **options)
    app = app_with(preset)
    load_discovery(app, preset, AUTH0_DISCOVERY)
    return app, preset


def test_auth0_profile_and_authorization_request() -> None:
    app, preset = auth0_app(audience="https://api.example.com", connection="google-oauth2")
    assert preset.domain == "example.eu.auth0.com"
    assert preset.server_metadata_url == (
        "https://example.eu.auth0.com/.well-known/openid-configuration"
    )
    profile = preset.profile(AUTH0_CLAIMS, {})
    assert (profile.id, profile.email, profile.email_verified, profile.image) == (
        "auth0|64b7f2e4c1a2b3c4d5e6f789",
        "jdoe@example.com",
        False,
        AUTH0_CLAIMS["picture"],
    )
    url, query = authorize_redirect(app, "auth0")
    assert url == "https://example.eu.auth0.com/authorize"
    assert_code_flow(query, client_id="a0-client", provider_id="auth0")
    assert query["scope"] == "openid email profile"
    assert query["audience"] == "https://api.example.com"
    assert query["connection"] == "google-oauth2"


def test_auth0_id_token_issuer_has_its_trailing_slash() -> None:
    app, preset = auth0_app()
    assert id_token_claims(app, preset, AUTH0_CLAIMS)["sub"] == AUTH0_CLAIMS["sub"]
    with pytest.raises(JoseError):
        id_token_claims(app, preset, {**AUTH0_CLAIMS, "iss": "https://example.eu.auth0.com"})
    with app.app_context():
        preset.check_issuer(AUTH0_ISSUER)  # RFC 9207 compares without the slash
    # The generic OIDC class takes the issuer exactly as discovered, slash and all.
    generic = OIDC("auth0x", issuer=AUTH0_ISSUER, client_id="a0-client", client_secret="s")
    generic_app = app_with(generic)
    load_discovery(generic_app, generic, AUTH0_DISCOVERY)
    assert id_token_claims(generic_app, generic, AUTH0_CLAIMS)["sub"] == AUTH0_CLAIMS["sub"]


def test_auth0_organization_is_checked() -> None:
    app, preset = auth0_app(organization="org_W30Ad1X9zwbPsLJb")
    _, query = authorize_redirect(app, "auth0")
    assert query["organization"] == "org_W30Ad1X9zwbPsLJb"
    assert id_token_claims(app, preset, {**AUTH0_CLAIMS, "org_id": "org_W30Ad1X9zwbPsLJb"})
    for claims in (AUTH0_CLAIMS, {**AUTH0_CLAIMS, "org_id": "org_other"}):
        with pytest.raises(JoseError):
            id_token_claims(app, preset, claims)
    app, preset = auth0_app(organization="Acme")
    assert id_token_claims(app, preset, {**AUTH0_CLAIMS, "org_name": "acme"})


def test_auth0_domain_must_be_a_domain() -> None:
    for bad in ("", "https://example.auth0.com/path"):
        with pytest.raises(ValueError, match="domain"):
            Auth0(bad)
