"""The package's modules import each other without a cycle (function-level imports and
``TYPE_CHECKING`` blocks counted), and only the package root imports the extension."""

from __future__ import annotations

import ast
from pathlib import Path

import flask_authadapter

ROOT = Path(flask_authadapter.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ["flask_authadapter", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level > 1:
                base = base[: -(node.level - 1)]
            prefix = ".".join(base) if node.level else ""
            target = ".".join(p for p in (prefix, node.module or "") if p)
            found.update(
                c for c in [target, *(f"{target}.{a.name}" for a in node.names)] if c in modules
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_import_cycle() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_only_the_package_root_imports_the_extension() -> None:
    importers = {
        name for name, imported in _graph().items() if "flask_authadapter.extension" in imported
    }
    assert importers == {"flask_authadapter"}
