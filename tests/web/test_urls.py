"""Tests for ``flask_authadapter.web.urls.with_query``."""

from __future__ import annotations

import pytest

from flask_authadapter.web.urls import with_query


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("/auth/signin", {"callback_url": "/a?b=1"}, "/auth/signin?callback_url=%2Fa%3Fb%3D1"),
        ("/login?next=1", {"error": "AccessDenied"}, "/login?next=1&error=AccessDenied"),
        ("/login", "a=1&b=2", "/login?a=1&b=2"),
        ("/login?x=1", "a=1", "/login?x=1&a=1"),
        ("/login", {}, "/login"),
        ("/login", "", "/login"),
    ],
)
def test_with_query_appends_to_the_urls_own_query(
    url: str, query: dict[str, str] | str, expected: str
) -> None:
    assert with_query(url, query) == expected
