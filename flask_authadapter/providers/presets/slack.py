"""Slack: "Sign in with Slack" (OpenID Connect).

Registration: create an app at https://api.slack.com/apps (docs:
https://api.slack.com/authentication/sign-in-with-slack), add the redirect URL
``{AUTH_URL}/auth/callback/slack`` under OAuth & Permissions (Slack requires https), and the
user token scopes ``openid``, ``email`` and ``profile``. Config keys: ``AUTH_SLACK_CLIENT_ID`` /
``AUTH_SLACK_CLIENT_SECRET``.

Issuer: ``https://slack.com``. Slack's token endpoint takes the client secret in the request
body only (its discovery document lists ``client_secret_post``).

Scopes: ``openid email profile``.

``team_id="T0123..."`` restricts sign-in to one workspace: it sends ``team`` (which skips the
workspace picker when the person is signed in to it) *and* checks the ID token's
``https://slack.com/team_id`` claim, else the sign-in fails with ``OAuthCallbackError``.

Profile (the ID token and ``openid.connect.userInfo`` claims,
https://api.slack.com/authentication/sign-in-with-slack#response): ``id`` = ``sub`` (equal to the
``https://slack.com/user_id`` claim, the Slack user id), ``email`` = ``email``,
``email_verified`` = ``email_verified``, ``name`` = ``name``, ``image`` = ``picture``. The
workspace (``https://slack.com/team_id``, ``..._name``, ``..._domain``) is in the raw claims
given to the ``sign_in`` callback.

Email verification: Slack's ``email_verified`` is taken. Slack has members confirm their
address and says when (``date_email_verified``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError
from ..oidc import OIDC
from .preset import SECRET_IN_BODY, Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


TEAM_CLAIM = "https://slack.com/team_id"


class Slack(OIDC):
    """Sign in with Slack. See the module documentation for set-up and the profile."""

    preset = Preset(
        id="slack",
        name="Slack",
        scope="openid email profile",
        token_endpoint_auth_method=SECRET_IN_BODY,
    )

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        team_id: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                issuer="https://slack.com",
                authorize_params={"team": team_id} if team_id else None,
            )
        )
        self.team_id = team_id

    def check_claims(self, claims: Mapping[str, Any]) -> None:
        """With ``team_id``: the ID token must be for that workspace."""
        if self.team_id is not None and claims.get(TEAM_CLAIM) != self.team_id:
            raise OAuthCallbackError(f"{self.id}: the account is of another Slack workspace")
