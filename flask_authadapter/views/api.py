"""JSON endpoints, as Auth.js's REST API: the session, a CSRF token, the providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import jsonify, request

from ..current import current_session_or_none
from ..state import auth_state
from ..urls import base_url, callback_url
from ..web.csrf import csrf_token
from .blueprint import blueprint

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue


@blueprint.get("/session")
def session_json() -> ResponseReturnValue:
    """The signed-in user and the session's expiry (as the ``session`` callback shapes
    them), or null."""
    state = auth_state()
    active = current_session_or_none()
    if active is None:
        return jsonify(None)
    user = active.user
    data: dict[str, Any] = {
        "user": {"id": user.id, "email": user.email, "name": user.name, "image": user.image},
        "expires": active.expires.isoformat().replace("+00:00", "Z"),
    }
    return jsonify(state.callbacks.session(session=data, user=user))


@blueprint.get("/csrf")
def csrf_json() -> ResponseReturnValue:
    """A CSRF token for POSTs from scripts (sent back as ``csrf_token`` or X-CSRF-Token)."""
    return jsonify(csrfToken=csrf_token(request, auth_state().config))


@blueprint.get("/providers")
def providers_json() -> ResponseReturnValue:
    """The configured providers with their sign-in and callback URLs."""
    state = auth_state()
    root = f"{base_url(state)}{state.config.url_prefix}"
    return jsonify(
        {
            p.id: {
                "id": p.id,
                "name": p.name,
                "type": p.type,
                "signinUrl": f"{root}/signin/{p.id}",
                "callbackUrl": callback_url(state, p.id),
            }
            for p in state.providers.values()
        }
    )
