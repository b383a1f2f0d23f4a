"""OpenID Connect providers: OAuth 2.0 configured by discovery, with the ID token checked.

The checks themselves are in :mod:`.oidc_checks`; :class:`OIDC` says what they expect of one
provider through small hooks that presets override where their provider differs: the
discovery document's issuer (:meth:`OIDC.check_discovery`), the issuer an RFC 9207 ``iss``
must be (:meth:`OIDC.response_issuer`), the ID token's accepted issuers
(:meth:`OIDC.id_token_issuer`) and further claims (:meth:`OIDC.id_token_extra_claims`,
:meth:`OIDC.check_claims`), and whether a userinfo endpoint completes the claims.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.errors import OAuthCallbackError, OAuthSignin
from .oauth import OAuth2
from .oidc_checks import (
    IssuerRule,
    check_discovered_issuer,
    check_response_issuer,
    check_userinfo_subject,
    id_token_claims,
    id_token_claims_options,
    safe_signing_algorithms,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack
    from werkzeug.wrappers import Response

    from .base import SignInFlow
    from .options import OAuthOptions


logger = logging.getLogger("flask_authadapter")


class OIDC(OAuth2):
    """An OpenID Connect provider, configured by discovery from ``issuer``.

    The ID token is validated (signature, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``,
    ``nonce``, ``sub``); the profile comes from its claims, completed by the userinfo endpoint
    when there is one, whose ``sub`` must equal the ID token's. The other options are
    :class:`~.options.OAuthOptions`; ``scope`` is ``openid email profile`` by default.
    """

    type = "oidc"
    default_scope: ClassVar[str | None] = "openid email profile"
    #: Whether the discovered userinfo endpoint completes the ID token's claims.
    uses_userinfo_endpoint: ClassVar[bool] = True

    def __init__(self, id: str, *, issuer: str, **options: Unpack[OAuthOptions]) -> None:
        issuer = issuer.rstrip("/")
        super().__init__(
            id, server_metadata_url=f"{issuer}/.well-known/openid-configuration", **options
        )
        self.issuer = issuer

    def endpoints(self) -> dict[str, Any]:
        """Discovery: only the metadata URL."""
        return {"server_metadata_url": self.server_metadata_url}

    def metadata(self, *, at_callback: bool = False) -> Mapping[str, Any]:
        """The provider's discovery document (fetched once, then cached by Authlib), its
        signing algorithms narrowed to the safe ones.

        Unreachable: OAuthSignin when starting, OAuthCallbackError at the callback (another
        worker, or a restarted app, may fetch it for the first time there)."""
        try:
            data: dict[str, Any] = self.client().load_server_metadata()
        except Exception as exc:
            logger.error("%s: discovery failed: %s", self.id, type(exc).__name__)
            error = OAuthCallbackError if at_callback else OAuthSignin
            raise error(f"{self.id}: the provider could not be reached") from None
        # Authlib verifies ID tokens with the algorithms the document lists (and caches
        # the document: narrowed once).
        listed = data.get("id_token_signing_alg_values_supported")
        safe = safe_signing_algorithms(listed)
        if safe != listed:
            data["id_token_signing_alg_values_supported"] = safe
        return data

    def exact_issuer(self) -> str:
        """The issuer exactly as the discovery document names it (a trailing slash kept)."""
        return str(self.metadata(at_callback=True).get("issuer") or self.issuer)

    def begin(self, flow: SignInFlow) -> Response:
        """Check discovery first (an unreachable provider is OAuthSignin), then redirect."""
        self.check_discovery(self.metadata())
        return super().begin(flow)

    # Hooks: what the checks of .oidc_checks expect of this provider ----------------------
    def check_discovery(self, metadata: Mapping[str, Any]) -> None:
        """The discovery document must name this issuer."""
        check_discovered_issuer(self.id, metadata, self.issuer)

    def response_issuer(self, iss: str, metadata: Mapping[str, Any]) -> str | None:
        """The issuer an RFC 9207 ``iss`` must be: the discovered one, exactly."""
        return str(metadata.get("issuer") or self.issuer)

    def id_token_issuer(self) -> Sequence[str] | IssuerRule:
        """The ID token's accepted ``iss`` values (or a rule): the discovered issuer."""
        return [self.exact_issuer()]

    def id_token_extra_claims(self) -> dict[str, dict[str, Any]]:
        """Authlib claim options beyond ``iss``, ``aud`` and ``sub`` (none by default)."""
        return {}

    def check_claims(self, claims: Mapping[str, Any]) -> None:
        """A provider's own condition on the ID token's claims (none by default)."""

    # The checks -----------------------------------------------------------------------------
    def check_issuer(self, iss: str | None) -> None:
        """RFC 9207: ``iss`` must be :meth:`response_issuer` when sent, and sent when
        promised."""
        metadata = self.metadata(at_callback=True)
        expected = self.response_issuer(iss, metadata) if iss is not None else None
        check_response_issuer(self.id, iss, metadata, expected)

    def claims_options(self) -> dict[str, Any]:
        """The ID token's claim checks for this client and issuer."""
        return id_token_claims_options(
            self.client().client_id, self.id_token_issuer(), self.id_token_extra_claims()
        )

    def fetch_userinfo(self, token: Mapping[str, Any]) -> Mapping[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint (same ``sub`` only)."""
        raw = token.get("userinfo")
        self.check_claims(raw if isinstance(raw, Mapping) else {})
        claims = id_token_claims(self.id, token)
        if not self.uses_userinfo_endpoint:
            return claims
        endpoint = self.metadata(at_callback=True).get("userinfo_endpoint")
        if endpoint:
            userinfo = self.get_json(str(endpoint), token)
            claims.update(check_userinfo_subject(self.id, claims, userinfo))
        return claims
