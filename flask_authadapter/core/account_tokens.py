"""The provider's tokens of an account, sealed at rest. Flask-free.

The access, refresh and ID tokens (and the ``session_state``) of an :class:`Account` are
stored sealed (:mod:`.sealing`, purpose ``"account-tokens"``), so a copy of the ``accounts``
table or a log of its SQL shows none of them. The other fields (``expires_at``,
``token_type``, ``scope``) say nothing secret and stay as they are, so they can be queried.

- Each value is bound to its row and field: copied onto another account, or into another
  field of the same account, it does not open.
- Adapters see only sealed values: sealing and opening happen above them, and the adapter
  contract does not change.
- A value stored in plain text (before tokens were sealed) reads as it is; it and a value
  sealed under a fallback secret are sealed again under the current secret on the next write
  of the account, or by ``flask auth reseal-tokens``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .adapter import Adapter
from .models import Account
from .sealing import SealedValueError, Sealer, is_sealed

#: The sealer's purpose: its own key, so a token never opens as anything else.
PURPOSE = "account-tokens"

#: The account fields stored sealed: what would let someone act as the user at the provider.
SEALED_FIELDS = ("access_token", "refresh_token", "id_token", "session_state")


def token_sealer(secrets_in_order: Sequence[str]) -> Sealer:
    """The sealer for account tokens under ``secrets_in_order`` (current secret first)."""
    return Sealer(secrets_in_order, purpose=PURPOSE)


def _context(account: Account, name: str) -> str:
    # JSON keeps the three parts apart whatever characters a provider's ids hold.
    return json.dumps([account.provider, account.provider_account_id, name])


def seal_account_tokens(account: Account, sealer: Sealer) -> Account:
    """A copy of ``account`` whose tokens (plain text, as a provider issued them) are sealed
    under the current secret, each bound to this account and field."""
    sealed: dict[str, Any] = {
        name: sealer.seal(value, context=_context(account, name))
        for name in SEALED_FIELDS
        if isinstance(value := getattr(account, name), str)
    }
    return replace(account, **sealed)


def _opened(account: Account, name: str, sealer: Sealer) -> Any:
    value = getattr(account, name)
    if not is_sealed(value):
        return value  # stored before tokens were sealed, or None
    return sealer.open(value, context=_context(account, name))


def open_account_tokens(account: Account, sealer: Sealer) -> Account:
    """A copy of ``account`` with its tokens in plain text; a value stored in plain text is
    returned as it is.

    Raises :class:`~.sealing.SealedValueError` for a value that was changed, copied from
    another account or field, or sealed under a secret that is no longer configured.
    """
    return replace(account, **{name: _opened(account, name, sealer) for name in SEALED_FIELDS})


@dataclass(frozen=True)
class Resealing:
    """What sealing an account's stored tokens under the current secret takes."""

    #: The new stored value of each field held in plain text or under a fallback secret.
    changes: dict[str, str] = field(default_factory=dict)
    #: The fields no configured secret opens (or that were changed): left as they are.
    unreadable: tuple[str, ...] = ()


def resealing(account: Account, sealer: Sealer) -> Resealing:
    """The fields of the stored ``account`` to write again, sealed under the current secret."""
    changes: dict[str, str] = {}
    unreadable: list[str] = []
    for name in SEALED_FIELDS:
        value = getattr(account, name)
        if not isinstance(value, str) or not sealer.needs_resealing(value):
            continue
        try:
            plain = _opened(account, name, sealer)
        except SealedValueError:
            unreadable.append(name)
            continue
        changes[name] = sealer.seal(plain, context=_context(account, name))
    return Resealing(changes, tuple(unreadable))


def reseal_stored_tokens(adapter: Adapter, account: Account, sealer: Sealer) -> Resealing:
    """Seal the stored ``account``'s plain-text and fallback-sealed tokens under the current
    secret: one ``update_account`` when there is anything to write, none otherwise."""
    plan = resealing(account, sealer)
    if plan.changes:
        adapter.update_account(account.provider, account.provider_account_id, **plan.changes)
    return plan
