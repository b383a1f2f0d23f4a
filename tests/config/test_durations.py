"""Durations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from flask_authadapter.config import AuthConfig

from .helpers import (
    load,
    refused,
)

DURATION_KEYS = [
    "AUTH_SESSION_MAX_AGE",
    "AUTH_SESSION_UPDATE_AGE",
    "AUTH_SESSION_ABSOLUTE_MAX_AGE",
]


def _policy_value(config: AuthConfig, key: str) -> timedelta | None:
    policy = config.session_policy
    return {
        "AUTH_SESSION_MAX_AGE": policy.max_age,
        "AUTH_SESSION_UPDATE_AGE": policy.update_age,
        "AUTH_SESSION_ABSOLUTE_MAX_AGE": policy.absolute_max_age,
    }[key]


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize(
    "value",
    [3600, "3600", " 3600 ", 3600.0, timedelta(hours=1)],
    ids=["int", "digits", "digits with spaces", "float", "timedelta"],
)
def test_durations(key: str, value: Any) -> None:
    # An update age that fits inside a max_age of an hour, unless it is the one tested.
    settings = {"AUTH_SESSION_UPDATE_AGE": 60, key: value}
    assert _policy_value(load(**settings), key) == timedelta(hours=1)


def test_sessions_of_minutes() -> None:
    config = load(AUTH_SESSION_MAX_AGE=600, AUTH_SESSION_UPDATE_AGE=60)
    assert config.session_policy.max_age == timedelta(minutes=10)
    assert config.session_policy.update_age == timedelta(minutes=1)


def test_an_update_age_of_zero_extends_on_every_request() -> None:
    assert load(AUTH_SESSION_UPDATE_AGE=0).session_policy.update_age == timedelta(0)


def test_update_age_equal_to_max_age_is_allowed() -> None:
    config = load(AUTH_SESSION_MAX_AGE=3600, AUTH_SESSION_UPDATE_AGE=3600)
    assert config.session_policy.update_age == config.session_policy.max_age


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize(
    "bad",
    ["thirty days", "1h", "-5", "1.5", True, [3600], {"days": 1}],
    ids=["words", "unit", "negative digits", "decimal string", "bool", "list", "dict"],
)
def test_bad_durations_are_refused(key: str, bad: Any) -> None:
    assert key in refused(**{key: bad})


@pytest.mark.parametrize("key", ["AUTH_SESSION_MAX_AGE", "AUTH_SESSION_UPDATE_AGE"])
def test_an_empty_required_duration_is_refused(key: str) -> None:
    # An empty AUTH_SESSION_ABSOLUTE_MAX_AGE is refused today as well, although an empty
    # AUTH_URL means "unset"; whether "" should mean "off" there is undecided, so unpinned.
    assert key in refused(**{key: ""})


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize("bad", [-1, timedelta(seconds=-1)], ids=["negative", "negative delta"])
def test_negative_durations_are_refused(key: str, bad: Any) -> None:
    refused(**{key: bad})


@pytest.mark.parametrize("key", ["AUTH_SESSION_MAX_AGE", "AUTH_SESSION_ABSOLUTE_MAX_AGE"])
def test_a_zero_lifetime_is_refused(key: str) -> None:
    refused(**{key: 0})


def test_update_age_longer_than_max_age_is_refused() -> None:
    message = refused(AUTH_SESSION_MAX_AGE=3600, AUTH_SESSION_UPDATE_AGE=7200)
    assert "update_age" in message


def test_a_default_update_age_longer_than_a_short_max_age_is_refused() -> None:
    # max_age of an hour with the default update_age of a day: a mistake, said at start-up.
    refused(AUTH_SESSION_MAX_AGE=3600)
