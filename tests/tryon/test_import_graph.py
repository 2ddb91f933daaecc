"""The import graph, read from the source with `ast` (nothing is imported): `tryon/` (its pipeline
included) has no import cycle, counting imports inside functions and under TYPE_CHECKING, and `shop`
imports nothing of `tryon` at module level (what the shop shows of try-on is registered by `tryon`,
see `shop.tryon_hooks`), so the apps depend one way. The fixtures the tests and benchmarks share
(`revetir/testing/`) and `bench/` import nothing of `tests/`, and no app imports those fixtures."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def module_files(package: str) -> dict[str, Path]:
    files = {}
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def imported_names(module: str, path: Path, *, module_level_only: bool = False) -> set[str]:
    """Dotted names `module` imports: for `from a import b`, `a.b` (a submodule, or a name that the
    graph then resolves to `a`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else ast.walk(tree)
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package_parts[: len(package_parts) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: str) -> dict[str, set[str]]:
    files = module_files(package)

    def owner(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in files.items():
        targets = {owner(name) for name in imported_names(module, path)}
        graph[module] = {target for target in targets if target is not None and target != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_of_tryon_has_no_cycle():
    graph = import_graph("tryon")
    assert "tryon.jobs.state" in graph and "tryon.pipeline.contract" in graph  # the walk found the code
    assert cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_shop_imports_nothing_of_tryon_at_module_level():
    imports = {
        module: sorted(
            name for name in imported_names(module, path, module_level_only=True) if name.split(".")[0] == "tryon"
        )
        for module, path in module_files("shop").items()
    }
    assert {module: names for module, names in imports.items() if names} == {}


def test_bench_and_the_shared_fixtures_import_nothing_of_the_test_suite():
    modules = {**module_files("bench"), **module_files("revetir/testing")}
    imports = {
        module: sorted(name for name in imported_names(module, path) if name.split(".")[0] == "tests")
        for module, path in modules.items()
    }
    assert "revetir.testing.processes" in modules and "bench.tryon_queue_bench" in modules
    assert {module: names for module, names in imports.items() if names} == {}


def test_no_app_imports_the_shared_test_fixtures():
    apps = {**module_files("shop"), **module_files("accounts"), **module_files("tryon"), **module_files("revetir")}
    imports = {
        module: sorted(name for name in imported_names(module, path) if name.startswith("revetir.testing"))
        for module, path in apps.items()
        if not module.startswith("revetir.testing")
    }
    assert {module: names for module, names in imports.items() if names} == {}
