"""The provider presets: their profile mapping on each provider's documented payloads, the
authorization requests they send, their ID-token issuer checks, and their settings as
``flask auth providers`` shows them.

Offline and fast: no test reaches a real provider. OAuth 2.0 presets are started over HTTP
(``POST /auth/signin/<id>``) and their redirect is read. For OpenID Connect presets the
provider's documented discovery document is loaded into Authlib's client as if it had been
fetched, so the real ``begin`` builds the redirect to the provider's real authorization
endpoint; ID tokens are signed here with a test key published in that document and checked
by Authlib's own ``parse_id_token`` with each preset's claim options. Where a preset calls
an API (GitHub's ``/user/emails``, a userinfo endpoint), a small local HTTP server answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import flask_authadapter.providers.presets
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import ConfigurationError, OAuthCallbackError
from flask_authadapter.providers import OIDC, OAuth2
from flask_authadapter.providers.base import Provider, ProviderResult
from flask_authadapter.providers.presets import (
    Apple,
    Auth0,
    Discord,
    Facebook,
    GitHub,
    GitLab,
    Google,
    Keycloak,
    MicrosoftEntraID,
    Slack,
)
from flask_authadapter.providers.presets.apple import apple_user_name
from flask_authadapter.providers.presets.microsoft import CONSUMERS_TENANT
from tests.apps import csrf_from, make_app

APP_URL = "http://app.example"
NONCE = "nonce-0123456789"

# =========================================================================== #
# Helpers: an app per preset, the authorization redirect, discovery, ID tokens
# =========================================================================== #


def _without(data: Mapping[str, Any], key: str) -> dict[str, Any]:
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
    full.update(_without(claims, "at_hash"))
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


@pytest.fixture(scope="module")
def api_server() -> Iterator[FakeAPI]:
    api = FakeAPI()
    server = make_server("127.0.0.1", 0, api, threaded=True)
    api.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def api(api_server: FakeAPI) -> FakeAPI:
    """The local API, with no routes yet."""
    api_server.routes.clear()
    api_server.seen.clear()
    return api_server


def test_every_preset_is_exported() -> None:
    assert sorted(flask_authadapter.providers.presets.__all__) == sorted(
        [
            "Apple",
            "Auth0",
            "Discord",
            "Facebook",
            "GitHub",
            "GitLab",
            "Google",
            "Keycloak",
            "MicrosoftEntraID",
            "Slack",
        ]
    )


# =========================================================================== #
# GitHub (OAuth 2.0)
# =========================================================================== #

# Follows "Get the authenticated user":
# https://docs.github.com/en/rest/users/users#get-the-authenticated-user (trimmed).
GITHUB_USER = {
    "login": "octocat",
    "id": 583231,
    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    "html_url": "https://github.com/octocat",
    "type": "User",
    "name": "The Octocat",
    "company": "@github",
    "email": "octocat@github.com",
    "created_at": "2011-01-25T18:44:36Z",
}
# Follows "List email addresses for the authenticated user":
# https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
GITHUB_EMAILS = [
    {"email": "octocat@github.com", "verified": True, "primary": True, "visibility": "public"},
    {"email": "octo@example.com", "verified": False, "primary": False, "visibility": None},
]
GITHUB_TOKEN = {"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "token_type": "bearer"}


def github_user_document(api: FakeAPI, user: Mapping[str, Any], emails: Any) -> Mapping[str, Any]:
    """What the GitHub preset fetches, from the local API."""
    api.routes["/user"] = (200, dict(user))
    api.routes["/user/emails"] = emails if isinstance(emails, tuple) else (200, emails)
    preset = GitHub("gh-client", "gh-secret", api_base_url=api.url)
    app = app_with(preset)
    with app.test_request_context():
        return preset.fetch_userinfo(GITHUB_TOKEN)


def test_github_public_verified_email(api: FakeAPI) -> None:
    user = github_user_document(api, GITHUB_USER, GITHUB_EMAILS)
    profile = GitHub().profile(user, GITHUB_TOKEN)
    assert profile.id == "583231"
    assert profile.name == "The Octocat"
    assert profile.image == "https://avatars.githubusercontent.com/u/583231?v=4"
    assert (profile.email, profile.email_verified) == ("octocat@github.com", True)
    # Both endpoints were called with the access token.
    bearer = f"Bearer {GITHUB_TOKEN['access_token']}"
    assert api.seen == [("/user", bearer), ("/user/emails", bearer)]


def test_github_private_email_comes_from_user_emails(api: FakeAPI) -> None:
    private = {**GITHUB_USER, "email": None, "name": None}
    emails = [
        {"email": "old@example.com", "verified": True, "primary": False, "visibility": None},
        {"email": "octocat@users.noreply.github.com", "verified": True, "primary": False},
        {"email": "Octo.Primary@Example.com", "verified": True, "primary": True},
    ]
    user = github_user_document(api, private, emails)
    profile = GitHub().profile(user, GITHUB_TOKEN)
    assert (profile.email, profile.email_verified) == ("Octo.Primary@Example.com", True)
    assert profile.name == "octocat"  # no name: the login
    assert user["emails"] == emails  # handed to custom mappers and sign_in callbacks


def test_github_unverified_primary_gives_no_email(api: FakeAPI) -> None:
    private = {**GITHUB_USER, "email": None}
    emails = [
        {"email": "new@example.com", "verified": False, "primary": True, "visibility": None},
        {"email": "other@example.com", "verified": True, "primary": False, "visibility": None},
    ]
    profile = GitHub().profile(github_user_document(api, private, emails), GITHUB_TOKEN)
    assert (profile.email, profile.email_verified) == (None, False)


def test_github_public_email_not_listed_verified_stays_unverified(api: FakeAPI) -> None:
    emails = [{"email": "octocat@github.com", "verified": False, "primary": True}]
    profile = GitHub().profile(github_user_document(api, GITHUB_USER, emails), GITHUB_TOKEN)
    assert (profile.email, profile.email_verified) == ("octocat@github.com", False)


def test_github_without_the_user_email_scope_keeps_the_public_email_unverified(
    api: FakeAPI,
) -> None:
    not_found = (404, {"message": "Not Found"})
    profile = GitHub().profile(github_user_document(api, GITHUB_USER, not_found), GITHUB_TOKEN)
    assert (profile.email, profile.email_verified) == ("octocat@github.com", False)


def test_github_private_email_and_no_user_emails_is_a_callback_error(api: FakeAPI) -> None:
    private = {**GITHUB_USER, "email": None}
    with pytest.raises(OAuthCallbackError):
        github_user_document(api, private, (403, {"message": "Forbidden"}))


def test_github_user_document_without_id_is_refused() -> None:
    with pytest.raises(OAuthCallbackError):
        GitHub().profile({"login": "x"}, GITHUB_TOKEN)


def test_github_authorization_request() -> None:
    app = app_with(GitHub(), AUTH_GITHUB_CLIENT_ID="Iv1.gh", AUTH_GITHUB_CLIENT_SECRET="gh-s")
    url, query = authorize_redirect(app, "github")
    assert url == "https://github.com/login/oauth/authorize"
    assert_code_flow(query, client_id="Iv1.gh", provider_id="github")
    assert query["scope"] == "read:user user:email"
    assert "nonce" not in query


def test_github_enterprise_server_urls() -> None:
    preset = GitHub("c", "s", base_url="https://github.example.com/")
    assert preset.authorize_url == "https://github.example.com/login/oauth/authorize"
    assert preset.token_url == "https://github.example.com/login/oauth/access_token"
    assert preset.userinfo_url == "https://github.example.com/api/v3/user"
    assert preset.emails_url == "https://github.example.com/api/v3/user/emails"
    assert GitHub().token_url == "https://github.com/login/oauth/access_token"
    assert GitHub().userinfo_url == "https://api.github.com/user"


# =========================================================================== #
# Google (OpenID Connect)
# =========================================================================== #

# Follows https://accounts.google.com/.well-known/openid-configuration (trimmed).
GOOGLE_DISCOVERY = {
    "issuer": "https://accounts.google.com",
    "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
    "token_endpoint": "https://oauth2.googleapis.com/token",
    "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
    "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
    "response_types_supported": ["code", "token", "id_token", "code id_token", "none"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "scopes_supported": ["openid", "email", "profile"],
    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    "code_challenge_methods_supported": ["plain", "S256"],
}
# Follows "An ID token's payload":
# https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload
GOOGLE_CLAIMS = {
    "iss": "https://accounts.google.com",
    "azp": "1234987819200.apps.googleusercontent.com",
    "sub": "10769150350006150715113082367",
    "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
    "hd": "example.com",
    "email": "jsmith@example.com",
    "email_verified": True,
    "name": "Jane Smith",
    "picture": "https://lh3.googleusercontent.com/a/ACg8ocK-example=s96-c",
    "given_name": "Jane",
    "family_name": "Smith",
}
GOOGLE_CLIENT = "1234987819200.apps.googleusercontent.com"


def test_google_profile_mapping() -> None:
    profile = Google().profile(GOOGLE_CLAIMS, {})
    assert profile.id == "10769150350006150715113082367"
    assert (profile.email, profile.email_verified) == ("jsmith@example.com", True)
    assert profile.name == "Jane Smith"
    assert profile.image == GOOGLE_CLAIMS["picture"]
    unverified = Google().profile({**GOOGLE_CLAIMS, "email_verified": False}, {})
    assert unverified.email_verified is False


def test_google_authorization_request() -> None:
    preset = Google(GOOGLE_CLIENT, "g-secret")
    assert preset.server_metadata_url == (
        "https://accounts.google.com/.well-known/openid-configuration"
    )
    app = app_with(preset)
    load_discovery(app, preset, GOOGLE_DISCOVERY)
    url, query = authorize_redirect(app, "google")
    assert url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert_code_flow(query, client_id=GOOGLE_CLIENT, provider_id="google")
    assert query["scope"] == "openid email profile"
    assert len(query["nonce"]) >= 20
    assert not {"hd", "access_type", "prompt"} & set(query)


def test_google_offline_and_hosted_domain_parameters() -> None:
    preset = Google(GOOGLE_CLIENT, "g-secret", hosted_domain="Example.com", offline=True)
    app = app_with(preset)
    load_discovery(app, preset, GOOGLE_DISCOVERY)
    _, query = authorize_redirect(app, "google")
    assert query["hd"] == "Example.com"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert Google(prompt="select_account").authorize_params == {"prompt": "select_account"}


def test_google_hosted_domain_is_checked_on_the_id_token(api: FakeAPI) -> None:
    preset = Google(GOOGLE_CLIENT, "g-secret", hosted_domain="example.com")
    app = app_with(preset)
    load_discovery(app, preset, {**GOOGLE_DISCOVERY, "userinfo_endpoint": f"{api.url}/v1/userinfo"})
    api.routes["/v1/userinfo"] = (200, {k: v for k, v in GOOGLE_CLAIMS.items() if k != "iss"})
    token = {"access_token": "ya29.a0", "token_type": "Bearer"}
    with app.test_request_context():
        claims = preset.fetch_userinfo({**token, "userinfo": GOOGLE_CLAIMS})
        assert claims["hd"] == "example.com"
        for other in ({**GOOGLE_CLAIMS, "hd": "evil.example"}, _without(GOOGLE_CLAIMS, "hd")):
            with pytest.raises(OAuthCallbackError):
                preset.fetch_userinfo({**token, "userinfo": other})
    # The userinfo endpoint was asked once: for the accepted account only.
    assert [path for path, _ in api.seen] == ["/v1/userinfo"]


def test_google_any_workspace_domain() -> None:
    preset = Google(hosted_domain="*")
    preset.check_claims(GOOGLE_CLAIMS)
    with pytest.raises(OAuthCallbackError):
        preset.check_claims(_without(GOOGLE_CLAIMS, "hd"))  # a gmail.com account


def test_google_id_token_issuer_in_both_spellings() -> None:
    preset = Google(GOOGLE_CLIENT, "g-secret")
    app = app_with(preset)
    load_discovery(app, preset, GOOGLE_DISCOVERY)
    for iss in ("https://accounts.google.com", "accounts.google.com"):
        assert id_token_claims(app, preset, {**GOOGLE_CLAIMS, "iss": iss})["sub"]
    with pytest.raises(JoseError):
        id_token_claims(app, preset, {**GOOGLE_CLAIMS, "iss": "https://accounts.example.com"})


# =========================================================================== #
# Microsoft Entra ID (OpenID Connect, multi-tenant issuer)
# =========================================================================== #

TENANT = "b9419818-09af-49c2-b0c3-653adc1f376e"
OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ENTRA_CLIENT = "6cb04018-a3f5-46a7-b995-940c78f5aef3"


def entra_discovery(tenant_in_urls: str, issuer_tenant: str) -> dict[str, Any]:
    """Follows https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration
    (trimmed); for "common" and "organizations" the issuer holds the {tenantid} template."""
    base = f"https://login.microsoftonline.com/{tenant_in_urls}"
    return {
        "issuer": f"https://login.microsoftonline.com/{issuer_tenant}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    }


# Follows the v2.0 ID token sample of
# https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
ENTRA_CLAIMS = {
    "ver": "2.0",
    "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
    "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    "aud": ENTRA_CLIENT,
    "tid": TENANT,
    "oid": "00000000-0000-0000-66f3-3332eca7ea81",
    "name": "Abe Lincoln",
    "preferred_username": "AbeLi@microsoft.com",
    "rh": "I",
    "uti": "fqiBqXLPj0eQa82S-IYFAA",
}


def entra_app(
    tenant: str = "common", discovery_issuer_tenant: str = "{tenantid}"
) -> tuple[Flask, MicrosoftEntraID]:
    preset = MicrosoftEntraID(ENTRA_CLIENT, "entra-secret", tenant=tenant)
    app = app_with(preset)
    load_discovery(app, preset, entra_discovery(tenant, discovery_issuer_tenant))
    return app, preset


def test_entra_profile_mapping() -> None:
    profile = MicrosoftEntraID().profile(ENTRA_CLAIMS, {})
    assert profile.id == ENTRA_CLAIMS["sub"]
    assert profile.name == "Abe Lincoln"
    assert profile.image is None
    # No email claim: preferred_username, never verified.
    assert (profile.email, profile.email_verified) == ("AbeLi@microsoft.com", False)
    with_email = MicrosoftEntraID().profile({**ENTRA_CLAIMS, "email": "abe@contoso.com"}, {})
    assert (with_email.email, with_email.email_verified) == ("abe@contoso.com", False)
    edov = MicrosoftEntraID().profile(
        {**ENTRA_CLAIMS, "email": "abe@contoso.com", "xms_edov": True}, {}
    )
    assert (edov.email, edov.email_verified) == ("abe@contoso.com", True)
    # xms_edov speaks of the email claim, not of preferred_username.
    assert (
        MicrosoftEntraID().profile({**ENTRA_CLAIMS, "xms_edov": True}, {}).email_verified is False
    )
    phone_login = MicrosoftEntraID().profile({**ENTRA_CLAIMS, "preferred_username": "+1555"}, {})
    assert phone_login.email is None


def test_entra_vouches_only_through_xms_edov_or_a_personal_account() -> None:
    entra = MicrosoftEntraID()
    email = {**ENTRA_CLAIMS, "email": "abe@contoso.com"}
    # An email_verified claim could only come from a tenant administrator's claims mapping.
    assert entra.profile({**email, "email_verified": True}, {}).email_verified is False
    assert entra.profile({**email, "xms_edov": "false"}, {}).email_verified is False
    assert entra.profile({**email, "xms_edov": "true"}, {}).email_verified is True
    # A personal Microsoft account: Microsoft's own tenant, whose addresses it confirmed.
    personal = {**email, "tid": CONSUMERS_TENANT}
    assert entra.profile(personal, {}).email_verified is True
    assert entra.profile(_without(personal, "email"), {}).email_verified is False


def test_entra_authorization_request() -> None:
    app, preset = entra_app()
    assert preset.issuer == "https://login.microsoftonline.com/common/v2.0"
    assert preset.server_metadata_url == (
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    )
    url, query = authorize_redirect(app, "microsoft-entra-id")
    assert url == "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    assert_code_flow(query, client_id=ENTRA_CLIENT, provider_id="microsoft-entra-id")
    assert query["scope"] == "openid profile email"
    assert query["nonce"]


def test_entra_config_keys() -> None:
    preset = MicrosoftEntraID(tenant=TENANT)
    app = app_with(
        preset,
        AUTH_MICROSOFT_ENTRA_ID_CLIENT_ID="from-config",
        AUTH_MICROSOFT_ENTRA_ID_CLIENT_SECRET="secret-from-config",
    )
    with app.app_context():
        assert preset.client().client_id == "from-config"
        assert preset.client().client_secret == "secret-from-config"


def test_entra_common_accepts_each_tenant_with_its_own_issuer() -> None:
    app, preset = entra_app()
    assert id_token_claims(app, preset, ENTRA_CLAIMS)["tid"] == TENANT
    other = {
        **ENTRA_CLAIMS,
        "tid": OTHER_TENANT,
        "iss": f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0",
    }
    assert id_token_claims(app, preset, other)["tid"] == OTHER_TENANT
    personal = {
        **ENTRA_CLAIMS,
        "tid": CONSUMERS_TENANT,
        "iss": f"https://login.microsoftonline.com/{CONSUMERS_TENANT}/v2.0",
    }
    assert id_token_claims(app, preset, personal)["tid"] == CONSUMERS_TENANT


@pytest.mark.parametrize(
    "claims",
    [
        # The iss of one tenant with the tid of another: a token minted in another tenant.
        {**ENTRA_CLAIMS, "tid": OTHER_TENANT},
        # The discovery template itself, or another authority.
        {**ENTRA_CLAIMS, "iss": "https://login.microsoftonline.com/{tenantid}/v2.0"},
        {**ENTRA_CLAIMS, "iss": f"https://login.example.com/{TENANT}/v2.0"},
        # The v1.0 issuer form.
        {**ENTRA_CLAIMS, "iss": f"https://sts.windows.net/{TENANT}/"},
        # No tid, or a tid that is not a tenant id.
        _without(ENTRA_CLAIMS, "tid"),
        {**ENTRA_CLAIMS, "tid": "common", "iss": "https://login.microsoftonline.com/common/v2.0"},
    ],
    ids=["foreign-tid", "template", "other-authority", "v1-issuer", "no-tid", "tid-not-guid"],
)
def test_entra_refuses_an_id_token_of_a_mismatched_issuer(claims: dict[str, Any]) -> None:
    app, preset = entra_app()
    with pytest.raises(JoseError):
        id_token_claims(app, preset, claims)


def test_entra_organizations_and_consumers_tenants() -> None:
    personal = {
        **ENTRA_CLAIMS,
        "tid": CONSUMERS_TENANT,
        "iss": f"https://login.microsoftonline.com/{CONSUMERS_TENANT}/v2.0",
    }
    app, preset = entra_app("organizations")
    assert id_token_claims(app, preset, ENTRA_CLAIMS)["tid"] == TENANT
    with pytest.raises(JoseError):
        id_token_claims(app, preset, personal)
    # "consumers": Microsoft's discovery names the personal-account tenant itself.
    app, preset = entra_app("consumers", CONSUMERS_TENANT)
    assert id_token_claims(app, preset, personal)["tid"] == CONSUMERS_TENANT
    with pytest.raises(JoseError):
        id_token_claims(app, preset, ENTRA_CLAIMS)


def test_entra_single_tenant() -> None:
    app, preset = entra_app(TENANT, TENANT)
    assert id_token_claims(app, preset, ENTRA_CLAIMS)["tid"] == TENANT
    other = {
        **ENTRA_CLAIMS,
        "tid": OTHER_TENANT,
        "iss": f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0",
    }
    with pytest.raises(JoseError):
        id_token_claims(app, preset, other)
    # A tenant given by domain: discovery names its GUID; tokens must be of that one.
    app, preset = entra_app("contoso.onmicrosoft.com", TENANT)
    assert id_token_claims(app, preset, ENTRA_CLAIMS)["tid"] == TENANT
    with pytest.raises(JoseError):
        id_token_claims(app, preset, other)


@pytest.mark.parametrize(
    ("tenant", "discovery_issuer_tenant"),
    [
        ("common", OTHER_TENANT),  # a multi-tenant app must see the template...
        (TENANT, OTHER_TENANT),  # ...a single-tenant app its own tenant
        (TENANT, "{tenantid}"),
        ("contoso.onmicrosoft.com", "{tenantid}"),
        ("consumers", "{tenantid}"),
        ("organizations", CONSUMERS_TENANT),
        ("common", "not-a-tenant"),
    ],
)
def test_entra_refuses_a_discovery_document_of_another_issuer(
    tenant: str, discovery_issuer_tenant: str
) -> None:
    app, _ = entra_app(tenant, discovery_issuer_tenant)
    client = app.test_client()
    response = client.post(
        "/auth/signin/microsoft-entra-id", data={"csrf_token": csrf_from(client)}
    )
    assert response.status_code == 400  # OAuthSignin, not a redirect to the provider
    assert "Location" not in response.headers


def test_entra_rfc9207_iss_parameter() -> None:
    app, preset = entra_app()
    with app.app_context():
        preset.check_issuer(None)
        preset.check_issuer(f"https://login.microsoftonline.com/{TENANT}/v2.0")
        for bad in (
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/common/v2.0",
            "https://evil.example/v2.0",
            f"https://login.microsoftonline.com/{TENANT}/v2.0/x",
        ):
            with pytest.raises(OAuthCallbackError):
                preset.check_issuer(bad)
    app, preset = entra_app("organizations")
    with app.app_context(), pytest.raises(OAuthCallbackError):
        preset.check_issuer(f"https://login.microsoftonline.com/{CONSUMERS_TENANT}/v2.0")


def test_entra_national_cloud_authority() -> None:
    preset = MicrosoftEntraID(tenant=TENANT, authority="https://login.microsoftonline.us/")
    assert preset.issuer == f"https://login.microsoftonline.us/{TENANT}/v2.0"


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
# Discord (OAuth 2.0)
# =========================================================================== #

# Follows the user object example of
# https://discord.com/developers/docs/resources/user#user-object-example-user
DISCORD_USER = {
    "id": "80351110224678912",
    "username": "nelly",
    "discriminator": "0",
    "global_name": "Nelly",
    "avatar": "8342729096ea3675442027381ff50dfe",
    "verified": True,
    "email": "nelly@discord.com",
    "flags": 64,
    "banner": "06c16474723fe537c283b8efa61a30c8",
    "accent_color": 16711680,
    "premium_type": 1,
    "public_flags": 64,
    "mfa_enabled": True,
    "locale": "en-US",
}


def test_discord_profile_mapping() -> None:
    profile = Discord().profile(DISCORD_USER, {})
    assert profile.id == "80351110224678912"
    assert profile.name == "Nelly"
    assert (profile.email, profile.email_verified) == ("nelly@discord.com", True)
    assert profile.image == (
        "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
    )
    no_display_name = Discord().profile({**DISCORD_USER, "global_name": None}, {})
    assert no_display_name.name == "nelly"
    unverified = Discord().profile({**DISCORD_USER, "verified": False}, {})
    assert (unverified.email, unverified.email_verified) == ("nelly@discord.com", False)
    # Without the email scope there is no email (and "verified" says nothing).
    identify_only = {k: v for k, v in DISCORD_USER.items() if k not in ("email", "verified")}
    assert Discord().profile(identify_only, {}).email is None


@pytest.mark.parametrize(
    ("changes", "image"),
    [
        (
            {"avatar": "a_1269e74af4df7417b13759eae50c83dc"},
            "https://cdn.discordapp.com/avatars/80351110224678912/"
            "a_1269e74af4df7417b13759eae50c83dc.gif",
        ),
        # No avatar, a new-style username: (id >> 22) % 6.
        ({"avatar": None}, "https://cdn.discordapp.com/embed/avatars/5.png"),
        # No avatar, a legacy name#1337: 1337 % 5.
        (
            {"avatar": None, "discriminator": "1337"},
            "https://cdn.discordapp.com/embed/avatars/2.png",
        ),
    ],
    ids=["animated", "default-new", "default-legacy"],
)
def test_discord_avatar_urls(changes: dict[str, Any], image: str) -> None:
    assert Discord().profile({**DISCORD_USER, **changes}, {}).image == image


def test_discord_authorization_request() -> None:
    app = app_with(Discord("1234567890", "d-secret"))
    url, query = authorize_redirect(app, "discord")
    assert url == "https://discord.com/oauth2/authorize"
    assert_code_flow(query, client_id="1234567890", provider_id="discord")
    assert query["scope"] == "identify email"
    preset = Discord()
    assert preset.token_url == "https://discord.com/api/oauth2/token"
    assert preset.userinfo_url == "https://discord.com/api/users/@me"


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
APPLE_KEY = ECKey.generate_key("P-256")
APPLE_PEM = APPLE_KEY.as_pem(private=True).decode()


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


# =========================================================================== #
# Facebook (OAuth 2.0)
# =========================================================================== #

# Follows the User node with fields=id,name,email,picture:
# https://developers.facebook.com/docs/graph-api/reference/user/ and .../user/picture/
FACEBOOK_USER = {
    "id": "10158372839201234",
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "picture": {
        "data": {
            "height": 50,
            "is_silhouette": False,
            "url": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158372839201234",
            "width": 50,
        }
    },
}


def test_facebook_profile_mapping() -> None:
    profile = Facebook().profile(FACEBOOK_USER, {})
    assert profile.id == "10158372839201234"
    assert profile.name == "Jane Doe"
    assert profile.email == "jane.doe@example.com"
    assert profile.email_verified is False  # Facebook does not assert it
    assert profile.image == FACEBOOK_USER["picture"]["data"]["url"]  # type: ignore[index]
    bare = Facebook().profile({"id": "1", "name": "No Email"}, {})
    assert (bare.email, bare.image) == (None, None)


def test_facebook_authorization_request() -> None:
    app = app_with(Facebook("fb-app-id", "fb-app-secret"))
    url, query = authorize_redirect(app, "facebook")
    assert url == "https://www.facebook.com/v19.0/dialog/oauth"
    assert_code_flow(query, client_id="fb-app-id", provider_id="facebook")
    assert query["scope"] == "email public_profile"
    preset = Facebook()
    assert preset.token_url == "https://graph.facebook.com/v19.0/oauth/access_token"
    assert preset.userinfo_url == (
        "https://graph.facebook.com/v19.0/me?fields=id,name,email,picture"
    )


def test_a_facebook_sign_in_reports_its_email_unverified(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole sign-in against a stand-in Graph API: the address is on the result, never as
    verified (Facebook does not say it checked it)."""
    api.routes["/oauth/access_token"] = (200, {"access_token": "fb-at", "token_type": "bearer"})
    api.routes["/me"] = (200, FACEBOOK_USER)
    preset = Facebook("fb-app-id", "fb-app-secret")
    preset.authorize_url = f"{api.url}/dialog/oauth"
    preset.token_url = f"{api.url}/oauth/access_token"
    preset.userinfo_url = f"{api.url}/me?fields=id,name,email,picture"
    results: list[ProviderResult] = []
    finish = preset.finish

    def recording_finish(*args: Any) -> ProviderResult:
        results.append(finish(*args))
        return results[-1]

    monkeypatch.setattr(preset, "finish", recording_finish)
    app = app_with(preset)
    client = app.test_client()
    started = client.post("/auth/signin/facebook", data={"csrf_token": csrf_from(client)})
    state = parse_qs(urlsplit(started.location).query)["state"][0]

    landed = client.get(f"/auth/callback/facebook?code=c0de&state={state}")

    assert landed.status_code == 302, landed.get_data(as_text=True)
    (result,) = results
    assert result.profile.email == "jane.doe@example.com"
    assert result.email_verified is False


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


# =========================================================================== #
# flask auth providers: every preset, every secret masked
# =========================================================================== #


def test_flask_auth_providers_masks_every_secret() -> None:
    secrets = {
        name: f"{name}-client-secret-value-{i:04d}"
        for i, name in enumerate(
            [
                "github",
                "google",
                "microsoft-entra-id",
                "gitlab",
                "discord",
                "facebook",
                "slack",
                "keycloak",
                "auth0",
            ]
        )
    }
    providers: list[Provider] = [
        GitHub("gh", secrets["github"]),
        Google("go", secrets["google"]),
        MicrosoftEntraID("ms", secrets["microsoft-entra-id"]),
        GitLab("gl", secrets["gitlab"]),
        Discord("dc", secrets["discord"]),
        Facebook("fb", secrets["facebook"]),
        Slack("sl", secrets["slack"]),
        Keycloak("https://sso.example.com", "staff", "kc", secrets["keycloak"]),
        Auth0("example.eu.auth0.com", "a0", secrets["auth0"]),
        Apple("com.example.web", team_id="TEAM123456", key_id="KEY7654321", private_key=APPLE_PEM),
    ]
    app, _ = make_app(MemoryAdapter(), providers=providers, AUTH_URL=APP_URL)
    result = app.test_cli_runner().invoke(args=["auth", "providers"])
    assert result.exit_code == 0, result.output
    output = result.output
    for secret in secrets.values():
        assert secret not in output
        assert secret[:-4] not in output
        assert f"client_secret: {'*' * 8}{secret[-4:]}" in output
    apple = providers[-1]
    assert isinstance(apple, Apple)
    with app.app_context():
        live_secret = apple.client_secret_jwt()
    assert live_secret[:20] not in output
    body = "".join(APPLE_PEM.strip().splitlines()[1:-1])
    assert body[:16] not in output
    assert "client_secret: (an ES256 JWT made with key KEY7654321, renewed)" in output
    lines = output.splitlines()
    for heading in (
        "github  (oauth)  GitHub",
        "google  (oidc)  Google",
        "microsoft-entra-id  (oidc)  Microsoft",
        "apple  (oidc)  Apple",
        "auth0  (oidc)  Auth0",
    ):
        assert heading in lines
    assert (
        "    server_metadata_url: https://accounts.google.com/.well-known/openid-configuration"
        in lines
    )
    assert "    authorize_url: https://github.com/login/oauth/authorize" in lines


def test_presets_are_the_generic_classes() -> None:
    for oauth2 in (GitHub(), Discord(), Facebook()):
        assert isinstance(oauth2, OAuth2)
        assert not isinstance(oauth2, OIDC)
        assert oauth2.type == "oauth"
    for oidc in (Google(), MicrosoftEntraID(), GitLab(), Apple(), Slack()):
        assert isinstance(oidc, OIDC)
        assert oidc.type == "oidc"
    assert Keycloak("https://kc", "r").type == Auth0("a.auth0.com").type == "oidc"
