"""The house's rules that a refactor could break: no import circle, core imports only core, light help."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "normcli"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every normcli module and the normcli modules it imports anywhere (top level or inside functions)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle():
    graph = _imports()
    assert "normcli.commands.norm" in graph and "normcli.core.norms" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_a_circle_is_found_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_core_imports_only_core_and_commands_are_not_imported_below_them():
    graph = _imports()
    for name, deps in graph.items():
        if name.startswith("normcli.core"):
            assert all(d.startswith("normcli.core") for d in deps), (name, deps)
        if not name.startswith(("normcli.commands", "normcli.cli", "normcli.__main__")):
            assert not any(d.startswith("normcli.commands") or d == "normcli.cli" for d in deps), (name, deps)


def test_cli_names_no_command():
    text = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    for command in ("norm", "grad", "compare_models", "regstep", "dist", "normalize", "sobolev", "ball"):
        assert f"def {command}(" not in text and f"commands.{command}" not in text
