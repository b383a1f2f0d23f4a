"""Blinker signals, all in one place, as Flask-Login keeps them.

Each is sent with the Flask app as sender::

    from flask_authadapter.signals import signed_in

    @signed_in.connect
    def welcome(app, user, is_new_user, **extra):
        ...

A receiver that raises is logged and skipped: it never breaks a sign-in.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace, Signal

__all__ = [
    "account_linked",
    "send",
    "session_created",
    "signed_in",
    "signed_out",
    "user_created",
    "user_updated",
]

logger = logging.getLogger("flask_authadapter")

_signals = Namespace()

#: A user was created (``user``).
user_created = _signals.signal("user-created")
#: A user was changed by a sign-in, e.g. their email marked verified (``user``).
user_updated = _signals.signal("user-updated")
#: A provider account was linked to a user (``user``, ``account``).
account_linked = _signals.signal("account-linked")
#: Someone signed in (``user``, ``is_new_user``, ``provider``: an id or None for app code).
signed_in = _signals.signal("signed-in")
#: Someone signed out (``user``, ``session``).
signed_out = _signals.signal("signed-out")
#: A session was created (``user``, ``session``).
session_created = _signals.signal("session-created")


def send(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` to each receiver in turn; one that raises is logged, not propagated."""
    if signal.is_muted:
        return
    for receiver in signal.receivers_for(sender):
        try:
            # As Flask sends its own signals: an async receiver is run to completion.
            call = sender.ensure_sync(receiver) if hasattr(sender, "ensure_sync") else receiver
            call(sender, **kwargs)
        except Exception:
            name = getattr(receiver, "__qualname__", repr(receiver))
            logger.exception("a receiver of a signal failed: %s", name)
