"""The code of docs/adapters.md ("Writing your own adapter") runs, and says what the code does.

The conventions of the page, which these tests enforce:

- A fenced ```` ```python ```` block preceded (on the line just before the fence) by the HTML
  comment ``<!-- doc-test: file=NAME.py -->`` is part of the file ``NAME.py``; blocks naming
  the same file are joined in page order. All these files are written into one temporary
  directory, and pytest runs there in a subprocess: every test must pass, none may be
  skipped, and each ``AdapterSuite`` subclass must really run the suite. This is how the
  page's example adapter and custom SQLAlchemy models are checked against the conformance
  suite.
- Every ```` ```pycon ```` block is a doctest; all of them run in page order in one
  namespace, with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``.
- Every other ```` ```python ```` block must at least compile.
- A ``<!-- doc-test ... -->`` comment of any other form, or one not followed by a
  ```` ```python ```` fence, is an error: a typo must not silently drop an example.
"""

from __future__ import annotations

import ast
import doctest
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

import pytest

from flask_authadapter.adapters import FEATURE_METHODS, Adapter
from flask_authadapter.testing import AdapterSuite

PAGE = Path(__file__).resolve().parents[2] / "docs" / "adapters.md"

FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<code>.*?)^```$", re.DOTALL | re.MULTILINE)
MARKER = re.compile(r"<!--\s*doc-test\b(?P<args>.*?)-->")
FILE_ARG = re.compile(r"^:\s*file=(?P<name>[A-Za-z_][\w]*\.py)\s*$")


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(text: str) -> list[tuple[str, str, int]]:
    """Every fenced block of the page: (language, code, offset of the fence)."""
    return [(m["lang"], m["code"], m.start()) for m in FENCE.finditer(text)]


def marked_files(text: str) -> dict[str, str]:
    """The files the page's ``doc-test: file=`` blocks make, by name, in page order."""
    blocks_at = {offset: (lang, code) for lang, code, offset in fences(text)}
    files: dict[str, list[str]] = defaultdict(list)
    for marker in MARKER.finditer(text):
        arg = FILE_ARG.match(marker["args"])
        line = text.count("\n", 0, marker.start()) + 1
        assert arg is not None, f"line {line}: unknown doc-test marker {marker[0]!r}"
        fence_at = marker.end() + 1  # the fence must open on the very next line
        lang, code = blocks_at.get(fence_at, ("", ""))
        assert text[marker.end()] == "\n" and lang == "python", (
            f"line {line}: {marker[0]!r} is not directly followed by a ```python block"
        )
        files[arg["name"]].append(code)
    return {name: "\n\n".join(parts) for name, parts in files.items()}


# The page is well formed -----------------------------------------------------------------


def test_the_page_has_runnable_examples() -> None:
    files = marked_files(page_text())
    # The example adapter with its suite, and the custom models with theirs.
    assert {"sqlite_adapter.py", "test_sqlite_adapter.py"} <= files.keys()
    assert {"auth_models.py", "test_auth_models.py"} <= files.keys()


def test_every_python_block_compiles() -> None:
    text = page_text()
    for name, source in marked_files(text).items():
        compile(source, name, "exec")
    for lang, code, offset in fences(text):
        if lang == "python":
            line = text.count("\n", 0, offset) + 1
            try:
                ast.parse(code)
            except SyntaxError as exc:  # pragma: no cover - the failure message
                pytest.fail(f"the python block at line {line} does not compile: {exc}")


# The page says what the code does -----------------------------------------------------------


def test_the_pycon_examples_print_what_they_show() -> None:
    examples = [code for lang, code, _ in fences(page_text()) if lang == "pycon"]
    assert examples, "the page has no pycon examples any more"
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(examples), {}, PAGE.name, str(PAGE), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report: list[str] = []
    runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, "".join(report)


def _contract_section(text: str) -> str:
    start = text.index("## The contract")
    return text[start : text.index("\n## ", start + 1)]


def test_the_contract_table_lists_every_method_of_the_protocol() -> None:
    section = _contract_section(page_text())
    documented = re.findall(r"^\| `(\w+)\(", section, re.MULTILINE)
    contract = [name for methods in FEATURE_METHODS.values() for name in methods]
    protocol = {
        name for name in vars(Adapter) if not name.startswith("_") and callable(vars(Adapter)[name])
    }
    assert len(documented) == len(set(documented)), Counter(documented).most_common(3)
    assert set(documented) == set(contract) == protocol


def test_every_suite_attribute_is_documented() -> None:
    text = page_text()
    hints = get_type_hints(AdapterSuite, include_extras=True)
    attributes = [
        name for name, hint in hints.items() if getattr(hint, "__origin__", None) is ClassVar
    ]
    assert attributes
    for name in attributes:
        default = getattr(AdapterSuite, name)
        shown = repr(default) if not isinstance(default, dict) else "{}"
        if name == "datetime_precision":
            shown = "timedelta(microseconds=1)"
        assert f"| `{name}` | `{shown}` |" in text, f"{name} (default {shown}) is not documented"


# The examples work --------------------------------------------------------------------------


def _run_pytest(directory: Path) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    junit = directory / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(directory),
        "-c",
        str(directory / "pytest.ini"),
        f"--junitxml={junit}",
        str(directory),
    ]
    done = subprocess.run(
        command, cwd=directory, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert junit.exists(), done.stdout + done.stderr
    return done, ET.parse(junit).getroot()  # noqa: S314 - the report our own run wrote


def test_the_example_adapter_and_models_pass_the_conformance_suite(tmp_path: Path) -> None:
    text = page_text()
    for name, source in marked_files(text).items():
        (tmp_path / name).write_text(source, encoding="utf-8")

    done, junit = _run_pytest(tmp_path)
    output = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, output

    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for case in junit.iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[case.get("classname", "").rsplit(".", 1)[-1]][min(kinds, default="passed")] += 1
    for cls, counts in outcomes.items():
        assert set(counts) == {"passed"}, (cls, dict(counts), output)

    # Each doc class really ran the suite: all of it but the tests of undeclared extras.
    suite_tests = [n for n in dir(AdapterSuite) if n.startswith("test_")]
    for cls in ("TestSQLiteAdapter", "TestMemberTables"):
        assert outcomes[cls]["passed"] >= len(suite_tests) - 4, (cls, dict(outcomes[cls]))
    # ... and as many tests as the page says.
    said = re.search(r"`pytest test_sqlite_adapter\.py` then runs (\d+) tests", text)
    assert said is not None
    ran = outcomes["TestSQLiteAdapter"]["passed"]
    assert ran == int(said[1]), f"the page says {said[1]} tests, the suite ran {ran}"


def _pretend_the_page_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    page = tmp_path / "adapters.md"
    page.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PAGE", page)


@pytest.mark.parametrize(
    "bad",
    [
        "<!-- doc-test: file=x.py -->\n\n```python\npass\n```\n",  # a blank line between
        "<!-- doc-test: file=x.py -->\n```pycon\n>>> 1\n1\n```\n",  # not a python block
        "<!-- doc-test: fil=x.py -->\n```python\npass\n```\n",  # a typo in the marker
        "<!-- doc-test -->\n```python\npass\n```\n",  # no file
    ],
)
def test_a_malformed_marker_is_an_error(
    bad: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _pretend_the_page_is(monkeypatch, tmp_path, bad)
    with pytest.raises(AssertionError, match="doc-test"):
        marked_files(page_text())


def test_blocks_of_one_file_are_joined_in_page_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = (
        "<!-- doc-test: file=a.py -->\n```python\nfirst = 1\n```\n\nprose\n\n"
        "```python\nnot_in_the_file = 1\n```\n"
        "<!-- doc-test: file=a.py -->\n```python\nsecond = first + 1\n```\n"
    )
    _pretend_the_page_is(monkeypatch, tmp_path, text)
    files: dict[str, Any] = marked_files(page_text())
    assert files == {"a.py": "first = 1\n\n\nsecond = first + 1\n"}
