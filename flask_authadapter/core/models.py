"""The four records every adapter stores: users, accounts, sessions, verification tokens.

They are plain dataclasses with snake_case fields, free of any framework or ORM. Every
``datetime`` is timezone-aware UTC; every id is a ``str`` whatever the column type behind it.

``extra`` holds the further columns of an application's own tables (a user's ``role``, a
session's ``user_agent``...). On a :class:`User`, ``user.role`` reads ``user.extra["role"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


class _ExtraAttributes:
    """Lets ``record.name`` read ``record.extra["name"]`` for names that are not fields."""

    extra: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup failed. Dunder and private names are never extras,
        # which keeps copy/pickle (that probe ``__setstate__`` etc. before ``extra`` exists) safe.
        if name.startswith("_"):
            raise AttributeError(name)
        extra = self.__dict__.get("extra")
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!s} has no field or extra {name!r}")


@dataclass
class User(_ExtraAttributes):
    """A person. ``email`` is stored normalised; ``email_verified`` is when it was verified."""

    id: str | None = None
    email: str | None = None
    email_verified: datetime | None = None
    name: str | None = None
    image: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        """Always True: a ``User`` is someone signed in (see :class:`AnonymousUser`)."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Always False."""
        return False

    @property
    def is_active(self) -> bool:
        """Always True, as in Flask-Login's user protocol: a stored user may sign in (refuse
        someone with the sign-in callback). A column of the app's named ``is_active`` is
        read as ``user.extra["is_active"]``."""
        return True

    def get_id(self) -> str | None:
        """The id, as Flask-Login's user protocol asks (a ``str``, or None before the user
        is stored)."""
        return self.id


class AnonymousUser:
    """Who ``current_user`` is when nobody is signed in: every field None, no extras."""

    id = None
    email = None
    email_verified = None
    name = None
    image = None
    is_authenticated = False
    is_anonymous = True
    is_active = False

    def get_id(self) -> str | None:
        """None, as Flask-Login's anonymous user answers."""
        return None

    @property
    def extra(self) -> dict[str, Any]:
        """Always empty (a new dict each time, so nothing sticks to the shared instance)."""
        return {}

    def __repr__(self) -> str:
        return "AnonymousUser()"


#: The one anonymous user.
ANONYMOUS = AnonymousUser()


@dataclass
class Account(_ExtraAttributes):
    """A user's account at an OAuth / OpenID Connect provider and the tokens it issued.

    ``type`` is ``"oauth"`` or ``"oidc"``; ``expires_at`` is an absolute time in whole
    seconds since the epoch, as the token endpoint's ``expires_in`` turned absolute.
    """

    user_id: str
    type: str
    provider: str
    provider_account_id: str
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: int | None = None
    token_type: str | None = None
    scope: str | None = None
    id_token: str | None = None
    session_state: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Session(_ExtraAttributes):
    """A server-side session.

    ``session_token`` is what the store keys the session by. The extension hands adapters the
    SHA-256 of the cookie's token, never the token itself, so a copy of the store does not
    yield live cookies.
    """

    session_token: str
    user_id: str
    expires: datetime
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerificationToken:
    """A single-use token sent to ``identifier`` (an email address).

    ``token`` is what the store keys it by: the extension stores an HMAC of the secret that
    went into the link, never the link's token itself.
    """

    identifier: str
    token: str
    expires: datetime


def field_names(record_type: type) -> tuple[str, ...]:
    """The names of the fields of a record type besides ``extra``, in declaration order."""
    return tuple(f.name for f in fields(record_type) if f.name != "extra")


#: The names of the fields each record has besides ``extra``, read from the dataclasses.
USER_FIELDS = field_names(User)
ACCOUNT_FIELDS = field_names(Account)
SESSION_FIELDS = field_names(Session)
VERIFICATION_TOKEN_FIELDS = field_names(VerificationToken)
#: The account fields every store needs filled (see ``check_filled``); ``user_id`` besides
#: them must name a stored user.
ACCOUNT_REQUIRED = ("type", "provider", "provider_account_id")
