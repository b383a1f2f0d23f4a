"""A throwaway PostgreSQL: Debian's newest installed server, run as the ``postgres`` user when
the tests run as root, tuned for speed (no fsync), in a deliberately non-UTC time zone."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from harness.servers.handles import DatabaseServer, register
from harness.servers.process import (
    BIND_ATTEMPTS,
    SERVER_TIME_ZONE,
    START_TIMEOUT,
    STOP_TIMEOUT,
    ServerStartError,
    bind_failed,
    cleanup_on_error,
    default_search_path,
    free_port,
    is_root,
    log_size,
    new_server_dir,
    run,
    start_error,
)

__all__ = ["bindir", "missing", "start_postgres"]


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,)
    return tuple(int(n) for n in re.findall(r"\d+", Path(bindir).parent.name)) or (0,)


def bindir(search_path: str | None = None) -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest PostgreSQL), or None."""
    candidates: list[str] = []
    if search_path is None:
        # Debian/Ubuntu keep server binaries out of PATH.
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)[::-1]
        pg_config = shutil.which("pg_config")
        if pg_config:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                out = subprocess.run(
                    [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
                )
                if out.returncode == 0 and out.stdout.strip():
                    candidates.append(out.stdout.strip())
        search_path = default_search_path()
    candidates += [d for d in search_path.split(os.pathsep) if d]
    for directory in candidates:
        path = Path(directory)
        if all(os.access(path / exe, os.X_OK) for exe in ("initdb", "pg_ctl")):
            return path
    return None


def missing(search_path: str | None = None) -> str | None:
    """Why a throwaway PostgreSQL cannot be started here, or None."""
    if bindir(search_path) is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not found; "
            "install Debian's postgresql (or set AUTHADAPTER_TEST_POSTGRES_URL)"
        )
    if is_root() and not shutil.which("runuser", path=default_search_path()):
        return "running as root, but runuser (util-linux) is missing to run PostgreSQL"
    return None


def _as_postgres(*cmd: str) -> list[str]:
    """``cmd`` run as the postgres user when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if is_root() else list(cmd)


def _options(port: int, socket_dir: Path) -> str:
    return " ".join(
        [
            f"-p {port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {shlex.quote(str(socket_dir))}",  # unix socket, out of /var/run
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
            f"-c TimeZone={SERVER_TIME_ZONE}",
        ]
    )


def _initdb(initdb: str, tmp: Path, data: Path) -> None:
    tmp.chmod(0o755)
    if is_root():
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerStartError(
                "running as root, but there is no 'postgres' user to run PostgreSQL as"
            ) from None
        os.chown(tmp, user.pw_uid, user.pw_gid)
    # C.UTF-8 gives Unicode-aware lower()/upper(); fall back to plain C.
    for locale in ("C.UTF-8", "C"):
        shutil.rmtree(data, ignore_errors=True)
        command = _as_postgres(
            initdb,
            *("-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"),
            *(f"--locale={locale}", "--no-sync", "--no-instructions"),
        )
        result = run(command, tmp, 120)
        if result.returncode == 0:
            return
    hint = " (as root: can the postgres user reach it?)" if is_root() else ""
    raise start_error(f"initdb failed in {tmp}{hint}", result.stdout)


def start_postgres(workdir: Path | None = None) -> DatabaseServer:
    """Start a throwaway PostgreSQL (newest installed) and return its handle.

    Its files live in a new directory under ``workdir`` (default: the system
    temp dir).  When running as root, the server runs as the ``postgres``
    user, which must be able to reach that directory; pytest's own tmp dirs
    (mode 0700) are not suitable then.
    """
    reason = missing()
    if reason:
        raise ServerStartError(reason)
    found = bindir()
    assert found is not None
    started = time.monotonic()
    pg_ctl = str(found / "pg_ctl")

    def reap(old: Path) -> None:
        if (old / "data" / "postmaster.pid").exists():
            stop = _as_postgres(pg_ctl, "stop", "-D", str(old / "data"), "-m", "immediate")
            run(stop, old, STOP_TIMEOUT)

    tmp = new_server_dir("authadapter-pg-", workdir, reap)
    data, log = tmp / "data", tmp / "postgres.log"

    def shutdown() -> None:
        if (data / "postmaster.pid").exists():
            stop = _as_postgres(pg_ctl, "stop", "-D", str(data), "-w", "-t", str(STOP_TIMEOUT))
            if run([*stop, "-m", "fast"], tmp, STOP_TIMEOUT + 10).returncode != 0:
                run([*stop, "-m", "immediate"], tmp, STOP_TIMEOUT + 10)
        shutil.rmtree(tmp, ignore_errors=True)

    with cleanup_on_error(shutdown):
        _initdb(str(found / "initdb"), tmp, data)
        for attempt in range(BIND_ATTEMPTS):
            port, log_start = free_port(), log_size(log)
            start = _as_postgres(
                pg_ctl, "start", "-w", "-t", str(int(START_TIMEOUT)),
                *("-D", str(data), "-l", str(log), "-o", _options(port, tmp)),
            )  # fmt: skip
            result = run(start, tmp, START_TIMEOUT + 10)
            if result.returncode == 0:
                break
            if attempt + 1 < BIND_ATTEMPTS and bind_failed(log, log_start):
                continue
            raise start_error(
                f"PostgreSQL did not start (pg_ctl start, port {port})", result.stdout, log
            )

        server = DatabaseServer(
            name="postgres",
            base_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
            _pause=lambda: _pause(pg_ctl, data),
            _resume=lambda: _resume(pg_ctl, data),
        )
        return register(server)


def _pause(pg_ctl: str, data: Path) -> None:
    """``pg_ctl stop -m immediate`` of the server of ``data`` (see DatabaseServer.pause)."""
    stop = _as_postgres(
        pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-w", "-t", str(int(STOP_TIMEOUT))
    )
    result = run(stop, data.parent, STOP_TIMEOUT + 10)
    if result.returncode != 0:
        raise start_error("PostgreSQL did not stop (pg_ctl stop -m immediate)", result.stdout)


def _resume(pg_ctl: str, data: Path) -> None:
    """Start the server of ``data`` again with the options of its last start, which
    PostgreSQL keeps in ``postmaster.opts`` (see DatabaseServer.resume)."""
    log = data.parent / "postgres.log"
    args = shlex.split((data / "postmaster.opts").read_text())[1:]  # without the binary
    if "-D" in args:  # given to pg_ctl itself
        at = args.index("-D")
        del args[at : at + 2]
    start = _as_postgres(
        pg_ctl, "start", "-w", "-t", str(int(START_TIMEOUT)),
        *("-D", str(data), "-l", str(log), "-o", shlex.join(args)),
    )  # fmt: skip
    result = run(start, data.parent, START_TIMEOUT + 10)
    if result.returncode != 0:
        raise start_error("PostgreSQL did not start again (pg_ctl start)", result.stdout, log)
