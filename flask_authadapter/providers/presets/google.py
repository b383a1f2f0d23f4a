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
from typing import Any

from ...core.errors import OAuthCallbackError
from ..oauth import OIDC, ProfileMapper, text_or_none

__all__ = ["Google"]

ISSUER = "https://accounts.google.com"


class Google(OIDC):
    """Sign in with Google. See the module documentation for set-up and the options."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        id: str = "google",
        name: str = "Google",
        scope: str = "openid email profile",
        allow_dangerous_email_account_linking: bool = False,
        profile: ProfileMapper | None = None,
        hosted_domain: str | None = None,
        offline: bool = False,
        prompt: str | None = None,
        timeout: float = 10.0,
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
            id,
            issuer=ISSUER,
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            scope=scope,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
            profile=profile,
            authorize_params=params,
            timeout=timeout,
        )
        self.hosted_domain = hosted_domain.lower() if hosted_domain else None

    def token_params(self) -> dict[str, Any]:
        """Accept both spellings of Google's issuer in the ID token's ``iss``."""
        return {
            "claims_options": {
                "iss": {"essential": True, "values": [ISSUER, "accounts.google.com"]},
                "sub": {"essential": True},
            }
        }

    def check_hosted_domain(self, claims: Mapping[str, Any]) -> None:
        """With ``hosted_domain``: the ID token's ``hd`` claim must be that domain."""
        if self.hosted_domain is None:
            return
        hd = (text_or_none(claims.get("hd")) or "").lower()
        if not hd or (self.hosted_domain != "*" and hd != self.hosted_domain):
            raise OAuthCallbackError(
                f"{self.id}: the account is not one of the {self.hosted_domain!r} domain"
            )

    def fetch_userinfo(self, token: Mapping[str, Any]) -> Mapping[str, Any]:
        """The claims (see :class:`OIDC`), after checking the hosted domain on the ID token."""
        claims = token.get("userinfo")
        self.check_hosted_domain(claims if isinstance(claims, Mapping) else {})
        return super().fetch_userinfo(token)
