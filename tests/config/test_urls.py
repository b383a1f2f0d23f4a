"""AUTH_URL; AUTH_URL_PREFIX."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    load,
    refused,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://app.example", "https://app.example"),
        ("https://app.example/", "https://app.example"),
        ("http://localhost:5000", "http://localhost:5000"),
        ("https://app.example/shop/", "https://app.example/shop"),
        ("", None),
    ],
)
def test_auth_url(value: str, expected: str | None) -> None:
    assert load(AUTH_URL=value).url == expected


@pytest.mark.parametrize(
    "bad",
    [
        "app.example",
        "//app.example",
        "ftp://app.example",
        "javascript:alert(1)",
        "https://",
        "https://app.example/?next=/x",
        "https://app.example/#top",
        42,
    ],
    ids=[
        "no scheme",
        "scheme-relative",
        "ftp",
        "javascript",
        "no host",
        "query",
        "fragment",
        "not text",
    ],
)
def test_bad_auth_urls_are_refused(bad: Any) -> None:
    assert "AUTH_URL" in refused(AUTH_URL=bad)


@pytest.mark.parametrize("value", ["/auth", "/account/auth", "/a"])
def test_url_prefix(value: str) -> None:
    assert load(AUTH_URL_PREFIX=value).url_prefix == value


@pytest.mark.parametrize(
    "bad",
    ["auth", "/auth/", "/", "", None, 5],
    ids=["relative", "slash end", "root", "empty", "None", "int"],
)
def test_bad_url_prefixes_are_refused(bad: Any) -> None:
    assert "AUTH_URL_PREFIX" in refused(AUTH_URL_PREFIX=bad)


def test_a_scheme_relative_url_prefix_is_refused() -> None:
    refused(AUTH_URL_PREFIX="//auth")
