"""The runtime code runs on Python 3.9 (setup.cfg python_requires, Solaris 11.4's
oldest python3 package that kzguard supports).

``make test`` runs vermin without ``--eval-annotations``: annotations are never
evaluated because every annotated module starts with ``from __future__ import
annotations``; the first test proves that premise.  vermin's own detection of
``X | Y`` unions (``--feature union-types``) cannot tell an annotation from code
nor a type from an int flag, so the second test looks for unions of types outside
annotations itself: ``Alias = int | None`` or ``isinstance(x, int | None)`` is a
TypeError before Python 3.10.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from tests.packaging.conftest import REPO

PACKAGE = REPO / "kzguard"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def has_annotations(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            return True
        if isinstance(node, ast.arg) and node.annotation is not None:
            return True
    return False


def has_future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )


class RuntimeUnions(ast.NodeVisitor):
    """``A | B`` outside annotations where an operand is a type: None, a
    subscripted generic, or a name that the module binds to a class or a typing
    construct."""

    def __init__(self, namespace: ModuleType | None) -> None:
        self.namespace = namespace
        self.found: list[int] = []

    # Annotations are skipped: with the __future__ import they stay strings.
    def visit_arg(self, node: ast.arg) -> None:
        return

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for child in (*node.decorator_list, *node.args.defaults, *node.body):
            self.visit(child)
        for default in node.args.kw_defaults:
            if default is not None:
                self.visit(default)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.BitOr) and (self.is_type(node.left) or self.is_type(node.right)):
            self.found.append(node.lineno)
        self.generic_visit(node)

    def is_type(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return node.value is None
        if isinstance(node, ast.Subscript):
            return True
        if isinstance(node, ast.BinOp):
            return self.is_type(node.left) or self.is_type(node.right)
        value = self.resolve(node)
        return isinstance(value, type) or getattr(value, "__module__", None) == "typing"

    def resolve(self, node: ast.expr) -> object:
        if isinstance(node, ast.Name):
            if self.namespace is not None and hasattr(self.namespace, node.id):
                return getattr(self.namespace, node.id)
            return __builtins__.get(node.id) if isinstance(__builtins__, dict) else None
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None


def runtime_unions(source: str, namespace: ModuleType | None = None) -> list[int]:
    finder = RuntimeUnions(namespace)
    finder.visit(ast.parse(source))
    return finder.found


def trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in modules():
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_every_annotated_module_has_the_future_import() -> None:
    missing = [
        str(path.relative_to(REPO))
        for path, tree in trees()
        if has_annotations(tree) and not has_future_annotations(tree)
    ]
    assert missing == []
    assert len(modules()) > 40  # the walk found the package


def test_no_union_of_types_is_evaluated_at_run_time() -> None:
    found = {}
    for path in modules():
        # Importing a __main__ module would run the command; builtins are enough there.
        main = path.name == "__main__.py"
        module = None if main else importlib.import_module(module_name(path))
        lines = runtime_unions(path.read_text(encoding="utf-8"), module)
        if lines:
            found[str(path.relative_to(REPO))] = lines
    assert found == {}


def test_the_union_finder_tells_types_from_flags_and_annotations() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os\n"
        "from typing import Any\n"
        "class Zone: ...\n"
        "Alias = Zone | None\n"
        "def f(x: int | None, y: list[int] | None = None) -> str | None:\n"
        "    flags = os.O_RDONLY | os.O_NOFOLLOW\n"
        "    z: int | None = flags | 1\n"
        "    return isinstance(x, int | str) or isinstance(y, list[int] | Any)\n"
    )
    namespace: dict[str, object] = {}
    # Only the definitions are run: the unions themselves are what Python 3.9 refuses.
    definitions = "".join(source.splitlines(keepends=True)[:4])
    exec(compile(definitions, "<sample>", "exec"), namespace)  # noqa: S102 -- fixed text above
    module = ModuleType("sample")
    module.__dict__.update(namespace)
    assert runtime_unions(source, module) == [5, 9, 9]
