"""What an OAuth provider holds for one app: its settings, credentials and Authlib client.

One provider object may serve several apps (app factories, tests): what differs between
them (the credentials read from each app's settings, the Authlib client that caches the
discovery document and keys) is a :class:`Registration`, made by the provider's
``init_app(app)`` and kept per app by :class:`Registrations`, never in a provider attribute
that another app could see.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app

from ..config import in_the_environment
from ..core.errors import ConfigurationError

if TYPE_CHECKING:
    from flask import Flask


class Client(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]
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
    """A provider's credentials for one app and its Authlib client for them."""

    client_id: str
    client_secret: str | None
    client: Any


class Registrations:
    """A provider's :class:`Registration` per app, dropped with the app."""

    def __init__(self) -> None:
        self._by_app: weakref.WeakKeyDictionary[Flask, Registration] = weakref.WeakKeyDictionary()

    def add(self, app: Flask, registration: Registration) -> None:
        """Keep ``registration`` as ``app``'s."""
        self._by_app[app] = registration

    def of(self, app: Flask | None = None) -> Registration:
        """The registration of ``app`` (default: the current app)."""
        target = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            return self._by_app[target]
        except KeyError:
            message = "this provider is not set up for this app: pass it to Auth"
            raise RuntimeError(message) from None


def setting_name(provider_id: str, name: str) -> str:
    """The app setting of a provider's ``name`` (``CLIENT_ID``...): ``AUTH_<ID>_<NAME>``, the
    id upper-cased with ``-`` as ``_``."""
    return f"AUTH_{provider_id.upper().replace('-', '_')}_{name}"


def provider_setting(app: Flask, provider_id: str, name: str, given: Any = None) -> Any:
    """The value ``given`` to the provider, else the app's ``AUTH_<ID>_<NAME>`` (None if unset)."""
    return given or app.config.get(setting_name(provider_id, name)) or None


def read_credentials(
    app: Flask, provider_id: str, client_id: str | None, client_secret: str | None
) -> tuple[str, str | None]:
    """The client id and secret: the ones given, else ``AUTH_<ID>_CLIENT_ID/SECRET``."""
    found_id = provider_setting(app, provider_id, "CLIENT_ID", client_id)
    secret = provider_setting(app, provider_id, "CLIENT_SECRET", client_secret)
    if not found_id:
        id_key, secret_key = (setting_name(provider_id, n) for n in ("CLIENT_ID", "CLIENT_SECRET"))
        raise ConfigurationError(
            f"the {provider_id} provider needs a client id: pass client_id= or set "
            f"{id_key} and {secret_key} ({in_the_environment(id_key)}, ...)"
        )
    return str(found_id), (str(secret) if secret else None)


class _RedactSecrets(logging.Filter):
    """Authlib logs the PKCE code_verifier at DEBUG; no secret may reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "code_verifier" in message or "client_secret" in message:
            record.msg, record.args = "[a line with a secret was redacted]", ()
        return True


_REDACTOR = _RedactSecrets()


def install_redactor() -> None:
    """Keep secrets out of Authlib's log lines (once per logger)."""
    for name in ("authlib", "authlib.integrations.base_client.sync_app"):
        target = logging.getLogger(name)
        if _REDACTOR not in target.filters:
            target.addFilter(_REDACTOR)
