"""The checks made on what an OpenID Connect provider sends, written once for every provider.

Authlib verifies the ID token (:func:`validate_id_token`): its signature against the
provider's keys, with the algorithms :func:`safe_signing_algorithms` leaves, then the claims
that :func:`id_token_claims_options` asks for: ``iss`` (one of the accepted issuers, or a
provider's own rule), ``aud`` this client, ``sub`` present, ``azp`` this client when sent,
``exp`` and ``iat``, ``nonce`` the one this browser's flow sent. This module adds the RFC 9207
``iss`` authorization-response parameter (:func:`check_response_issuer`), the discovery
document's issuer (:func:`check_discovered_issuer`) and the userinfo ``sub``
(:func:`check_userinfo_subject`). A provider that differs (a multi-tenant issuer) passes its
own expected values or rule; the checks stay here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core.errors import OAuthCallbackError, OAuthSignin

#: ``rule(claims, iss) -> bool``: whether ``iss`` is right for an ID token with ``claims``.
IssuerRule = Callable[[Mapping[str, Any], object], bool]


def safe_signing_algorithms(listed: object) -> list[str]:
    """The ID-token signing algorithms to accept of those a discovery document lists.

    An unsigned token ("none", OIDC Core 2) or one MAC'd with a shared secret (``HS*``) is
    never accepted, whatever the document says; nothing usable listed means RS256."""
    names = listed if isinstance(listed, list) and listed else ["RS256"]
    safe = [a for a in names if isinstance(a, str) and a != "none" and a[:2] != "HS"]
    return safe or ["RS256"]


def id_token_claims_options(
    client_id: str,
    issuer: Sequence[str] | IssuerRule,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Authlib ``claims_options`` for an ID token: ``iss`` one of ``issuer`` (or accepted
    by that rule), ``aud`` this client (OIDC Core 3.1.3.7 item 3), ``sub`` present, and the
    provider's ``extra`` claims. ``azp``, ``exp``, ``iat`` and ``nonce`` Authlib always checks."""
    iss: dict[str, Any] = {"essential": True}
    if callable(issuer):
        iss["validate"] = issuer
    else:
        iss["values"] = list(issuer)
    options: dict[str, Any] = dict(extra or {})
    options.update(iss=iss, aud={"essential": True, "values": [client_id]}, sub={"essential": True})
    return options


def validate_id_token(
    client: Any, token: Mapping[str, Any], nonce: str, claims_options: Mapping[str, Any] | None
) -> Any:
    """The claims of ``token``'s ID token, checked by Authlib's ``client`` (signature, then
    ``claims_options``, ``azp``, ``exp``, ``iat`` and ``nonce``); Authlib's error otherwise.

    ``claims_options`` None (a plain OAuth 2 provider) leaves ``iss`` to Authlib's default:
    the discovered issuer, when there is one."""
    options = dict(claims_options) if claims_options is not None else None
    return client.parse_id_token(token, nonce=nonce, claims_options=options)


def id_token_claims(provider_id: str, token: Mapping[str, Any]) -> dict[str, Any]:
    """The validated ID token's claims in the token response (they name a ``sub``), or
    OAuthCallbackError."""
    claims = token.get("userinfo")
    if not isinstance(claims, Mapping) or not claims.get("sub"):
        raise OAuthCallbackError(f"{provider_id}: no valid ID token in the token response")
    return dict(claims)


def check_userinfo_subject(
    provider_id: str, claims: Mapping[str, Any], userinfo: object
) -> Mapping[str, Any]:
    """``userinfo`` if it is a document about the ID token's subject (the same ``sub``,
    OIDC Core 5.3.2), else OAuthCallbackError."""
    if not isinstance(userinfo, Mapping) or userinfo.get("sub") != claims.get("sub"):
        raise OAuthCallbackError(f"{provider_id}: the userinfo sub differs from the ID token's")
    return userinfo


def check_discovered_issuer(provider_id: str, metadata: Mapping[str, Any], issuer: str) -> None:
    """The discovery document must name ``issuer`` (a trailing slash aside), or OAuthSignin."""
    if str(metadata.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise OAuthSignin(f"{provider_id}: the discovery document names another issuer")


def check_response_issuer(
    provider_id: str, iss: str | None, metadata: Mapping[str, Any], expected: str | None
) -> None:
    """RFC 9207: the authorization response's ``iss`` must be exactly ``expected`` when sent
    (2.4), and sent when the provider's metadata promises it; else OAuthCallbackError.

    ``expected`` is the issuer the provider computed for ``iss`` (None: none is right)."""
    if iss is None:
        if metadata.get("authorization_response_iss_parameter_supported") is True:
            raise OAuthCallbackError(f"{provider_id}: the callback lacks the promised iss")
        return
    if expected is None or iss != expected:
        raise OAuthCallbackError(f"{provider_id}: the callback's iss is another issuer")
