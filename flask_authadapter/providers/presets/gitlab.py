"""GitLab: sign in with a GitLab.com or self-managed GitLab account (OpenID Connect).

Registration: add an application under User Settings > Applications (or a group's or the
instance's Applications), e.g. https://gitlab.com/-/user_settings/applications (docs:
https://docs.gitlab.com/integration/openid_connect_provider/ and
https://docs.gitlab.com/integration/oauth_provider/), confidential, with the scopes ``openid``,
``profile`` and ``email`` and the redirect URI ``{AUTH_URL}/auth/callback/gitlab``. Config keys:
``AUTH_GITLAB_CLIENT_ID`` (the Application ID) / ``AUTH_GITLAB_CLIENT_SECRET``.

Issuer: ``base_url``, default ``https://gitlab.com``; for a self-managed instance pass
``base_url="https://gitlab.example.com"`` (its discovery document is
``{base_url}/.well-known/openid-configuration``).

Scopes: ``openid profile email``.

Profile (GitLab's ID token and userinfo claims,
https://docs.gitlab.com/integration/openid_connect_provider/#shared-information):
``id`` = ``sub`` (the numeric user id, as text), ``email`` = ``email``, ``email_verified`` =
``email_verified``, ``name`` = ``name`` (else ``nickname``, the username), ``image`` =
``picture``.

Email verification: GitLab's ``email_verified`` is taken. GitLab sets it once the address was
confirmed on that GitLab (on a self-managed instance its administrators may confirm addresses
themselves: trust follows the instance you configure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..oidc import OIDC
from ..profile import Profile, standard_profile, text_or_none
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


def gitlab_profile(claims: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """The standard claims; the username (``nickname``) when the name is empty."""
    profile = standard_profile(claims, token)
    if profile.name is None:
        return replace(profile, name=text_or_none(claims.get("nickname")))
    return profile


class GitLab(OIDC):
    """Sign in with GitLab. See the module documentation for set-up and the profile."""

    preset = Preset(
        id="gitlab", name="GitLab", scope="openid profile email", profile=gitlab_profile
    )

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str = "https://gitlab.com",
        **options: Unpack[PresetOptions],
    ) -> None:
        super().__init__(**self.preset.options(client_id, client_secret, options, issuer=base_url))
