"""The OAuth 2.0 presets (GitHub, Discord, Facebook): their profile mapping on each provider's
documented payloads, their authorization requests and API calls; and the list of presets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flask_authadapter.core.errors import OAuthCallbackError
from flask_authadapter.providers.base import ProviderResult
from flask_authadapter.providers.presets import (
    Discord,
    Facebook,
    GitHub,
)
from tests.apps import csrf_from
from tests.providers.presets_support import (
    FakeAPI,
    app_with,
    assert_code_flow,
    authorize_redirect,
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
