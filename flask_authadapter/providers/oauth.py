"""OAuth 2.0 providers, on Authlib's framework-free client: the authorization-code flow.

Authlib does the protocol (its ``requests`` client without any Flask glue): the
authorization URL with ``state``, PKCE S256 and (with the ``openid`` scope) ``nonce``; the code
exchange. This module adds what Authlib leaves to the app: ``state`` compared with the one
this browser's flow holds (the view keeps the flow: providers keep nothing between the two
requests), mapping the provider's user document to a profile, and turning every failure into
a sign-in error code. OpenID Connect's checks are in :mod:`.oidc` and :mod:`.oidc_checks`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.integrations.base_client import OAuthError
from flask import redirect

from ..core.errors import Cancelled, ConfigurationError, OAuthCallbackError, OAuthSignin
from ..core.models import Account, User
from ..web.redirects import origin_of
from .base import Provider, ProviderResult, SignInFlow, mask
from .oidc_checks import validate_id_token
from .profile import Profile, provider_account, standard_profile
from .registration import Client, Registration, Registrations, install_redactor, read_credentials

if TYPE_CHECKING:
    from flask import Flask
    from typing_extensions import Unpack
    from werkzeug.wrappers import Response

    from .options import OAuthOptions


logger = logging.getLogger("flask_authadapter")


class OAuth2(Provider):
    """A provider speaking OAuth 2.0 (authorization code with PKCE) without OpenID Connect.

    ``profile(userinfo, token) -> Profile`` maps the provider's user document (fetched from
    ``userinfo_url``) to a :class:`Profile`; the default reads the OIDC standard claims.
    Credentials come from the arguments or from ``AUTH_<ID>_CLIENT_ID`` /
    ``AUTH_<ID>_CLIENT_SECRET``. The other options are :class:`~.options.OAuthOptions`.
    """

    type = "oauth"
    #: The scopes asked for when none are given.
    default_scope: ClassVar[str | None] = None

    def __init__(
        self,
        id: str,
        *,
        authorize_url: str | None = None,
        token_url: str | None = None,
        userinfo_url: str | None = None,
        pkce: bool = True,
        server_metadata_url: str | None = None,
        **options: Unpack[OAuthOptions],
    ) -> None:
        super().__init__(
            id,
            name=options.get("name"),
            allow_dangerous_email_account_linking=options.get(
                "allow_dangerous_email_account_linking", False
            ),
        )
        self.authorize_url = authorize_url
        self.token_url = token_url
        self.userinfo_url = userinfo_url
        self.pkce = pkce
        self.server_metadata_url = server_metadata_url
        self.client_id = options.get("client_id")
        self.client_secret = options.get("client_secret")
        self.scope = options.get("scope", self.default_scope)
        self.profile = options.get("profile") or standard_profile
        self.token_endpoint_auth_method = options.get(
            "token_endpoint_auth_method",
            "client_secret_basic",
        )
        self.authorize_params = dict(options.get("authorize_params") or {})
        self.timeout = options.get("timeout", 10.0)
        self.registrations = Registrations()

    # Set-up -------------------------------------------------------------------------------
    def credentials(self, app: Flask) -> tuple[str, str | None]:
        """The client id and secret: the arguments, else ``AUTH_<ID>_CLIENT_ID/SECRET``."""
        return read_credentials(app, self.id, self.client_id, self.client_secret)

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
        """Register this provider with ``app``: its credentials and Authlib client, kept for
        that app only (nothing is kept in Flask's session: ``AUTH_SECRET`` is all the flow
        needs)."""
        install_redactor()
        self.registrations.add(app, self.register(app))

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
        return Client(
            name=self.id,
            client_id=client_id,
            client_secret=client_secret,
            client_kwargs=client_kwargs,
            **endpoints,
        )

    def registration(self) -> Registration:
        """This provider's :class:`Registration` with the current app."""
        return self.registrations.of()

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
                raise Cancelled(f"{self.id}: the person declined at the provider")
            raise OAuthCallbackError(f"{self.id}: the provider answered error={error!r}")
        if not flow.answers(answer.get("state")):
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

    def claims_options(self) -> dict[str, Any] | None:
        """The ID-token claim checks (None: Authlib's defaults, for plain OAuth 2)."""
        return None

    def _exchange(self, flow: SignInFlow, code: str) -> dict[str, Any]:
        """The token response for ``code``, its ID token validated (as ``userinfo``)."""
        client = self.client()
        try:
            checks = self.claims_options()
            proof = {"code_verifier": flow.code_verifier} if flow.code_verifier else {}
            token: dict[str, Any] = client.fetch_access_token(flow.redirect_uri, code=code, **proof)
            if "id_token" in token and flow.nonce:
                token["userinfo"] = validate_id_token(client, token, flow.nonce, checks)
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
        return provider_account(self.id, self.type, profile, token)

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
