"""Words for a session on the account page: its browser, when it signed in, when it was last
active. Flask-free.

User agents are read by ``ua-parser`` (the maintained port of the uap-core rules), so a row
says "Chrome on Linux" rather than the raw header; what it cannot read is "Unknown browser".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

import ua_parser

#: What an empty, missing or unreadable user agent reads as.
UNKNOWN_BROWSER = "Unknown browser"

#: Older moments than this are given as a date rather than "... ago".
DATE_AFTER = timedelta(days=30)

# uap-core's names for the mobile and headless builds of a browser: the browser is the same.
_BROWSER_PREFIXES = ("Mobile ", "Headless")
_BROWSER_SUFFIXES = (" Mobile", " Mobile WebView", " WebView")
_SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Devices better known than their system ("Safari on iPhone", not "on iOS").
_NAMED_DEVICES = ("iPhone", "iPad", "iPod")


@lru_cache(maxsize=256)
def browser_label(user_agent: str | None) -> str:
    """``user_agent`` in words: "Chrome on Linux", "Safari on iPhone", "Unknown browser"."""
    if not user_agent or not user_agent.strip():
        return UNKNOWN_BROWSER
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    if not browser or browser == "Other":
        return UNKNOWN_BROWSER
    for prefix in _BROWSER_PREFIXES:
        browser = browser.removeprefix(prefix)
    for suffix in _BROWSER_SUFFIXES:
        browser = browser.removesuffix(suffix)
    device = parsed.device.family if parsed.device else None
    system = parsed.os.family if parsed.os else None
    if device in _NAMED_DEVICES:
        return f"{browser} on {device}"
    if system and system != "Other":
        return f"{browser} on {_SYSTEMS.get(system, system)}"
    return browser


def _span(length: timedelta) -> str:
    """A duration in its largest whole unit: "1 minute", "5 hours", "3 days"."""
    seconds = int(length.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "a minute"


def ago(moment: datetime, now: datetime) -> str:
    """``moment`` relative to ``now``: "just now", "5 minutes ago", "3 days ago", or, when
    over a month old, "on 2026-11-04"."""
    past = now - moment
    if past < timedelta(minutes=1):
        return "just now"
    if past > DATE_AFTER:
        return f"on {moment:%Y-%m-%d}"
    return f"{_span(past)} ago"


def last_active(earliest: datetime, latest: datetime | None, now: datetime) -> str:
    """When a session was last used, as far as the store knows it.

    A store does not write on every request: it knows a session was used at ``earliest``
    (when its expiry was last moved) and not after ``latest`` (a later use would have moved
    it again), or ``None`` when nothing bounds it but ``now``. So the words are exact only
    when the two agree ("last active 5 minutes ago") and a range otherwise ("active within
    the last 5 hours", "last active 2 to 3 days ago")."""
    if latest is None or now - latest < timedelta(minutes=1):
        if now - earliest < timedelta(minutes=1):
            return "active just now"
        if now - earliest > DATE_AFTER:
            return f"active since {earliest:%Y-%m-%d}"
        return f"active within the last {_span(now - earliest)}"
    if latest <= earliest:
        return f"last active {ago(earliest, now)}"
    newest, oldest = ago(latest, now), ago(earliest, now)
    if newest == oldest:
        return f"last active {oldest}"
    if newest.endswith(" ago") and oldest.endswith(" ago"):
        near, far = newest.removesuffix(" ago"), oldest.removesuffix(" ago")
        near_count, near_unit = near.split(" ", 1)
        far_unit = far.split(" ", 1)[1]
        if near_unit.rstrip("s") == far_unit.rstrip("s"):
            return f"last active {near_count} to {far} ago"
        return f"last active {near} to {far} ago"
    return f"last active between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d}"
