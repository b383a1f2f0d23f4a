"""Email sign-in secrets: a link token and a short code, issued together, used once. Flask-free.

Both are stored only as an HMAC under the app's secret (old secrets keep verifying during a
rotation). Issuing a new pair withdraws the address's earlier ones; using either one uses up
both. Expired ones are refused (and deleted) when tried.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..adapters.base import Adapter
from .clock import Clock, system_clock
from .errors import Verification
from .models import VerificationToken
from .tokens import hmac_candidates, hmac_token, new_token, plausible_token

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "IssuedSignIn",
    "Verifier",
    "normalize_code",
]

#: Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

_LINK = "email-link"
_CODE = "email-code"


def new_code() -> str:
    """A fresh sign-in code: :data:`CODE_LENGTH` characters of :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: object) -> str | None:
    """A typed code in its normal form (upper case; spaces and dashes dropped), or None
    when it cannot be a code."""
    if not isinstance(value, str) or len(value) > 4 * CODE_LENGTH:
        return None
    code = "".join(char for char in value.upper() if char not in " -\t")
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


@dataclass(frozen=True)
class IssuedSignIn:
    """A link token and a code for one address, and when they expire. Never stored as such."""

    identifier: str
    token: str
    code: str
    expires: datetime


class Verifier:
    """Issues and redeems email sign-in links and codes through an adapter."""

    def __init__(
        self,
        adapter: Adapter,
        secrets_in_order: Sequence[str],
        *,
        max_age: timedelta = timedelta(minutes=15),
        clock: Clock = system_clock,
    ) -> None:
        if not secrets_in_order:
            raise ValueError("a Verifier needs at least one secret")
        self.adapter = adapter
        self.secrets = tuple(secrets_in_order)
        self.max_age = max_age
        self.clock = clock

    def issue(self, identifier: str) -> IssuedSignIn:
        """A new link token and code for ``identifier``; its earlier ones stop working."""
        self.adapter.delete_verification_tokens(identifier)
        token, code = new_token(), new_code()
        expires = self.clock() + self.max_age
        current = self.secrets[0]
        for secret, purpose in ((token, _LINK), (code, _CODE)):
            self.adapter.create_verification_token(
                VerificationToken(identifier, hmac_token(current, secret, purpose=purpose), expires)
            )
        return IssuedSignIn(identifier=identifier, token=token, code=code, expires=expires)

    def withdraw(self, identifier: str) -> int:
        """Make every link and code of ``identifier`` unusable; returns how many there were."""
        return self.adapter.delete_verification_tokens(identifier)

    def redeem_link(self, identifier: str, token: object) -> None:
        """Use the link ``token`` of ``identifier``, or raise :class:`Verification`."""
        if not plausible_token(token):
            raise Verification("the link's token is malformed")
        assert isinstance(token, str)
        self._redeem(identifier, token, _LINK)

    def redeem_code(self, identifier: str, code: object) -> None:
        """Use the sign-in ``code`` of ``identifier``, or raise :class:`Verification`."""
        normal = normalize_code(code)
        if normal is None:
            raise Verification("the code is malformed")
        self._redeem(identifier, normal, _CODE)

    def _redeem(self, identifier: str, secret: str, purpose: str) -> None:
        for stored in hmac_candidates(self.secrets, secret, purpose=purpose):
            used = self.adapter.use_verification_token(identifier, stored)
            if used is not None:
                break
        else:
            raise Verification(f"no usable {purpose} for this address (unknown, used or other)")
        # The link and the code are one sign-in: using one uses up the other. (Each is
        # strictly single use. Were both redeemed at the very same instant, each would still
        # prove the mailbox, and the owner would get two sessions: nothing anyone else gains.
        # Refusing then would deny the owner instead, e.g. on a double-submitted code.)
        self.adapter.delete_verification_tokens(identifier)
        if used.expires <= self.clock():
            raise Verification(f"the {purpose} has expired")
