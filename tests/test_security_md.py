"""SECURITY.md names tests that exist.

The checklist in ``SECURITY.md`` is a set of Markdown tables: one row per requirement, with
how the project meets it and the test(s) that prove it, written as ``file.py::test_name``,
``file.py::Class::test_name`` or, for the cases of a parametrized test,
``file.py::test_name[case-a,case-b]``. This module checks, without importing any test
module (it parses them with :mod:`ast`):

- every reference names a file of the repository and a function in it: a module-level
  function, or a method of a class (``AdapterSuite`` tests live in
  the modules of ``flask_authadapter/testing/`` and are inherited by the adapter test classes);
- every case id given in brackets is a string literal of that file or of a ``tests`` module
  it imports from (where parametrize ids come from);
- every row of a table before the "Not met" section names at least one test (the rows of
  "Not met" may, and are then checked the same way).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECURITY_MD = ROOT / "SECURITY.md"
NOT_MET_HEADING = "## Not met"

#: ``tests/x.py::name``, ``tests/x.py::Class::name``, ``...::name[case-a,case-b]``.
REFERENCE = re.compile(
    r"(?P<path>(?:tests|flask_authadapter)/[\w./-]+\.py)"
    r"::(?P<first>\w+)(?:::(?P<second>\w+))?(?:\[(?P<cases>[^\]]+)\])?"
)
_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")


@dataclass(frozen=True)
class Row:
    """One table row of SECURITY.md."""

    line: int
    section: str
    cells: tuple[str, ...]
    text: str

    @property
    def not_met(self) -> bool:
        return self.section == NOT_MET_HEADING


@dataclass(frozen=True)
class Reference:
    line: int
    path: str
    first: str
    second: str | None
    cases: tuple[str, ...]

    def __str__(self) -> str:
        name = f"{self.first}::{self.second}" if self.second else self.first
        cases = f"[{','.join(self.cases)}]" if self.cases else ""
        return f"{self.path}::{name}{cases} (SECURITY.md line {self.line})"


def table_rows(text: str) -> list[Row]:
    """The rows of every table, without header and separator rows, with their section."""
    rows: list[Row] = []
    section = ""
    previous_was_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("## "):
            section = stripped
        if not stripped.startswith("|"):
            previous_was_table = False
            continue
        cells = tuple(cell.strip() for cell in stripped.strip("|").split("|"))
        is_separator = all(_SEPARATOR_CELL.match(cell) for cell in cells if cell)
        is_header = not previous_was_table
        previous_was_table = True
        if is_header or is_separator:
            continue
        rows.append(Row(number, section, cells, stripped))
    return rows


def references(text: str) -> list[Reference]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in REFERENCE.finditer(line):
            cases = tuple(c.strip() for c in (match["cases"] or "").split(",") if c.strip())
            found.append(Reference(number, match["path"], match["first"], match["second"], cases))
    return found


@dataclass(frozen=True)
class Module:
    """What a Python file defines: its functions, its classes' methods, its string literals."""

    functions: frozenset[str]
    methods: dict[str, frozenset[str]]
    strings: frozenset[str]


@cache
def parsed(path: str) -> Module | None:
    file = ROOT / path
    if not file.is_file():
        return None
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    functions: set[str] = set()
    methods: dict[str, frozenset[str]] = {}
    # Functions anywhere at module level, also inside ``if`` blocks (tests defined only
    # when an optional dependency is installed).
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            methods[node.name] = frozenset(
                item.name
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
    method_nodes = {
        id(item) for node in ast.walk(tree) if isinstance(node, ast.ClassDef) for item in node.body
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and id(node) not in method_nodes
        ):
            functions.add(node.name)
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    # The cases of a parametrized test may be declared in a helper module it imports.
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
            helper = parsed(node.module.replace(".", "/") + ".py")  # type: ignore[union-attr]
            if helper is not None:
                strings |= helper.strings
    return Module(frozenset(functions), methods, frozenset(strings))


def problem(reference: Reference) -> str | None:
    """Why ``reference`` does not name an existing test, or None when it does."""
    module = parsed(reference.path)
    if module is None:
        return f"{reference}: no such file"
    if reference.second is not None:
        methods = module.methods.get(reference.first)
        if methods is None:
            return f"{reference}: no class {reference.first}"
        if reference.second not in methods:
            return f"{reference}: {reference.first} has no method {reference.second}"
        name = reference.second
    else:
        name = reference.first
        in_a_class = any(name in methods for methods in module.methods.values())
        if name not in module.functions and not in_a_class:
            return f"{reference}: no function or method {name}"
    if not name.startswith("test"):
        return f"{reference}: {name} is not a test"
    missing = [case for case in reference.cases if case not in module.strings]
    if missing:
        return f"{reference}: no case {', '.join(missing)} in that file"
    return None


# The tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text() -> str:
    assert SECURITY_MD.is_file(), "SECURITY.md is missing at the repository root"
    return SECURITY_MD.read_text(encoding="utf-8")


def test_every_referenced_test_exists(text: str) -> None:
    found = references(text)
    assert len(found) >= 50, f"only {len(found)} test references: is the pattern still right?"
    problems = [p for p in map(problem, found) if p is not None]
    assert not problems, "\n".join(problems)


def test_every_checklist_line_names_a_test(text: str) -> None:
    rows = table_rows(text)
    met = [row for row in rows if not row.not_met]
    assert len(met) >= 40, f"only {len(met)} checklist lines"
    untested = [
        f"line {row.line}: {row.text[:100]}" for row in met if not REFERENCE.search(row.text)
    ]
    assert not untested, "checklist lines without a test:\n" + "\n".join(untested)


def test_every_row_says_what_and_how(text: str) -> None:
    """Three columns, none empty but the test column of a line not met."""
    for row in table_rows(text):
        assert len(row.cells) == 3, f"line {row.line} has {len(row.cells)} columns"
        requirement, how, _ = row.cells
        assert requirement and how, f"line {row.line} lacks the requirement or how/why"


def test_the_not_met_section_is_there_and_last(text: str) -> None:
    headings = [line.strip() for line in text.splitlines() if line.startswith("## ")]
    assert headings[-1] == NOT_MET_HEADING, headings
    not_met = [row for row in table_rows(text) if row.not_met]
    assert len(not_met) >= 10, "the requirements not met are listed, each with its reason"


def test_the_areas_are_covered(text: str) -> None:
    headings = {line.strip() for line in text.splitlines() if line.startswith("## ")}
    for area in (
        "## Sessions and cookies",
        "## CSRF, origins and redirects",
        "## Magic links and codes",
        "## OAuth 2.0 and OpenID Connect",
        "## Storage and errors",
        "## Logging and secrets",
        "## Headers",
    ):
        assert area in headings, f"SECURITY.md has no section {area!r}"


# The checker itself -------------------------------------------------------------------------


def test_the_checker_refuses_what_does_not_exist() -> None:
    bad = [
        "| a | b | `tests/test_security_md.py::test_no_such_test` |",
        "| a | b | `tests/no_such_file.py::test_x` |",
        "| a | b | `tests/test_security_md.py::Row::test_x` |",
        "| a | b | `tests/test_security_md.py::test_every_referenced_test_exists[no-such-case]` |",
        "| a | b | `tests/test_security_md.py::table_rows` |",
    ]
    for line in bad:
        (reference,) = references(line)
        assert problem(reference) is not None, line
    good = (
        "| a | b | `flask_authadapter/testing/verification_tokens.py::VerificationTokenCases::"
        "test_racing_threads_use_a_token_exactly_once` |"
    )
    (reference,) = references(good)
    assert problem(reference) is None


def test_the_row_parser() -> None:
    text = "\n".join(
        [
            "## Sessions",
            "| Requirement | How | Test |",
            "| --- | --- | --- |",
            "| r1 | h1 | `tests/test_security_md.py::test_the_row_parser` |",
            "| r2 | h2 | |",
            "",
            NOT_MET_HEADING,
            "| Requirement | Why not | Test |",
            "| :--- | --- | ---: |",
            "| r3 | w3 | |",
        ]
    )
    rows = table_rows(text)
    assert [(r.cells[0], r.not_met) for r in rows] == [("r1", False), ("r2", False), ("r3", True)]
