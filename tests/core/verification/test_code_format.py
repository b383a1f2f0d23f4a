"""new_code; normalize_code."""

from __future__ import annotations

import string

import pytest

from flask_authadapter.core.verification import (
    CODE_ALPHABET,
    CODE_LENGTH,
    new_code,
    normalize_code,
)

from .helpers import (
    BAD_CODES,
)


def test_the_code_alphabet_is_unambiguous() -> None:
    assert CODE_LENGTH == 8
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
    assert set(CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert set(CODE_ALPHABET) == set(string.ascii_uppercase + string.digits) - set("0O1IL")


def test_new_code_has_the_alphabet_and_length() -> None:
    codes = [new_code() for _ in range(3_000)]
    for code in codes:
        assert isinstance(code, str)
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
        assert normalize_code(code) == code
    # Every character of the alphabet turns up, in every position.
    for position in range(CODE_LENGTH):
        assert {code[position] for code in codes} == set(CODE_ALPHABET)


def test_new_codes_are_unique() -> None:
    # 31**8 ~ 8.5e11 codes: among 20,000 from a fair source, one collision happens with
    # probability ~ 2e-4 and two with ~ 3e-8; a weak source (a short or biased draw)
    # collides far more often.
    codes = [new_code() for _ in range(20_000)]
    assert len(codes) - len(set(codes)) <= 1


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD2345",
        " abcd-2345 ",
        "ABCD 2345",
        "abcd2345",
        "AbCd-2345",
        "\tABCD-2345\t",
        "A-B-C-D-2-3-4-5",
        "ABCD--2345",
        "ABCD2345" + " " * 24,  # 32 characters: the longest input looked at
    ],
)
def test_normalize_code_accepts_what_people_type(typed: str) -> None:
    assert normalize_code(typed) == "ABCD2345"


@pytest.mark.parametrize("value", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_normalize_code_refuses(value: object) -> None:
    assert normalize_code(value) is None


@pytest.mark.parametrize("char", "0O1IL" + "oil")
def test_normalize_code_refuses_each_ambiguous_character(char: str) -> None:
    assert normalize_code("ABC" + char + "2345") is None


def test_normalize_code_refuses_long_input_before_looking_at_it() -> None:
    assert normalize_code("ABCD2345" + " " * 25) is None  # 33 characters
    assert normalize_code(" " * 10_000_000) is None
