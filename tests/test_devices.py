"""The account page's words for a session: its browser, and times relative to now."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from flask_authadapter.core.devices import ago, browser_label, last_active
from flask_authadapter.core.sessions import SessionPolicy

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
HEADLESS = CHROME_LINUX.replace("Chrome/", "HeadlessChrome/")

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_ANDROID, "Chrome on Android"),
        (SAFARI_MAC, "Safari on macOS"),
        (HEADLESS, "Chrome on Linux"),
        (None, "Unknown browser"),
        ("", "Unknown browser"),
        ("   ", "Unknown browser"),
        ("E2E Laptop Browser/1.0", "Unknown browser"),
        ("\u202e" * 600, "Unknown browser"),
    ],
)
def test_a_user_agent_reads_as_browser_and_system(agent: str | None, label: str) -> None:
    assert browser_label(agent) == label


@pytest.mark.parametrize(
    ("past", "words"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=5, seconds=40), "5 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=3, hours=2), "3 days ago"),
        (timedelta(days=30), "30 days ago"),
        (timedelta(days=45), "on 2026-10-20"),
    ],
)
def test_a_moment_reads_relative_to_now_then_as_a_date(past: timedelta, words: str) -> None:
    assert ago(NOW - past, NOW) == words


def test_last_activity_is_exact_only_when_the_store_knows_it() -> None:
    five_minutes = NOW - timedelta(minutes=5)
    assert last_active(five_minutes, five_minutes, NOW) == "last active 5 minutes ago"
    assert last_active(NOW - timedelta(hours=5), None, NOW) == "active within the last 5 hours"
    assert (
        last_active(NOW - timedelta(hours=5), NOW + timedelta(hours=19), NOW)
        == "active within the last 5 hours"
    )
    assert (
        last_active(NOW - timedelta(days=3), NOW - timedelta(days=2), NOW)
        == "last active 2 to 3 days ago"
    )
    assert (
        last_active(NOW - timedelta(days=1, hours=4), NOW - timedelta(hours=4), NOW)
        == "last active 4 hours to 1 day ago"
    )
    assert last_active(NOW - timedelta(seconds=5), None, NOW) == "active just now"


def test_a_sessions_last_use_lies_within_one_update_age_of_its_last_extension() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30), update_age=timedelta(days=1))
    created = NOW - timedelta(days=10)
    expires = NOW - timedelta(days=3) + policy.max_age
    assert policy.last_used(created, expires) == (
        NOW - timedelta(days=3),
        NOW - timedelta(days=2),
    )
    exact = SessionPolicy(max_age=timedelta(days=30), update_age=timedelta(0))
    assert exact.last_used(created, expires) == (NOW - timedelta(days=3),) * 2


def test_past_the_absolute_cap_nothing_bounds_the_last_use() -> None:
    policy = SessionPolicy(
        max_age=timedelta(days=30), update_age=timedelta(days=1), absolute_max_age=timedelta(days=7)
    )
    created = NOW - timedelta(days=2)
    assert policy.last_used(created, created + timedelta(days=7)) == (created, None)
