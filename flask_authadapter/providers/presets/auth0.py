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

from typing import Any

from ..oauth import OIDC, ProfileMapper

__all__ = ["Auth0"]


class Auth0(OIDC):
    """Sign in through Auth0. See the module documentation for set-up."""

    def __init__(
        self,
        domain: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        id: str = "auth0",
        name: str = "Auth0",
        scope: str = "openid email profile",
        allow_dangerous_email_account_linking: bool = False,
        profile: ProfileMapper | None = None,
        audience: str | None = None,
        connection: str | None = None,
        organization: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        domain = domain.strip().removeprefix("https://").rstrip("/")
        if not domain or "/" in domain:
            raise ValueError(
                f"Auth0 needs the tenant's domain, like example.eu.auth0.com: {domain!r}"
            )
        self.domain = domain
        self.organization = organization
        params = {
            key: value
            for key, value in (
                ("audience", audience),
                ("connection", connection),
                ("organization", organization),
            )
            if value
        }
        super().__init__(
            id,
            issuer=f"https://{domain}/",
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            scope=scope,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
            profile=profile,
            authorize_params=params,
            timeout=timeout,
        )

    def token_params(self) -> dict[str, Any]:
        """The ID token's ``iss`` is Auth0's issuer with its trailing slash; with an
        ``organization``, its ``org_id`` (or, given a name, ``org_name``) must be that one."""
        options: dict[str, Any] = {
            "iss": {"essential": True, "values": [f"{self.issuer}/"]},
            "sub": {"essential": True},
        }
        if self.organization:
            if self.organization.startswith("org_"):
                options["org_id"] = {"essential": True, "value": self.organization}
            else:
                options["org_name"] = {"essential": True, "value": self.organization.lower()}
        return {"claims_options": options}
