"""The one-command demo, ``python -m example`` (what ``make demo`` runs), as a real process.

It is started as a person starts it (in its own working directory, its instance folder in a
temporary directory), used over real HTTP with ``requests``: the home page, signing in by
email through the demo mailbox, signing in with the demo OpenID provider. Then Ctrl-C
(SIGINT) or SIGTERM must stop it cleanly: exit status 0, every port it opened closed.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from example.mailbox import free_port
from tests.example.conftest import example_variables
from tests.example.pages import Page, codes, parse

REPO = Path(__file__).resolve().parents[2]
#: How long the demo may take to start, and to stop.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
HTTP_TIMEOUT = 10

_RUNNING = re.compile(r"^ \* Running on (http://127\.0\.0\.1:(\d+))/ ", re.MULTILINE)
_SMTP = re.compile(r"SMTP on 127\.0\.0\.1:(\d+)")
_OIDC = re.compile(r"OpenID provider \(oidc-provider-mock\): (http://localhost:(\d+))")


@dataclass
class Demo:
    """A running ``python -m example``."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    url: str = ""
    port: int = 0
    smtp_port: int = 0
    issuer: str = ""
    oidc_port: int = 0

    def output(self) -> str:
        return self.stdout.read_text(errors="replace")

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def describe(self) -> str:
        return f"stdout:\n{self.output()}\nstderr:\n{self.errors()}"

    def wait_until_running(self) -> Demo:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = _RUNNING.search(self.output())
            if found:
                self.url, self.port = found.group(1), int(found.group(2))
                smtp = _SMTP.search(self.output())
                oidc = _OIDC.search(self.output())
                assert smtp and oidc, self.describe()
                self.smtp_port = int(smtp.group(1))
                self.issuer, self.oidc_port = oidc.group(1), int(oidc.group(2))
                return self
            if self.process.poll() is not None:
                pytest.fail(f"the demo exited ({self.process.returncode}):\n{self.describe()}")
            time.sleep(0.05)
        pytest.fail(f"the demo did not start in {START_TIMEOUT}s:\n{self.describe()}")

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send ``signum``; the exit status (fails if it takes longer than STOP_TIMEOUT)."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the demo did not stop in {STOP_TIMEOUT}s:\n{self.describe()}")


class DemoRunner:
    """Starts demos in ``workdir``; kills (by its own process) any left running."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.instance = workdir / "instance"
        self.started: list[Demo] = []

    def start(self, port: int, **env: str) -> Demo:
        environ = {k: v for k, v in os.environ.items() if k not in example_variables(os.environ)}
        environ.update(
            PORT=str(port),
            EXAMPLE_INSTANCE_PATH=str(self.instance),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), environ.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        environ.update(env)
        number = len(self.started) + 1
        stdout = self.workdir / f"demo-{number}.out"
        stderr = self.workdir / f"demo-{number}.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "example"],
                cwd=self.workdir,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        demo = Demo(process, stdout, stderr)
        self.started.append(demo)
        return demo

    def close(self) -> None:
        for demo in self.started:
            if demo.process.poll() is None:
                demo.process.kill()
                demo.process.wait(10)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[DemoRunner]:
    demos = DemoRunner(tmp_path)
    try:
        yield demos
    finally:
        demos.close()


def get_page(session: requests.Session, url: str) -> Page:
    response = session.get(url, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def is_closed(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) != 0


def sign_in_by_email(demo: Demo, session: requests.Session, email: str) -> str:
    """Sign in by email over HTTP, reading the link on /demo/mailbox; the link."""
    form = get_page(session, f"{demo.url}/auth/signin").form("Email me a sign-in link")
    response = session.post(
        demo.url + form.action,
        data={**form.fields, "email": email},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"].startswith("/auth/verify-request")

    mailbox = session.get(f"{demo.url}/demo/mailbox", timeout=HTTP_TIMEOUT)
    assert mailbox.status_code == 200
    shown = parse(mailbox.text)
    link = shown.link("Open the sign-in link")  # the one message
    assert link.startswith(f"{demo.url}/auth/callback/email?")
    assert len(codes(mailbox.text)) == 1
    assert email in shown.text

    confirm = get_page(session, link).form("Sign in")
    response = session.post(
        demo.url + confirm.action, data=confirm.fields, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    return link


def sign_in_with_the_demo_provider(demo: Demo, session: requests.Session, name: str) -> None:
    """Press "Sign in with Demo OpenID provider", type ``name`` at the provider, come back."""
    form = get_page(session, f"{demo.url}/auth/signin").form("Sign in with Demo OpenID provider")
    response = session.post(
        demo.url + form.action, data=form.fields, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 302, response.text[:500]
    authorize = response.headers["Location"]
    assert authorize.startswith(f"{demo.issuer}/oauth2/authorize?")
    assert session.get(authorize, timeout=HTTP_TIMEOUT).status_code == 200  # its form
    response = session.post(
        authorize, data={"sub": name}, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 302, response.text[:500]
    back = response.headers["Location"]
    assert back.startswith(f"{demo.url}/auth/callback/demo?")
    response = session.get(back, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"


def test_the_demo_from_start_to_ctrl_c_and_again(runner: DemoRunner) -> None:
    port = free_port()
    demo = runner.start(port).wait_until_running()
    assert demo.url == f"http://127.0.0.1:{port}"
    assert "/demo/mailbox" in demo.output()
    assert "Demo OpenID provider" in demo.output()

    home = get_page(requests.Session(), f"{demo.url}/")
    assert "You are not signed in" in home.text
    assert home.link("demo mailbox") == "/demo/mailbox"

    by_email = requests.Session()
    link = sign_in_by_email(demo, by_email, "ada@example.com")
    assert "Signed in as ada@example.com" in get_page(by_email, f"{demo.url}/").text

    by_oidc = requests.Session()
    sign_in_with_the_demo_provider(demo, by_oidc, "grace@example.com")
    assert "Signed in as grace@example.com" in get_page(by_oidc, f"{demo.url}/").text

    # Another host name for the same server is sent to AUTH_URL's, where the cookies are.
    response = requests.get(
        f"http://localhost:{port}/protected?x=1", allow_redirects=False, timeout=10
    )
    assert response.headers["Location"] == f"{demo.url}/protected?x=1"

    assert demo.stop(signal.SIGINT) == 0, demo.describe()
    assert demo.output().rstrip().endswith("Stopped."), demo.describe()
    assert "Traceback" not in demo.errors(), demo.describe()
    assert all(is_closed(p) for p in (demo.port, demo.smtp_port, demo.oidc_port))
    # The request log shows no token (the sign-in link's query is left out).
    token = re.search(r"token=([^&]+)", html.unescape(link))
    assert token is not None
    assert token.group(1) not in demo.errors()
    assert "GET /auth/callback/email?… 200" in demo.errors()
    # Nothing written outside the instance folder and the test's files.
    assert {p.name for p in runner.instance.iterdir()} == {"example.sqlite3", "secret_key"}

    # Started again on the same instance folder: the database and the secret are kept, so
    # the session is still good; SIGTERM stops it as cleanly.
    again = runner.start(port).wait_until_running()
    assert "Signed in as ada@example.com" in get_page(by_email, f"{again.url}/").text
    assert again.stop(signal.SIGTERM) == 0, again.describe()
    assert "Traceback" not in again.errors(), again.describe()
    assert all(is_closed(p) for p in (again.port, again.smtp_port, again.oidc_port))


def test_a_port_in_use_is_reported(runner: DemoRunner) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = runner.start(port)
        status = demo.process.wait(START_TIMEOUT)
    assert status == 1, demo.describe()
    assert f"cannot listen on 127.0.0.1:{port}" in demo.errors()
    assert f"PORT={port + 1} make demo" in demo.errors()
    assert "Traceback" not in demo.errors()
    assert "Running on" not in demo.output()


@pytest.mark.parametrize(
    ("port", "message"),
    [("http", "PORT must be a port number"), ("6000", "browsers refuse to open pages on port")],
)
def test_a_bad_port_is_reported(runner: DemoRunner, port: str, message: str) -> None:
    demo = runner.start(0, PORT=port)
    assert demo.process.wait(START_TIMEOUT) == 1
    assert message in demo.errors()
    assert "Traceback" not in demo.errors()


def test_port_zero_picks_a_free_port(runner: DemoRunner) -> None:
    demo = runner.start(0).wait_until_running()
    assert demo.port > 0
    assert get_page(requests.Session(), f"{demo.url}/").text
    assert demo.stop() == 0
