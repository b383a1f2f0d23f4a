"""The Google and Microsoft Entra ID presets: profile mapping, authorization requests, and
their ID-token issuer checks (Google's two spellings, Entra's multi-tenant issuers)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from joserfc.errors import JoseError

from flask_authadapter.core.errors import OAuthCallbackError
from flask_authadapter.providers.presets import (
    Google,
    MicrosoftEntraID,
)
from flask_authadapter.providers.presets.microsoft import CONSUMERS_TENANT
from tests.apps import csrf_from
from tests.providers.presets_support import (
    FakeAPI,
    app_with,
    assert_code_flow,
    authorize_redirect,
    id_token_claims,
    load_discovery,
    without,
)

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
        for other in ({**GOOGLE_CLAIMS, "hd": "evil.example"}, without(GOOGLE_CLAIMS, "hd")):
            with pytest.raises(OAuthCallbackError):
                preset.fetch_userinfo({**token, "userinfo": other})
    # The userinfo endpoint was asked once: for the accepted account only.
    assert [path for path, _ in api.seen] == ["/v1/userinfo"]


def test_google_any_workspace_domain() -> None:
    preset = Google(hosted_domain="*")
    preset.check_claims(GOOGLE_CLAIMS)
    with pytest.raises(OAuthCallbackError):
        preset.check_claims(without(GOOGLE_CLAIMS, "hd"))  # a gmail.com account


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
    assert entra.profile(without(personal, "email"), {}).email_verified is False


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
        without(ENTRA_CLAIMS, "tid"),
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
