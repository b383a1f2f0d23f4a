"""A throwaway Redis (Debian's ``redis-server``) on loopback, keeping nothing on disk; or the
existing one ``AUTHADAPTER_TEST_REDIS_URL`` names."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from harness.servers.handles import RedisServer, redis_url_without_password, register
from harness.servers.process import (
    BIND_ATTEMPTS,
    START_TIMEOUT,
    ServerStartError,
    bind_failed,
    cleanup_on_error,
    default_search_path,
    free_port,
    log_size,
    new_server_dir,
    reap_if_ours,
    spawn,
    start_error,
    stop_process,
)

__all__ = ["binary", "external_redis", "missing", "start_redis"]


def binary(search_path: str | None = None) -> str | None:
    """The path of ``redis-server``, or None."""
    path = search_path if search_path is not None else default_search_path()
    return shutil.which("redis-server", path=path)


def missing(search_path: str | None = None) -> str | None:
    """Why a throwaway Redis cannot be started here, or None."""
    if binary(search_path) is None:
        return (
            "Redis server binary (redis-server) not found; "
            "install Debian's redis-server (or set AUTHADAPTER_TEST_REDIS_URL)"
        )
    return None


def _command(redis_server: str, tmp: Path, port: int) -> list[str]:
    return [
        redis_server,
        *("--port", str(port)),
        *("--bind", "127.0.0.1"),
        *("--dir", str(tmp)),
        # The server's own name for the pid file; also how a later run reaps an orphan.
        *("--pidfile", str(tmp / "redis.pid")),
        *("--logfile", str(tmp / "redis.log")),
        *("--daemonize", "no"),
        *("--save", ""),  # no snapshots
        *("--appendonly", "no"),
    ]


def start_redis(workdir: Path | None = None) -> RedisServer:
    """Start a throwaway Redis and return its handle.

    Files live in a new directory under ``workdir`` (default: the system temp
    dir).  It listens on 127.0.0.1 only, without a password, and keeps nothing
    on disk (no RDB snapshots, no AOF).
    """
    reason = missing()
    if reason:
        raise ServerStartError(reason)
    redis_server = binary()
    assert redis_server is not None
    started = time.monotonic()
    tmp = new_server_dir("authadapter-redis-", workdir, lambda old: reap_if_ours(old, "redis.pid"))
    log = tmp / "redis.log"
    proc: subprocess.Popen[bytes] | None = None

    def shutdown() -> None:
        stop_process(proc)  # nothing to save
        shutil.rmtree(tmp, ignore_errors=True)

    with cleanup_on_error(shutdown):
        for attempt in range(BIND_ATTEMPTS):
            port, log_start = free_port(), log_size(log)
            proc = spawn(_command(redis_server, tmp, port), tmp, log)
            url = f"redis://127.0.0.1:{port}/0"
            if not _wait_for_redis(proc, url, log):
                break
            if attempt + 1 < BIND_ATTEMPTS and bind_failed(log, log_start):
                continue
            raise start_error(
                f"redis-server exited with code {proc.returncode} (port {port})", "", log
            )

        server = RedisServer(
            name="redis",
            url=url,
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
        )
        return register(server)


def _wait_for_redis(proc: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """Wait until Redis answers PING at ``url``; True if redis-server exited instead."""
    import redis  # here: only needed for Redis

    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while True:
        if proc.poll() is not None:
            return True
        if time.monotonic() > deadline:
            raise start_error(
                f"Redis did not answer within {START_TIMEOUT:.0f} s "
                f"({url}; last error: {last_error})",
                "",
                log,
            )
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
                if client.ping():
                    return False
        except redis.RedisError as exc:  # not listening yet, or still loading
            last_error = exc
        time.sleep(0.05)


def external_redis(env_var: str, raw: str) -> RedisServer:
    """The Redis named by ``env_var``, checked to answer PING."""
    import redis  # here: only needed for Redis

    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ServerStartError(
            f"{env_var} must be a redis://, rediss:// or unix:// URL, not "
            f"{redis_url_without_password(raw)!r}"
        )
    server = RedisServer(name="redis", url=raw, external=True)
    try:
        with server.client() as client:
            client.ping()
    except redis.RedisError as exc:
        raise ServerStartError(f"{env_var} is set, but {server!r} does not answer: {exc}") from None
    return register(server)
