"""The package's import structure: one ground floor, no cycles, the lab kept at the edge.

The graph is read from the source with :mod:`ast` (every ``import`` and ``from … import``,
also the ones inside functions), so it needs no module to be imported. Nothing outside
``tools/lab/`` imports the lab: the command line names its parts in strings
(:data:`tools.cli.COMMANDS`, :data:`tools.commands.nodes.LAB_HOOK`), which are no
imports, so ``tools/`` without ``lab/`` still works.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = "tools.lab"
"""The only part of the package that may import the lab."""
DOCKER_BACKEND = "tools.lab.backends.docker"
"""The only package that may import the ``docker`` library."""
QEMU_BACKEND = "tools.lab.backends.qemu"


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name → (file, whether it is a package's ``__init__``)."""
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imported(name: str, path: Path, is_package: bool) -> Iterator[str]:
    """Every dotted name *name*'s module imports, relative imports resolved."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports."""
    modules = _modules(package)
    return {name: {target for target in _imported(name, path, is_package)
                   if target in modules and target != name}
            for name, (path, is_package) in modules.items()}


def collapse(graph: dict[str, set[str]], depth: int = 2) -> dict[str, set[str]]:
    """The graph between the package's parts (``tools.lab``, ``tools.machine_id``...)."""
    def part(name: str) -> str:
        return ".".join(name.split(".")[:depth])

    collapsed: dict[str, set[str]] = {part(name): set() for name in graph}
    for name, targets in graph.items():
        collapsed[part(name)] |= {part(t) for t in targets if part(t) != part(name)}
    return collapsed


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
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
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["tools", "bench"])
def test_no_import_cycle_between_modules(package: str) -> None:
    assert cycles(import_graph(REPO / package)) == []


def test_no_import_cycle_between_the_parts_of_tools() -> None:
    """``tools.machine_id`` importing anything of ``tools.lab``, which imports it, is one."""
    assert cycles(collapse(import_graph(REPO / "tools"))) == []


def _in_lab(name: str) -> bool:
    return name == LAB or name.startswith(f"{LAB}.")


def test_nothing_outside_the_lab_imports_it() -> None:
    graph = import_graph(REPO / "tools")
    offenders = {name: sorted(t for t in targets if _in_lab(t))
                 for name, targets in graph.items() if not _in_lab(name)}
    assert {name: found for name, found in offenders.items() if found} == {}
    assert "tools.commands.nodes" in graph and "tools.cli" in graph  # the checks see them


def test_the_lab_is_reached_by_name_from_outside() -> None:
    from tools.cli import COMMANDS
    from tools.commands.nodes import LAB_HOOK

    assert COMMANDS["lab"].module == ".lab.cli"
    assert LAB_HOOK.startswith(".lab.")
    graph = import_graph(REPO / "tools")
    assert "tools.lab.cli" in graph and LAB_HOOK.partition(":")[0][1:] in (
        name.removeprefix("tools.") for name in graph)


def _in(package: str, name: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def test_the_docker_library_is_imported_by_the_docker_backend_alone() -> None:
    """``docker`` is an extra of the distribution (``deploydocs-tools[lab]``): only the docker
    backend's package imports it, and the qemu backend reaches no module of that package
    (also not through the lab's shared modules), so a qemu lab runs without the library."""
    modules = _modules(REPO / "tools")
    importers = sorted(name for name, (path, is_package) in modules.items()
                       if any(_in("docker", target)
                              for target in _imported(name, path, is_package)))
    assert importers and all(_in(DOCKER_BACKEND, name) for name in importers), importers
    graph = import_graph(REPO / "tools")
    reached, todo = set(), [QEMU_BACKEND]
    while todo:
        for target in graph[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert f"{QEMU_BACKEND}.image" in reached
    assert sorted(name for name in reached if _in(DOCKER_BACKEND, name)) == []


def test_the_checks_see_the_graph() -> None:
    graph = import_graph(REPO / "tools")
    assert "tools.hosts" in graph["tools.machine_id"]
    assert "tools.probe" in graph[f"{DOCKER_BACKEND}.lab"]  # four dots up
    assert f"{DOCKER_BACKEND}.lab" in graph[DOCKER_BACKEND]  # a package's __init__ resolved
    assert "tools.lab.base" in graph["tools.lab.state"]  # relative imports resolved
    assert "tools.ssh" in graph["tools.lab.backends.ssh"]  # three dots up
