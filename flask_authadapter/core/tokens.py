"""Secrets: random tokens, and the forms in which they are stored.

Session tokens are stored as their SHA-256 (a copy of the store yields no live cookie);
verification tokens as an HMAC under the app's secret (a copy of the store yields no usable
link either, even with the hash known). Old secrets keep verifying during a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

#: Bytes of randomness in every session, link and CSRF token.
TOKEN_BYTES = 32

# secrets.token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
_TOKEN_LENGTH = 43
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_token() -> str:
    """A fresh token of :data:`TOKEN_BYTES` random bytes, URL-safe text."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def plausible_token(value: object) -> bool:
    """Whether ``value`` has the shape of a token :func:`new_token` makes.

    Checked before any lookup, so that junk in a cookie or a link costs no query.
    """
    return (
        isinstance(value, str)
        and len(value) == _TOKEN_LENGTH
        and all(char in _URLSAFE for char in value)
    )


def hash_session_token(token: str) -> str:
    """The form a session token is stored in: SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _mac(secret: str, purpose: str, value: str) -> str:
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def hmac_token(secret: str, token: str, *, purpose: str = "verification") -> str:
    """The form a verification token is stored in: HMAC-SHA256 under ``secret``, hex."""
    return _mac(secret, purpose, token)


def hmac_candidates(
    secrets_in_order: Sequence[str], token: str, *, purpose: str = "verification"
) -> list[str]:
    """The stored forms of ``token`` under the current secret and each fallback, in order."""
    return [_mac(secret, purpose, token) for secret in secrets_in_order]


def sign(secret: str, value: str, *, purpose: str) -> str:
    """A signature of ``value`` for ``purpose`` (the purposes never share signatures)."""
    return _mac(secret, purpose, value)


def verify_signature(
    secrets_in_order: Sequence[str], value: str, signature: str, *, purpose: str
) -> bool:
    """Whether ``signature`` signs ``value`` under the current secret or a fallback."""
    if not signature.isascii():  # a MAC is hex; compare_digest refuses non-ASCII str
        return False
    return any(
        hmac.compare_digest(_mac(secret, purpose, value), signature) for secret in secrets_in_order
    )
