"""A provider's user document mapped to this project's fields: :class:`Profile`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import OAuthCallbackError
from ..core.models import Account


@dataclass(frozen=True)
class Profile:
    """What a provider's user document says, mapped to this project's fields.

    ``id`` is the provider's stable account id (``sub`` for OIDC); ``email_verified`` only
    when the provider asserts it.
    """

    id: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    image: str | None = None


#: ``profile(user_document, token) -> Profile``.
ProfileMapper = Callable[[Mapping[str, Any], Mapping[str, Any]], Profile]


def text_or_none(value: Any) -> str | None:
    """``value`` if it is non-empty text, else None (for reading providers' documents)."""
    return value if isinstance(value, str) and value else None


def is_true(value: Any) -> bool:
    """A boolean claim: ``true``, or the text ``"true"`` some providers send."""
    return value is True or value == "true"


def standard_profile(userinfo: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """The OpenID Connect standard claims: ``sub``, ``email``, ``email_verified``, ``name``
    (else ``preferred_username``), ``picture``."""
    sub = userinfo.get("sub")
    if sub in (None, ""):
        raise OAuthCallbackError("the provider's user document has no sub")
    return Profile(
        id=str(sub),
        email=text_or_none(userinfo.get("email")),
        email_verified=is_true(userinfo.get("email_verified")),
        name=text_or_none(userinfo.get("name")) or text_or_none(userinfo.get("preferred_username")),
        image=text_or_none(userinfo.get("picture")),
    )


def provider_account(
    provider_id: str, kind: str, profile: Profile, token: Mapping[str, Any]
) -> Account:
    """The account row of ``profile`` with the token set (``expires_at`` made absolute)."""
    expires_at = token.get("expires_at")
    if expires_at is None and token.get("expires_in") is not None:
        try:
            expires_at = int(time.time()) + int(token["expires_in"])
        except (TypeError, ValueError):
            expires_at = None
    return Account(
        user_id="",
        type=kind,
        provider=provider_id,
        provider_account_id=profile.id,
        access_token=text_or_none(token.get("access_token")),
        refresh_token=text_or_none(token.get("refresh_token")),
        expires_at=int(expires_at) if expires_at is not None else None,
        token_type=text_or_none(token.get("token_type")),
        scope=text_or_none(token.get("scope")),
        id_token=text_or_none(token.get("id_token")),
        session_state=text_or_none(token.get("session_state")),
    )
