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
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError
from ..oauth import OAuth2
from ..profile import Profile, text_or_none
from .preset import SECRET_IN_BODY, Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


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

    # The manual flow documents client_id and client_secret as parameters.
    preset = Preset(
        id="facebook",
        name="Facebook",
        scope="email public_profile",
        profile=facebook_profile,
        token_endpoint_auth_method=SECRET_IN_BODY,
    )

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        api_version: str = "v19.0",
        **options: Unpack[PresetOptions],
    ) -> None:
        graph = f"https://graph.facebook.com/{api_version}"
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                authorize_url=f"https://www.facebook.com/{api_version}/dialog/oauth",
                token_url=f"{graph}/oauth/access_token",
                userinfo_url=f"{graph}/me?fields=id,name,email,picture",
            )
        )
