"""Keycloak: sign in with an account of a Keycloak realm (OpenID Connect).

Registration: in the realm's admin console, Clients > Create client (docs:
https://www.keycloak.org/docs/latest/server_admin/#_oidc_clients), type OpenID Connect, "Client
authentication" on (a confidential client), "Standard flow" on, with the valid redirect URI
``{AUTH_URL}/auth/callback/keycloak``; the secret is on the client's Credentials tab. Config
keys: ``AUTH_KEYCLOAK_CLIENT_ID`` / ``AUTH_KEYCLOAK_CLIENT_SECRET``.

Issuer: ``{base_url}/realms/{realm}``, e.g. ``Keycloak("https://sso.example.com", "staff")``.
Keycloak before version 17 serves under ``/auth``: pass ``base_url="https://sso.example.com/auth"``.

Scopes: ``openid email profile``.

Profile (the standard claims): ``id`` = ``sub`` (the user's id in the realm), ``email`` =
``email``, ``email_verified`` = ``email_verified`` (the realm's "Email verified" flag), ``name``
= ``name`` (else ``preferred_username``), ``image`` = ``picture`` (when the realm has one).

Email verification: the realm's ``email_verified`` flag is taken. Your realm's verification
email or its administrators set it, so it is as trustworthy as the realm you configure.
"""

from __future__ import annotations

from urllib.parse import quote

from ..oauth import OIDC, ProfileMapper

__all__ = ["Keycloak"]


class Keycloak(OIDC):
    """Sign in with a Keycloak realm. See the module documentation for set-up."""

    def __init__(
        self,
        base_url: str,
        realm: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        id: str = "keycloak",
        name: str = "Keycloak",
        scope: str = "openid email profile",
        allow_dangerous_email_account_linking: bool = False,
        profile: ProfileMapper | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not realm:
            raise ValueError("Keycloak needs the realm's name")
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        super().__init__(
            id,
            issuer=f"{self.base_url}/realms/{quote(realm, safe='')}",
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            scope=scope,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
            profile=profile,
            timeout=timeout,
        )
