"""The app under test served for real: gunicorn processes on loopback, and browsers of them.

:func:`serve` runs ``gunicorn tests.hardening.apps_under_test:create_app()`` (gthread
workers) on a free port of 127.0.0.1 with the given settings (as ``HARDENING_*`` environment
variables), waits until it answers, and stops it (SIGINT to the process it started, then
SIGKILL) when the ``with`` block ends. :class:`HttpBrowser` is a person's browser of such a
server: a ``requests`` session that never follows redirects by itself, so every step of a
flow is seen; it counts every answer in a shared :class:`Tally`.

Cookies do not depend on the port (RFC 6265, 8.5): a browser of two servers on 127.0.0.1
sends each the cookies of the other, as one browser of a site behind a load balancer sends
them to whichever instance answers.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from harness import servers
from tests.hardening.apps_under_test import ENV_PREFIX, hidden_fields
from tests.mail import free_port

__all__ = ["HttpBrowser", "Served", "Tally", "gunicorn_missing", "path_of", "serve"]

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.hardening.apps_under_test:create_app()"
START_TIMEOUT = 30.0
#: What one request may take before the test fails (everything runs on this machine).
REQUEST_TIMEOUT = 30.0


def gunicorn_missing() -> str | None:
    """Why gunicorn cannot be run here, or None."""
    if importlib.util.find_spec("gunicorn") is None:
        return "gunicorn is not installed in the test environment (pip install gunicorn)"
    return None


@dataclass
class Served:
    """A running gunicorn: its base URL and its log (errors and the workers' output)."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _env_value(value: Any) -> str:
    """A setting as ``from_prefixed_env`` reads it back (JSON, except plain text)."""
    return value if isinstance(value, str) else json.dumps(value)


@contextlib.contextmanager
def serve(
    settings: Mapping[str, Any],
    log_dir: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    name: str = "app",
) -> Iterator[Served]:
    """Gunicorn serving the app under test with ``settings`` (``AUTH_URL`` is set to the
    server's own URL unless given)."""
    reason = gunicorn_missing()
    if reason:
        servers.skip_or_fail(reason)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(f"{ENV_PREFIX}_")}
    for key, value in {"AUTH_URL": url, **settings}.items():
        env[f"{ENV_PREFIX}_{key}"] = _env_value(value)
    log_path = log_dir / f"gunicorn-{name}-{port}.log"
    cmd = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--chdir", str(ROOT),
        "--error-logfile", str(log_path),
        "--capture-output",
        "--log-level", "warning",
        "--timeout", "60",
        "--graceful-timeout", "5",
        APP,
    ]  # fmt: skip
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C goes to pytest, which stops it cleanly
        preexec_fn=servers.die_with_parent if sys.platform.startswith("linux") else None,
    )
    served = Served(url=url, process=process, log_path=log_path)
    try:
        _wait_until_serving(served)
        yield served
    finally:
        _stop(process)


def _wait_until_serving(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if served.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with code {served.process.returncode}:\n{served.log()[-3000:]}"
            )
        try:
            if requests.get(f"{served.url}/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"gunicorn did not answer within {START_TIMEOUT:.0f} s:\n{served.log()[-3000:]}"
            )
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # SIGINT: gunicorn's quick shutdown (workers included). The graceful one (SIGTERM) would
    # wait for the browsers' idle keep-alive connections; every answer is in by now.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def path_of(url: str) -> str:
    """The path and query of ``url`` (to send a redirect's target to another instance)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Tally:
    """Every answer the browsers got, by status, and what the test counted (thread-safe)."""

    statuses: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, response: requests.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class HttpBrowser:
    """A browser of a served app: cookies in a ``requests`` session, redirects not followed."""

    def __init__(self, base: str, tally: Tally | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        self.tally = tally or Tally()

    def clone(self) -> HttpBrowser:
        """Another browser holding this one's cookies (a second tab, or a copied jar)."""
        other = HttpBrowser(self.base, self.tally)
        other.http.cookies.update(self.http.cookies)
        return other

    def request(self, method: str, path: str, *, base: str | None = None, **options: Any) -> Any:
        options.setdefault("allow_redirects", False)
        options.setdefault("timeout", REQUEST_TIMEOUT)
        answer = self.http.request(method, f"{base or self.base}{path}", **options)
        self.tally.answer(answer)
        return answer

    def get(self, path: str, **options: Any) -> Any:
        return self.request("GET", path, **options)

    def post(self, path: str, data: Mapping[str, str], **options: Any) -> Any:
        return self.request("POST", path, data=dict(data), **options)

    def csrf(self, **options: Any) -> str:
        return str(self.get("/auth/csrf", **options).json()["csrfToken"])

    def who(self, **options: Any) -> str:
        return str(self.get("/whoami", **options).text)

    def start_dummy(self, sub: str, email: str, **options: Any) -> str:
        """POST the dummy provider's button: the path of the callback it redirects to."""
        form = {"csrf_token": self.csrf(**options), "sub": sub, "email": email}
        started = self.post("/auth/signin/dummy", {**form, "callback_url": "/private"}, **options)
        assert started.status_code == 302, started.text
        return path_of(started.headers["Location"])

    def sign_in_with_dummy(self, sub: str, email: str, **options: Any) -> Any:
        """The dummy provider's whole flow; the answer at the callback."""
        return self.get(self.start_dummy(sub, email, **options), **options)

    def ask_link(self, email: str, **options: Any) -> Any:
        form = {"csrf_token": self.csrf(**options), "email": email, "callback_url": "/private"}
        return self.post("/auth/signin/email", form, **options)

    def confirm_form(self, link: str, **options: Any) -> dict[str, str]:
        """Open a sign-in link (its path, on this browser's server): the confirm form."""
        page = self.get(path_of(link), **options)
        assert page.status_code == 200, page.text
        return hidden_fields(page.text)

    def post_confirm(self, fields: Mapping[str, str], **options: Any) -> Any:
        return self.post("/auth/callback/email", fields, **options)

    def type_code(self, code: str, **options: Any) -> Any:
        form = {"csrf_token": self.csrf(**options), "code": code}
        return self.post("/auth/callback/email", form, **options)

    def sign_out(self, **options: Any) -> Any:
        return self.post("/auth/signout", {"csrf_token": self.csrf(**options)}, **options)
