"""What every provider is, as the extension sees it. Providers know nothing of storage.

An OAuth-style provider (``type`` "oauth" or "oidc") does two things: :meth:`Provider.begin`
sends the browser to the provider (``POST /auth/signin/<id>``), and :meth:`Provider.finish`
turns the provider's answer (``/auth/callback/<id>``) into a :class:`ProviderResult`. The
extension keeps the :class:`SignInFlow` between the two (in an encrypted cookie of the
browser), then applies the sign-in rules, stores what they decide, and signs the user in.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.models import Account, User

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue


@dataclass
class SignInFlow:
    """The OAuth transaction under way: what :meth:`Provider.finish` needs from
    :meth:`Provider.begin`.

    ``redirect_uri`` is the absolute callback URL of this provider (built from AUTH_URL);
    ``callback_url`` where the person lands afterwards (already checked same-origin);
    ``state`` the OAuth ``state`` of this sign-in; ``nonce`` and ``code_verifier`` (PKCE) are
    filled in by ``begin`` when it sends them. The extension keeps the flow in an encrypted
    cookie of this browser for at most 10 minutes: at the callback, a flow whose cookie is
    missing, changed, of another provider or too old has every secret None.
    """

    provider_id: str
    redirect_uri: str
    callback_url: str
    state: str | None = None
    nonce: str | None = None
    code_verifier: str | None = None

    def answers(self, state: str | None) -> bool:
        """Whether a callback that carries ``state`` answers this flow: the one check of
        the OAuth ``state`` (constant time). A flow without a state (no sign-in under way
        in this browser) answers nothing."""
        if not self.state:
            return False
        return hmac.compare_digest((state or "").encode(), self.state.encode())


@dataclass
class ProviderResult:
    """Who the provider says the person is.

    ``account`` carries the provider account id and the token set (its ``user_id`` is
    filled in by the extension); ``profile`` the user fields (email, name, image);
    ``email_verified`` whether the provider asserts the email is verified; ``raw`` the
    provider's own user document, for the ``sign_in`` callback.
    """

    account: Account
    profile: User
    email_verified: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)


def mask(secret: str | None) -> str | None:
    """``secret`` with all but its last 4 characters hidden (None stays None)."""
    if not secret:
        return secret
    return "*" * 8 + secret[-4:] if len(secret) > 8 else "*" * 8


class Provider:
    """The base of every provider: an id, a display name, a type."""

    #: "oauth", "oidc" or "email".
    type: ClassVar[str] = "oauth"

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        allow_dangerous_email_account_linking: bool = False,
    ) -> None:
        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        if not id or not set(id) <= allowed or not id[0].isalnum():
            raise ValueError(
                f"a provider id is ASCII lowercase letters, digits, - and _, starting with a "
                f"letter or digit: {id!r}"
            )
        self.id = id
        self.name = name or id.capitalize()
        self.allow_dangerous_email_account_linking = allow_dangerous_email_account_linking

    def init_app(self, app: Flask) -> None:
        """Read settings from the app (credentials from ``AUTH_<ID>_...``); check them.

        One provider object may be given to several apps: what it sets up for ``app`` is
        kept for that app only (an OAuth provider's
        :class:`~flask_authadapter.providers.registration.Registrations`), never shared."""

    def begin(self, flow: SignInFlow) -> ResponseReturnValue:
        """Start the sign-in: usually a redirect to the provider. ``flow`` comes with its
        ``state``; a provider that sends a ``nonce`` or a PKCE challenge sets ``flow.nonce``
        and ``flow.code_verifier``, which the extension keeps for :meth:`finish`."""
        raise NotImplementedError

    def finish(self, flow: SignInFlow, answer: Mapping[str, str]) -> ProviderResult:
        """Turn the provider's ``answer`` (the callback's query, or form for a form_post)
        into a result, or raise a :class:`~flask_authadapter.core.errors.SignInError`."""
        raise NotImplementedError

    def form_action_origins(self) -> list[str]:
        """Origins the browser is sent to when this provider's sign-in form is posted.

        Browsers apply a page's CSP ``form-action`` to the redirect that follows a form
        POST, so the sign-in and account pages allow these origins as form targets.
        """
        return []

    def settings(self) -> dict[str, Any]:
        """The provider's settings for ``flask auth providers``, secrets masked."""
        return {"type": self.type}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"
