"""safe_redirect checked on hypothesis-generated targets against the two oracles of
tests/web/origin_oracles.py."""

from __future__ import annotations

import pytest

from flask_authadapter.web.redirects import (
    origin_of,
    safe_redirect,
)

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    HAVE_HYPOTHESIS = False
else:
    HAVE_HYPOTHESIS = True

from tests.web.origin_oracles import _browser_origin, _reference_origin, _resolved_origin

BASE = "https://example.com"
DEFAULT = "/fallback"


# --------------------------------------------------------------------------- properties

BASES = [
    BASE,
    "https://example.com/app/",
    "http://example.com:8080",
    "http://[::1]:5000",
    "https://bücher.example",
    "http://127.0.0.1:5000",
]

# Pieces that put hypothesis near the edges: slashes, schemes, hosts, encodings.
PIECES = [
    "/",
    "//",
    "\\",
    ".",
    "..",
    ":",
    "@",
    "?",
    "#",
    "%",
    "%2F",
    "%2f",
    "%5C",
    "%25",
    "%2e",
    "%09",
    "%0A",
    "%EF%BC%8F",
    "\t",
    "\n",
    "\r",
    " ",
    "\x00",
    "\x0c",
    "\uff0f",
    "\u2215",
    "\uff3c",
    "\u3000",
    "http:",
    "https:",
    "HTTPS:",
    "http://",
    "https://",
    "javascript:",
    "example.com",
    "EXAMPLE.COM",
    "evil.example",
    "xn--bcher-kva.example",
    "bücher.example",
    "[::1]",
    "[0:0::1]",
    "127.0.0.1",
    "localhost",
    ":443",
    ":80",
    ":5000",
    ":8080",
    "user:pass@",
    "app",
    "x",
]


def test_hypothesis_is_available() -> None:
    if not HAVE_HYPOTHESIS:  # pragma: no cover
        pytest.skip("hypothesis is not installed: the property tests did not run")


if HAVE_HYPOTHESIS:
    _targets = st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
        st.tuples(
            st.sampled_from(["/", "https://example.com", "http://[::1]:5000", "https://"]),
            st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
        ).map("".join),
    )

    @settings(max_examples=1500, deadline=None, database=None)
    @given(target=_targets, base_url=st.sampled_from(BASES))
    def test_property_accepted_targets_stay_on_the_origin(target: str, base_url: str) -> None:
        sentinel = "\x00not a target"
        result = safe_redirect(target, base_url=base_url, default=sentinel)
        assert result in (target, sentinel)
        if result == sentinel:
            return
        origin = _reference_origin(base_url)
        # Resolved as urllib does...
        assert _resolved_origin(base_url, result) == origin
        # ...and as a browser does, tabs and newlines dropped and whitespace stripped.
        assert _browser_origin(base_url, result) == origin
        # The origin helpers agree.
        if not result.startswith("/"):
            assert origin_of(result) == origin_of(base_url)

    @settings(max_examples=500, deadline=None, database=None)
    @given(url=_targets)
    def test_property_origin_of_is_idempotent(url: str) -> None:
        try:
            origin = origin_of(url)
        except ValueError:
            return
        assert origin_of(origin) == origin
