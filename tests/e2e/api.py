"""Playwright's names for the test modules.

Without Playwright for Python, the modules still import (these names are then placeholders)
and every browser test skips, or fails with ``CI=true``, in its ``playwright`` fixture,
saying why (see ``tests/e2e/browser.py``): a missing package never stops the collection
of the rest of the suite.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Browser", "BrowserContext", "Page", "Response", "expect"]

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Response, expect
except ImportError:  # pragma: no cover - the fixtures skip (or fail) every test
    Browser = BrowserContext = Page = Response = Any  # type: ignore[misc, assignment]

    def expect(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        raise RuntimeError("Playwright for Python is not installed")
