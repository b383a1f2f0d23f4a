"""Email addresses: one normal form, and a refusal of anything that is not one address.

What counts as "one address" here is deliberately narrower than RFC 5322 (no quoted local
parts, no comments, no address literals, no display names): the normaliser reads what a
person types into a sign-in form, and the result goes into a mail header and a link.

Decisions these tests pin down:

- Surrounding whitespace (anything ``str.strip()`` removes, CR/LF and U+2028 included) is
  trimmed, as a form field's stray newline is; the same characters *inside* the address are
  refused (header injection).
- An internationalised domain is kept in its ASCII (``xn--``) form, the form mail servers
  route by: ``ada@bücher.example`` and ``ada@xn--bcher-kva.example`` are one stored address.
  A non-ASCII local part is refused: mail to it needs SMTPUTF8 end to end.
- An internationalised domain is encoded by UTS 46 non-transitional processing (IDNA 2008):
  ``faß.de`` and ``fass.de`` are two domains with two owners, as are a Greek domain ending
  in final sigma and the one ending in sigma; nothing folds one domain into another.
  Joiners (ZWJ, ZWNJ) are refused, as every format character is.
- Plus-addressing is kept: ``ada+news@example.com`` is not ``ada@example.com`` (only the
  rate limits count them as one mailbox, :func:`mailbox_of`).
- Input over ``MAX_TYPED_LENGTH`` characters is refused before it is normalised.
- A domain needs a dot (no ``ada@localhost``), and a trailing dot is refused.
"""

from __future__ import annotations

import unicodedata

import idna
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flask_authadapter.core import emails
from flask_authadapter.core.emails import (
    MAX_TYPED_LENGTH,
    mailbox_of,
    normalize_email,
    normalized_or_none,
)
from flask_authadapter.core.errors import EmailSignin
from flask_authadapter.core.values import MAX_EMAIL_LENGTH

#: A 320-character address that is valid to the letter of RFC 5321: a 64-character local
#: part, and a 255-character domain of 63-character labels.
LONGEST = "l" * 64 + "@" + ".".join(["d" * 63] * 4)


# accepted -------------------------------------------------------------------------------------

ACCEPTED = {
    "plain": ("ada@example.com", "ada@example.com"),
    "upper case": ("Ada.Lovelace@Example.COM", "ada.lovelace@example.com"),
    "trimmed": ("  ada@example.com \t", "ada@example.com"),
    "trailing CRLF": ("ada@example.com\r\n", "ada@example.com"),
    "surrounding U+2028 and NBSP": ("\u2028ada@example.com\u00a0", "ada@example.com"),
    "fullwidth letters": ("\uff21\uff24\uff21@example.com", "ada@example.com"),
    "fullwidth everything": (
        "\uff21\uff24\uff21\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
        "ada@example.com",
    ),
    "small commercial at": ("ada\ufe6bexample.com", "ada@example.com"),
    "plus addressing kept": ("Ada+News@example.com", "ada+news@example.com"),
    "subdomains": ("ada@mail.eu.example.co.uk", "ada@mail.eu.example.co.uk"),
    "dots in the local part": ("ada.king.lovelace@example.com", "ada.king.lovelace@example.com"),
    "apostrophe": ("o'brien@example.com", "o'brien@example.com"),
    "rfc atext": ("a!#$%&'*+/=?^_`{|}~-z@example.com", "a!#$%&'*+/=?^_`{|}~-z@example.com"),
    "hyphens inside labels": ("ada@my-mail.ex-ample.com", "ada@my-mail.ex-ample.com"),
    "digits": ("1234@123.example", "1234@123.example"),
    "one-letter parts": ("a@b.co", "a@b.co"),
    "IDN domain in its xn-- form": ("ada@B\u00dcCHER.example", "ada@xn--bcher-kva.example"),
    "IDN domain in xn-- form kept so": (
        "ada@XN--BCHER-KVA.example",
        "ada@xn--bcher-kva.example",
    ),
    "non-latin domain": ("ada@\u4f8b\u5b50.\u5e7f\u544a", "ada@xn--fsqu00a.xn--4rr70v"),
    "sharp s kept (not ss)": ("ada@fa\u00df.de", "ada@xn--fa-hia.de"),
    "capital sharp s is sharp s": ("ada@FA\u1e9e.DE", "ada@xn--fa-hia.de"),
    "sharp s in xn-- form kept so": ("ada@xn--fa-hia.de", "ada@xn--fa-hia.de"),
    "final sigma kept (not sigma)": ("ada@\u03c3\u03b1\u03c2.gr", "ada@xn--mxa8ab.gr"),
    "sigma": ("ada@\u03c3\u03b1\u03c3.gr", "ada@xn--mxa9ab.gr"),
    "320 characters": (LONGEST, LONGEST),
    "320 after trimming": ("  " + LONGEST + "  ", LONGEST),
}


@pytest.mark.parametrize(("typed", "stored"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_accepted(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored
    assert normalized_or_none(typed) == stored
    assert normalize_email(stored) == stored  # idempotent


def test_the_longest_address_is_exactly_the_limit() -> None:
    assert MAX_EMAIL_LENGTH == 320
    assert len(LONGEST) == 320
    assert len(LONGEST.partition("@")[2]) == 255


# refused --------------------------------------------------------------------------------------

REFUSED: dict[str, object] = {
    "unicode local part": "Zo\u00eb@example.com",
    "decomposed local part": "zoe\u0308@example.com",
    "non-latin local part": "\u7528\u6237@example.com",
    # not text, or nothing
    "None": None,
    "int": 42,
    "bytes": b"ada@example.com",
    "list": ["ada@example.com"],
    "empty": "",
    "blank": "   \t ",
    # not exactly one @
    "no @": "ada.example.com",
    "two @": "ada@bob@example.com",
    "@@": "ada@@example.com",
    "fullwidth second @": "ada\uff20bob@example.com",
    "empty local part": "@example.com",
    "empty domain": "ada@",
    "only @": "@",
    # lists, quoting, display names, comments, literals
    "comma": "ada@example.com,eve@example.com",
    "comma in local": "ada,eve@example.com",
    "semicolon": "ada@example.com;eve@example.com",
    "double quotes": '"ada"@example.com',
    "quoted local with @": '"ada@x"@example.com',
    "display name": "Ada <ada@example.com>",
    "angle brackets": "<ada@example.com>",
    "small angle brackets": "\ufe64ada@example.com\ufe65",
    "comment": "ada(home)@example.com",
    "colon": "mailto:ada@example.com",
    "address literal": "ada@[127.0.0.1]",
    "backslash": "ada\\@example.com",
    # whitespace and control characters inside
    "space in local": "ada lovelace@example.com",
    "space in domain": "ada@exa mple.com",
    "space around @": "ada @ example.com",
    "CRLF header injection": "ada@example.com\r\nBcc: eve@example.com",
    "LF inside": "ada\n@example.com",
    "CR inside": "ada@example\r.com",
    "NUL": "ada\x00@example.com",
    "trailing NUL": "ada@example.com\x00",
    "tab inside": "ada\t@example.com",
    "vertical tab inside": "ada\x0b@example.com",
    "ESC": "ada\x1b[31m@example.com",
    "DEL": "ada\x7f@example.com",
    "NEL U+0085": "ada\x85@example.com",
    "line separator U+2028": "ada\u2028@example.com",
    "paragraph separator U+2029": "ada@exam\u2029ple.com",
    "no-break space U+00A0": "ada\u00a0lovelace@example.com",
    "ideographic space U+3000": "ada\u3000@example.com",
    "zero-width space U+200B": "ad\u200ba@example.com",
    "zero-width joiner U+200D": "ada@exam\u200dple.com",
    "zero-width joiner in an IDN": "ada@fa\u00df\u200d.de",
    "zero-width non-joiner U+200C": "ada@exam\u200cple.com",
    "ZWNJ where IDNA 2008 allows it": "ada@\u0646\u0627\u0645\u0647\u200c\u0627\u06cc.ir",
    "IDN label with -- in 3rd and 4th place": "ada@b\u00fc--cher.example",
    "BOM U+FEFF": "\ufeffada@example.com",
    "soft hyphen U+00AD": "ada@exam\u00adple.com",
    "right-to-left override U+202E": "ada\u202e@example.com",
    "private use U+E000": "ada\ue000@example.com",
    "unassigned U+0378": "ada\u0378@example.com",
    "lone surrogate": "ada\ud800@example.com",
    # length
    "321 characters": "l" + LONGEST,
    "huge": "a" * 100_000 + "@example.com",
    "500 kB": "a" * 500_000 + "@example.com",
    "over the typed bound, all spaces": " " * 2000 + "ada@example.com",
    "NFKC makes it too long": "\ufb03" * 105 + "@example.com",  # 117 -> 327 characters
    # domain
    "domain without dot": "ada@localhost",
    "leading hyphen label": "ada@-example.com",
    "trailing hyphen label": "ada@example-.com",
    "hyphen-only TLD start": "ada@example.-com",
    "trailing hyphen TLD": "ada@example.com-",
    "empty label": "ada@example..com",
    "leading dot in domain": "ada@.example.com",
    "trailing dot in domain": "ada@example.com.",
    "dot domain": "ada@.",
    # local part dots
    "leading dot in local": ".ada@example.com",
    "trailing dot in local": "ada.@example.com",
    "double dot in local": "ada..lovelace@example.com",
    "dot local": ".@example.com",
}


@pytest.mark.parametrize("value", list(REFUSED.values()), ids=list(REFUSED))
def test_refused(value: object) -> None:
    with pytest.raises(EmailSignin) as raised:
        normalize_email(value)
    assert raised.value.code == "EmailSignin"
    assert raised.value.status == 400
    assert normalized_or_none(value) is None


def test_the_message_never_echoes_the_address() -> None:
    # The message goes to the log; the address is personal data.
    for value in ("secret.person@example.com\r\nBcc: x@y.z", "secret.person@localhost"):
        with pytest.raises(EmailSignin) as raised:
            normalize_email(value)
        assert "secret.person" not in str(raised.value)


# never one domain for two -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("fa\u00df.de", "fass.de"),
        ("\u03c3\u03b1\u03c2.gr", "\u03c3\u03b1\u03c3.gr"),
        ("stra\u00dfe.example", "strasse.example"),
    ],
    ids=["sharp s", "final sigma", "strasse"],
)
def test_domains_that_idna_2003_folds_stay_two(one: str, other: str) -> None:
    assert normalize_email(f"ada@{one}") != normalize_email(f"ada@{other}")


@pytest.mark.parametrize("joiner", ["\u200d", "\u200c"], ids=["ZWJ", "ZWNJ"])
def test_a_joiner_never_vanishes_into_another_domain(joiner: str) -> None:
    # IDNA 2003 maps joiners to nothing: "exam<ZWJ>ple.com" would be example.com's.
    for domain in (f"exam{joiner}ple.com", f"fa\u00df{joiner}.de", f"{joiner}example.com"):
        assert normalized_or_none(f"ada@{domain}") is None


def _uts46(domain: str) -> str:
    """The domain as UTS 46 non-transitional processing maps it (its identity)."""
    return idna.uts46_remap(domain, std3_rules=False, transitional=False)


#: Labels from letters that IDNA 2003 and case mapping are known to fold: sharp s (both
#: cases), the sigmas, dotted and dotless i, joiners, and some ASCII.
_FOLDABLE = st.text(
    alphabet="as\u00df\u1e9e\u03c3\u03c2\u03a3\u0131i\u0130I\u200c\u200dS\u00fc\u00dc",
    min_size=1,
    max_size=6,
)


@settings(max_examples=400, database=None, deadline=None)
@given(_FOLDABLE, _FOLDABLE)
def test_two_different_domains_never_normalise_to_one(one: str, other: str) -> None:
    try:
        first = normalize_email(f"ada@{one}.example")
        second = normalize_email(f"ada@{other}.example")
    except EmailSignin:
        return
    if first == second:
        assert _uts46(f"{one}.example") == _uts46(f"{other}.example"), (one, other)


@settings(max_examples=300, database=None, deadline=None)
@given(_FOLDABLE)
def test_a_normalised_domain_decodes_back_to_the_domain_typed(label: str) -> None:
    try:
        result = normalize_email(f"ada@{label}.example")
    except EmailSignin:
        return
    domain = result.partition("@")[2]
    assert idna.decode(domain) == _uts46(f"{label}.example")


# the length is checked before anything else -----------------------------------------------------


def test_over_long_input_is_refused_before_any_normalisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []

    def spy(form: str, text: str) -> str:
        seen.append(len(text))
        return text

    monkeypatch.setattr(emails.unicodedata, "normalize", spy)
    with pytest.raises(EmailSignin, match="too long"):
        normalize_email("\ufb03" * 500_000 + "@example.com")
    assert seen == []
    assert normalize_email("ada@example.com") == "ada@example.com"
    assert seen == [len("ada@example.com")]


def test_the_typed_bound_leaves_room_for_a_padded_longest_address() -> None:
    padded = " " * (MAX_TYPED_LENGTH - len(LONGEST)) + LONGEST
    assert len(padded) == MAX_TYPED_LENGTH
    assert normalize_email(padded) == LONGEST
    with pytest.raises(EmailSignin):
        normalize_email(" " + padded)


# mailbox_of -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "mailbox"),
    [
        ("ada@example.com", "ada@example.com"),
        ("ada+news@example.com", "ada@example.com"),
        ("ada+a+b@example.com", "ada@example.com"),
        ("+tag@example.com", "+tag@example.com"),
        ("ada@xn--fa-hia.de", "ada@xn--fa-hia.de"),
    ],
)
def test_mailbox_of_drops_the_tag(email: str, mailbox: str) -> None:
    assert mailbox_of(email) == mailbox
    assert mailbox_of(normalize_email(email.upper())) == mailbox


# normalized_or_none ---------------------------------------------------------------------------


def test_normalized_or_none_of_none_is_none() -> None:
    assert normalized_or_none(None) is None


def test_normalized_or_none_does_not_raise_for_junk() -> None:
    for value in (42, "", "not an address", "a@b", b"ada@example.com", object()):
        assert normalized_or_none(value) is None


# properties -------------------------------------------------------------------------------------

_ANY_TEXT = st.text(max_size=400)
# Address-shaped text with arbitrary characters in it, so that hypothesis reaches the
# accepting branches with unusual Unicode (a plain st.text() is nearly always refused).
_PART = st.text(min_size=1, max_size=40)
_SHAPED = st.builds(lambda local, host, tld: f"{local}@{host}.{tld}", _PART, _PART, _PART)
_PADDED = st.builds(
    lambda pad, email, end: pad + email + end,
    st.text(alphabet=" \t\r\n\u00a0\u2028\u3000\ufeff", max_size=3),
    st.emails(),
    st.text(alphabet=" \t\r\n\u00a0\u2028\u3000", max_size=3),
)
_CANDIDATES = st.one_of(_ANY_TEXT, _SHAPED, _PADDED, st.emails())


def _check_normal_form(result: str) -> None:
    assert isinstance(result, str)
    assert result.count("@") == 1
    local, _, domain = result.partition("@")
    assert local
    assert "." in domain
    assert len(result) <= MAX_EMAIL_LENGTH
    assert not any(unicodedata.category(char)[0] in "CZ" for char in result), ascii(result)
    assert not any(char.isspace() for char in result), ascii(result)
    assert not set('"(),:;<>[]\\') & set(result)
    assert result == result.strip()
    assert result == unicodedata.normalize("NFKC", result)
    assert result == result.lower()


@settings(max_examples=400, database=None, deadline=None)
@given(_CANDIDATES)
def test_any_accepted_address_is_in_normal_form_and_idempotent(value: str) -> None:
    try:
        result = normalize_email(value)
    except EmailSignin:
        assert normalized_or_none(value) is None
        return
    _check_normal_form(result)
    assert normalize_email(result) == result
    assert normalized_or_none(value) == result


@settings(max_examples=300, database=None, deadline=None)
@given(st.emails())
def test_every_rfc_dot_atom_address_is_accepted_lowercased(email: str) -> None:
    assert normalize_email(email) == unicodedata.normalize("NFKC", email).lower()


@settings(max_examples=300, database=None, deadline=None)
@given(st.emails(), st.sampled_from(["\r\n", "\n", "\r", "\x00", "\t", "\u2028", " ", ","]))
def test_a_break_inside_any_address_is_refused(email: str, char: str) -> None:
    at = email.index("@")
    assume(at > 0)
    with pytest.raises(EmailSignin):
        normalize_email(email[:at] + char + email[at:])
