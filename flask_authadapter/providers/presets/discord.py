"""Discord: sign in with a Discord account (OAuth 2.0).

Registration: create an application at https://discord.com/developers/applications (docs:
https://discord.com/developers/docs/topics/oauth2), and under OAuth2 add the redirect
``{AUTH_URL}/auth/callback/discord``. Config keys: ``AUTH_DISCORD_CLIENT_ID`` /
``AUTH_DISCORD_CLIENT_SECRET``.

Endpoints: https://discord.com/oauth2/authorize, https://discord.com/api/oauth2/token and
https://discord.com/api/users/@me.

Scopes: ``identify email``.

Profile (the user object, https://discord.com/developers/docs/resources/user#user-object):

- ``id``: ``id`` (a snowflake, as text);
- ``email``: ``email`` (absent without the ``email`` scope); ``email_verified``: ``verified``;
- ``name``: ``global_name`` (the display name), else ``username``;
- ``image``: ``https://cdn.discordapp.com/avatars/{id}/{avatar}.png`` (``.gif`` for an animated
  avatar, whose hash starts with ``a_``); without an avatar, Discord's default avatar
  ``https://cdn.discordapp.com/embed/avatars/{n}.png``, where ``n`` is ``(id >> 22) % 6`` for
  the new unique usernames and ``discriminator % 5`` for legacy ``name#1234`` accounts
  (https://discord.com/developers/docs/reference#image-formatting).

Email verification: Discord's ``verified`` flag is taken. Discord sets it once the person has
confirmed the address from the email Discord sent there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError
from ..oauth import OAuth2
from ..profile import Profile, text_or_none
from .preset import Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


CDN = "https://cdn.discordapp.com"


def discord_avatar_url(user: Mapping[str, Any]) -> str:
    """The URL of the user's avatar, or of Discord's default avatar for them."""
    user_id = str(user["id"])
    avatar = text_or_none(user.get("avatar"))
    if avatar is not None:
        extension = "gif" if avatar.startswith("a_") else "png"
        return f"{CDN}/avatars/{user_id}/{avatar}.{extension}"
    discriminator = str(user.get("discriminator") or "0")
    if discriminator != "0" and discriminator.isdigit():
        index = int(discriminator) % 5
    elif user_id.isdigit():
        index = (int(user_id) >> 22) % 6
    else:
        index = 0
    return f"{CDN}/embed/avatars/{index}.png"


def discord_profile(user: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """Map Discord's ``GET /users/@me`` user object."""
    if user.get("id") in (None, ""):
        raise OAuthCallbackError("discord: the user object has no id")
    email = text_or_none(user.get("email"))
    return Profile(
        id=str(user["id"]),
        email=email,
        email_verified=email is not None and user.get("verified") is True,
        name=text_or_none(user.get("global_name")) or text_or_none(user.get("username")),
        image=discord_avatar_url(user),
    )


class Discord(OAuth2):
    """Sign in with Discord. See the module documentation for set-up and the profile."""

    preset = Preset(id="discord", name="Discord", scope="identify email", profile=discord_profile)

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        prompt: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                authorize_url="https://discord.com/oauth2/authorize",
                token_url="https://discord.com/api/oauth2/token",  # noqa: S106 - a URL
                userinfo_url="https://discord.com/api/users/@me",
                # "consent" asks again each time; "none" skips the screen for a returning person.
                authorize_params={"prompt": prompt} if prompt else None,
            )
        )
