"""Facebook: sign in with a Facebook account (Facebook Login, OAuth 2.0).

Registration: create an app at https://developers.facebook.com/apps/ with the Facebook Login
product (docs: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow),
and add ``{AUTH_URL}/auth/callback/facebook`` to its "Valid OAuth Redirect URIs". Config keys:
``AUTH_FACEBOOK_CLIENT_ID`` (the App ID) / ``AUTH_FACEBOOK_CLIENT_SECRET`` (the App Secret).

Endpoints (Graph API ``v19.0`` by default, ``api_version=`` to change it):
https://www.facebook.com/v19.0/dialog/oauth, https://graph.facebook.com/v19.0/oauth/access_token
and https://graph.facebook.com/me?fields=id,name,email,picture.

Scopes: ``email public_profile``.

Profile (the User node, https://developers.facebook.com/docs/graph-api/reference/user/):

- ``id``: ``id`` (app-scoped: the same person has another id in another app);
- ``name``: ``name``; ``email``: ``email`` (absent when the person has none or declined it);
- ``image``: ``picture.data.url`` (a small square picture; it is a signed URL that expires);
- ``email_verified``: always False. The Graph API's User node says nothing of whether the
  address was confirmed, and Facebook accounts can be made with an address nobody checked,
  so the address is no proof that the person receives mail there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.errors import OAuthCallbackError
from ..oauth import OAuth2, Profile, ProfileMapper, text_or_none

__all__ = ["Facebook", "facebook_profile"]


def facebook_profile(user: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """Map the Graph API's ``GET /me?fields=id,name,email,picture``."""
    if user.get("id") in (None, ""):
        raise OAuthCallbackError("facebook: the user node has no id")
    picture = user.get("picture")
    data = picture.get("data") if isinstance(picture, Mapping) else None
    image = text_or_none(data.get("url")) if isinstance(data, Mapping) else None
    return Profile(
        id=str(user["id"]),
        email=text_or_none(user.get("email")),
        email_verified=False,
        name=text_or_none(user.get("name")),
        image=image,
    )


class Facebook(OAuth2):
    """Sign in with Facebook. See the module documentation for set-up and the profile."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        id: str = "facebook",
        name: str = "Facebook",
        scope: str = "email public_profile",
        allow_dangerous_email_account_linking: bool = False,
        profile: ProfileMapper | None = None,
        api_version: str = "v19.0",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            id,
            authorize_url=f"https://www.facebook.com/{api_version}/dialog/oauth",
            token_url=f"https://graph.facebook.com/{api_version}/oauth/access_token",
            userinfo_url=f"https://graph.facebook.com/{api_version}/me?fields=id,name,email,picture",
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            scope=scope,
            profile=profile or facebook_profile,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
            # The manual flow documents client_id and client_secret as parameters.
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
            timeout=timeout,
        )
