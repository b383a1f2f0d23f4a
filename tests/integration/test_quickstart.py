"""The README's Quick start, as written, from the wheel in a fresh virtual environment.

Its ``app.py`` and ``.env`` blocks are written to an empty directory and started with
``flask run``, as the README says (python-dotenv reads ``.env``). Only the values that
depend on this machine are given in the environment, which python-dotenv does not
override: the port of ``AUTH_URL`` and the SMTP server (aiosmtpd). Then a person signs in by
email over real HTTP and SMTP, and the GitHub button sends them to GitHub with the callback
URL that the README says to register.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.example.pages import Page, parse
from tests.integration.installed import Installed, installed_wheel, readme_block
from tests.mail import MailServer, free_port, sign_in_link

__all__ = ["installed_wheel"]

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10


def dotenv_values(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines of a ``.env`` block (comments skipped)."""
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


@dataclass
class QuickStart:
    """The Quick start's files in ``directory``, and what the README's .env sets."""

    directory: Path
    settings: dict[str, str]

    @classmethod
    def write(cls, directory: Path, *, leave_out: str | None = None) -> QuickStart:
        dotenv = readme_block("quickstart:.env")
        kept = [line for line in dotenv.splitlines() if not line.startswith(f"{leave_out}=")]
        directory.mkdir()
        (directory / "app.py").write_text(readme_block("quickstart:app.py"), encoding="utf-8")
        (directory / ".env").write_text("\n".join(kept) + "\n", encoding="utf-8")
        return cls(directory, dotenv_values(dotenv))


@dataclass
class Running:
    url: str
    settings: dict[str, str]

    def page(self, session: requests.Session, path: str) -> Page:
        response = session.get(self.url + path, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, response.text[:500]
        return parse(response.text)


@contextmanager
def flask_run(installed: Installed, quick_start: QuickStart, mail: MailServer) -> Iterator[Running]:
    """``flask run`` in the Quick start's directory, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    machine = {
        "FLASK_AUTH_URL": url,
        "FLASK_MAIL_SERVER": mail.host,
        "FLASK_MAIL_PORT": str(mail.port),
    }
    # Only values the README sets are changed, never settings added.
    assert set(machine) <= set(quick_start.settings)
    log = quick_start.directory / "flask-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [installed.bin("flask"), "run", "--port", str(port)],
            cwd=quick_start.directory,
            env=installed.environ(**machine),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"flask run exited ({process.returncode}):\n{log.read_text()}")
            try:
                requests.get(f"{url}/auth/csrf", timeout=HTTP_TIMEOUT)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"flask run did not answer in {START_TIMEOUT}s:\n{log.read_text()}")
                time.sleep(0.1)
        yield Running(url, quick_start.settings)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


@pytest.fixture
def quick_start(
    installed_wheel: Installed, smtp_server: MailServer, tmp_path: Path
) -> Iterator[Running]:
    with flask_run(installed_wheel, QuickStart.write(tmp_path / "app"), smtp_server) as running:
        yield running


def test_a_person_signs_in_by_email(quick_start: Running, smtp_server: MailServer) -> None:
    url = quick_start.url
    session = requests.Session()

    response = session.get(f"{url}/", allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/signin?callback_url=%2F"

    form = quick_start.page(session, "/auth/signin").form("Email me a sign-in link")
    response = session.post(
        url + form.action,
        data={**form.fields, "email": "ada@example.com"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"].startswith("/auth/verify-request")

    received = smtp_server.only()
    assert received.rcpt_tos == ("ada@example.com",)
    assert received.mail_from == quick_start.settings["FLASK_MAIL_DEFAULT_SENDER"]
    link = sign_in_link(received)
    assert link.startswith(f"{url}/auth/callback/email?")

    page = parse(session.get(link, timeout=HTTP_TIMEOUT).text)
    confirm = page.form("Sign in")
    response = session.post(
        url + confirm.action, data=confirm.fields, allow_redirects=False, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"

    home = session.get(f"{url}/", allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert home.status_code == 200
    assert home.text == "Hello ada@example.com"
    assert session.get(f"{url}/auth/session", timeout=HTTP_TIMEOUT).json()["user"]["email"] == (
        "ada@example.com"
    )


def test_the_github_button_sends_the_registered_callback_url(quick_start: Running) -> None:
    session = requests.Session()
    form = quick_start.page(session, "/auth/signin").form("Sign in with GitHub")
    response = session.post(
        quick_start.url + form.action,
        data=form.fields,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    authorize = urlsplit(response.headers["Location"])
    assert (authorize.scheme, authorize.netloc, authorize.path) == (
        "https",
        "github.com",
        "/login/oauth/authorize",
    )
    query = parse_qs(authorize.query)
    # What "Register a provider" says to enter at GitHub, and the id the .env gives.
    assert query["redirect_uri"] == [f"{quick_start.url}/auth/callback/github"]
    assert query["client_id"] == [quick_start.settings["FLASK_AUTH_GITHUB_CLIENT_ID"]]


@pytest.mark.parametrize(
    ("variable", "named"),
    [
        ("FLASK_SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_DATABASE_URI"),
        ("FLASK_AUTH_SECRET", "FLASK_AUTH_SECRET"),
        ("FLASK_AUTH_URL", "AUTH_URL"),
        ("FLASK_MAIL_DEFAULT_SENDER", "MAIL_DEFAULT_SENDER"),
        ("FLASK_AUTH_GITHUB_CLIENT_ID", "AUTH_GITHUB_CLIENT_ID"),
    ],
)
def test_each_setting_of_the_env_block_is_needed_and_named_when_missing(
    installed_wheel: Installed, tmp_path: Path, variable: str, named: str
) -> None:
    quick_start = QuickStart.write(tmp_path / "app", leave_out=variable)
    assert variable in quick_start.settings
    command = [installed_wheel.bin("flask"), "routes"]
    result = subprocess.run(
        command,
        cwd=quick_start.directory,
        env=installed_wheel.environ(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert named in result.stderr.splitlines()[-1], result.stderr
