"""The databases of one benchmark run: SQLite files in a temporary directory and a
throwaway PostgreSQL server started as the tests start theirs (``harness/servers/``), or
the existing server of ``AUTHADAPTER_TEST_POSTGRES_URL``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness import servers

__all__ = ["Databases"]


class Databases:
    """One fresh database per (backend, name), created on first use."""

    def __init__(self, *, postgres: bool = True) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="authadapter-bench-"))
        self.server: servers.DatabaseServer | None = None
        self.postgres_missing: str | None = None
        if postgres:
            self.postgres_missing = servers.unavailable_reason("postgres")
            if self.postgres_missing is None:
                server = servers.start_server("postgres")
                assert isinstance(server, servers.DatabaseServer)
                self.server = server
        self._urls: dict[tuple[str, str], str] = {}

    @property
    def backends(self) -> tuple[str, ...]:
        return ("sqlite", "postgres") if self.server is not None else ("sqlite",)

    def url(self, backend: str, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on ``backend`` (created empty once)."""
        key = (backend, name)
        if key not in self._urls:
            if backend == "sqlite":
                self._urls[key] = f"sqlite:///{self.tmp / name}.sqlite3"
            elif backend == "postgres" and self.server is not None:
                self._urls[key] = self.server.create_database(f"bench_{name}")
            else:
                raise LookupError(f"no {backend} server in this run")
        return self._urls[key]

    def sqlite_path(self, name: str) -> Path:
        return self.tmp / f"{name}.sqlite3"

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
