"""The records: what adapters store (:class:`User`, :class:`Account`, :class:`Session`,
:class:`VerificationToken`, plain dataclasses) and what a request sees
(:class:`AnonymousUser`, :class:`ActiveSession`)."""

from .core.models import Account, AnonymousUser, Session, User, VerificationToken
from .core.sessions import ActiveSession

__all__ = ["Account", "ActiveSession", "AnonymousUser", "Session", "User", "VerificationToken"]
