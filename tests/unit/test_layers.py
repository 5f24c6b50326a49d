"""The layering of the package, as the README draws it, checked against every import.

CLI -> policy -> (stop | start) -> Solaris adapters, with the journal as the typed
contract between the stop and the start path:

    layer 9   kzguard.__main__
    layer 8   kzguard.cli
    layer 7   kzguard.method       (the SMF methods)
    layer 6   kzguard.manifest
    layer 5   kzguard.status
    layer 4   kzguard.stop, kzguard.start        (siblings: neither imports the other)
    layer 3   kzguard.pace         (how many transfers at once)
    layer 2   kzguard.journal
    layer 1   kzguard.solaris
    layer 0   kzguard.policy
    base      kzguard.errors, .units, .log, .model, .zonename, .atomic, .text, kzguard

A module may import its own package and any lower layer, never a higher one.  The
simulator (kzguard.sim) stands beside the product: it may use the product's lower
layers to be driven by it (the demo plays svc.startd), and the product reaches it only
from the CLI, lazily, for the ``sim`` and ``demo`` commands.

The pure core (the Makefile's PURE_CORE, every module whose docstring says "Pure")
imports nothing that runs a command, reads a file or keeps time, however indirectly.
Imports inside functions count: a lazy import is still an arrow; an import for the
type checker alone (``if TYPE_CHECKING:``) is not, since it never runs.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import kzguard

PACKAGE = Path(kzguard.__file__).resolve().parent
REPO = PACKAGE.parent

BASE = {"kzguard", "errors", "units", "log", "model", "zonename", "atomic", "text"}
LAYERS = {
    "policy": 0,
    "solaris": 1,
    "journal": 2,
    "pace": 3,
    "stop": 4,
    "start": 4,
    "status": 5,
    "manifest": 6,
    "console": 6,
    "method": 7,
    "cli": 8,
    "__main__": 9,
}
# The CLI starts the simulator's commands, imported inside their handlers only
# (tests/packaging/test_import_budget.py proves the method path never loads them).
CLI_TO_SIMULATOR = {("kzguard.cli", "kzguard.sim.cli"), ("kzguard.cli", "kzguard.sim.demo")}
# What a pure module must never reach: the one runner of commands, and the standard
# library's ways to run, wait and touch the file system.
TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
IMPURE_STDLIB = {"subprocess", "threading", "socket", "fcntl", "shutil", "tempfile", "time"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# The tree is read and parsed once per test process: the pure-core test asks for the
# whole graph once per pure module (parsing it each time cost 5-8 s a module under
# coverage, a sixth of the suite).
@functools.cache
def modules() -> Mapping[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def imports_of(path: Path) -> tuple[str, ...]:
    """Every module ``path`` imports, anywhere in it, as an absolute dotted name."""
    return tuple(_imports_in(path))


def _imports_in(path: Path) -> Iterator[str]:
    known = modules()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    # Names imported for the type checker alone never load at run time.
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            base = node.module or ""
            for alias in node.names:
                # ``from kzguard.stop import plan`` imports the module kzguard.stop.plan.
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


@functools.cache
def internal_imports() -> Mapping[str, frozenset[str]]:
    known = modules()
    return {
        name: frozenset(target for target in imports_of(path) if target in known)
        for name, path in known.items()
    }


def area(name: str) -> str:
    """The top-level area of a kzguard module: 'stop' for kzguard.stop.plan, 'cli'
    for the command line's own modules kzguard.cli_*."""
    parts = name.split(".")
    if len(parts) > 1 and parts[1].startswith("cli_"):
        return "cli"
    return parts[1] if len(parts) > 1 else "kzguard"


def layer(name: str) -> int:
    where = area(name)
    if where in BASE:
        return -1
    return LAYERS[where]


def test_every_module_has_a_place_in_the_layering() -> None:
    placeless = [n for n in modules() if area(n) not in BASE | set(LAYERS) | {"sim"}]
    assert placeless == []


def test_no_module_imports_a_higher_layer_or_a_sibling_path() -> None:
    wrong = []
    for source, targets in sorted(internal_imports().items()):
        if area(source) == "sim":
            continue
        for target in sorted(targets):
            if (source, target) in CLI_TO_SIMULATOR:
                continue
            if area(target) == "sim":
                wrong.append(f"{source} -> {target} (the product does not use the simulator)")
            elif area(source) == area(target) or layer(source) == layer(target) == -1:
                continue
            elif layer(target) >= layer(source):
                wrong.append(f"{source} -> {target}")
    assert wrong == []


def test_the_stop_and_start_paths_do_not_import_each_other() -> None:
    crossing = [
        f"{source} -> {target}"
        for source, targets in internal_imports().items()
        for target in targets
        if {area(source), area(target)} == {"stop", "start"}
    ]
    assert crossing == []


def test_there_is_no_import_cycle() -> None:
    graph = internal_imports()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        seen[name] = 1
        for target in sorted(graph[name]):
            if seen.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in seen:
                visit(target, [*path, target])
        seen[name] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name, [name])
    # A package's __init__ importing its own modules is not a cycle worth a finding.
    assert [c for c in cycles if c.count(".") > 1] == []


def pure_core() -> list[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^PURE_CORE := (.*?)(?<!\\)$", makefile, re.MULTILINE | re.DOTALL)
    assert match is not None
    words = match.group(1).replace("\\\n", " ").split()
    return ["kzguard." + word.replace("/", ".") for word in words]


def test_the_pure_core_is_what_the_docstrings_say() -> None:
    said_pure = sorted(
        name
        for name, path in modules().items()
        if area(name) != "sim"
        and path.name != "__init__.py"  # a package's face speaks for its modules
        and re.search(r"\bPure\b", ast.get_docstring(ast.parse(path.read_text("utf-8"))) or "")
    )
    assert sorted(pure_core()) == said_pure


@pytest.mark.parametrize("name", pure_core())
def test_a_pure_module_reaches_nothing_that_runs_reads_or_waits(name: str) -> None:
    graph = internal_imports()
    known = modules()
    pure = set(pure_core())
    reached, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in reached:
            continue
        reached.add(current)
        todo.extend(graph[current])
    impure_modules = sorted(reached - pure - {"kzguard", "kzguard.log"} - {name})
    stdlib = sorted(
        {
            target.split(".")[0]
            for module in reached
            for target in imports_of(known[module])
            if target.split(".")[0] in IMPURE_STDLIB
        }
    )
    assert (impure_modules, stdlib) == ([], [])
