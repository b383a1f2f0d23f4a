"""AUTH_PAGES."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_authadapter.config import PAGE_KINDS, load_config

from .helpers import (
    SECRET,
    load,
    refused,
)


def test_pages() -> None:
    config = load(AUTH_PAGES={"signin": "/login", "error": ""}, AUTH_DEFAULT_REDIRECT="/home")
    assert config.pages["signin"] == "/login"
    assert config.pages["error"] is None  # empty: the blueprint's page
    assert config.pages["signout"] is None  # not named: the blueprint's page
    assert config.default_redirect == "/home"


def test_every_page_may_be_the_apps_own() -> None:
    pages = {kind: f"/my/{kind}" for kind in PAGE_KINDS}
    assert dict(load(AUTH_PAGES=pages).pages) == pages


def test_the_pages_cannot_be_changed_after_loading() -> None:
    config = load(AUTH_PAGES={"signin": "/login"})
    with pytest.raises(TypeError):
        config.pages["signin"] = "/elsewhere"  # type: ignore[index]


@pytest.mark.parametrize("unknown", ["sign_in", "verify-request", "newUser"])
def test_an_unknown_page_is_refused_naming_the_known_ones(unknown: str) -> None:
    message = refused(AUTH_PAGES={"signin": "/login", unknown: "/x"})
    assert "AUTH_PAGES" in message
    assert repr(unknown) in message
    assert all(kind in message for kind in PAGE_KINDS)


@pytest.mark.parametrize("bad", ["/login", ["/login"], 5])
def test_pages_that_are_not_a_mapping_are_refused(bad: Any) -> None:
    message = refused(AUTH_PAGES=bad)
    assert "AUTH_PAGES must be a mapping" in message
    assert '{"signin": "/login"}' in message  # says what to write instead


@pytest.mark.parametrize("bad", [5, ["/login"]])
def test_a_page_that_is_not_text_is_refused(bad: Any) -> None:
    assert 'AUTH_PAGES["signin"]' in refused(AUTH_PAGES={"signin": bad})


def test_pages_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_AUTH_SECRET", SECRET)
    monkeypatch.setenv("FLASK_AUTH_PAGES", '{"signin": "/login", "error": "/oops"}')
    app = Flask(__name__)
    app.config.from_prefixed_env()
    pages = load_config(app.config).pages
    assert (pages["signin"], pages["error"], pages["signout"]) == ("/login", "/oops", None)
