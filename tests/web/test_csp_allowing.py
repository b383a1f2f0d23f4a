"""Tests for ``csp_allowing``: sources added to one directive of an app's policy."""

from __future__ import annotations

from flask_authadapter.config import CONTENT_SECURITY_POLICY
from flask_authadapter.web.responses import csp_allowing


def test_sources_join_the_directive() -> None:
    assert csp_allowing(CONTENT_SECURITY_POLICY, "form-action", ["https://idp.example"]) == (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self' https://idp.example; frame-ancestors 'none'; base-uri 'none'"
    )


def test_none_gives_way_and_sources_are_not_repeated() -> None:
    policy = "default-src 'self'; form-action 'none'"
    assert csp_allowing(policy, "form-action", ["'self'", "'self'"]) == (
        "default-src 'self'; form-action 'self'"
    )


def test_a_missing_fetch_directive_starts_from_default_src() -> None:
    assert csp_allowing(CONTENT_SECURITY_POLICY, "script-src", ["'self'"]).endswith(
        "; script-src 'self'"
    )
    assert csp_allowing("default-src https://cdn.example", "script-src", ["'self'"]) == (
        "default-src https://cdn.example; script-src https://cdn.example 'self'"
    )


def test_a_directive_the_policy_leaves_open_stays_open() -> None:
    assert csp_allowing("style-src 'self'", "form-action", ["https://a.example"]) == (
        "style-src 'self'"
    )
    assert csp_allowing("style-src 'self'", "script-src", ["'self'"]) == "style-src 'self'"
