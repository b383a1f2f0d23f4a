"""Tokens: how they are made, recognised, and stored (hash, HMAC), and signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string

import pytest

from flask_authadapter.core.tokens import (
    TOKEN_BYTES,
    hash_session_token,
    hmac_candidates,
    hmac_token,
    new_token,
    plausible_token,
    sign,
    verify_signature,
)

URLSAFE = set(string.ascii_letters + string.digits + "-_")
HEX = set("0123456789abcdef")
TOKEN = "Zk3pQ0xV_n-7bT2mWcL9yRa4uE1oHs8dJf6gKi5lNqP"  # the shape new_token() makes


def _decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


# new_token ------------------------------------------------------------------------------


def test_token_constant_and_fixture_have_the_documented_shape() -> None:
    assert TOKEN_BYTES == 32
    assert len(TOKEN) == 43
    assert plausible_token(TOKEN)


def test_new_token_is_43_urlsafe_characters_of_32_random_bytes() -> None:
    token = new_token()
    assert isinstance(token, str)
    assert len(token) == 43
    assert set(token) <= URLSAFE
    assert len(_decoded(token)) == TOKEN_BYTES


def test_new_tokens_are_unique() -> None:
    tokens = [new_token() for _ in range(20_000)]
    assert len(set(tokens)) == len(tokens)
    assert all(plausible_token(token) for token in tokens)


def test_new_tokens_use_the_whole_alphabet_and_balanced_bits() -> None:
    # A weak generator (a counter, a timestamp, a short seed) shows here. 1,000 tokens carry
    # 256,000 bits; a fair source is within a few hundred of half of them set (sd ~ 253).
    tokens = [new_token() for _ in range(1_000)]
    assert set("".join(token[:-1] for token in tokens)) == URLSAFE
    # The 43rd character carries the last 4 bits of the 32 bytes: one of 16 characters.
    assert len({token[-1] for token in tokens}) == 16
    ones = sum(bin(int.from_bytes(_decoded(token), "big")).count("1") for token in tokens)
    assert abs(ones - 128_000) < 2_500
    # No two tokens share a long prefix (they are not sequential).
    assert len({token[:8] for token in tokens}) == len(tokens)


# plausible_token --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["A" * 43, "-" * 43, "_" * 43, "0" * 43, TOKEN])
def test_plausible_token_accepts_the_shape(value: str) -> None:
    assert plausible_token(value)


def _with(char: str, at: int) -> str:
    return TOKEN[:at] + char + TOKEN[at + 1 :]


JUNK = {
    "empty": "",
    "one short": TOKEN[:-1],
    "one long": TOKEN + "A",
    "twice": TOKEN * 2,
    "padded": TOKEN + "=",
    "plus": _with("+", 0),
    "slash": _with("/", 20),
    "equals": _with("=", 42),
    "dot": _with(".", 10),
    "space": _with(" ", 5),
    "leading space": " " + TOKEN[1:],
    "trailing newline": TOKEN[:-1] + "\n",
    "tab": _with("\t", 30),
    "NUL": _with("\x00", 42),
    "NUL appended": TOKEN[:-1] + "\x00",
    "cyrillic A": _with("\u0410", 0),
    "fullwidth A": _with("\uff21", 3),
    "unicode hyphen": _with("\u2010", 7),
    "minus sign": _with("\u2212", 7),
    "arabic-indic digit": _with("\u0663", 9),
    "superscript two": _with("\u00b2", 9),
    "ligature fi": _with("\ufb01", 11),
    "combining accent": _with("\u0301", 12),
    "lone surrogate": _with("\ud800", 13),
    "non-breaking space": _with("\u00a0", 14),
    "sha256 hex (the stored form)": hashlib.sha256(TOKEN.encode()).hexdigest(),
    "percent-encoded": TOKEN[:40] + "%2B",
}


@pytest.mark.parametrize("value", list(JUNK.values()), ids=list(JUNK))
def test_plausible_token_refuses_other_strings(value: str) -> None:
    assert not plausible_token(value)


@pytest.mark.parametrize(
    "value",
    [None, 0, 43, TOKEN.encode(), bytearray(TOKEN.encode()), list(TOKEN), tuple(TOKEN), object()],
    ids=["None", "zero", "int 43", "bytes", "bytearray", "list", "tuple", "object"],
)
def test_plausible_token_refuses_non_strings(value: object) -> None:
    assert not plausible_token(value)


# hash_session_token -----------------------------------------------------------------------


def test_hash_session_token_is_sha256_hex() -> None:
    token = new_token()
    assert hash_session_token(token) == hashlib.sha256(token.encode("ascii")).hexdigest()
    # And against a digest computed outside this code base (sha256sum of the text).
    assert hash_session_token(TOKEN) == hashlib.new("sha256", TOKEN.encode()).hexdigest()
    assert (
        hash_session_token("abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_hash_session_token_is_lowercase_hex_and_deterministic() -> None:
    digest = hash_session_token(TOKEN)
    assert len(digest) == 64
    assert set(digest) <= HEX
    assert hash_session_token(TOKEN) == digest
    assert hash_session_token(_with("B", 0)) != digest
    assert TOKEN not in digest


# hmac_token / hmac_candidates -------------------------------------------------------------


def test_hmac_token_is_hmac_sha256_under_the_secret() -> None:
    # The stored form must stay stable across releases (links in flight are stored this way),
    # so it is pinned: HMAC-SHA256(secret, purpose NUL token), hex.
    expected = hmac.new(b"s3cret", b"verification\x00" + TOKEN.encode(), hashlib.sha256)
    assert hmac_token("s3cret", TOKEN) == expected.hexdigest()
    assert hmac_token("s3cret", TOKEN, purpose="verification") == expected.hexdigest()


def test_hmac_token_is_hex_and_not_a_plain_hash() -> None:
    stored = hmac_token("s3cret", TOKEN)
    assert len(stored) == 64
    assert set(stored) <= HEX
    assert stored != hash_session_token(TOKEN)
    assert stored != hashlib.sha256(b"s3cret" + TOKEN.encode()).hexdigest()


def test_hmac_token_differs_per_secret_per_purpose_and_per_token() -> None:
    forms = {
        hmac_token("secret-one", TOKEN),
        hmac_token("secret-two", TOKEN),
        hmac_token("secret-one", TOKEN, purpose="other"),
        hmac_token("secret-one", _with("B", 0)),
    }
    assert len(forms) == 4
    assert hmac_token("secret-one", TOKEN) == hmac_token("secret-one", TOKEN)


def test_hmac_token_takes_a_unicode_secret() -> None:
    expected = hmac.new("sécret".encode(), b"verification\x00" + TOKEN.encode(), hashlib.sha256)
    assert hmac_token("sécret", TOKEN) == expected.hexdigest()


def test_hmac_candidates_are_current_secret_first_then_fallbacks_in_order() -> None:
    secrets_in_order = ["current", "previous", "oldest"]
    assert hmac_candidates(secrets_in_order, TOKEN) == [
        hmac_token("current", TOKEN),
        hmac_token("previous", TOKEN),
        hmac_token("oldest", TOKEN),
    ]
    assert hmac_candidates(("only",), TOKEN) == [hmac_token("only", TOKEN)]
    assert hmac_candidates([], TOKEN) == []


def test_hmac_candidates_use_the_purpose() -> None:
    assert hmac_candidates(["current", "old"], TOKEN, purpose="other") == [
        hmac_token("current", TOKEN, purpose="other"),
        hmac_token("old", TOKEN, purpose="other"),
    ]
    assert hmac_candidates(["current"], TOKEN, purpose="other") != hmac_candidates(
        ["current"], TOKEN
    )


# sign / verify_signature ------------------------------------------------------------------


def test_a_signature_verifies_under_its_secret() -> None:
    signature = sign("current", "value", purpose="csrf")
    assert verify_signature(["current"], "value", signature, purpose="csrf")
    assert verify_signature(("current", "old"), "value", signature, purpose="csrf")


def test_a_signature_made_before_a_rotation_verifies_through_the_fallbacks() -> None:
    signature = sign("old", "value", purpose="csrf")
    assert verify_signature(["new", "old"], "value", signature, purpose="csrf")
    assert verify_signature(["newest", "new", "old"], "value", signature, purpose="csrf")
    # Once the old secret leaves the fallbacks, its signatures stop verifying.
    assert not verify_signature(["newest", "new"], "value", signature, purpose="csrf")


def test_a_signature_is_refused_for_another_purpose_value_or_secret() -> None:
    signature = sign("current", "value", purpose="csrf")
    assert not verify_signature(["current"], "value", signature, purpose="state")
    assert not verify_signature(["current"], "valuE", signature, purpose="csrf")
    assert not verify_signature(["current"], "value ", signature, purpose="csrf")
    assert not verify_signature(["other"], "value", signature, purpose="csrf")
    assert not verify_signature([], "value", signature, purpose="csrf")


def test_the_purposes_never_share_signatures() -> None:
    assert sign("s", "value", purpose="csrf") != sign("s", "value", purpose="state")
    assert sign("s", "value", purpose="csrf") != hmac_token("s", "value")
    assert sign("s", "value", purpose="verification") == hmac_token("s", "value")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),
        lambda s: s[:-1],
        lambda s: s + "0",
        lambda s: s.upper(),
        lambda s: "",
        lambda s: " " + s,
    ],
    ids=["last char", "truncated", "extended", "uppercase", "empty", "leading space"],
)
def test_a_tampered_signature_is_refused(tamper: object) -> None:
    signature = sign("current", "value", purpose="csrf")
    forged = tamper(signature)  # type: ignore[operator]
    assert not verify_signature(["current"], "value", forged, purpose="csrf")


@pytest.mark.parametrize(
    "forged",
    ["é" * 64, "\u0430" * 64, "signature\u2010"],
    ids=["latin accents", "cyrillic a", "unicode hyphen"],
)
def test_a_non_ascii_signature_is_refused_not_an_error(forged: str) -> None:
    assert not verify_signature(["current"], "value", forged, purpose="csrf")
