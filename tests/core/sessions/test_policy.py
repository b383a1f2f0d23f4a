"""SessionPolicy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flask_authadapter.core.sessions import (
    SessionPolicy,
)
from tests.core.conftest import START

from .helpers import (
    DAY,
    SECOND,
)


def test_policy_defaults() -> None:
    policy = SessionPolicy()
    assert policy.max_age == timedelta(days=30)
    assert policy.update_age == DAY
    assert policy.absolute_max_age is None


@pytest.mark.parametrize(
    "options",
    [
        {"max_age": timedelta(0)},
        {"max_age": -DAY},
        {"update_age": -SECOND},
        {"max_age": DAY, "update_age": DAY + SECOND},
        {"absolute_max_age": timedelta(0)},
        {"absolute_max_age": -DAY},
    ],
    ids=[
        "zero max_age",
        "negative max_age",
        "negative update_age",
        "update_age over max_age",
        "zero absolute_max_age",
        "negative absolute_max_age",
    ],
)
def test_policy_refuses_nonsense(options: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError, match="session"):
        SessionPolicy(**options)


@pytest.mark.parametrize(
    "options",
    [
        {"update_age": timedelta(0)},
        {"max_age": DAY, "update_age": DAY},
        {"absolute_max_age": SECOND},
        {"max_age": 60 * DAY, "update_age": DAY, "absolute_max_age": 7 * DAY},
    ],
    ids=["update every load", "update_age equals max_age", "tiny cap", "cap below max_age"],
)
def test_policy_accepts_the_edges(options: dict[str, timedelta]) -> None:
    SessionPolicy(**options)


def test_policy_is_immutable() -> None:
    policy = SessionPolicy()
    with pytest.raises(AttributeError):
        policy.max_age = DAY  # type: ignore[misc]


def test_expiry_slides_max_age_from_now() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30))
    assert policy.expiry(START, START) == START + timedelta(days=30)
    later = START + timedelta(days=100)
    assert policy.expiry(later, START) == later + timedelta(days=30)
    assert policy.expiry(later, None) == later + timedelta(days=30)


def test_expiry_is_capped_at_creation_plus_absolute_max_age() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30), absolute_max_age=timedelta(days=45))
    # Far from the cap: the sliding expiry.
    assert policy.expiry(START, START) == START + timedelta(days=30)
    assert policy.expiry(START + 15 * DAY, START) == START + 45 * DAY
    # Past the point where sliding would outrun the cap: the cap.
    assert policy.expiry(START + 20 * DAY, START) == START + 45 * DAY
    # No creation time known: no cap to apply.
    assert policy.expiry(START + 20 * DAY, None) == START + 50 * DAY


def test_a_cap_below_max_age_is_the_expiry_of_a_new_session() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30), absolute_max_age=timedelta(hours=8))
    assert policy.expiry(START, START) == START + timedelta(hours=8)
