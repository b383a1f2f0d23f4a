"""OAuth 2.0 and OpenID Connect providers, on Authlib's framework-free client.

Authlib does the protocol (:class:`_Client`, its ``requests`` client without any Flask
glue): the authorization URL with ``state``, PKCE S256 and (for OIDC) ``nonce``; the code
exchange; ID-token validation (signature against the provider's keys, ``iss``, ``aud``,
``exp``, ``nonce``); discovery, fetched once and cached. This module adds what Authlib
leaves to the app: the RFC 9207 ``iss`` response parameter, ``state`` compared in constant
time with the one this browser's flow cookie holds (the view keeps the flow: providers keep
nothing between the two requests), the userinfo ``sub`` equal to the ID token's, mapping the
provider's user document to a profile, and turning every failure into a sign-in error code.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OAuthError, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app, redirect

from ..config import in_the_environment
from ..core.errors import AccessDenied, ConfigurationError, OAuthCallbackError, OAuthSignin
from ..core.models import Account, User
from ..web.redirects import origin_of
from .base import Provider, ProviderResult, SignInFlow, mask

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

__all__ = [
    "OIDC",
    "OAuth2",
    "Profile",
    "ProfileMapper",
    "Registration",
    "standard_profile",
    "text_or_none",
]

logger = logging.getLogger("flask_authadapter")

#: Where an app's OAuth registrations live in ``app.extensions``: provider id -> Registration.
_REGISTRY = "authadapter.oauth"


class _Client(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]
    """Authlib's OAuth 2 / OpenID client without a web framework: it keeps nothing between
    requests (the flow is passed in) and never refreshes tokens by itself."""

    client_cls = OAuth2Session

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(framework=None, **kwargs)

    def _on_update_token(
        self, token: Any, refresh_token: Any = None, access_token: Any = None
    ) -> None:
        """Tokens are stored by the sign-in rules, not by the HTTP client."""


@dataclass
class Registration:
    """What an OAuth provider holds for one app: the credentials read from that app's
    settings and its Authlib client (which caches the discovery document and keys).

    One provider object may serve several apps (app factories, tests): all that differs
    between them lives here, in ``app.extensions``, never on the provider."""

    client_id: str
    client_secret: str | None
    client: Any


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


ProfileMapper = Callable[[Mapping[str, Any], Mapping[str, Any]], Profile]


def standard_profile(userinfo: Mapping[str, Any], token: Mapping[str, Any]) -> Profile:
    """The OpenID Connect standard claims: ``sub``, ``email``, ``email_verified``, ``name``,
    ``picture``."""
    sub = userinfo.get("sub")
    if sub in (None, ""):
        raise OAuthCallbackError("the provider's user document has no sub")
    verified = userinfo.get("email_verified")
    return Profile(
        id=str(sub),
        email=text_or_none(userinfo.get("email")),
        email_verified=verified is True or verified == "true",
        name=text_or_none(userinfo.get("name")) or text_or_none(userinfo.get("preferred_username")),
        image=text_or_none(userinfo.get("picture")),
    )


def text_or_none(value: Any) -> str | None:
    """``value`` if it is non-empty text, else None (for reading providers' documents)."""
    return value if isinstance(value, str) and value else None


class _RedactSecrets(logging.Filter):
    """Authlib logs the PKCE code_verifier at DEBUG; no secret may reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "code_verifier" in message or "client_secret" in message:
            record.msg, record.args = "[a line with a secret was redacted]", ()
        return True


_REDACTOR = _RedactSecrets()


def _install_redactor() -> None:
    for name in ("authlib", "authlib.integrations.base_client.sync_app"):
        target = logging.getLogger(name)
        if _REDACTOR not in target.filters:
            target.addFilter(_REDACTOR)


class OAuth2(Provider):
    """A provider speaking OAuth 2.0 (authorization code with PKCE) without OpenID Connect.

    ``profile(userinfo, token) -> Profile`` maps the provider's user document (fetched from
    ``userinfo_url``) to a :class:`Profile`; the default reads the OIDC standard claims.
    Credentials come from the arguments or from ``AUTH_<ID>_CLIENT_ID`` /
    ``AUTH_<ID>_CLIENT_SECRET``.
    """

    type = "oauth"

    def __init__(
        self,
        id: str,
        *,
        authorize_url: str | None = None,
        token_url: str | None = None,
        userinfo_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str | None = None,
        scope: str | None = None,
        profile: ProfileMapper | None = None,
        allow_dangerous_email_account_linking: bool = False,
        pkce: bool = True,
        token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107 - a method name
        authorize_params: Mapping[str, str] | None = None,
        server_metadata_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            id,
            name=name,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
        )
        self.authorize_url = authorize_url
        self.token_url = token_url
        self.userinfo_url = userinfo_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.profile = profile or standard_profile
        self.pkce = pkce
        self.token_endpoint_auth_method = token_endpoint_auth_method
        self.authorize_params = dict(authorize_params or {})
        self.server_metadata_url = server_metadata_url
        self.timeout = timeout

    # Set-up -------------------------------------------------------------------------------
    def credentials(self, app: Flask) -> tuple[str, str | None]:
        """The client id and secret: the arguments, else ``AUTH_<ID>_CLIENT_ID/SECRET``."""
        key = self.id.upper().replace("-", "_")
        client_id = self.client_id or app.config.get(f"AUTH_{key}_CLIENT_ID")
        secret = self.client_secret or app.config.get(f"AUTH_{key}_CLIENT_SECRET")
        if not client_id:
            raise ConfigurationError(
                f"the {self.id} provider needs a client id: pass client_id= or set "
                f"AUTH_{key}_CLIENT_ID and AUTH_{key}_CLIENT_SECRET "
                f"({in_the_environment(f'AUTH_{key}_CLIENT_ID')}, ...)"
            )
        return str(client_id), (str(secret) if secret else None)

    def endpoints(self) -> dict[str, Any]:
        """Authlib ``register`` arguments for this provider's endpoints."""
        if not self.server_metadata_url and not (self.authorize_url and self.token_url):
            raise ConfigurationError(
                f"the {self.id} provider needs authorize_url and token_url (or metadata)"
            )
        return {
            "authorize_url": self.authorize_url,
            "access_token_url": self.token_url,
            "userinfo_endpoint": self.userinfo_url,
            "server_metadata_url": self.server_metadata_url,
        }

    def init_app(self, app: Flask) -> None:
        """Register this provider with the app: its credentials and Authlib client, kept in
        the app's state (nothing is kept in Flask's session: ``AUTH_SECRET`` is all the flow
        needs)."""
        _install_redactor()
        registration = self.register(app)
        app.extensions.setdefault(_REGISTRY, {})[self.id] = registration

    def register(self, app: Flask) -> Registration:
        """This provider's :class:`Registration` for ``app`` (nothing is stored yet)."""
        client_id, client_secret = self.credentials(app)
        return Registration(client_id, client_secret, self.make_client(client_id, client_secret))

    def make_client(self, client_id: str, client_secret: str | None) -> Any:
        """An Authlib client for these credentials."""
        client_kwargs: dict[str, Any] = {
            # OAuth2Session takes default_timeout (a "timeout" key is silently ignored):
            # discovery, the token request, JWKS and userinfo all give up after it.
            "default_timeout": self.timeout,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
        }
        if self.scope:
            client_kwargs["scope"] = self.scope
        if self.pkce:
            client_kwargs["code_challenge_method"] = "S256"
        endpoints = {k: v for k, v in self.endpoints().items() if v is not None}
        return _Client(
            name=self.id,
            client_id=client_id,
            client_secret=client_secret,
            client_kwargs=client_kwargs,
            **endpoints,
        )

    def registration(self) -> Registration:
        """This provider's :class:`Registration` with the current app."""
        registration: Registration = current_app.extensions[_REGISTRY][self.id]
        return registration

    def client(self) -> Any:
        """This provider's Authlib client for the current app."""
        return self.registration().client

    # The flow -------------------------------------------------------------------------------
    def begin(self, flow: SignInFlow) -> Response:
        """Redirect to the provider's authorization endpoint with ``flow.state``, PKCE and
        (OIDC) a nonce; ``flow`` gains the ``code_verifier`` and ``nonce`` that were sent."""
        try:
            started = self.client().create_authorization_url(
                flow.redirect_uri, state=flow.state, **self.authorize_params
            )
        except Exception as exc:  # discovery or network failure: the flow cannot start
            logger.error("%s: starting the sign-in failed: %s", self.id, type(exc).__name__)
            raise OAuthSignin(f"{self.id}: the provider could not be reached") from None
        flow.code_verifier = started.get("code_verifier")
        flow.nonce = started.get("nonce")
        return redirect(started["url"])

    def finish(self, flow: SignInFlow, answer: Mapping[str, str]) -> ProviderResult:
        """Check the provider's ``answer`` against ``flow``, exchange the code, validate,
        fetch the profile; or a sign-in error."""
        error = answer.get("error")
        if error:
            if error == "access_denied":
                raise AccessDenied(f"{self.id}: the person declined at the provider")
            raise OAuthCallbackError(f"{self.id}: the provider answered error={error!r}")
        sent_state = answer.get("state") or ""
        if not flow.state or not hmac.compare_digest(sent_state.encode(), flow.state.encode()):
            raise OAuthCallbackError(
                f"{self.id}: the state is not this browser's sign-in under way (or it is over "
                "10 minutes old)"
            )
        code = answer.get("code")
        if not code:
            raise OAuthCallbackError(f"{self.id}: the callback has no code")
        self.check_issuer(answer.get("iss"))
        token = self._exchange(flow, code)
        userinfo = self.user_document(token, answer)
        profile = self.profile(userinfo, token)
        return ProviderResult(
            account=self.account(profile, token),
            profile=User(email=profile.email, name=profile.name, image=profile.image),
            email_verified=profile.email_verified and profile.email is not None,
            raw=dict(userinfo),
        )

    def check_issuer(self, iss: str | None) -> None:
        """RFC 9207: the ``iss`` response parameter, when the provider has an issuer."""

    def _exchange(self, flow: SignInFlow, code: str) -> dict[str, Any]:
        """The token response for ``code``, its ID token validated (as ``userinfo``)."""
        client = self.client()
        try:
            checks = self.required_token_params(self.token_params())
            proof = {"code_verifier": flow.code_verifier} if flow.code_verifier else {}
            token: dict[str, Any] = client.fetch_access_token(flow.redirect_uri, code=code, **proof)
            if "id_token" in token and flow.nonce:
                token["userinfo"] = client.parse_id_token(token, nonce=flow.nonce, **checks)
        except OAuthError as exc:
            raise OAuthCallbackError(f"{self.id}: the provider refused: {exc.error}") from None
        except OAuthCallbackError:
            raise
        except Exception as exc:  # network, bad JSON, bad ID token (joserfc errors), ...
            # joserfc's messages name the claim that failed ("invalid_claim: Invalid claim:
            # 'iss'") and carry no token; other exceptions may quote a response: name only.
            detail = str(exc) if type(exc).__module__.startswith("joserfc") else ""
            logger.warning(
                "%s: the token exchange failed: %s %s", self.id, type(exc).__name__, detail
            )
            raise OAuthCallbackError(f"{self.id}: the token exchange failed") from None
        if not token.get("access_token"):
            raise OAuthCallbackError(f"{self.id}: the token response has no access_token")
        return token

    def token_params(self) -> dict[str, Any]:
        """Extra arguments for Authlib's ``parse_id_token`` (ID-token checks)."""
        return {}

    def required_token_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with the checks no provider may leave out (none for plain OAuth 2)."""
        return params

    def user_document(
        self, token: Mapping[str, Any], answer: Mapping[str, str]
    ) -> Mapping[str, Any]:
        """The document the profile is mapped from: :meth:`fetch_userinfo`'s (a provider
        that posts part of it with its ``answer`` adds that here)."""
        return self.fetch_userinfo(token)

    def fetch_userinfo(self, token: Mapping[str, Any]) -> Mapping[str, Any]:
        """The provider's user document, from its userinfo endpoint."""
        url = self.userinfo_url
        if not url:
            raise ConfigurationError(f"the {self.id} provider has no userinfo_url")
        document = self.get_json(url, token)
        if not isinstance(document, Mapping):
            raise OAuthCallbackError(f"{self.id}: the user document is not a JSON object")
        return document

    def get_json(self, url: str, token: Mapping[str, Any]) -> Any:
        """GET ``url`` with the access token; the JSON document, or OAuthCallbackError."""
        try:
            response = self.client().get(url, token=dict(token), timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except Exception as exc:
            logger.warning("%s: fetching %s failed: %s", self.id, url, type(exc).__name__)
            raise OAuthCallbackError(f"{self.id}: the user document could not be fetched") from None
        if not isinstance(data, (dict, list)):
            raise OAuthCallbackError(f"{self.id}: the user document is not JSON")
        return data

    def account(self, profile: Profile, token: Mapping[str, Any]) -> Account:
        """The account row for ``profile`` with the token set (``expires_at`` absolute)."""
        expires_at = token.get("expires_at")
        if expires_at is None and token.get("expires_in") is not None:
            try:
                expires_at = int(time.time()) + int(token["expires_in"])
            except (TypeError, ValueError):
                expires_at = None
        return Account(
            user_id="",
            type=self.type,
            provider=self.id,
            provider_account_id=profile.id,
            access_token=text_or_none(token.get("access_token")),
            refresh_token=text_or_none(token.get("refresh_token")),
            expires_at=int(expires_at) if expires_at is not None else None,
            token_type=text_or_none(token.get("token_type")),
            scope=text_or_none(token.get("scope")),
            id_token=text_or_none(token.get("id_token")),
            session_state=text_or_none(token.get("session_state")),
        )

    def form_action_origins(self) -> list[str]:
        """The origin of the authorization endpoint (and of the issuer, for discovery)."""
        urls = [self.authorize_url, getattr(self, "issuer", None)]
        metadata = getattr(self.client(), "server_metadata", None) or {}
        urls.append(metadata.get("authorization_endpoint"))
        origins = []
        for url in urls:
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                try:
                    origin = origin_of(url)
                except ValueError:
                    continue
                if origin not in origins:
                    origins.append(origin)
        return origins

    def settings(self) -> dict[str, Any]:
        """For ``flask auth providers``: the current app's endpoints and credentials, the
        secret masked."""
        registration = self.registration()
        secret = registration.client_secret
        data: dict[str, Any] = {"type": self.type, "client_id": registration.client_id}
        data["client_secret"] = mask(secret) if secret else "(none)"
        for key, value in self.endpoints().items():
            if value:
                data[key] = value
        return data


class OIDC(OAuth2):
    """An OpenID Connect provider, configured by discovery from ``issuer``.

    The ID token is validated by Authlib (signature, ``iss``, ``aud``, ``exp``, ``nonce``);
    the profile comes from its claims, completed by the userinfo endpoint when there is one,
    whose ``sub`` must equal the ID token's.
    """

    type = "oidc"

    def __init__(
        self,
        id: str,
        *,
        issuer: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str | None = None,
        scope: str = "openid email profile",
        allow_dangerous_email_account_linking: bool = False,
        profile: ProfileMapper | None = None,
        authorize_params: Mapping[str, str] | None = None,
        token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107 - a method name
        timeout: float = 10.0,
    ) -> None:
        issuer = issuer.rstrip("/")
        super().__init__(
            id,
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            scope=scope,
            profile=profile,
            allow_dangerous_email_account_linking=allow_dangerous_email_account_linking,
            authorize_params=authorize_params,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            token_endpoint_auth_method=token_endpoint_auth_method,
            timeout=timeout,
        )
        self.issuer = issuer

    def endpoints(self) -> dict[str, Any]:
        """Discovery: only the metadata URL."""
        return {"server_metadata_url": self.server_metadata_url}

    def metadata(self, *, at_callback: bool = False) -> Mapping[str, Any]:
        """The provider's discovery document (fetched once, then cached by Authlib).

        Unreachable: OAuthSignin when starting, OAuthCallbackError at the callback (another
        worker, or a restarted app, may fetch it for the first time there)."""
        try:
            data: dict[str, Any] = self.client().load_server_metadata()
        except Exception as exc:
            logger.error("%s: discovery failed: %s", self.id, type(exc).__name__)
            error = OAuthCallbackError if at_callback else OAuthSignin
            raise error(f"{self.id}: the provider could not be reached") from None
        # Authlib verifies ID tokens with the algorithms the document lists. An unsigned
        # token ("none", OIDC Core 2) or one MAC'd with a shared secret is never accepted,
        # whatever the document says (Authlib caches the document: fixed once).
        listed = data.get("id_token_signing_alg_values_supported") or ["RS256"]
        safe = [a for a in listed if isinstance(a, str) and a != "none" and a[:2] != "HS"]
        if safe != listed:
            data["id_token_signing_alg_values_supported"] = safe or ["RS256"]
        return data

    def exact_issuer(self) -> str:
        """The issuer exactly as the discovery document names it (a trailing slash kept)."""
        return str(self.metadata(at_callback=True).get("issuer") or self.issuer)

    def begin(self, flow: SignInFlow) -> Response:
        """Check discovery first (an unreachable provider is OAuthSignin), then redirect."""
        self.check_discovery(self.metadata())
        return super().begin(flow)

    def check_discovery(self, metadata: Mapping[str, Any]) -> None:
        """The discovery document must name this issuer (overridden by multi-tenant ones)."""
        if str(metadata.get("issuer", "")).rstrip("/") != self.issuer:
            raise OAuthSignin(f"{self.id}: the discovery document names another issuer")

    def check_issuer(self, iss: str | None) -> None:
        """RFC 9207: ``iss`` must be this issuer when sent, and sent when promised."""
        metadata = self.metadata(at_callback=True)
        if iss is None:
            if metadata.get("authorization_response_iss_parameter_supported") is True:
                raise OAuthCallbackError(f"{self.id}: the callback lacks the promised iss")
            return
        if iss != str(metadata.get("issuer") or self.issuer):  # RFC 9207 2.4: exact match
            raise OAuthCallbackError(f"{self.id}: the callback's iss is another issuer")

    def token_params(self) -> dict[str, Any]:
        """The ID token's ``iss`` must be this issuer, exactly as discovered."""
        return {"claims_options": {"iss": {"essential": True, "values": [self.exact_issuer()]}}}

    def required_token_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Whatever a subclass asks for, the ID token must be for this client (``aud``,
        OIDC Core 3.1.3.7 item 3) and name its subject (``sub``)."""
        options = dict(params.get("claims_options") or {})
        options["aud"] = {"essential": True, "values": [self.client().client_id]}
        options["sub"] = {"essential": True}
        return {**params, "claims_options": options}

    def fetch_userinfo(self, token: Mapping[str, Any]) -> Mapping[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint (same ``sub`` only)."""
        claims = token.get("userinfo")
        if not isinstance(claims, Mapping) or not claims.get("sub"):
            raise OAuthCallbackError(f"{self.id}: no valid ID token in the token response")
        merged = dict(claims)
        endpoint = self.metadata(at_callback=True).get("userinfo_endpoint")
        if endpoint:
            info = self.get_json(str(endpoint), token)
            if not isinstance(info, Mapping) or info.get("sub") != claims.get("sub"):
                raise OAuthCallbackError(f"{self.id}: the userinfo sub differs from the ID token's")
            merged.update(info)
        return merged
