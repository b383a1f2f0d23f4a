"""Sealing: authenticated encryption under keys derived from the app's secrets."""

from __future__ import annotations

import pytest

from flask_authadapter.core.sealing import PREFIX, SealedValueError, Sealer, is_sealed

SECRET = "s" * 40
OLD = "o" * 40


def test_a_sealed_value_opens_to_what_was_sealed_and_shows_none_of_it() -> None:
    sealer = Sealer([SECRET], purpose="test")
    sealed = sealer.seal("gho_access-token-Ünïcode")
    assert sealed.startswith(PREFIX)
    assert is_sealed(sealed)
    assert "access" not in sealed
    assert sealed.isascii()
    assert sealer.open(sealed) == "gho_access-token-Ünïcode"


def test_sealing_twice_gives_two_different_values() -> None:
    sealer = Sealer([SECRET], purpose="test")
    assert sealer.seal("same") != sealer.seal("same")


def test_a_value_sealed_for_one_purpose_does_not_open_for_another() -> None:
    sealed = Sealer([SECRET], purpose="a").seal("x")
    with pytest.raises(SealedValueError):
        Sealer([SECRET], purpose="b").open(sealed)


def test_a_value_bound_to_a_context_opens_only_there() -> None:
    sealer = Sealer([SECRET], purpose="test")
    sealed = sealer.seal("x", context="github/1")
    assert sealer.open(sealed, context="github/1") == "x"
    with pytest.raises(SealedValueError):
        sealer.open(sealed, context="github/2")


@pytest.mark.parametrize("position", [6, 12, 20, -1])
def test_a_changed_character_is_refused(position: int) -> None:
    sealer = Sealer([SECRET], purpose="test")
    sealed = sealer.seal("some text to protect")
    char = sealed[position]
    changed = sealed[:position] + ("A" if char != "A" else "B") + sealed[position + 1 :]
    if position == -1:
        changed = sealed[:-1] + ("A" if sealed[-1] != "A" else "B")
    with pytest.raises(SealedValueError):
        sealer.open(changed)


@pytest.mark.parametrize(
    "junk", ["", "plain", "faa1.", "faa1.abc.", "faa1.x.y.z", "faa1.00000000.!!"]
)
def test_junk_is_refused_with_a_clear_error(junk: str) -> None:
    with pytest.raises(SealedValueError):
        Sealer([SECRET], purpose="test").open(junk)


def test_a_fallback_secret_still_opens_and_asks_for_resealing() -> None:
    old = Sealer([OLD], purpose="test").seal("x")
    rotated = Sealer([SECRET, OLD], purpose="test")
    assert rotated.open(old) == "x"
    assert rotated.needs_resealing(old)
    assert not rotated.needs_resealing(rotated.seal("x"))
    assert rotated.needs_resealing("plain text")


def test_a_secret_no_longer_configured_does_not_open() -> None:
    old = Sealer([OLD], purpose="test").seal("x")
    with pytest.raises(SealedValueError, match="not configured"):
        Sealer([SECRET], purpose="test").open(old)
