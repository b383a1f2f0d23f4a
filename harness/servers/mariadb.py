"""A throwaway MariaDB: Debian's ``mariadbd``, root without a password over loopback TCP,
utf8mb4, no doublewrite or per-commit flush, in the same non-UTC offset as PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from harness.servers.handles import DatabaseServer, register
from harness.servers.process import (
    BIND_ATTEMPTS,
    SERVER_UTC_OFFSET,
    START_TIMEOUT,
    ServerStartError,
    bind_failed,
    cleanup_on_error,
    default_search_path,
    free_port,
    is_root,
    log_size,
    new_server_dir,
    reap_if_ours,
    run,
    spawn,
    start_error,
    stop_process,
)

__all__ = ["binaries", "missing", "start_mariadb"]


def binaries(search_path: str | None = None) -> tuple[str, str] | None:
    """Paths of ``(mariadb-install-db, mariadbd)``, or None."""
    path = search_path if search_path is not None else default_search_path()
    install_db = shutil.which("mariadb-install-db", path=path)
    mariadbd = shutil.which("mariadbd", path=path)
    return (install_db, mariadbd) if install_db and mariadbd else None


def missing(search_path: str | None = None) -> str | None:
    """Why a throwaway MariaDB cannot be started here, or None."""
    if binaries(search_path) is None:
        return (
            "MariaDB server binaries (mariadb-install-db, mariadbd) not found; "
            "install Debian's mariadb-server (or set AUTHADAPTER_TEST_MARIADB_URL)"
        )
    return None


def _command(mariadbd: str, tmp: Path, port: int, user_opt: list[str]) -> list[str]:
    return [
        mariadbd,
        "--no-defaults",  # must come first
        f"--datadir={tmp / 'data'}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        f"--socket={tmp / 'mysqld.sock'}",
        f"--pid-file={tmp / 'mariadbd.pid'}",
        f"--log-error={tmp / 'mariadb.log'}",
        "--skip-name-resolve",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        f"--default-time-zone={SERVER_UTC_OFFSET}",  # not UTC, as for PostgreSQL
        "--max-connections=200",
        *user_opt,
    ]


def start_mariadb(workdir: Path | None = None) -> DatabaseServer:
    """Start a throwaway MariaDB and return its handle.

    Files live in a new directory under ``workdir`` (default: the system temp
    dir).  ``root`` may connect over TCP from 127.0.0.1 without a password.
    """
    reason = missing()
    if reason:
        raise ServerStartError(reason)
    found = binaries()
    assert found is not None
    install_db, mariadbd = found
    started = time.monotonic()
    tmp = new_server_dir(
        "authadapter-mariadb-", workdir, lambda old: reap_if_ours(old, "mariadbd.pid")
    )
    log, sock = tmp / "mariadb.log", tmp / "mysqld.sock"
    user_opt = ["--user=root"] if is_root() else []  # mariadbd refuses root otherwise
    proc: subprocess.Popen[bytes] | None = None

    def shutdown() -> None:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    with cleanup_on_error(shutdown):
        install = [
            install_db,
            "--no-defaults",  # must come first
            f"--datadir={tmp / 'data'}",
            "--auth-root-authentication-method=normal",  # root@localhost, no password
            "--skip-test-db",
            *user_opt,
        ]
        result = run(install, tmp, 120)
        if result.returncode != 0:
            raise start_error(f"mariadb-install-db failed in {tmp}", result.stdout)

        for attempt in range(BIND_ATTEMPTS):
            port, log_start = free_port(), log_size(log)
            proc = spawn(_command(mariadbd, tmp, port, user_opt), tmp, log)
            if not _wait_for_mariadb(proc, sock, port, log):
                break
            if attempt + 1 < BIND_ATTEMPTS and bind_failed(log, log_start):
                continue
            raise start_error(f"mariadbd exited with code {proc.returncode} (port {port})", "", log)

        server = DatabaseServer(
            name="mariadb",
            base_url=f"mysql+pymysql://root@127.0.0.1:{port}/mysql?charset=utf8mb4",
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
        )
        return register(server)


def _wait_for_mariadb(proc: subprocess.Popen[bytes], sock: Path, port: int, log: Path) -> bool:
    """Wait until root can log in over TCP; True if mariadbd exited instead."""
    import pymysql  # here: only needed for MariaDB

    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while True:
        if proc.poll() is not None:
            return True
        if time.monotonic() > deadline:
            raise start_error(
                f"MariaDB did not accept connections within {START_TIMEOUT:.0f} s "
                f"(port {port}; last error: {last_error})",
                "",
                log,
            )
        try:
            # The unix socket (as root@localhost) works whatever the TCP grants are.
            admin = pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=2)
        except pymysql.err.OperationalError as exc:
            last_error = exc
            time.sleep(0.05)
            continue
        break
    with admin, admin.cursor() as cur:
        # mariadb-install-db normally creates root@127.0.0.1 already; make sure,
        # since with --skip-name-resolve root@localhost does not match TCP clients.
        cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
        cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
    try:
        pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=5).close()
    except pymysql.err.MySQLError as exc:
        raise start_error(
            f"MariaDB is up, but root cannot log in over TCP: {exc}", "", log
        ) from exc
    return False
