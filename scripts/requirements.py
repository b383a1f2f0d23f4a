"""Print the requirements ``pyproject.toml`` declares, for ``pip install -r`` or ``-c``.

The ``[project] dependencies`` and the optional-dependency groups named on the command line
(separate arguments, or one comma-separated list):

    python scripts/requirements.py demo,migrations > requirements.txt
    python scripts/requirements.py --lowest postgres,migrations > constraints.txt

As declared, they install a group's dependencies without building the package (``make
demo`` runs it from the checkout). With ``--lowest``, each ``name>=X`` becomes ``name==X``
(extras dropped, as pip constraints require; a requirement without a ``>=`` bound is left
out): ``make test-min`` installs the oldest versions the package claims to support.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the TOML parser pip itself uses
    from pip._vendor import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

_LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*>=\s*([A-Za-z0-9.]+)\s*$")


def declared(groups: list[str]) -> list[str]:
    """The dependencies, then those of each optional group in ``groups``."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    return requirements


def lowest(requirements: list[str]) -> list[str]:
    """``name==X`` for each ``name>=X`` of ``requirements``."""
    pins = []
    for requirement in requirements:
        found = _LOWER_BOUND.match(requirement)
        if found is not None:
            pins.append(f"{found.group(1)}=={found.group(2)}")
    return pins


def main(arguments: list[str]) -> None:
    pin = "--lowest" in arguments
    groups = [g for arg in arguments if arg != "--lowest" for g in arg.split(",") if g]
    requirements = declared(groups)
    print("\n".join(sorted(set(lowest(requirements) if pin else requirements))))


if __name__ == "__main__":
    main(sys.argv[1:])
