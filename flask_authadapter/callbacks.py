"""The app's callbacks, each with a default that changes nothing (as Auth.js merges its
defaults with the app's): code calls them all, never asking whether one is set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def allow_sign_in(**_: Any) -> bool | str | None:
    """The default ``sign_in`` callback: every sign-in goes on."""
    return True


def keep_redirect(*, url: str, base_url: str) -> str:
    """The default ``redirect`` callback: the (already checked) target as it is."""
    return url


def keep_session(*, session: dict[str, Any], user: Any) -> dict[str, Any]:
    """The default ``session`` callback: the ``/session`` JSON as it is."""
    return session


@dataclass
class Callbacks:
    """The callbacks in effect for an :class:`~flask_authadapter.Auth` (the app's, else the
    defaults). Registering one replaces its default, at any time (after ``init_app`` too).

    - ``sign_in(user, account, profile, email)``: False refuses the sign-in, a URL sends
      the person there instead, True or None goes on;
    - ``redirect(url, base_url) -> str``: where to go after signing in or out;
    - ``session(session, user) -> dict``: the ``/session`` JSON.
    """

    sign_in: Callable[..., bool | str | None] = allow_sign_in
    redirect: Callable[..., str] = keep_redirect
    session: Callable[..., dict[str, Any]] = keep_session
