"""Email sign-in secrets: a link token and a short code, issued together, used once. Flask-free.

Both are stored only as an HMAC under the app's secret (old secrets keep verifying during a
rotation). The code's HMAC also covers the request id of the sign-in request that sent it,
which only the browser that asked holds (in its pending cookie): nobody else's browser can
try codes against it. Issuing a new pair leaves the address's earlier ones working (a
stranger asking for a link to someone's address withdraws none of the owner's); using any
link or code proves the mailbox and ends every link and code of the address. Expired ones
are refused (and deleted) when tried.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .adapter import Adapter
from .clock import Clock, system_clock
from .errors import Verification
from .models import VerificationToken
from .tokens import hmac_candidates, hmac_token, new_token, plausible_token

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
    """A link token and a code for one address, the id of the request they answer, and when
    they expire. Never stored as such."""

    identifier: str
    token: str
    code: str
    expires: datetime
    request_id: str


def _bound_code(request_id: str, code: str) -> str:
    """What a code's HMAC covers: the code and the request that sent it."""
    return f"{request_id}\x00{code}"


class Verifier:
    """Issues and redeems email sign-in links and codes through an adapter; they work for
    ``max_age`` (the Email provider's)."""

    def __init__(
        self,
        adapter: Adapter,
        secrets_in_order: Sequence[str],
        *,
        max_age: timedelta,
        clock: Clock = system_clock,
    ) -> None:
        if not secrets_in_order:
            raise ValueError("a Verifier needs at least one secret")
        self.adapter = adapter
        self.secrets = tuple(secrets_in_order)
        self.max_age = max_age
        self.clock = clock

    def issue(self, identifier: str) -> IssuedSignIn:
        """A new link token and code for ``identifier``, for a new request id; its earlier
        ones keep working."""
        issued = IssuedSignIn(
            identifier=identifier,
            token=new_token(),
            code=new_code(),
            expires=self.clock() + self.max_age,
            request_id=new_token(),
        )
        for stored in self._stored_forms(issued, self.secrets[0]):
            self.adapter.create_verification_token(
                VerificationToken(identifier, stored, issued.expires)
            )
        return issued

    def _stored_forms(self, issued: IssuedSignIn, secret: str) -> tuple[str, str]:
        return (
            hmac_token(secret, issued.token, purpose=_LINK),
            hmac_token(secret, _bound_code(issued.request_id, issued.code), purpose=_CODE),
        )

    def cancel(self, issued: IssuedSignIn) -> None:
        """Make this one link and code unusable (their email never left), and no other."""
        for stored in self._stored_forms(issued, self.secrets[0]):
            self.adapter.use_verification_token(issued.identifier, stored)

    def withdraw(self, identifier: str) -> int:
        """Make every link and code of ``identifier`` unusable; returns how many there were."""
        return self.adapter.delete_verification_tokens(identifier)

    def redeem_link(self, identifier: str, token: object) -> None:
        """Use the link ``token`` of ``identifier``, or raise :class:`Verification`."""
        if not plausible_token(token):
            raise Verification("the link's token is malformed")
        assert isinstance(token, str)
        self._redeem(identifier, token, _LINK)

    def redeem_code(
        self, identifier: str, code: object, *, request_id: str, claim: Callable[[], bool]
    ) -> None:
        """Use the sign-in ``code`` that request ``request_id`` of ``identifier`` sent, or
        raise :class:`Verification`.

        ``claim`` takes one of the request's tries, False when none is left. Every typed
        code takes one (a malformed one too), before it is compared, so that concurrent
        guesses never compare more codes than there are tries. With no try left the code
        is void, its link not.
        """
        if not claim():
            raise Verification("no tries left for this request's code: it is void")
        normal = normalize_code(code)
        if normal is None:
            raise Verification("the code is malformed")
        self._redeem(identifier, _bound_code(request_id, normal), _CODE)

    def _redeem(self, identifier: str, secret: str, purpose: str) -> None:
        for stored in hmac_candidates(self.secrets, secret, purpose=purpose):
            used = self.adapter.use_verification_token(identifier, stored)
            if used is not None:
                break
        else:
            raise Verification(f"no usable {purpose} for this address (unknown, used or other)")
        # The link and the code are one sign-in: using one uses up the other. The mailbox is
        # proved, so the address's other links and codes end with them. (Each is
        # strictly single use. Were both redeemed at the very same instant, each would still
        # prove the mailbox, and the owner would get two sessions: nothing anyone else gains.
        # Refusing then would deny the owner instead, e.g. on a double-submitted code.)
        self.adapter.delete_verification_tokens(identifier)
        if used.expires <= self.clock():
            raise Verification(f"the {purpose} has expired")
