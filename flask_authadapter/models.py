"""The records adapters store: :class:`User`, :class:`Account`, :class:`Session`,
:class:`VerificationToken` (dataclasses; see :mod:`flask_authadapter.core.models`)."""

from .core.models import Account, Session, User, VerificationToken

__all__ = ["Account", "Session", "User", "VerificationToken"]
