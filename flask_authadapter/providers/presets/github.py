"""GitHub: sign in with a GitHub account (OAuth 2.0: GitHub has no OpenID Connect for users).

Registration: create an OAuth App at https://github.com/settings/developers (docs:
https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/creating-an-oauth-app) with the
authorization callback URL ``{AUTH_URL}/auth/callback/github``. Config keys:
``AUTH_GITHUB_CLIENT_ID`` / ``AUTH_GITHUB_CLIENT_SECRET`` (or ``client_id=`` /
``client_secret=``).

Endpoints: https://github.com/login/oauth/authorize, https://github.com/login/oauth/access_token,
https://api.github.com/user and https://api.github.com/user/emails. For GitHub Enterprise
Server pass ``base_url="https://github.example.com"`` (the API is then ``{base_url}/api/v3``,
or pass ``api_base_url``).

Scopes: ``read:user user:email``.

Profile (https://docs.github.com/en/rest/users/users#get-the-authenticated-user and
https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user):

- ``id``: ``str(user["id"])``, the numeric id (the ``login`` can be renamed, the id cannot);
- ``name``: ``name``, else ``login``; ``image``: ``avatar_url``;
- ``email``: the public ``email`` of ``GET /user`` when the person has one, else the primary
  *verified* address of ``GET /user/emails`` (none when that one is not verified);
- ``email_verified``: True only when ``GET /user/emails`` lists that address as verified
  (GitHub marks it so once the owner followed GitHub's confirmation link). The email field of
  ``GET /user`` alone is not taken as verified: a public address need not be confirmed.

The list from ``/user/emails`` is added to the user document under ``"emails"`` (a key
``GET /user`` does not have), so a custom ``profile`` mapper and the ``sign_in`` callback see it.
When the person has a public email and ``/user/emails`` cannot be read (the ``user:email`` scope
was not granted), the public email is used, unverified.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.errors import OAuthCallbackError
from ..oauth import OAuth2
from ..profile import Profile, text_or_none
from .preset import SECRET_IN_BODY, Preset

if TYPE_CHECKING:
    from .preset import PresetOptions, Unpack


logger = logging.getLogger("flask_authadapter")


def github_profile(user: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """Map GitHub's ``GET /user`` document (with ``"emails"`` from ``/user/emails``)."""
    if user.get("id") in (None, ""):
        raise OAuthCallbackError("github: the user document has no id")
    emails = [e for e in user.get("emails") or () if isinstance(e, Mapping)]
    public = text_or_none(user.get("email"))
    if public is not None:
        email: str | None = public
        verified = any(
            text_or_none(e.get("email")) is not None
            and str(e["email"]).lower() == public.lower()
            and e.get("verified") is True
            for e in emails
        )
    else:
        primary = next(
            (e for e in emails if e.get("primary") is True and e.get("verified") is True), None
        )
        email = text_or_none(primary.get("email")) if primary is not None else None
        verified = email is not None
    return Profile(
        id=str(user["id"]),
        email=email,
        email_verified=verified,
        name=text_or_none(user.get("name")) or text_or_none(user.get("login")),
        image=text_or_none(user.get("avatar_url")),
    )


class GitHub(OAuth2):
    """Sign in with GitHub. See the module documentation for set-up and the profile."""

    # GitHub takes the secret in the body or in Basic auth; the body is its documented way.
    preset = Preset(
        id="github",
        name="GitHub",
        scope="read:user user:email",
        profile=github_profile,
        token_endpoint_auth_method=SECRET_IN_BODY,
    )

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str = "https://github.com",
        api_base_url: str | None = None,
        **options: Unpack[PresetOptions],
    ) -> None:
        base_url = base_url.rstrip("/")
        if api_base_url is None:
            public = base_url == "https://github.com"
            api_base_url = "https://api.github.com" if public else f"{base_url}/api/v3"
        self.api_base_url = api_base_url.rstrip("/")
        self.emails_url = f"{self.api_base_url}/user/emails"
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                authorize_url=f"{base_url}/login/oauth/authorize",
                token_url=f"{base_url}/login/oauth/access_token",
                userinfo_url=f"{self.api_base_url}/user",
            )
        )

    def fetch_userinfo(self, token: Mapping[str, Any]) -> Mapping[str, Any]:
        """``GET /user``, with the person's addresses from ``GET /user/emails`` as ``emails``."""
        user = dict(super().fetch_userinfo(token))
        try:
            emails: object = self.get_json(self.emails_url, token)
        except OAuthCallbackError:
            if text_or_none(user.get("email")) is None:
                raise
            logger.info("github: /user/emails unreadable; the public email stays unverified")
            emails = []
        if not isinstance(emails, list):
            raise OAuthCallbackError("github: /user/emails is not a list")
        user["emails"] = [e for e in emails if isinstance(e, Mapping)]
        return user
