"""Email addresses: one normal form, and a refusal of anything that is not one address."""

from __future__ import annotations

import unicodedata

import idna

from .errors import EmailSignin
from .values import MAX_EMAIL_LENGTH

#: The longest text looked at, before any normalisation: room for an address of
#: :data:`MAX_EMAIL_LENGTH` characters typed with stray spaces or in decomposed Unicode, and
#: no more, so that junk costs nothing however large the form field.
MAX_TYPED_LENGTH = 4 * MAX_EMAIL_LENGTH

#: Characters that never belong in an address typed into a sign-in form: quoting, lists,
#: angle brackets, and whitespace or control characters (header injection).
_FORBIDDEN = set('"(),:;<>[]\\') | {" "}


def normalize_email(value: object) -> str:
    """``value`` as one normalised address (NFKC, trimmed, lowercased), or EmailSignin.

    Refuses: not text, over :data:`MAX_TYPED_LENGTH` characters as typed, empty, over 320
    characters, no ``@`` or several, an empty local part or domain, a domain without a dot
    or with empty labels, quotes, commas, brackets, whitespace inside, CR/LF or any other
    control character, and an internationalised domain that is not a valid IDNA 2008 name.
    """
    if not isinstance(value, str):
        raise EmailSignin("the email address is not text")
    if len(value) > MAX_TYPED_LENGTH:
        raise EmailSignin("the email address is too long")
    email = unicodedata.normalize("NFKC", value).strip().lower()
    if not email or len(email) > MAX_EMAIL_LENGTH:
        raise EmailSignin("the email address is empty or too long")
    if any(unicodedata.category(char)[0] in "CZ" and char != " " for char in email):
        raise EmailSignin("the email address contains control or separator characters")
    if any(char in _FORBIDDEN for char in email):
        raise EmailSignin("the email address contains characters an address cannot have")
    local, at, domain = email.partition("@")
    if not at or "@" in domain or not local or not domain:
        raise EmailSignin("the email address is not one address")
    labels = domain.split(".")
    if len(labels) < 2 or any(
        not label or label.startswith("-") or label.endswith("-") for label in labels
    ):
        raise EmailSignin("the email address has no valid domain")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise EmailSignin("the email address has an invalid local part")
    if not local.isascii():
        # Mail to it needs SMTPUTF8 end to end, which cannot be relied on.
        raise EmailSignin("the email address has non-ASCII characters before the @")
    if not domain.isascii():
        # One mailbox, one stored address: an IDN domain is kept in its ASCII (xn--) form,
        # the form mail servers route by. UTS 46 non-transitional (IDNA 2008): "faß.de" and
        # "fass.de" are two domains with two owners, never folded into one as IDNA 2003 does
        # (ß to ss, final sigma to sigma, joiners dropped).
        try:
            domain = idna.encode(domain, uts46=True, transitional=False).decode("ascii")
        except UnicodeError:
            raise EmailSignin("the email address's domain is not a valid domain name") from None
        email = f"{local}@{domain}"
        if len(email) > MAX_EMAIL_LENGTH:
            raise EmailSignin("the email address is too long")
    return email


def mailbox_of(email: str) -> str:
    """The mailbox a normalised address delivers to, as a key for counting mail to it: the
    ``+tag`` dropped and case folded (``Ada+news@example.com`` is ``ada@example.com``'s
    mailbox). Only a key: mail still goes to the address as given."""
    local, _, domain = email.rpartition("@")
    return f"{local.partition('+')[0] or local}@{domain}".casefold()


def normalized_or_none(value: object) -> str | None:
    """``value`` normalised, or None when it is missing or not one valid address (as a
    provider's profile may have: such an email is not used to find or link anyone)."""
    if value is None:
        return None
    try:
        return normalize_email(value)
    except EmailSignin:
        return None
