"""init_app."""

from __future__ import annotations

from typing import Any

import pytest

from flask_authadapter import Auth, current_session, current_user
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.errors import ConfigurationError
from flask_authadapter.providers.email import Email
from flask_authadapter.state import auth_state
from tests.apps import SECRET, DummyProvider, csrf_from, make_app

from .helpers import (
    COOKIE,
    Database,
    bare_app,
    browser_sign_in,
    cookie_of,
    who,
)


def test_the_app_factory_form() -> None:
    auth = Auth()
    adapter = MemoryAdapter()
    app = bare_app(SECRET_KEY=SECRET)
    auth.init_app(app, adapter=adapter, providers=[DummyProvider("dummy")])

    state = auth_state(app)
    assert state.callbacks is auth.callbacks
    assert state.adapter is adapter
    assert list(state.providers) == ["dummy"]
    assert "auth" in app.blueprints
    answer = app.test_client().get("/auth/providers")
    assert answer.status_code == 200
    assert answer.get_json()["dummy"]["callbackUrl"] == "http://localhost/auth/callback/dummy"


def test_the_constructor_form() -> None:
    adapter = MemoryAdapter()
    app = bare_app(SECRET_KEY=SECRET)
    auth = Auth(app, adapter=adapter, providers=[DummyProvider("dummy")])

    assert auth_state(app).callbacks is auth.callbacks
    assert auth_state(app).adapter is adapter
    assert app.test_client().get("/auth/signin").status_code == 200


def test_the_factory_form_takes_the_constructors_adapter_and_providers() -> None:
    adapter = MemoryAdapter()
    auth = Auth(adapter=adapter, providers=[DummyProvider("dummy")])
    app = bare_app(SECRET_KEY=SECRET)
    auth.init_app(app)
    assert auth_state(app).adapter is adapter
    assert list(auth_state(app).providers) == ["dummy"]


def test_the_blueprint_follows_the_url_prefix() -> None:
    app = bare_app(SECRET_KEY=SECRET, AUTH_URL_PREFIX="/account")
    Auth(app, adapter=MemoryAdapter())
    client = app.test_client()
    assert client.get("/account/signin").status_code == 200
    assert client.get("/auth/signin").status_code == 404


def test_one_auth_serves_two_apps_with_their_own_adapter_and_secret(
    db: Database, clock: FrozenClock
) -> None:
    first, auth = make_app(db.adapter, clock=clock)  # its secret: SECRET
    other_adapter = MemoryAdapter()
    second = bare_app(SECRET_KEY="another-secret-" + "y" * 40)
    auth.init_app(second, adapter=other_adapter, providers=[DummyProvider("dummy")])

    @second.get("/whoami")
    def whoami() -> str:
        return current_user.email or "anonymous"

    assert auth_state(first).adapter is db.adapter
    assert auth_state(second).adapter is other_adapter
    assert auth_state(first).config.secret != auth_state(second).config.secret
    assert auth_state(first).callbacks is auth_state(second).callbacks is auth.callbacks

    one, two = first.test_client(), second.test_client()
    token = browser_sign_in(one)
    assert who(one) == "ada@example.com"

    # The first app's session means nothing to the second app.
    two.set_cookie(COOKIE, token)
    assert who(two) == "anonymous"
    assert two.get("/auth/session").get_json() is None

    # Nor does its CSRF token, signed under the first app's secret.
    csrf = csrf_from(one)
    csrf_cookie = cookie_of(one, "authadapter.csrf")
    assert csrf_cookie is not None
    two.set_cookie("authadapter.csrf", csrf_cookie)
    refused = two.post("/auth/signout", data={"csrf_token": csrf})
    assert refused.status_code == 403

    # Each app signs its own users in.
    browser_sign_in(two, sub="2", email="bob@example.com")
    assert who(two) == "bob@example.com"
    assert who(one) == "ada@example.com"
    assert other_adapter.get_user_by_email("bob@example.com") is not None
    assert db.adapter.get_user_by_email("bob@example.com") is None


def test_a_missing_secret_is_a_start_up_error() -> None:
    app = bare_app()
    with pytest.raises(ConfigurationError, match="AUTH_SECRET") as info:
        Auth().init_app(app, adapter=MemoryAdapter())
    assert "SECRET_KEY" in str(info.value)
    assert "authadapter" not in app.extensions
    assert "auth" not in app.blueprints


def test_a_failed_init_app_can_be_retried_once_fixed() -> None:
    app = bare_app()
    auth = Auth(adapter=MemoryAdapter())
    with pytest.raises(ConfigurationError):
        auth.init_app(app)
    app.config["SECRET_KEY"] = SECRET
    auth.init_app(app)
    assert app.test_client().get("/auth/signin").status_code == 200


def test_bad_settings_are_a_start_up_error() -> None:
    app = bare_app(SECRET_KEY=SECRET, AUTH_URL="app.example")
    with pytest.raises(ConfigurationError, match="AUTH_URL"):
        Auth(app, adapter=MemoryAdapter())


def test_auth_secret_falls_back_to_secret_key() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    Auth(app, adapter=MemoryAdapter())
    assert auth_state(app).config.secret == SECRET

    own = "auth-secret-" + "z" * 40
    app = bare_app(SECRET_KEY=SECRET, AUTH_SECRET=own)
    Auth(app, adapter=MemoryAdapter())
    assert auth_state(app).config.secret == own


class HalfAdapter:
    """An adapter with the user methods and two of the session methods only."""

    def __init__(self) -> None:
        self._store = MemoryAdapter()
        for name in (
            "create_user",
            "get_user",
            "get_user_by_email",
            "update_user",
            "delete_user",
            "create_session",
            "get_session_and_user",
        ):
            setattr(self, name, getattr(self._store, name))
        self.delete_session = None  # present but not callable: still missing


def half_adapter() -> Any:
    """A :class:`HalfAdapter`, typed loosely: it is not an Adapter on purpose."""
    return HalfAdapter()


def _missing_in(message: str) -> set[str]:
    return {name.strip() for name in message.rsplit(": ", 1)[1].split(",")}


def test_an_adapter_lacking_methods_is_named_with_what_it_lacks() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError) as info:
        Auth().init_app(app, adapter=half_adapter(), providers=[DummyProvider("dummy")])
    message = str(info.value)
    assert "HalfAdapter" in message
    assert _missing_in(message) == {
        "update_session",
        "delete_session",
        "list_sessions",
        "delete_sessions",
        "get_user_by_account",
        "link_account",
        "unlink_account",
        "get_account",
        "update_account",
    }
    assert "authadapter" not in app.extensions


def test_the_methods_checked_follow_the_configured_providers() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError) as info:
        Auth().init_app(app, adapter=half_adapter(), providers=[])
    # No OAuth provider: the account methods are not needed, so not named.
    assert _missing_in(str(info.value)) == {
        "update_session",
        "delete_session",
        "list_sessions",
        "delete_sessions",
    }

    with pytest.raises(ConfigurationError) as info:
        # The Email provider needs the verification-token methods (checked before it reads
        # its own settings, so this app needs no AUTH_URL or sender).
        Auth().init_app(app, adapter=half_adapter(), providers=[Email()])
    missing = _missing_in(str(info.value))
    assert {"create_verification_token", "use_verification_token"} <= missing
    assert "link_account" not in missing


def test_an_adapter_without_the_token_methods_is_fine_without_email() -> None:
    class NoTokens:
        def __init__(self) -> None:
            store = MemoryAdapter()
            for name in dir(store):
                if not name.startswith("_") and "verification" not in name:
                    setattr(self, name, getattr(store, name))

    app = bare_app(SECRET_KEY=SECRET)
    Auth(app, adapter=NoTokens(), providers=[DummyProvider("dummy")])  # type: ignore[arg-type]
    assert app.test_client().get("/auth/signin").status_code == 200


def test_duplicate_provider_ids_are_refused() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError, match="dummy"):
        Auth().init_app(
            app,
            adapter=MemoryAdapter(),
            providers=[DummyProvider("dummy"), DummyProvider("other"), DummyProvider("dummy")],
        )


def test_init_app_twice_on_one_app_is_refused() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    auth = Auth(app, adapter=MemoryAdapter())
    with pytest.raises(ConfigurationError, match="already"):
        auth.init_app(app)
    with pytest.raises(ConfigurationError, match="already"):
        Auth().init_app(app, adapter=MemoryAdapter())
    assert app.test_client().get("/auth/signin").status_code == 200  # the first still works


def test_no_adapter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="adapter"):
        Auth(bare_app(SECRET_KEY=SECRET))
    with pytest.raises(ConfigurationError, match="adapter"):
        Auth().init_app(bare_app(SECRET_KEY=SECRET))


def test_current_user_outside_a_request_is_anonymous() -> None:
    assert current_user.is_authenticated is False
    assert not current_session
