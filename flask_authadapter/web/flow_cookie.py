"""The OAuth sign-in under way, kept by the browser in one encrypted cookie.

Between ``POST /auth/signin/<id>`` and ``/auth/callback/<id>`` the extension must remember
the :class:`~flask_authadapter.providers.base.SignInFlow`: the ``state``, the ``nonce``, the
PKCE ``code_verifier``, the ``redirect_uri``, where the person lands, and when it began.
Nothing is kept on the server or in Flask's session: the flow is sealed
(:class:`~flask_authadapter.core.sealing.Sealer`, purpose ``oauth-flow``, under
``AUTH_SECRET`` and its fallbacks) into a cookie that nobody can read or change unnoticed.
The seal is bound to the provider's id, so a flow begun with one provider does not open at
another provider's callback.

The cookie lives :data:`FLOW_MAX_AGE` seconds (its expiry, and the time sealed in it, which
the callback checks). It is HttpOnly, ``__Host-``/Secure over HTTPS, and always
``SameSite=Lax`` whatever ``AUTH_COOKIE_SAMESITE`` says: the provider sends the browser back
with a cross-site navigation, which carries Lax cookies and not Strict ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import Request
from werkzeug.wrappers import Response

from ..config import AuthConfig
from ..core.sealing import SealedValueError, Sealer
from ..providers.base import SignInFlow
from .cookies import delete_cookie, read_cookie, write_cookie

#: The cookie's name (``__Host-`` prefixed over HTTPS).
FLOW_COOKIE = "authadapter.oauth-flow"
#: How long a sign-in may take at the provider, in seconds.
FLOW_MAX_AGE = 600
_PURPOSE = "oauth-flow"
_SAMESITE = "Lax"
#: The flow's fields and their keys in the sealed JSON.
_FIELDS = {
    "provider_id": "p",
    "redirect_uri": "r",
    "callback_url": "u",
    "state": "s",
    "nonce": "n",
    "code_verifier": "v",
}


@lru_cache(maxsize=16)
def _sealer(secrets: tuple[str, ...]) -> Sealer:
    return Sealer(secrets, purpose=_PURPOSE)


def seal_flow(flow: SignInFlow, config: AuthConfig, now: datetime) -> str:
    """``flow``, begun at ``now``, sealed for its provider's callback only."""
    data: dict[str, Any] = {key: getattr(flow, name) for name, key in _FIELDS.items()}
    data["t"] = int(now.timestamp())
    text = json.dumps(data, separators=(",", ":"))
    return _sealer(config.secrets).seal(text, context=flow.provider_id)


def open_flow(
    sealed: str, provider_id: str, config: AuthConfig, now: datetime
) -> SignInFlow | None:
    """The flow in ``sealed`` if it opens at ``provider_id``'s callback and began at most
    :data:`FLOW_MAX_AGE` seconds before ``now``; else None."""
    try:
        data = json.loads(_sealer(config.secrets).open(sealed, context=provider_id))
    except (SealedValueError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("p") != provider_id:
        return None
    began = data.get("t")
    if not isinstance(began, int) or abs(int(now.timestamp()) - began) > FLOW_MAX_AGE:
        return None
    values: dict[str, Any] = {name: data.get(key) for name, key in _FIELDS.items()}
    if not all(value is None or isinstance(value, str) for value in values.values()):
        return None
    if not values["redirect_uri"] or values["callback_url"] is None:
        return None
    return SignInFlow(
        provider_id=provider_id,
        redirect_uri=values["redirect_uri"],
        callback_url=values["callback_url"],
        state=values["state"],
        nonce=values["nonce"],
        code_verifier=values["code_verifier"],
    )


def remember_flow(
    response: Response, request: Request, flow: SignInFlow, config: AuthConfig, now: datetime
) -> None:
    """Set the flow cookie of ``flow`` on ``response`` (it expires with the flow)."""
    write_cookie(
        response,
        request,
        FLOW_COOKIE,
        seal_flow(flow, config, now),
        config,
        expires=now + timedelta(seconds=FLOW_MAX_AGE),
        samesite=_SAMESITE,
    )


def has_flow_cookie(request: Request, config: AuthConfig) -> bool:
    """Whether the browser sent a flow cookie (valid or not)."""
    return bool(read_cookie(request, FLOW_COOKIE, config))


def recall_flow(
    request: Request, provider_id: str, config: AuthConfig, now: datetime
) -> SignInFlow | None:
    """The flow this browser began with ``provider_id``, or None (no cookie, or one that
    was changed, is another provider's, or is too old)."""
    sealed = read_cookie(request, FLOW_COOKIE, config)
    return open_flow(sealed, provider_id, config, now) if sealed else None


def forget_flow(response: Response, request: Request, config: AuthConfig) -> None:
    """Expire the flow cookie: the sign-in is over, whatever its outcome."""
    delete_cookie(response, request, FLOW_COOKIE, config, samesite=_SAMESITE)
