"""The keyword options every OAuth provider takes, declared once for the generic providers
(:class:`OAuthOptions`) and the presets (:class:`PresetOptions`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from .profile import ProfileMapper


class CommonOptions(TypedDict, total=False):
    """What any OAuth provider may be given.

    ``name`` is shown on the sign-in button; ``scope`` replaces the default scopes;
    ``profile(user_document, token)`` maps the provider's user document to a
    :class:`~flask_authadapter.providers.profile.Profile`;
    ``allow_dangerous_email_account_linking`` links a new account to the user with the same
    verified email; ``timeout`` (seconds) bounds each request to the provider.
    """

    name: str | None
    scope: str | None
    profile: ProfileMapper | None
    allow_dangerous_email_account_linking: bool
    timeout: float


class OAuthOptions(CommonOptions, total=False):
    """What the generic ``OAuth2`` and ``OIDC`` also take: the credentials (else from
    ``AUTH_<ID>_CLIENT_ID`` / ``AUTH_<ID>_CLIENT_SECRET``), extra authorization parameters
    and how the token endpoint authenticates the client."""

    client_id: str | None
    client_secret: str | None
    authorize_params: Mapping[str, str] | None
    token_endpoint_auth_method: str


class PresetOptions(CommonOptions, total=False):
    """What a preset also takes: another ``id`` (two instances of one provider, or settings
    under another ``AUTH_<ID>_...`` name)."""

    id: str
