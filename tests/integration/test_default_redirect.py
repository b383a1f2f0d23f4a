"""An app without the page AUTH_DEFAULT_REDIRECT names (``/`` by default) hears of it on its
first request, with its routes all registered, rather than after its first sign-out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.apps import dummy_sign_in

WARNING = "AUTH_DEFAULT_REDIRECT is '{}', but the app has no page there"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "flask_authadapter" and "AUTH_DEFAULT_REDIRECT" in r.getMessage()
    ]


def test_an_app_without_a_home_page_is_warned_once(
    make_bare_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_bare_app()
    client = app.test_client()
    with caplog.at_level("WARNING", logger="flask_authadapter"):
        dummy_sign_in(client, callback_url="/auth/session")
        token = client.get("/auth/csrf").get_json()["csrfToken"]
        signed_out = client.post("/auth/signout", data={"csrf_token": token})
        # What the warning is about: signing out lands on a page the app does not have.
        assert signed_out.location == "/" and client.get("/").status_code == 404
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].startswith(WARNING.format("/"))


def test_a_home_page_registered_after_init_app_counts(
    make_bare_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_bare_app()

    @app.get("/")
    def home() -> str:
        return "home"

    with caplog.at_level("WARNING", logger="flask_authadapter"):
        assert app.test_client().get("/auth/signin").status_code == 200
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("default", "route", "methods", "warned"),
    [
        ("/dashboard", "/dashboard", ["GET"], False),
        ("/dashboard?tab=1#top", "/dashboard", ["GET"], False),
        ("/dashboard", "/dashboard/", ["GET"], False),  # Flask redirects to the slash
        ("/items/7", "/items/<int:item>", ["GET"], False),
        ("/auth/signin", "/unused", ["GET"], False),  # the extension's own page
        ("/dashboard", "/dashboard", ["POST"], True),  # no GET: 405
        ("/dashboard", "/elsewhere", ["GET"], True),
    ],
)
def test_the_default_redirect_is_matched_against_the_apps_routes(
    make_bare_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    default: str,
    route: str,
    methods: list[str],
    warned: bool,
) -> None:
    app = make_bare_app(AUTH_DEFAULT_REDIRECT=default)
    app.add_url_rule(route, "page", lambda **_: "page", methods=methods)
    with caplog.at_level("WARNING", logger="flask_authadapter"):
        app.test_client().get("/auth/signin")
    assert [w.startswith(WARNING.format(default)) for w in _warnings(caplog)] == (
        [True] if warned else []
    )


@pytest.mark.parametrize(
    ("default", "warned"),
    [
        ("/app/dashboard", False),
        ("/app/missing", True),
        ("/dashboard", False),  # above the app's script root: not the app's to check
        ("/", False),
    ],
)
def test_under_a_script_root_the_path_below_it_is_matched(
    make_bare_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    default: str,
    warned: bool,
) -> None:
    app = make_bare_app(AUTH_DEFAULT_REDIRECT=default)
    app.add_url_rule("/dashboard", "dashboard", lambda: "dashboard")
    with caplog.at_level("WARNING", logger="flask_authadapter"):
        app.test_client().get("/auth/signin", base_url="http://localhost/app/")
    assert len(_warnings(caplog)) == (1 if warned else 0)
