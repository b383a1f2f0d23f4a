"""Appending to a URL's query string."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode


def with_query(url: str, query: Mapping[str, str] | str) -> str:
    """``url`` with ``query`` (parameters, or an encoded query string) appended to its own;
    ``url`` itself when there is nothing to append."""
    extra = query if isinstance(query, str) else urlencode(query)
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{extra}"
