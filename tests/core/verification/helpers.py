"""Helpers of the verification tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.tokens import hmac_token
from flask_authadapter.core.verification import (
    IssuedSignIn,
    Verifier,
)
from tests.core.stores import Store, as_utc

TOKEN = "Zk3pQ0xV_n-7bT2mWcL9yRa4uE1oHs8dJf6gKi5lNqP"  # the shape new_token() makes


SECRET_A = "secret-a-" + "a" * 40


SECRET_B = "secret-b-" + "b" * 40


ADA = "ada@example.com"


BOB = "bob@example.com"


MAX_AGE = timedelta(minutes=15)


MICROSECOND = timedelta(microseconds=1)


#: The purposes the two secrets are MACed under. Part of the stored format: changing them
#: would void every link and code outstanding when an app is upgraded.
LINK_PURPOSE = "email-link"


CODE_PURPOSE = "email-code"


HEX = set("0123456789abcdef")


def _verifier(adapter: Any, clock: FrozenClock, *secrets: str, **options: Any) -> Verifier:
    options.setdefault("max_age", MAX_AGE)
    return Verifier(adapter, secrets or (SECRET_A,), clock=clock, **options)


def _rows(store: Store) -> list[tuple[str, str, datetime]]:
    """Every stored verification token row: (identifier, token column, expires as UTC)."""
    if store.database is None:
        adapter = store._adapter
        assert adapter is not None
        return sorted((t.identifier, t.token, as_utc(t.expires)) for t in adapter._tokens.values())
    table = store.database.metadata.tables["verification_tokens"]
    with store.database.engine.connect() as conn:
        rows = conn.execute(select(table.c.identifier, table.c.token, table.c.expires)).all()
    return sorted((identifier, token, as_utc(expires)) for identifier, token, expires in rows)


def _count(store: Store) -> int:
    return store.raw.count("verification_tokens")


def _unlimited() -> bool:
    """A ``claim`` that always grants a try (the tries are counted in tests of their own)."""
    return True


def _redeem_code(verifier: Verifier, identifier: str, code: object, issued: IssuedSignIn) -> None:
    """Type ``code`` in the browser that asked for ``issued`` (its request id)."""
    verifier.redeem_code(identifier, code, request_id=issued.request_id, claim=_unlimited)


def _redeem(
    verifier: Verifier, kind: str, issued: IssuedSignIn, identifier: str | None = None
) -> None:
    identifier = issued.identifier if identifier is None else identifier
    if kind == "link":
        verifier.redeem_link(identifier, issued.token)
    else:
        _redeem_code(verifier, identifier, issued.code, issued)


KINDS = ["link", "code"]


OTHER = {"link": "code", "code": "link"}


def _stored(secret: str, issued: IssuedSignIn) -> set[str]:
    """The stored forms of a pair: the link's HMAC, and the code's HMAC, which covers the
    request id too (the code works only in the browser that asked for it)."""
    return {
        hmac_token(secret, issued.token, purpose=LINK_PURPOSE),
        hmac_token(secret, f"{issued.request_id}\x00{issued.code}", purpose=CODE_PURPOSE),
    }


BAD_CODES: dict[str, object] = {
    "None": None,
    "int": 12345678,
    "bytes": b"ABCD2345",
    "list": ["ABCD2345"],
    "empty": "",
    "dashes only": "--------",
    "7 chars": "ABCD234",
    "9 chars": "ABCD23456",
    "zero": "ABCD2340",
    "letter O": "ABCD234O",
    "one": "ABCD2341",
    "letter I": "ABCD234I",
    "letter L": "ABCD234L",
    "lower l": "abcd234l",
    "punctuation": "ABCD.2345",
    "newline": "ABCD\n2345",
    "NUL": "ABCD2345\x00",
    "fullwidth": "\uff21\uff22\uff23\uff24\uff12\uff13\uff14\uff15",
    "link token": TOKEN,
    "huge": "ABCD2345" + " " * 100_000,
}
