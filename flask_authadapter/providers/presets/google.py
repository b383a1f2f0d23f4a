"""Google: sign in with a Google account (OpenID Connect).

Registration: create an OAuth client ID of type "Web application" in the Google Cloud console,
https://console.cloud.google.com/apis/credentials (docs:
https://developers.google.com/identity/openid-connect/openid-connect), with the authorized
redirect URI ``{AUTH_URL}/auth/callback/google``. Config keys: ``AUTH_GOOGLE_CLIENT_ID`` /
``AUTH_GOOGLE_CLIENT_SECRET``.

Issuer: ``https://accounts.google.com`` (discovery from its ``.well-known/openid-configuration``).
Google's ID tokens carry ``iss`` as ``https://accounts.google.com`` or, in older ones, as
``accounts.google.com``: both are accepted, nothing else.

Scopes: ``openid email profile``. Authorization parameters: ``offline=True`` adds
``access_type=offline`` and ``prompt=consent`` (Google then returns a refresh token, stored
on the account); ``prompt=`` sets ``prompt`` otherwise (e.g. ``"select_account"``).

``hosted_domain="example.com"`` restricts sign-in to that Google Workspace domain: it sends
``hd=example.com`` (which only pre-selects the account chooser) *and* checks that the ID token's
``hd`` claim is that domain, else the sign-in fails with ``OAuthCallbackError``.
``hosted_domain="*"`` accepts any Workspace domain but no consumer (gmail.com) account.

Profile (the ID token claims, completed by the userinfo endpoint): ``id`` = ``sub``,
``email`` = ``email``, ``email_verified`` = ``email_verified``, ``name`` = ``name``,
``image`` = ``picture``.

Email verification: Google's ``email_verified`` is taken. Google has the owner confirm any
address that is not a Google mailbox, and a Workspace account's address is on a domain whose
ownership Google checked (``hosted_domain`` narrows sign-in to the domains you trust).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError
from ..oidc import OIDC
from ..profile import text_or_none
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


ISSUER = "https://accounts.google.com"


class Google(OIDC):
    """Sign in with Google. See the module documentation for set-up and the options."""

    preset = Preset(id="google", name="Google", scope="openid email profile")

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        hosted_domain: str | None = None,
        offline: bool = False,
        prompt: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        params: dict[str, str] = {}
        if hosted_domain:
            params["hd"] = hosted_domain
        if offline:
            params["access_type"] = "offline"
            params["prompt"] = prompt or "consent"
        elif prompt:
            params["prompt"] = prompt
        super().__init__(
            **self.preset.options(
                client_id, client_secret, options, issuer=ISSUER, authorize_params=params
            )
        )
        self.hosted_domain = hosted_domain.lower() if hosted_domain else None

    def id_token_issuer(self) -> list[str]:
        """Both spellings of Google's issuer."""
        return [ISSUER, "accounts.google.com"]

    def check_claims(self, claims: Mapping[str, Any]) -> None:
        """With ``hosted_domain``: the ID token's ``hd`` claim must be that domain."""
        if self.hosted_domain is None:
            return
        hd = (text_or_none(claims.get("hd")) or "").lower()
        if not hd or (self.hosted_domain != "*" and hd != self.hosted_domain):
            raise OAuthCallbackError(
                f"{self.id}: the account is not one of the {self.hosted_domain!r} domain"
            )
