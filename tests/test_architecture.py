"""The package's shape, checked: its layers, its import graph and the size of its modules.

docs/architecture.md describes the layers; these tests keep the code to it. The import graph
is read from the source (every ``import`` statement, those inside functions and under
``TYPE_CHECKING`` included), so a cycle hidden in a function-level import fails here too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flask_authadapter"
ROOT = PACKAGE.name

#: A module longer than this is doing more than one job (docs/architecture.md).
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in path.relative_to(PACKAGE).parts
}


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every name ``module`` imports, absolute, with the line it is imported on."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source, node.lineno
            for alias in node.names:
                yield f"{source}.{alias.name}", node.lineno


def _graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a package's ``__init__`` as its name)."""
    return {
        module: {name for name, _ in _imported(module, path) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package() -> None:
    assert _cycles(_graph()) == []


def test_only_the_package_root_imports_the_extension() -> None:
    """``extension`` is the top of the graph: it wires everything else into an app."""
    importers = {module for module, imported in _graph().items() if f"{ROOT}.extension" in imported}
    assert importers == {ROOT}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_size_limit(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by responsibility"


def _imports_of(prefix: str) -> Iterator[tuple[str, str, int]]:
    for module, path in MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            for name, line in _imported(module, path):
                yield module, name, line


def _outside(name: str, *allowed: str) -> bool:
    return not any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)


def test_the_core_knows_no_flask_and_nothing_above_it() -> None:
    """``core`` is Flask-free and imports only itself: adapters and views build on it."""
    wrong = [
        f"{module}:{line} imports {name}"
        for module, name, line in _imports_of(f"{ROOT}.core")
        if name.split(".")[0] in {"flask", "werkzeug", "flask_mail"}
        or (name.startswith(ROOT) and _outside(name, f"{ROOT}.core"))
    ]
    assert wrong == []


def test_adapters_know_no_flask() -> None:
    wrong = [
        f"{module}:{line} imports {name}"
        for module, name, line in _imports_of(f"{ROOT}.adapters")
        if name.split(".")[0] in {"flask", "werkzeug"}
        or (name.startswith(ROOT) and _outside(name, f"{ROOT}.core", f"{ROOT}.adapters"))
    ]
    assert wrong == []


def _flask_mail_lookups(tree: ast.AST) -> set[int]:
    """The ``app.extensions.get("mail")`` reads: Flask-Mail's own state, not this extension's."""
    return {
        id(node.func.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and [ast.literal_eval(arg) for arg in node.args if isinstance(arg, ast.Constant)]
        == ["mail"]
    }


def test_providers_never_read_the_request_or_extension_state() -> None:
    """Providers get what they need passed in: no ``flask.request``, no ``app.extensions``
    (but Flask-Mail's, which the email provider sends through)."""
    wrong = []
    for module, path in MODULES.items():
        if not module.startswith(f"{ROOT}.providers"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = _flask_mail_lookups(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                wrong += [
                    f"{module}:{node.lineno} imports flask.{alias.name}"
                    for alias in node.names
                    if alias.name in {"request", "session", "g"}
                ]
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "extensions"
                and id(node) not in allowed
            ):
                wrong.append(f"{module}:{node.lineno} reads .extensions")
    assert wrong == []


#: The modules an app imports from; everything else is internal and has no ``__all__``.
PUBLIC_MODULES = (
    ROOT,
    f"{ROOT}.accounts",
    f"{ROOT}.adapters",
    f"{ROOT}.adapters.sqlalchemy",
    f"{ROOT}.config",
    f"{ROOT}.errors",
    f"{ROOT}.models",
    f"{ROOT}.providers",
    f"{ROOT}.providers.presets",
    f"{ROOT}.ratelimit",
    f"{ROOT}.signals",
    f"{ROOT}.testing",
)


def test_the_root_holds_what_an_app_calls() -> None:
    import flask_authadapter

    assert set(flask_authadapter.__all__) == {
        "Auth",
        "__version__",
        "account_tokens",
        "current_session",
        "current_user",
        "flask_login_bridge",
        "login_required",
        "open_tokens",
        "sign_in",
        "sign_out",
        "signin_url",
    }


def test_each_public_name_has_one_public_home() -> None:
    """No name is in the ``__all__`` of two public modules (``providers`` re-exporting
    its ``presets`` subpackage whole is the one nesting allowed)."""
    import importlib

    homes: dict[str, list[str]] = {}
    for module in PUBLIC_MODULES:
        if module == f"{ROOT}.providers.presets":
            continue
        for name in importlib.import_module(module).__all__:
            homes.setdefault(name, []).append(module)
    assert {name: where for name, where in homes.items() if len(where) > 1} == {}


def test_only_public_modules_declare_all() -> None:
    declaring = {
        module
        for module, path in MODULES.items()
        if "__all__ =" in path.read_text(encoding="utf-8")
    }
    assert declaring <= set(PUBLIC_MODULES)


def test_every_file_docs_architecture_names_exists() -> None:
    """docs/architecture.md maps rules to files: each file it names is there."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:flask_authadapter|harness|tests)/[\w/<>.-]+)`", text))
    assert len(named) > 30
    missing = [
        path
        for path in sorted(named)
        if "<" not in path and not (PACKAGE.parent / path.split(" ")[0]).exists()
    ]
    assert missing == []
