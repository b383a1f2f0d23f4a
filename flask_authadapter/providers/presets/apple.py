"""Apple: "Sign in with Apple" on the web (OpenID Connect, with Apple's particulars).

Registration (docs: https://developer.apple.com/documentation/signinwithapple/configuring-your-environment-for-sign-in-with-apple
and https://developer.apple.com/help/account/configure-app-capabilities/configure-sign-in-with-apple-for-the-web):
in Certificates, Identifiers & Profiles, create an App ID with "Sign in with Apple", then a
*Services ID* (its identifier is the client id) configured with your domain and the return URL
``{AUTH_URL}/auth/callback/apple`` (https only), and a *key* with "Sign in with Apple" enabled:
download its ``.p8`` private key and note its Key ID and your Team ID.

Config keys: ``AUTH_APPLE_CLIENT_ID`` (the Services ID), ``AUTH_APPLE_TEAM_ID``,
``AUTH_APPLE_KEY_ID`` and ``AUTH_APPLE_PRIVATE_KEY`` (the ``.p8`` file's PEM text; ``\\n``
escapes, as environment variables often carry it, are accepted), or the arguments
``client_id=``, ``team_id=``, ``key_id=``, ``private_key=``.

The client secret is not a fixed string: it is a JWT signed ES256 with that key (header ``kid``
= key id; claims ``iss`` = team id, ``iat``, ``exp``, ``aud`` = ``https://appleid.apple.com``,
``sub`` = the client id; Apple accepts an ``exp`` at most 6 months ahead). This preset makes one
at start-up and a new one before it expires (``secret_lifetime``, 1 hour by default), see
:func:`apple_client_secret`. A ready-made secret JWT may instead be given as ``client_secret``
(or ``AUTH_APPLE_CLIENT_SECRET``); renewing it is then yours to do.

Issuer: ``https://appleid.apple.com``; Apple's token endpoint takes the secret in the body.

Scopes: ``openid name email``. ``openid`` is in Apple's ``scopes_supported``; it is what makes
Authlib send a ``nonce`` and validate the ID token. Asking for ``name`` or ``email`` obliges
``response_mode=form_post``: Apple answers with a cross-site POST to the callback, which
``/auth/callback/apple`` accepts.

Profile: Apple has no userinfo endpoint; everything comes from the ID token
(https://developer.apple.com/documentation/signinwithapple/authenticating-users-with-sign-in-with-apple#Retrieve-the-users-information-from-Apple-ID-servers):
``id`` = ``sub`` (stable per team), ``email`` = ``email`` (a ``...@privaterelay.appleid.com``
relay address when ``is_private_email``), ``email_verified`` = ``email_verified`` (Apple sends
``"true"`` as text or ``true``). The name is not in the ID token: Apple posts it only on the
person's *first* sign-in, as the ``user`` form field (``{"name": {"firstName": ...,
"lastName": ...}, "email": ...}``); ``name`` is taken from there when present. That field is
not signed, so its email is never used: the ID token's is.

Email verification: Apple's ``email_verified`` is taken as it is. Apple only issues ID tokens
for addresses it has confirmed (an Apple ID's, or a private relay address Apple runs itself).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ...core.clock import Clock, system_clock
from ...core.errors import ConfigurationError
from ..oidc import OIDC
from ..oidc_checks import id_token_claims
from ..profile import text_or_none
from ..registration import Registration, provider_setting, setting_name
from .preset import SECRET_IN_BODY, Preset

if TYPE_CHECKING:
    from flask import Flask
    from joserfc.jwk import ECKey

    from .preset import PresetOptions, Unpack


APPLE_ISSUER = "https://appleid.apple.com"
#: The longest an Apple client secret may be valid (Apple: 15777000 seconds, 6 months).
MAX_SECRET_LIFETIME = timedelta(seconds=15777000)


def _load_key(private_key: str | bytes) -> ECKey:
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey

    if isinstance(private_key, str):
        private_key = private_key.strip().replace("\\n", "\n")
    try:
        key: ECKey = ECKey.import_key(private_key)
    except (JoseError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"the Apple private key is not a PEM EC key: {exc}") from None
    if key.curve_name != "P-256" or not key.is_private:
        raise ConfigurationError("the Apple private key must be a private P-256 (ES256) key")
    return key


def apple_client_secret(
    *,
    team_id: str,
    key_id: str,
    client_id: str,
    private_key: str | bytes | ECKey,
    issued_at: int,
    lifetime: timedelta = timedelta(hours=1),
) -> str:
    """An Apple client secret: a JWT signed ES256 with the Sign in with Apple key.

    ``issued_at`` in seconds since the epoch; ``lifetime`` at most 6 months.
    """
    from joserfc import jwt
    from joserfc.jwk import ECKey

    if not timedelta(0) < lifetime <= MAX_SECRET_LIFETIME:
        raise ValueError("an Apple client secret lives more than 0 and at most 6 months")
    key = private_key if isinstance(private_key, ECKey) else _load_key(private_key)
    claims = {
        "iss": team_id,
        "iat": issued_at,
        "exp": issued_at + int(lifetime.total_seconds()),
        "aud": APPLE_ISSUER,
        "sub": client_id,
    }
    return jwt.encode({"alg": "ES256", "kid": key_id}, claims, key)


def apple_user_name(posted: str | None) -> str | None:
    """The name in the ``user`` JSON Apple posts on a first sign-in, or None."""
    if not posted:
        return None
    try:
        user = json.loads(posted)
    except ValueError:
        return None
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return None
    parts = [text_or_none(name.get("firstName")), text_or_none(name.get("lastName"))]
    full = " ".join(part.strip() for part in parts if part and part.strip())
    return full[:200] or None


@dataclass
class _SecretMaker:
    """Makes one app's Apple client secret JWT, and a new one when half its life is over."""

    team_id: str
    key_id: str
    client_id: str
    key: ECKey
    lifetime: timedelta
    clock: Clock
    #: The current JWT and when to renew it (seconds since the epoch).
    current: tuple[str, int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def secret(self) -> str:
        """The current client secret JWT, renewed when half its lifetime has passed."""
        now = int(self.clock().timestamp())
        with self.lock:
            if self.current is None or now >= self.current[1]:
                secret = apple_client_secret(
                    team_id=self.team_id,
                    key_id=self.key_id,
                    client_id=self.client_id,
                    private_key=self.key,
                    issued_at=now,
                    lifetime=self.lifetime,
                )
                self.current = (secret, now + int(self.lifetime.total_seconds()) // 2)
            return self.current[0]


@dataclass
class AppleRegistration(Registration):
    """An app's Apple registration: with the maker of its client secret, unless the app
    gave a ready-made secret."""

    secret_maker: _SecretMaker | None = None


class Apple(OIDC):
    """Sign in with Apple. See the module documentation for set-up and the client secret."""

    preset = Preset(
        id="apple",
        name="Apple",
        scope="openid name email",
        token_endpoint_auth_method=SECRET_IN_BODY,
    )
    #: Apple has no userinfo endpoint: everything comes from the ID token.
    uses_userinfo_endpoint = False

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        team_id: str | None = None,
        key_id: str | None = None,
        private_key: str | bytes | None = None,
        secret_lifetime: timedelta = timedelta(hours=1),
        clock: Clock = system_clock,
        **options: Unpack[PresetOptions],
    ) -> None:
        if not timedelta(minutes=10) <= secret_lifetime <= MAX_SECRET_LIFETIME:
            raise ValueError("secret_lifetime is between 10 minutes and 6 months")
        super().__init__(
            **self.preset.options(
                client_id,
                client_secret,
                options,
                issuer=APPLE_ISSUER,
                authorize_params={"response_mode": "form_post"},
            )
        )
        self.team_id = team_id
        self.key_id = key_id
        self.private_key = private_key
        self.secret_lifetime = secret_lifetime
        self.clock = clock

    # The client secret ---------------------------------------------------------------------
    def register(self, app: Flask) -> AppleRegistration:
        """The Services ID and a client secret: the given one, or a JWT made from the key of
        this app's settings (renewed by :meth:`client`)."""
        client_id, secret = self.credentials(app)
        maker = None if secret else self._secret_maker(app, client_id)
        if maker is not None:
            secret = maker.secret()
        return AppleRegistration(
            client_id, secret, self.make_client(client_id, secret), secret_maker=maker
        )

    def _secret_maker(self, app: Flask, client_id: str) -> _SecretMaker:
        """The maker of the client secret, from the key given here or in ``app``'s settings."""
        given = {"TEAM_ID": self.team_id, "KEY_ID": self.key_id, "PRIVATE_KEY": self.private_key}
        found = {name: provider_setting(app, self.id, name, value) for name, value in given.items()}
        missing = [setting_name(self.id, name) for name, value in found.items() if not value]
        if missing:
            raise ConfigurationError(
                f"the {self.id} provider makes its client secret from your Sign in with Apple "
                f"key: set {', '.join(missing)} (or pass team_id=, key_id=, private_key=)"
            )
        private_key = found["PRIVATE_KEY"]
        key = _load_key(private_key if isinstance(private_key, bytes) else str(private_key))
        return _SecretMaker(
            str(found["TEAM_ID"]),
            str(found["KEY_ID"]),
            client_id,
            key,
            self.secret_lifetime,
            self.clock,
        )

    def _maker(self) -> _SecretMaker | None:
        """The current app's secret maker (None: the app gave a fixed secret)."""
        registration = self.registration()
        assert isinstance(registration, AppleRegistration)
        return registration.secret_maker

    def client_secret_jwt(self) -> str:
        """The current app's client secret JWT, renewed when half its lifetime has passed."""
        maker = self._maker()
        if maker is None:
            raise ConfigurationError(f"the {self.id} provider has a fixed client secret")
        return maker.secret()

    def client(self) -> Any:
        """The Authlib client, with a client secret that has not expired."""
        client = super().client()
        maker = self._maker()
        if maker is not None:
            client.client_secret = maker.secret()
        return client

    def settings(self) -> dict[str, Any]:
        """For ``flask auth providers``: never the key, never a live secret."""
        data = super().settings()
        maker = self._maker()
        if maker is not None:
            data["client_secret"] = f"(an ES256 JWT made with key {maker.key_id}, renewed)"
            data["team_id"] = maker.team_id
            data["key_id"] = maker.key_id
        return data

    # The profile ---------------------------------------------------------------------------
    def user_document(
        self, token: Mapping[str, Any], answer: Mapping[str, str]
    ) -> Mapping[str, Any]:
        """The ID token's claims, with the name Apple posts (``user``) on a first sign-in."""
        merged = id_token_claims(self.id, token)
        name = apple_user_name(answer.get("user"))
        if name and not text_or_none(merged.get("name")):
            merged["name"] = name
        return merged
