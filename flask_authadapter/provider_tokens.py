"""Reading an account's provider tokens in plain text, with the current app's secrets.

The store holds them sealed (see :mod:`flask_authadapter.core.account_tokens`); an app that
calls the provider's API as the user reads them here::

    from flask_authadapter import account_tokens

    account = account_tokens("github", provider_account_id)
    if account is not None:
        headers = {"Authorization": f"Bearer {account.access_token}"}
"""

from __future__ import annotations

from .core.account_tokens import open_account_tokens
from .core.models import Account
from .state import auth_state


def account_tokens(provider: str, provider_account_id: str) -> Account | None:
    """The stored account of ``provider`` and ``provider_account_id`` with its access,
    refresh and ID tokens (and ``session_state``) in plain text, or None when there is none.

    Opened with the current app's ``AUTH_SECRET`` and ``AUTH_SECRET_FALLBACKS``; a token
    stored in plain text (before tokens were sealed) is returned as it is. Raises
    :class:`~flask_authadapter.core.sealing.SealedValueError` for a token that was changed,
    copied from another account, or sealed under a secret that is no longer configured.
    """
    state = auth_state()
    stored = state.adapter.get_account(provider, provider_account_id)
    return None if stored is None else open_account_tokens(stored, state.token_sealer)


def open_tokens(account: Account) -> Account:
    """A copy of an account read from the adapter (e.g. one of
    ``sign_in_methods(user).accounts``) with its tokens in plain text, as
    :func:`account_tokens` gives them."""
    return open_account_tokens(account, auth_state().token_sealer)
