"""The secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from flask_authadapter.config import load_config
from flask_authadapter.core.errors import ConfigurationError

from .helpers import (
    SECRET,
    load,
    refused,
)


def test_a_missing_secret_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_SECRET") as info:
        load_config({})
    assert "SECRET_KEY" in str(info.value)
    # The name to export for app.config.from_prefixed_env(), as the Quick start does.
    assert "FLASK_AUTH_SECRET" in str(info.value)


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_secret_is_a_missing_secret(empty: str | None) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
        load_config({"AUTH_SECRET": empty, "SECRET_KEY": empty})


def test_the_secret_falls_back_to_SECRET_KEY() -> None:
    assert load_config({"SECRET_KEY": SECRET}).secret == SECRET


def test_AUTH_SECRET_wins_over_SECRET_KEY() -> None:
    config = load_config({"AUTH_SECRET": SECRET, "SECRET_KEY": "k" * 40})
    assert config.secret == SECRET


def test_a_bytes_secret_is_decoded() -> None:
    assert load_config({"SECRET_KEY": SECRET.encode()}).secret == SECRET


def test_a_secret_that_is_not_text_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="string"):
        load_config({"AUTH_SECRET": 12345})


def test_a_short_secret_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="flask_authadapter")
    load_config({"AUTH_SECRET": "tiny-Qz7"})
    warnings = [r for r in caplog.records if r.name == "flask_authadapter"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "32" in warnings[0].getMessage()
    assert "tiny-Qz7" not in warnings[0].getMessage()  # never the secret itself


def test_a_long_secret_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="flask_authadapter")
    load_config({"AUTH_SECRET": "x" * 32})
    assert [r for r in caplog.records if r.name == "flask_authadapter"] == []


@pytest.mark.parametrize(
    "fallbacks",
    [["old-one", "old-two"], ("old-one", "old-two"), "old-one,old-two", [b"old-one", "old-two"]],
    ids=["list", "tuple", "comma string", "bytes"],
)
def test_secret_fallbacks(fallbacks: Any) -> None:
    config = load(AUTH_SECRET_FALLBACKS=fallbacks)
    assert config.secret_fallbacks == ("old-one", "old-two")
    assert config.secrets == (SECRET, "old-one", "old-two")


@pytest.mark.parametrize("empty", [None, "", [], ()])
def test_no_secret_fallbacks(empty: Any) -> None:
    assert load(AUTH_SECRET_FALLBACKS=empty).secrets == (SECRET,)


@pytest.mark.parametrize("bad", [["ok", ""], ["ok", None], [42]], ids=["empty", "None", "int"])
def test_bad_secret_fallbacks_are_refused(bad: Any) -> None:
    assert "AUTH_SECRET_FALLBACKS" in refused(AUTH_SECRET_FALLBACKS=bad)


def test_spaces_around_comma_separated_fallbacks_are_ignored() -> None:
    assert load(AUTH_SECRET_FALLBACKS="old-one, old-two").secret_fallbacks == (
        "old-one",
        "old-two",
    )
