"""Email sign-in's settings: Email(...) arguments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from flask_authadapter.providers.email import Email
from flask_authadapter.ratelimit import EmailLimits


def test_email_sign_ins_settings_are_the_providers_arguments() -> None:
    limits = EmailLimits(
        per_address="1 per minute",
        per_address_total="2 per minute",
        per_network="3 per minute",
        send_budget="100 per day",
        verify="4 per minute",
    )
    email = Email(max_attempts=3, timeout=2.5, rate_limits=limits)
    assert (email.max_attempts, email.timeout, email.rate_limits) == (3, 2.5, limits)
    assert Email(timeout=timedelta(seconds=3)).timeout == 3.0
    assert Email(rate_limits=None).rate_limits is None  # no limits (code tries still count)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "5", None])
def test_max_attempts_must_be_a_whole_number_of_at_least_one(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"Email\(max_attempts=\.\.\.\) must be a whole"):
        Email(max_attempts=bad)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "10", timedelta(0)])
def test_the_timeout_must_be_a_positive_number_of_seconds(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"Email\(timeout=\.\.\.\) must be a positive"):
        Email(timeout=bad)


@pytest.mark.parametrize("bad", ["3 per 10 minutes", {"per_address": "3 per hour"}, False])
def test_rate_limits_must_be_email_limits_or_None(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(\.\.\.\).* or None") as raised:
        Email(rate_limits=bad)
    assert repr(bad) in str(raised.value)


def test_a_bad_limit_is_refused_when_the_limits_are_built() -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(per_network=\.\.\.\)"):
        EmailLimits(per_network="lots")


def test_the_limits_are_frozen() -> None:
    limits = EmailLimits()
    with pytest.raises(AttributeError):
        limits.verify = "1 per hour"  # type: ignore[misc]
