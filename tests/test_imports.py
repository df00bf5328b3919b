"""Imports run one way: no cycles inside a subpackage, and the layers never import back up.

The graph is read from the source with ``ast``, so every import counts: at module level, inside a
function, and under ``if TYPE_CHECKING:`` (a cycle that only type checkers see still ties the
modules together for a reader).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "littlewings_jupyter"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
SUBPACKAGES = ("kernel", "session", "server", "streams", "docker", "parsing")

# What each subpackage must never import, whatever the kind of import (server → session →
# streams → docker; kernel → session; parsing is pure, a leaf).
FORBIDDEN = {
    "parsing": {"docker", "session", "server", "kernel", "streams"},
    "docker": {"session", "server", "kernel", "streams"},
    "streams": {"session", "server", "kernel"},
    "session": {"server", "kernel"},
    "kernel": {"server"},
}


@dataclass(frozen=True)
class Edge:
    """One import of a module of the package by another, with where it is written."""

    source: str
    target: str
    path: str = ""
    line: int = 0
    where: str = "module"  # or "function", or "type checking" (under `if TYPE_CHECKING:`)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.path}:{self.line}, {self.where})"


def module_name(path: Path, root: Path = ROOT) -> str:
    """The dotted name of the module in ``path``, a file under the package ``root``."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def resolve(target: str, modules: Iterable[str]) -> str | None:
    """The module ``target`` names, or the module defining it; None outside the package."""
    known = set(modules)
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, where: str = "module") -> Iterator[tuple[ast.stmt, str]]:
    """Every import statement under ``node``, with where it runs."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, where
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _imports(child, "function" if where == "module" else where)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield from _imports(ast.Module([statement], []), "type checking")
            for statement in child.orelse:
                yield from _imports(ast.Module([statement], []), where)
        else:
            yield from _imports(child, where)


def imports_of(
    source: str, text: str, modules: Iterable[str], is_package: bool = False, path: str = ""
) -> list[Edge]:
    """The modules of the package that the code ``text`` of module ``source`` imports."""
    known = set(modules)
    package = source if is_package else source.rpartition(".")[0]
    edges: dict[tuple[str, int], Edge] = {}

    def add(target: str, node: ast.stmt, where: str) -> None:
        found = resolve(target, known)
        if found is not None and found != source:
            edges.setdefault((found, node.lineno), Edge(source, found, path, node.lineno, where))

    for node, where in _imports(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, where)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level - 1 >= len(base_parts):
                    raise ValueError(f"{source}:{node.lineno}: relative import beyond the top")
                base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                # `from .x import y` imports the submodule x.y when there is one, else x itself.
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in known else base, node, where)
    return list(edges.values())


def import_graph(root: Path = ROOT) -> list[Edge]:
    """Every import between modules of the package."""
    modules = package_modules(root)
    edges: list[Edge] = []
    for name, path in modules.items():
        edges += imports_of(
            name,
            path.read_text(encoding="utf-8"),
            modules,
            is_package=path.name == "__init__.py",
            path=str(path.relative_to(root.parent)),
        )
    return edges


def subpackage(module: str) -> str | None:
    """The subpackage (``kernel``, ``session``…) a module belongs to, if any."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else None


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Every elementary cycle of the graph, each starting at its smallest module."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    found: list[list[str]] = []
    for start in sorted(graph):
        # Only modules after `start` extend the path, so each cycle is found once, from its
        # smallest module.
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for following in sorted(graph.get(node, ()), reverse=True):
                if following == start:
                    found.append(path)
                elif following > start and following not in path:
                    stack.append((following, [*path, following]))
    return sorted(found, key=lambda cycle: (len(cycle), cycle))


def describe(cycle: list[str], edges: Iterable[Edge]) -> str:
    """A cycle and the import lines that make it."""
    first = {}
    for edge in sorted(edges, key=lambda e: e.line, reverse=True):
        first[edge.source, edge.target] = edge
    steps = zip(cycle, [*cycle[1:], cycle[0]])
    return " -> ".join([*cycle, cycle[0]]) + "".join(f"\n    {first[step]}" for step in steps)


# Imports that go up on purpose, each with why. One of them is only allowed inside a function
# (no import-time cycle), and is left out of the cycle search. Keep this list short: an entry
# is a public method of a lower object that returns a higher one, which the API asks for.
UPWARD = {
    (f"{PACKAGE}.kernel.group", f"{PACKAGE}.kernel.widget"): (
        "Group.console() returns the console widget. The widget, groups and the client need "
        "each other in a ring: Client.project() makes a Group, Group.console() makes a "
        "ContainerConsole, and ContainerConsole('web') looks 'web' up with the default Client. "
        "The widget sits on top, and this one call reaches up to it."
    ),
}


def inside(edges: Iterable[Edge]) -> list[Edge]:
    """The imports between modules of the same subpackage."""
    return [
        edge
        for edge in edges
        if subpackage(edge.source) is not None
        and subpackage(edge.source) == subpackage(edge.target)
    ]


def test_no_import_cycles_inside_a_subpackage():
    edges = [e for e in inside(import_graph()) if (e.source, e.target) not in UPWARD]
    found = cycles(edges)
    shown = 30
    assert not found, (
        f"{len(found)} import cycle(s), shortest first:\n"
        + "\n".join(describe(cycle, edges) for cycle in found[:shown])
        + (f"\n… and {len(found) - shown} more" if len(found) > shown else "")
    )


def test_upward_imports_are_few_and_inside_functions():
    edges = inside(import_graph())
    for (source, target), why in UPWARD.items():
        found = [e for e in edges if (e.source, e.target) == (source, target)]
        assert found, f"{source} no longer imports {target}: remove it from UPWARD ({why})"
        wrong = [str(e) for e in found if e.where != "function"]
        assert not wrong, "an upward import outside a function:\n" + "\n".join(wrong)


def test_layers_import_one_way():
    wrong = [
        str(edge)
        for edge in import_graph()
        if subpackage(edge.target) in FORBIDDEN.get(subpackage(edge.source) or "", ())
    ]
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_every_subpackage_is_read():
    modules = package_modules()
    assert {subpackage(name) for name in modules} >= set(SUBPACKAGES)
    # Known edges of the real code, so that a reader that finds nothing fails here.
    edges = {(e.source, e.target) for e in import_graph()}
    assert (f"{PACKAGE}.kernel.widget", f"{PACKAGE}.session.protocol") in edges
    assert (f"{PACKAGE}.kernel.client", f"{PACKAGE}.kernel.runtime") in edges
    assert (f"{PACKAGE}.server.app", f"{PACKAGE}.session.manager") in edges


MODULES = [
    PACKAGE,
    f"{PACKAGE}.errors",
    f"{PACKAGE}.kernel",
    f"{PACKAGE}.kernel.client",
    f"{PACKAGE}.kernel.group",
    f"{PACKAGE}.session",
    f"{PACKAGE}.session.protocol",
    f"{PACKAGE}.session.search",
]


@pytest.mark.parametrize(
    ("source", "is_package", "text", "expected"),
    [
        # A sibling, a name of a sibling, a sibling as a name of the package.
        ("kernel.group", False, "from .client import Client", ["kernel.client"]),
        ("kernel.group", False, "from . import client", ["kernel.client"]),
        ("session.search", False, "from . import protocol, other", ["session.protocol", "session"]),
        # Up a level, into another subpackage, and to the top.
        ("kernel.group", False, "from ..session.protocol import parse_group", ["session.protocol"]),
        ("kernel.group", False, "from ..session import protocol", ["session.protocol"]),
        ("kernel.group", False, "from ..errors import from_wire", ["errors"]),
        ("kernel.group", False, "from .. import errors", ["errors"]),
        # Inside a package's __init__, `.` is the package itself.
        ("kernel", True, "from .client import Client", ["kernel.client"]),
        ("", True, "from .session.search import scan", ["session.search"]),
        # Absolute imports, and imports of other packages.
        ("kernel.group", False, f"import {PACKAGE}.session.search", ["session.search"]),
        ("kernel.group", False, f"from {PACKAGE}.kernel.client import x", ["kernel.client"]),
        ("kernel.group", False, "import json\nfrom typing import Any", []),
    ],
)
def test_imports_resolve(source, is_package, text, expected):
    name = f"{PACKAGE}.{source}" if source else PACKAGE
    found = [edge.target for edge in imports_of(name, text, MODULES, is_package=is_package)]
    assert sorted(found) == sorted(f"{PACKAGE}.{e}" if e else PACKAGE for e in expected)


def test_imports_in_functions_and_under_type_checking_count():
    text = (
        "from typing import TYPE_CHECKING\n"
        "from . import client\n"
        "if TYPE_CHECKING:\n"
        "    from ..session.protocol import GroupSelector\n"
        "else:\n"
        "    from ..session import search\n"
        "class Handle:\n"
        "    from ..errors import from_wire\n"
        "    def method(self):\n"
        "        from .. import session\n"
        "async def later():\n"
        "    import littlewings_jupyter.kernel\n"
    )
    found = {
        (e.target.removeprefix(f"{PACKAGE}."), e.where)
        for e in imports_of(f"{PACKAGE}.kernel.group", text, MODULES)
    }
    assert found == {
        ("kernel.client", "module"),
        ("session.protocol", "type checking"),
        ("session.search", "module"),
        ("errors", "module"),
        ("session", "function"),
        ("kernel", "function"),
    }


def test_cycles_are_named():
    edges = [
        Edge("a", "b", "a.py", 1),
        Edge("b", "a", "b.py", 2),
        Edge("b", "c", "b.py", 3),
        Edge("c", "d", "c.py", 4),
        Edge("d", "b", "d.py", 5),
        Edge("d", "e", "d.py", 6),
    ]
    assert cycles(edges) == [["a", "b"], ["b", "c", "d"]]
    assert describe(["a", "b"], edges) == (
        "a -> b -> a\n    a -> b (a.py:1, module)\n    b -> a (b.py:2, module)"
    )
