"""Print pip constraints pinning each declared dependency to its lowest allowed version.

Reads ``pyproject.toml``: the ``[project] dependencies`` and the optional-dependency groups
named on the command line (separate arguments, or one comma-separated list). Every
``name>=X`` becomes ``name==X`` (extras dropped, as pip constraints require); a requirement
without a ``>=`` bound is left out. Used by ``make test-min`` to install the oldest versions
the package claims to support.

    python scripts/lowest_constraints.py postgres,migrations > constraints.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

_LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*>=\s*([A-Za-z0-9.]+)\s*$")


def lowest(requirements: list[str]) -> list[str]:
    """``name==X`` for each ``name>=X`` of ``requirements``."""
    pins = []
    for requirement in requirements:
        found = _LOWER_BOUND.match(requirement)
        if found is not None:
            pins.append(f"{found.group(1)}=={found.group(2)}")
    return pins


def main(groups: list[str]) -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    print("\n".join(sorted(set(lowest(requirements)))))


if __name__ == "__main__":
    main([group for arg in sys.argv[1:] for group in arg.split(",") if group])
