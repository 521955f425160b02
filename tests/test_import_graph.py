"""The project's own modules import each other without a cycle.

A cycle works only as long as the modules happen to be imported in the right order, and
hiding one behind an import inside a function only moves the failure to run time. The graph
is read from the sources (ast): every import of a project module, at the top of a module or
inside a function, is an edge; importing `a.b.c` also runs `a` and `a.b`.
"""

import ast
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACKAGES = [
    "haidepok",
    "accounts",
    "communities",
    "facilities",
    "bookings",
    "payments",
    "documents",
    "permits",
]


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # run by the migration framework, never imported by the code
            parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """The dotted names that `module` imports anywhere in its source."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..a import b
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # `from bookings import tasks` imports the module bookings.tasks.
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph = {}
    for module, path in modules.items():
        edges = set()
        for name in imported_names(module, path):
            parts = name.split(".")
            # The module itself (or, for `from a import name`, the nearest module) and every
            # package above it, which Python runs first.
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    edges.add(candidate)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as [a, b, ..., a], or [] when it has none."""
    visiting, done = [], set()

    def visit(node):
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            if target in visiting:
                return [*visiting[visiting.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        visiting.pop()
        done.add(node)
        return []

    for node in sorted(graph):
        if node not in done and (cycle := visit(node)):
            return cycle
    return []


def test_the_graph_is_read_from_the_sources():
    graph = import_graph()

    assert "bookings.models" in graph["bookings.services"]
    assert "bookings.signals" in graph["bookings.apps"]  # imported inside ready()
    assert "haidepok" in graph["bookings.services"]  # from haidepok import clock
    assert "haidepok.clock" in graph["bookings.services"]


def test_a_cycle_is_found_however_it_is_hidden():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_project_has_no_import_cycle():
    cycle = find_cycle(import_graph())

    assert cycle == [], "import cycle: " + " -> ".join(cycle)
