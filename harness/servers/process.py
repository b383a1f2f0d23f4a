"""The plumbing every throwaway server shares: free ports, server directories (and the orphans
of killed runs), running commands, start errors with the log's tail."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "BIND_ATTEMPTS",
    "SERVER_TIME_ZONE",
    "SERVER_UTC_OFFSET",
    "START_TIMEOUT",
    "STOP_TIMEOUT",
    "ServerStartError",
    "bind_failed",
    "cleanup_on_error",
    "default_search_path",
    "die_with_parent",
    "free_port",
    "is_root",
    "log_size",
    "new_server_dir",
    "reap_if_ours",
    "run",
    "spawn",
    "start_error",
    "stop_process",
]

START_TIMEOUT = 60.0  # seconds until a server must accept connections
STOP_TIMEOUT = 30.0
BIND_ATTEMPTS = 3  # the free port we picked may be taken before the server binds it
# The servers' own time zone: deliberately not UTC. A driver or adapter that takes local time
# for UTC (or binds an aware datetime to a naive column) shows up at once.
SERVER_TIME_ZONE = "Asia/Kolkata"
SERVER_UTC_OFFSET = "+05:30"
_BIND_ERRORS = ("address already in use", "could not bind", "bind on tcp/ip port")
_OWNER_FILE = "owner.pid"  # pid of the test process that started the server in this dir

# /usr/sbin is often missing from a normal user's PATH, and it is where
# Debian installs mariadbd.
_EXTRA_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class ServerStartError(RuntimeError):
    """A database server could not be started (or reached); the message has the log tail."""


def default_search_path() -> str:
    """PATH, then the system directories where Debian puts server binaries."""
    return os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_PATH])


def is_root() -> bool:
    return os.geteuid() == 0


def free_port() -> int:
    """A loopback TCP port free at the time of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def start_error(what: str, output: str, log: Path | None = None) -> ServerStartError:
    """A :class:`ServerStartError` saying ``what``, with the command's output and the log's tail."""
    parts = [what]
    if output.strip():
        parts.append("--- output ---\n" + output.strip())
    if log is not None:
        parts.append(f"--- last lines of {log} ---\n{_tail(log)}")
    return ServerStartError("\n".join(parts))


def run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to its end, output and errors together; a timeout is exit code -1."""
    try:
        return subprocess.run(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else ""
        return subprocess.CompletedProcess(cmd, -1, f"{out}\n(timed out after {timeout} s)")


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def bind_failed(log: Path, since: int) -> bool:
    """Did the server log, after byte ``since``, that its port was taken?"""
    try:
        with log.open("rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace").lower()
    except OSError:
        return False
    return any(marker in text for marker in _BIND_ERRORS)


def die_with_parent() -> None:  # pragma: no cover - runs in the child process
    """preexec_fn: have Linux send SIGTERM to the server if the test process dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a server process in ``cwd``, its output appended to ``log`` (where a server writes
    its earliest errors, before its own log file is open), in a session of its own (Ctrl-C
    goes to pytest, which stops it cleanly), dying with the test process on Linux."""
    with log.open("ab") as log_file:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it does not end in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def reap_if_ours(old: Path, pid_file: str) -> None:
    """SIGKILL the server whose pid ``old/pid_file`` holds, if that pid is still the server
    of ``old`` (pids get reused); for throwaway data, no clean shutdown is needed."""
    pid = int((old / pid_file).read_text())
    if str(old) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
        os.kill(pid, signal.SIGKILL)


def new_server_dir(prefix: str, workdir: Path | None, reap: Callable[[Path], None]) -> Path:
    """A fresh directory for a server, after cleaning up orphans of earlier runs.

    A test run killed with SIGKILL cannot stop its servers (a PostgreSQL
    started by pg_ctl outlives it).  Each server dir records the pid of its
    test process; dirs whose process is gone are handed to ``reap`` (stop the
    server if still running) and deleted.
    """
    base = Path(workdir) if workdir is not None else Path(tempfile.gettempdir())
    for old in base.glob(f"{prefix}*"):
        try:
            owner = int((old / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or not fully created yet
        if _pid_alive(owner):
            continue
        with contextlib.suppress(Exception):
            reap(old)
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=workdir))
    (tmp / _OWNER_FILE).write_text(str(os.getpid()))
    return tmp


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextlib.contextmanager
def cleanup_on_error(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run ``cleanup`` (best effort) if the block raises, then re-raise."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            cleanup()
        raise
