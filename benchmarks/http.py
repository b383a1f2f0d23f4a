"""Real HTTP: each app under gunicorn (2 sync workers) on loopback, driven by a load
generator for a bounded time; requests per second and latency percentiles.

The load generator is ``wrk`` (Debian's ``wrk`` package) when it is installed, else a small
Python one (threads, one connection per request, as gunicorn's sync workers close each
connection). The table says which one ran: their figures are not comparable with each
other, only within one run. All servers run at once and the rounds rotate between them.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .apps import EMAIL, USER_AGENT, build_app, cookie_header
from .databases import Databases
from .inprocess import SUBJECTS, Subject
from .timing import figure, ratio_figure

__all__ = ["load_generator", "run_http"]

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
CONNECTIONS = 4


def load_generator() -> str:
    """``wrk`` when installed, else ``python``."""
    return "wrk" if shutil.which("wrk") else "python"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@dataclass
class Server:
    """One app under gunicorn, signed in."""

    subject: Subject
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    cookie: str | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def _start(subject: Subject, databases: Databases) -> Server:
    url = databases.url(subject.database, subject.kind) if subject.database else ""
    if url:
        build_app(subject.kind, url)  # tables made once, before the workers race for it
    port = _free_port()
    log = databases.tmp / f"gunicorn-{subject.key}.log"
    env = {**os.environ, "BENCH_APP": subject.kind, "BENCH_DB_URL": url}
    command = [
        *(sys.executable, "-m", "gunicorn"),
        *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--log-level", "warning", "--error-logfile", str(log)),
        "benchmarks.wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    server = Server(subject, port, process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(port, "/")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"gunicorn for {subject.key} did not start: see {log}") from None
            time.sleep(0.2)
    if subject.kind != "bare":
        answer = _get(port, "/_bench/login")
        pairs = {}
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            pairs[name] = rest.split(";", 1)[0]
        server.cookie = cookie_header(pairs)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", subject.path, headers={"User-Agent": USER_AGENT, **_cookie(server)})
    check = conn.getresponse()
    body = check.read()
    conn.close()
    if check.status != 200 or body != f"hello {EMAIL}".encode():
        server.stop()
        raise RuntimeError(f"{subject.key} under gunicorn answered {check.status} {body!r}")
    return server


def _cookie(server: Server) -> dict[str, str]:
    return {"Cookie": server.cookie} if server.cookie else {}


_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk(server: Server, seconds: float) -> dict[str, float]:
    command = [
        "wrk",
        *("--threads", "1", "--connections", str(CONNECTIONS), "--duration", f"{seconds:g}s"),
        "--latency",
        *("--header", f"User-Agent: {USER_AGENT}"),
    ]
    if server.cookie:
        command += ["--header", f"Cookie: {server.cookie}"]
    command.append(f"http://127.0.0.1:{server.port}{server.subject.path}")
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    rps = _WRK_RPS.search(out.stdout)
    if rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out.stdout}\n{out.stderr}")
    bad = _WRK_BAD.search(out.stdout)
    if bad is not None:
        raise RuntimeError(f"{server.subject.key}: {bad.group(1)} failed responses under load")
    result = {"requests_per_second": float(rps.group(1))}
    for percent, value, unit in _WRK_PERCENTILE.findall(out.stdout):
        result[f"p{percent}_ms"] = float(value) * _UNITS[unit]
    return result


def _python_load(server: Server, seconds: float) -> dict[str, float]:
    """Requests from ``CONNECTIONS`` threads for ``seconds``; one connection per request."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    headers = {"User-Agent": USER_AGENT, **_cookie(server)}

    def worker() -> None:
        mine: list[float] = []
        while (started := time.perf_counter()) < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", server.subject.path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(response.status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{server.subject.key}: {len(failures)} failed responses under load")
    ordered = sorted(latencies)
    result = {"requests_per_second": len(ordered) / (time.perf_counter() - begun)}
    for percent in (50, 75, 90, 99):
        index = min(len(ordered) - 1, int(len(ordered) * percent / 100))
        result[f"p{percent}_ms"] = ordered[index] * 1e3
    return result


def run_http(databases: Databases, *, rounds: int, seconds: float) -> dict[str, Any]:
    """Every subject (but the view that does not read current_user) under gunicorn."""
    generator = load_generator()
    load: Callable[[Server, float], dict[str, float]] = _wrk if generator == "wrk" else _python_load
    subjects = [
        s
        for s in SUBJECTS
        if s.path == "/" and (s.database is None or s.database in databases.backends)
    ]
    servers: list[Server] = []
    try:
        for subject in subjects:
            servers.append(_start(subject, databases))
        for server in servers:  # warm-up: imports, connections, caches
            load(server, 1.0)
        runs: dict[str, list[dict[str, float]]] = {s.subject.key: [] for s in servers}
        for r in range(rounds):
            order = servers[r % len(servers) :] + servers[: r % len(servers)]
            for server in order:
                runs[server.subject.key].append(load(server, seconds))
    finally:
        for server in servers:
            server.stop()
    rps = {key: [run["requests_per_second"] for run in values] for key, values in runs.items()}
    results: dict[str, Any] = {
        "load_generator": generator,
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "seconds_per_round": seconds,
        "subjects": {},
        "ratios": {},
    }
    for key, values in runs.items():
        results["subjects"][key] = {
            "requests_per_second": figure(rps[key]).as_dict(),
            **{
                f"p{p}_ms": statistics.median(run[f"p{p}_ms"] for run in values)
                for p in (50, 99)
                if all(f"p{p}_ms" in run for run in values)
            },
        }
    for key in rps:
        if key != "bare":
            results["ratios"][f"{key}/bare"] = ratio_figure(rps[key], rps["bare"]).as_dict()
    for db in ("sqlite", "postgres"):
        ours, theirs = f"authadapter_{db}", f"flask_login_{db}"
        if ours in rps and theirs in rps:
            results["ratios"][f"{ours}/{theirs}"] = ratio_figure(rps[ours], rps[theirs]).as_dict()
    return results
