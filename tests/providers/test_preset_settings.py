"""What holds for every preset: exported, made of the generic classes, and shown by
``flask auth providers`` with every secret masked."""

from __future__ import annotations

import flask_authadapter.providers.presets
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC, OAuth2
from flask_authadapter.providers.base import Provider
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
from tests.apps import make_app
from tests.providers.presets_support import (
    APP_URL,
    APPLE_PEM,
)


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
