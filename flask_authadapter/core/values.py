"""Checks on values before they reach a store, shared by every adapter.

Adapters call these so that a bad value fails the same way on every backend: as
:class:`~flask_authadapter.core.errors.InvalidValue`, before anything is written, rather
than as a driver error half-way through a transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .errors import InvalidValue

#: RFC 5321 allows 64 octets of local part and 255 of domain; 320 is the common upper bound.
MAX_EMAIL_LENGTH = 320


def check_text(field: str, value: object, *, max_length: int | None = None) -> None:
    """Refuse a string that no database stores faithfully: NUL, lone surrogates, too long."""
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise InvalidValue(f"{field} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(f"{field} is not valid Unicode text") from None
    if max_length is not None and len(value) > max_length:
        raise InvalidValue(f"{field} is longer than {max_length} characters")


def check_email_length(email: object) -> None:
    """Refuse an email address over :data:`MAX_EMAIL_LENGTH` characters."""
    check_text("email", email, max_length=MAX_EMAIL_LENGTH)


def to_utc(field: str, value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is refused, since its zone is unknowable."""
    if not isinstance(value, datetime):
        raise InvalidValue(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{field} must be a timezone-aware datetime (UTC), got a naive one")
    return value.astimezone(timezone.utc)


def utc_or_none(field: str, value: datetime | None) -> datetime | None:
    """:func:`to_utc` for an optional value."""
    return None if value is None else to_utc(field, value)


def check_filled(kind: str, record: object, names: tuple[str, ...]) -> None:
    """Refuse a record whose fields ``names`` are None or empty text: values that no store
    may leave out (an account's ``type``, say), refused alike by every adapter."""
    for name in names:
        if getattr(record, name, None) in (None, ""):
            raise InvalidValue(f"{kind}.{name} needs a value")


def check_extra_keys(kind: str, extra: Mapping[str, Any], reserved: tuple[str, ...]) -> None:
    """Refuse ``extra`` keys that shadow a field of the record or are not identifiers."""
    for key in extra:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidValue(f"{kind}.extra key {key!r} is not a public identifier")
        if key in reserved or key == "extra":
            raise InvalidValue(f"{kind}.extra key {key!r} shadows a field of {kind}")
