"""The tables of the app under test, read and written behind its back: as a database dump,
or an operator, would see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from tests.hardening.apps_under_test import db

__all__ = ["Rows"]


@dataclass
class Rows:
    """The tables of the database, read behind the app's back (a connection per read)."""

    engine: Engine

    def table(self, name: str) -> sa.Table:
        return db.metadata.tables[name]

    def all(self, name: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(self.table(name)))]

    def count(self, name: str) -> int:
        with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(self.table(name))
            return int(conn.execute(query).scalar_one())

    def counts(self) -> dict[str, int]:
        names = ("users", "accounts", "sessions", "verification_tokens")
        return {name: self.count(name) for name in names}

    def empty(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(sa.delete(table))

    def assert_consistent(self) -> None:
        """Every account and session belongs to a user."""
        user_ids = {u["id"] for u in self.all("users")}
        assert {a["user_id"] for a in self.all("accounts")} <= user_ids
        assert {s["user_id"] for s in self.all("sessions")} <= user_ids

    def execute(self, statement: Any) -> None:
        """Run one statement in its own transaction."""
        with self.engine.begin() as conn:
            conn.execute(statement)

    @classmethod
    def at(cls, url: str) -> Rows:
        """Rows of the database at ``url``, on a connection per read (dispose the engine)."""
        return cls(sa.create_engine(url, poolclass=NullPool))
