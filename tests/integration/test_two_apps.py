"""One provider object given to two apps (an app factory called twice, tests): each app signs
in with its own credentials, read from its own settings, and ``flask auth providers`` shows
each its own. Nothing an app set up is kept on the provider object."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC, OAuth2, Provider
from flask_authadapter.providers.presets.apple import Apple
from tests.apps import SECRET, csrf_from
from tests.integration.existing_apps import APP_URL

if TYPE_CHECKING:
    from tests.oidc import MockProvider


def create_app(auth: Auth, **config: object) -> Flask:
    """The app factory: the same ``auth`` (and its providers) for every app."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True, AUTH_URL=APP_URL, **config)
    auth.init_app(app)
    return app


def authorize_query(app: Flask, provider_id: str) -> dict[str, list[str]]:
    """The query of the redirect to the provider when someone presses its button."""
    client = app.test_client()
    token = csrf_from(client)
    started = client.post(f"/auth/signin/{provider_id}", data={"csrf_token": token})
    assert started.status_code == 302, started.get_data(as_text=True)
    return parse_qs(urlsplit(started.location).query)


def providers_output(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["auth", "providers"])
    assert result.exit_code == 0, result.output
    return result.output


def two_apps(provider: Provider, key: str) -> tuple[Flask, Flask]:
    auth = Auth(adapter=MemoryAdapter(), providers=[provider])
    first = create_app(auth, **{f"{key}_CLIENT_ID": "first-app", f"{key}_CLIENT_SECRET": "s1" * 8})
    second = create_app(
        auth, **{f"{key}_CLIENT_ID": "second-app", f"{key}_CLIENT_SECRET": "s2" * 8}
    )
    return first, second


def test_an_oauth2_provider_redirects_with_each_apps_client_id() -> None:
    corp = OAuth2(
        "corp",
        authorize_url="https://sso.corp.example/authorize",
        token_url="https://sso.corp.example/token",
        userinfo_url="https://sso.corp.example/userinfo",
    )
    first, second = two_apps(corp, "AUTH_CORP")

    assert authorize_query(first, "corp")["client_id"] == ["first-app"]
    assert authorize_query(second, "corp")["client_id"] == ["second-app"]
    assert authorize_query(first, "corp")["client_id"] == ["first-app"]

    first_output, second_output = providers_output(first), providers_output(second)
    assert "client_id: first-app" in first_output
    assert "second-app" not in first_output
    assert "client_id: second-app" in second_output
    assert "first-app" not in second_output


def test_an_oidc_provider_redirects_with_each_apps_client_id(
    oidc_provider: MockProvider,
) -> None:
    idp = OIDC("idp", issuer=oidc_provider.issuer)
    first, second = two_apps(idp, "AUTH_IDP")

    assert authorize_query(second, "idp")["client_id"] == ["second-app"]
    assert authorize_query(first, "idp")["client_id"] == ["first-app"]
    assert "client_id: first-app" in providers_output(first)
    assert "client_id: second-app" in providers_output(second)


def test_apple_signs_each_apps_client_secret_with_that_apps_key() -> None:
    apple = Apple()
    keys = {app_id: ECKey.generate_key("P-256") for app_id in ("first", "second")}
    auth = Auth(adapter=MemoryAdapter(), providers=[apple])
    apps = {
        app_id: create_app(
            auth,
            AUTH_APPLE_CLIENT_ID=f"com.example.{app_id}",
            AUTH_APPLE_TEAM_ID=f"TEAM-{app_id}",
            AUTH_APPLE_KEY_ID=f"KEY-{app_id}",
            AUTH_APPLE_PRIVATE_KEY=key.as_pem(private=True).decode(),
        )
        for app_id, key in keys.items()
    }
    for app_id in ("first", "second", "first"):
        with apps[app_id].app_context():
            secret = apple.client().client_secret
            assert apple.client().client_id == f"com.example.{app_id}"
        token = jwt.decode(secret, keys[app_id])  # signed with this app's key
        assert token.header["kid"] == f"KEY-{app_id}"
        assert token.claims["iss"] == f"TEAM-{app_id}"
        assert token.claims["sub"] == f"com.example.{app_id}"
        assert f"team_id: TEAM-{app_id}" in providers_output(apps[app_id])
