"""flask-authadapter as a user gets it: a wheel, installed in a fresh virtual environment.

:func:`installed_wheel` is a session fixture (import it into a test module by name): the
wheel is built from a copy of the package's sources (``pyproject.toml``, ``README.md``,
``flask_authadapter/``, nothing else), installed with pip from PyPI (pip's cache makes
later runs fast) with the ``postgres`` and ``migrations`` extras and python-dotenv, into a
virtual environment made by the running Python. Commands then run with that
environment's ``bin`` first on ``PATH``, in a directory outside the checkout, with none of
the test process's ``FLASK_*`` and similar variables.

:func:`readme_block` reads a code block of README.md by the ``<!-- name -->`` comment
written just before it: the tests run what the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Installed", "installed_wheel", "readme_block"]

REPO = Path(__file__).resolve().parents[2]
#: What the wheel is built from.
SOURCES = ("pyproject.toml", "README.md", "flask_authadapter")
#: What is installed beside the wheel: its extras, and what the Quick start adds.
EXTRAS = "postgres,migrations"
ALSO = ("python-dotenv",)
#: Building and installing may download; every other command is quick.
INSTALL_TIMEOUT = 600
COMMAND_TIMEOUT = 120
#: Variables of the test process that would change what the installed code does.
_DROPPED = ("FLASK_", "AUTH_", "MAIL_", "SQLALCHEMY_", "DATABASE_URL", "PYTHON", "VIRTUAL_ENV")


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float) -> str:
    """Run ``command``; its output (stdout and stderr), or a failure that shows it."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {result.returncode}:\n{output}")
    return output


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding the wheel ``wheel``."""

    venv: Path
    wheel: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def environ(self, **variables: str) -> dict[str, str]:
        """The environment for a command: this venv first on PATH, the test's settings out."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
        environ["PATH"] = os.pathsep.join([str(self.venv / "bin"), environ.get("PATH", "")])
        environ["PYTHONUNBUFFERED"] = "1"
        environ.update(variables)
        return environ

    def run(self, command: list[str], *, cwd: Path, **variables: str) -> str:
        """Run one of this environment's commands (``flask``, ``python``...) in ``cwd``."""
        return run(
            [self.bin(command[0]), *command[1:]],
            cwd=cwd,
            env=self.environ(**variables),
            timeout=COMMAND_TIMEOUT,
        )


def build_wheel(workdir: Path) -> Path:
    """The wheel of a copy of the sources (the checkout itself is left untouched)."""
    source = workdir / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    dist = workdir / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=source,
        timeout=INSTALL_TIMEOUT,
    )
    (wheel,) = dist.glob("flask_authadapter-*.whl")
    return wheel


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed, with its dependencies, in a fresh virtual environment."""
    workdir = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(workdir)
    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=workdir, timeout=COMMAND_TIMEOUT)
    installed = Installed(venv=venv, wheel=wheel)
    run(
        [
            installed.bin("python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"flask-authadapter[{EXTRAS}] @ {wheel.as_uri()}",
            *ALSO,
        ],
        cwd=workdir,
        env=installed.environ(),
        timeout=INSTALL_TIMEOUT,
    )
    return installed


def readme_block(name: str) -> str:
    """The code block of README.md just after ``<!-- name -->``."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.findall(rf"^<!-- {re.escape(name)} -->\n```[\w-]*\n(.*?)^```$", readme, re.M | re.S)
    assert len(found) == 1, f"README.md has {len(found)} blocks marked <!-- {name} -->"
    return str(found[0])
