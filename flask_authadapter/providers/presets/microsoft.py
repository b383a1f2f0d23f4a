"""Microsoft Entra ID (formerly Azure AD): work, school and personal Microsoft accounts
(OpenID Connect, the v2.0 endpoints).

Registration: Microsoft Entra admin center > App registrations > New registration,
https://entra.microsoft.com (docs:
https://learn.microsoft.com/entra/identity-platform/quickstart-register-app), platform "Web",
redirect URI ``{AUTH_URL}/auth/callback/microsoft-entra-id``; create a client secret under
"Certificates & secrets". Config keys: ``AUTH_MICROSOFT_ENTRA_ID_CLIENT_ID`` /
``AUTH_MICROSOFT_ENTRA_ID_CLIENT_SECRET``.

``tenant``: who may sign in, matching the registration's "Supported account types":
``"common"`` (any work/school account and personal Microsoft accounts, the default),
``"organizations"`` (work/school only), ``"consumers"`` (personal only), or one tenant, by its
id (a GUID) or a domain of it (``"contoso.onmicrosoft.com"``). ``authority`` is
``https://login.microsoftonline.com``; national clouds have their own
(``https://login.microsoftonline.us``, ...).

Issuer: ``{authority}/{tenant}/v2.0``. For the multi-tenant values the discovery document's
``issuer`` is the template ``{authority}/{tenantid}/v2.0`` and every ID token's ``iss`` is the
*person's* tenant, so the generic issuer checks cannot work. This preset checks, as Microsoft
documents (https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer):

- discovery: the document's ``issuer`` is ``{authority}/{tenantid}/v2.0`` for ``common`` and
  ``organizations``, ``{authority}/<the tenant's GUID>/v2.0`` otherwise (the personal-account
  tenant's for ``consumers``, this one for a GUID ``tenant``, any for a domain);
- the ID token: its ``tid`` claim is a GUID, and its ``iss`` is the discovery ``issuer`` with
  ``{tenantid}`` replaced by that ``tid``. Beyond that, ``organizations`` refuses the
  personal-account tenant and ``consumers`` accepts only it;
- the RFC 9207 ``iss`` response parameter, when sent: the same form.

Scopes: ``openid profile email``.

Profile, from the ID token's claims only (the Graph userinfo endpoint adds nothing that the
ID token lacks; its ``picture`` is a Graph URL that needs the access token, so ``image`` stays
empty; https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference):

- ``id``: ``sub`` (pairwise: one value per person *and app*, as Auth.js uses; ``oid`` + ``tid``
  is the person's directory id, in the raw claims);
- ``email``: ``email``, else ``preferred_username`` when it is an address;
- ``email_verified``: False unless Microsoft itself vouches for the address: the ID token's
  ``xms_edov`` claim is true (Microsoft checked that the person's tenant verified the
  ``email`` claim's domain; an optional claim to add under "Token configuration", with
  ``email``), or the token is of a personal Microsoft account (``tid`` is the
  personal-account tenant, which only Microsoft administers, and Microsoft has the owner
  confirm each address of such an account; its ``xms_edov`` documentation counts them as
  verified). A work or school account's ``email`` is an attribute that any tenant's
  administrator can set to any address, so with ``common`` or ``organizations`` (any tenant)
  it proves nothing, and ``email_verified`` claims are not taken either: only a
  claims-mapping policy, written by a tenant administrator, could add one. The rule is the
  same for a single ``tenant``: add ``xms_edov`` to have its addresses taken as verified;
- ``name``: ``name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError, OAuthSignin
from ..oidc import OIDC
from ..oidc_checks import IssuerRule
from ..profile import Profile, is_true, text_or_none
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


#: The tenant of personal Microsoft accounts.
CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLACEHOLDER = "{tenantid}"


def _is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def entra_profile(claims: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """Map Entra ID token claims (see the module documentation): the ``email`` claim is
    verified only with ``xms_edov`` true or for a personal Microsoft account."""
    sub = text_or_none(claims.get("sub"))
    if sub is None:
        raise OAuthCallbackError("microsoft-entra-id: the ID token has no sub")
    email = text_or_none(claims.get("email"))
    verified = email is not None and (
        is_true(claims.get("xms_edov")) or claims.get("tid") == CONSUMERS_TENANT
    )
    if email is None:
        username = text_or_none(claims.get("preferred_username"))
        email = username if username is not None and "@" in username else None
    return Profile(
        id=sub,
        email=email,
        email_verified=verified,
        name=text_or_none(claims.get("name")),
        image=None,
    )


class MicrosoftEntraID(OIDC):
    """Sign in with Microsoft Entra ID. See the module documentation for the issuer checks."""

    preset = Preset(
        id="microsoft-entra-id",
        name="Microsoft",
        scope="openid profile email",
        profile=entra_profile,
    )
    #: Everything comes from the ID token (see the module documentation).
    uses_userinfo_endpoint = False

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        tenant: str = "common",
        authority: str = "https://login.microsoftonline.com",
        prompt: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        tenant = tenant.strip().lower()
        if not tenant or "/" in tenant:
            raise ValueError(f"an Entra tenant is a GUID, a domain or common: {tenant!r}")
        self.tenant = tenant
        self.authority = authority.rstrip("/")
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                issuer=f"{self.authority}/{tenant}/v2.0",
                authorize_params={"prompt": prompt} if prompt else None,
            )
        )

    def discovered_issuer(self, metadata: Mapping[str, Any]) -> str:
        """The discovery document's ``issuer``, checked to be of this authority and tenant."""
        issuer = str(metadata.get("issuer", ""))
        prefix, suffix = f"{self.authority}/", "/v2.0"
        middle = (
            issuer[len(prefix) : -len(suffix)]
            if issuer.startswith(prefix) and issuer.endswith(suffix)
            else None
        )
        if self.tenant in ("common", "organizations"):
            ok = middle == _PLACEHOLDER
        elif self.tenant == "consumers":
            ok = middle == CONSUMERS_TENANT
        elif _is_guid(self.tenant):
            ok = middle == self.tenant
        else:  # a domain: discovery names that tenant's GUID
            ok = _is_guid(middle)
        if not ok:
            raise OAuthSignin(f"{self.id}: the discovery document names another issuer")
        return issuer

    def tenant_allowed(self, tid: str) -> bool:
        """Whether a person of tenant ``tid`` may sign in under this ``tenant`` setting."""
        if self.tenant == "organizations":
            return tid != CONSUMERS_TENANT
        if self.tenant == "consumers":
            return tid == CONSUMERS_TENANT
        return True

    def issuer_for(self, template: str, tid: object) -> str | None:
        """The issuer a token of tenant ``tid`` must name, or None when ``tid`` is refused."""
        if not _is_guid(tid) or not self.tenant_allowed(str(tid)):
            return None
        return template.replace(_PLACEHOLDER, str(tid))

    # Hooks of the OIDC checks ---------------------------------------------------------------
    def check_discovery(self, metadata: Mapping[str, Any]) -> None:
        """The discovery document's issuer: a template for multi-tenant authorities."""
        self.discovered_issuer(metadata)

    def response_issuer(self, iss: str, metadata: Mapping[str, Any]) -> str | None:
        """An RFC 9207 ``iss`` is the discovered issuer for the tenant it names."""
        template = self.discovered_issuer(metadata)
        if _PLACEHOLDER not in template:
            return template
        head, _, tail = template.partition(_PLACEHOLDER)
        return self.issuer_for(template, iss[len(head) : len(iss) - len(tail)])

    def id_token_issuer(self) -> IssuerRule:
        """The ID token's ``iss`` must be the discovered issuer for its own ``tid``."""
        template = self.discovered_issuer(self.metadata(at_callback=True))

        def valid_iss(claims: Mapping[str, Any], value: object) -> bool:
            return value == self.issuer_for(template, claims.get("tid"))

        return valid_iss

    def id_token_extra_claims(self) -> dict[str, dict[str, Any]]:
        """The ID token names its tenant (``tid``)."""
        return {"tid": {"essential": True}}
