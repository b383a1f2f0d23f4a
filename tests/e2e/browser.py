"""Chromium for the end-to-end tests, or a clear skip (a failure in CI).

Debian's ``chromium`` package is used (Playwright's own browser download does not work
everywhere): :data:`CHROMIUM`, launched headless with :data:`LAUNCH_ARGS`. Without it the
tests skip, saying why, except with ``CI=true``, where they fail (as they do for a missing
database server, see ``harness/servers/``). Without Playwright for Python, the same.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from harness.servers import running_in_ci

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "chromium_path", "missing_browser_reason", "skip_or_fail"]

#: Where Debian's ``chromium`` package puts the browser.
CHROMIUM = Path("/usr/bin/chromium")

#: Headless, no sandbox (containers, root), and nothing that reaches the network by itself.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_INSTALL = "apt-get install chromium (or: make system-deps)"


def skip_or_fail(reason: str) -> None:
    """Skip, except in CI (``CI=true``), where a missing browser fails the tests."""
    if running_in_ci():
        pytest.fail(f"{reason} [CI=true: a missing browser fails, never skips]", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> Path | None:
    """The Chromium binary: /usr/bin/chromium, else ``chromium`` on the PATH; None if absent."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    if chromium_path() is None:
        return f"Chromium is not installed ({CHROMIUM} is missing): {_INSTALL}"
    return None
