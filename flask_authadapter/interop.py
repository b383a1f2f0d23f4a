"""Sharing the signed-in user with libraries built on Flask-Login.

Admin panels and permission libraries read ``flask_login.current_user`` or protect views
with ``flask_login.login_required``. :func:`flask_login_bridge` makes Flask-Login load its
user from this extension's session, so both see the same person and there is one session:
Flask-Login keeps nothing of its own (no ``login_user``, no remember cookie).
"""

from __future__ import annotations

from typing import Any

from .core.models import ANONYMOUS, AnonymousUser, User
from .current import current_session_or_none, refuse_anonymous


def _signed_in_user(_request: object) -> User | None:
    """Flask-Login's request loader: the user of this extension's session, or None."""
    active = current_session_or_none()
    return active.user if active is not None else None


def _anonymous() -> AnonymousUser:
    return ANONYMOUS


def flask_login_bridge(login_manager: Any) -> None:
    """Make ``flask_login.current_user`` this extension's ``current_user``, for
    ``login_manager`` (a ``flask_login.LoginManager``).

    ``flask_login.login_required`` then admits whoever is signed in here, and refuses others
    as :func:`~flask_authadapter.login_required` does, unless the app gave Flask-Login its
    own ``login_view`` or ``unauthorized_handler``.
    """
    login_manager.request_loader(_signed_in_user)
    login_manager.anonymous_user = _anonymous
    if login_manager.unauthorized_callback is None and not login_manager.login_view:
        login_manager.unauthorized_handler(refuse_anonymous)
