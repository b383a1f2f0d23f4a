"""A preset's data: what one well-known provider is, declared once per preset class.

A preset is an :class:`~..oauth.OAuth2` or :class:`~..oidc.OIDC` subclass holding a
:class:`Preset` (its id, name, scopes, profile mapping and token endpoint authentication)
plus, only where its provider differs, a constructor argument or a hook. The options every
preset takes (``id``, ``name``, ``scope``, ``profile``, ``timeout``, ...) are
:class:`~..options.PresetOptions`, declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Unpack as Unpack

    from ..options import PresetOptions as PresetOptions
    from ..profile import ProfileMapper


#: The token endpoint authentication of providers that take the client secret in the body.
SECRET_IN_BODY = "client_secret_post"  # noqa: S105 - a method name


@dataclass(frozen=True)
class Preset:
    """One provider's defaults: its ``id``, display ``name``, default ``scope``, the
    ``profile`` mapper of its user document (None: the OIDC standard claims) and how its
    token endpoint takes the client secret."""

    id: str
    name: str
    scope: str
    profile: ProfileMapper | None = None
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 - a method name

    def options(
        self,
        client_id: str | None,
        client_secret: str | None,
        given: PresetOptions,
        **fixed: Any,
    ) -> dict[str, Any]:
        """The ``OAuth2``/``OIDC`` arguments: these defaults, then what the app ``given``,
        then what the preset ``fixed`` (endpoints, issuer, authorization parameters)."""
        options: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "client_id": client_id,
            "client_secret": client_secret,
            **given,
            **fixed,
        }
        options["profile"] = given.get("profile") or self.profile
        return options
