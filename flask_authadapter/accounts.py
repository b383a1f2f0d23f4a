"""A signed-in user's sign-in methods: which accounts are linked, and unlinking one.

For an app's own account page (or the blueprint's JSON), with the rule that keeps people
from locking themselves out: the last way to sign in cannot be unlinked. An email counts as
a way to sign in while an Email provider is configured and the user has an address.
"""

from __future__ import annotations

from dataclasses import dataclass

from .adapters.base import missing_methods
from .core.errors import AuthAdapterError, ConfigurationError
from .core.models import Account, User
from .extension import AuthState, auth_state

__all__ = ["CannotUnlink", "SignInMethods", "sign_in_methods", "unlink"]


class CannotUnlink(AuthAdapterError):
    """The account is not the user's, or it is their last way to sign in."""


@dataclass(frozen=True)
class SignInMethods:
    """How a user can sign in: their linked provider accounts, and whether by email."""

    accounts: list[Account]
    email: bool

    @property
    def count(self) -> int:
        """How many ways there are."""
        return len(self.accounts) + (1 if self.email else 0)


def _listing(state: AuthState) -> None:
    missing = missing_methods(state.adapter, ["account_listing"])
    if missing:
        raise ConfigurationError(
            f"the adapter {type(state.adapter).__name__} cannot list accounts "
            "(it has no list_accounts), which the account page needs"
        )


def sign_in_methods(user: User) -> SignInMethods:
    """The ways ``user`` can sign in on this app."""
    state = auth_state()
    _listing(state)
    assert user.id is not None
    accounts = state.adapter.list_accounts(user.id)
    by_email = user.email is not None and any(
        provider.type == "email" for provider in state.providers.values()
    )
    return SignInMethods(accounts=accounts, email=by_email)


def unlink(user: User, provider: str, provider_account_id: str) -> None:
    """Unlink one of ``user``'s provider accounts, unless it is their last way to sign in.

    Raises :class:`CannotUnlink` for an account that is not the user's or the last way.
    """
    state = auth_state()
    methods = sign_in_methods(user)
    if not any(
        a.provider == provider and a.provider_account_id == provider_account_id
        for a in methods.accounts
    ):
        raise CannotUnlink("that account is not linked to this user")
    if methods.count <= 1:
        raise CannotUnlink("it is the last way to sign in")
    state.adapter.unlink_account(provider, provider_account_id)
