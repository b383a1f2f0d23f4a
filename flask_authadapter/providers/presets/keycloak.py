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

from typing import TYPE_CHECKING
from urllib.parse import quote

from ..oidc import OIDC
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


class Keycloak(OIDC):
    """Sign in with a Keycloak realm. See the module documentation for set-up."""

    preset = Preset(id="keycloak", name="Keycloak", scope="openid email profile")

    def __init__(
        self,
        base_url: str,
        realm: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        if not realm:
            raise ValueError("Keycloak needs the realm's name")
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        issuer = f"{self.base_url}/realms/{quote(realm, safe='')}"
        super().__init__(**self.preset.options(client_id, client_secret, options, issuer=issuer))
