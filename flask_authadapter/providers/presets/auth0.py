"""Auth0: sign in through an Auth0 tenant (OpenID Connect).

Registration: in the Auth0 dashboard, Applications > Create Application > "Regular Web
Application" (docs: https://auth0.com/docs/get-started/applications/application-settings), with
``{AUTH_URL}/auth/callback/auth0`` under "Allowed Callback URLs". Config keys:
``AUTH_AUTH0_CLIENT_ID`` / ``AUTH_AUTH0_CLIENT_SECRET``.

Issuer: ``https://{domain}/``, e.g. ``Auth0("example.eu.auth0.com")`` (or a custom domain).
Auth0's issuer ends with a slash, in its discovery document and in every ID token's ``iss``:
the ID token check here expects exactly ``https://{domain}/`` (the generic :class:`OIDC`
provider strips the slash, which Auth0's tokens would not match).

Scopes: ``openid email profile``. ``audience=`` asks for an access token for one of your APIs;
``connection=`` sends the person straight to one connection (e.g. ``"google-oauth2"``);
``organization=`` signs in to an Auth0 Organization (an ``org_...`` id or its name), and the
ID token's ``org_id`` (or ``org_name``) must then be that organization, as Auth0 asks of apps.

Profile (the standard claims, https://auth0.com/docs/manage-users/user-accounts/user-profiles):
``id`` = ``sub`` (e.g. ``auth0|64b...`` or ``google-oauth2|1093...``), ``email`` = ``email``,
``email_verified`` = ``email_verified``, ``name`` = ``name``, ``image`` = ``picture``.

Email verification: Auth0's ``email_verified`` is taken as it is. It is what your tenant's
connections say (a database connection's verification email, a social connection's upstream
provider), so it is exactly as trustworthy as the connections you enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..oidc import OIDC
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


class Auth0(OIDC):
    """Sign in through Auth0. See the module documentation for set-up."""

    preset = Preset(id="auth0", name="Auth0", scope="openid email profile")

    def __init__(
        self,
        domain: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        audience: str | None = None,
        connection: str | None = None,
        organization: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        domain = domain.strip().removeprefix("https://").rstrip("/")
        if not domain or "/" in domain:
            raise ValueError(
                f"Auth0 needs the tenant's domain, like example.eu.auth0.com: {domain!r}"
            )
        self.domain = domain
        self.organization = organization
        asked = {"audience": audience, "connection": connection, "organization": organization}
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                issuer=f"https://{domain}/",
                authorize_params={key: value for key, value in asked.items() if value},
            )
        )

    def id_token_issuer(self) -> list[str]:
        """Auth0's issuer with its trailing slash."""
        return [f"{self.issuer}/"]

    def id_token_extra_claims(self) -> dict[str, dict[str, Any]]:
        """With an ``organization``, the ID token's ``org_id`` (or, given a name,
        ``org_name``) must be that one."""
        if not self.organization:
            return {}
        if self.organization.startswith("org_"):
            return {"org_id": {"essential": True, "value": self.organization}}
        return {"org_name": {"essential": True, "value": self.organization.lower()}}
