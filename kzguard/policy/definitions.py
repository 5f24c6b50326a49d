"""Which tables and keys a TOML document defines, and the rules against defining
one twice: the part of TOML 1.0 that is not grammar.

TOML forbids setting a key twice, defining a table twice (by a ``[header]`` or by
dotted keys), extending a value or an inline table later, and reopening with
``[header]`` a table made by dotted keys.  :mod:`kzguard.policy.syntax` calls this
module for every header and key it reads; the rules are the ones Python's tomllib
applies (a table of flags beside the tree of names), so that both refuse the same
documents, and the words are kzguard's own.  Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from kzguard.policy.show import format_key

Path = tuple[str, ...]


# The tree of names: a table is a dict of names; an array of tables a list of such
# dicts, of which the last is the one being filled; any other value is _VALUE
# (arrays and inline tables are closed to additions by the FROZEN flag).
class _Value:
    """A value that is not a table: TOML cannot open a name beneath it."""


_VALUE = _Value()

# The flags tomllib keeps beside the tree.  DEFINED: a table defined by a [header]
# or made by dotted keys in an earlier section; a [header] cannot open it again.
# FROZEN: an array or inline table value, closed to every later addition.
DEFINED = "defined"
FROZEN = "frozen"


class _Flags:
    """Flags by name path; a flag set ``recursive`` holds for every path beneath."""

    def __init__(self) -> None:
        self._tree: dict[str, dict[str, Any]] = {}
        self._pending: set[Path] = set()

    def _entry(self, path: Path) -> dict[str, Any]:
        tree = self._tree
        entry: dict[str, Any] = {}
        for name in path:
            entry = tree.setdefault(name, {"flags": set(), "recursive": set(), "nested": {}})
            tree = entry["nested"]
        return entry

    def set(self, path: Path, flag: str, *, recursive: bool = False) -> None:
        self._entry(path)["recursive" if recursive else "flags"].add(flag)

    def defer(self, path: Path) -> None:
        """Mark ``path`` DEFINED from the next [header] on: dotted keys may add to the
        table they make until the section ends."""
        self._pending.add(path)

    def settle(self) -> None:
        for path in self._pending:
            self.set(path, DEFINED)
        self._pending.clear()

    def clear(self, path: Path) -> None:
        """Forget the flags of ``path`` and beneath: a new [[array]] entry is blank."""
        tree = self._tree
        for name in path[:-1]:
            if name not in tree:
                return
            tree = tree[name]["nested"]
        tree.pop(path[-1], None)

    def has(self, path: Path, flag: str) -> bool:
        if not path:
            return False  # the document root has no flags
        tree = self._tree
        for name in path[:-1]:
            if name not in tree:
                return False
            if flag in tree[name]["recursive"]:
                return True
            tree = tree[name]["nested"]
        entry = tree.get(path[-1])
        return entry is not None and (flag in entry["flags"] or flag in entry["recursive"])


def _nest(tree: dict[str, Any], path: Path, *, into_arrays: bool = True) -> dict[str, Any] | None:
    """Return the table at ``path``, creating missing ones; None if a value is in the
    way.  Through an array of tables the last entry is taken (``into_arrays``)."""
    node: Any = tree
    for name in path:
        node = node.setdefault(name, {})
        if into_arrays and isinstance(node, list):
            node = node[-1]
        if not isinstance(node, dict):
            return None
    table: dict[str, Any] = node
    return table


class Definitions:
    """The names defined so far in one document (or one inline table), each with the
    line that first defined it.

    Each method returns None if the definition is allowed, else what is wrong, in
    words for the operator; the caller adds the key path and the position.
    """

    def __init__(self) -> None:
        self._tree: dict[str, Any] = {}
        self._flags = _Flags()
        # Every prefix of every path defined, with the first line that implied it.
        self.lines: dict[Path, int] = {}

    def _record(self, path: Path, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    def _first(self, path: Path) -> str:
        line = self.lines.get(path)
        return f" on line {line}" if line else ""

    def _blocked(self, path: Path) -> str:
        """What stops ``path`` from being a table: the value on its shortest prefix."""
        for end in range(1, len(path) + 1):
            if self._flags.has(path[:end], FROZEN) or not isinstance(
                _nest(self._tree, path[:end]), dict
            ):
                return (
                    f"{format_key(path[:end])} is already set{self._first(path[:end])} to a "
                    "value or inline table, which cannot be extended here; merge the two"
                )
        return ""  # pragma: no cover - only called when a prefix is in the way

    def table(self, path: Path, line: int) -> str | None:
        """A ``[path]`` header."""
        self._flags.settle()
        if self._flags.has(path, FROZEN) or _nest(self._tree, path) is None:
            return self._blocked(path)
        if self._flags.has(path, DEFINED):
            return f"the table is defined twice (first{self._first(path)}); merge the two into one"
        self._flags.set(path, DEFINED)
        self._record(path, line)
        return None

    def array_table(self, path: Path, line: int) -> str | None:
        """A ``[[path]]`` header: one more table in the array of tables ``path``."""
        self._flags.settle()
        if self._flags.has(path, FROZEN):
            return self._blocked(path)
        parent = _nest(self._tree, path[:-1])
        if parent is None:
            return self._blocked(path[:-1])
        current = parent.get(path[-1])
        if current is not None and not isinstance(current, list):
            return (
                f"already defined{self._first(path)} as a table or value, so [[...]] cannot "
                "make it an array of tables; rename one of them"
            )
        self._flags.clear(path)
        self._flags.set(path, DEFINED)
        parent.setdefault(path[-1], []).append({})
        self._record(path, line)
        return None

    def key(self, table: Path, key: Path, *, container: bool, line: int) -> str | None:
        """``key = value`` in the section of ``table``; ``container``: the value is an
        array or an inline table."""
        for end in range(1, len(key)):
            holder = table + key[:end]
            if self._flags.has(holder, DEFINED):
                return (
                    f"{format_key(holder)} is a table defined{self._first(holder)}; set its "
                    "keys under its own [header] instead"
                )
            self._flags.defer(holder)
        parent = table + key[:-1]
        nest = None if self._flags.has(parent, FROZEN) else _nest(self._tree, parent)
        if nest is None:
            return self._blocked(parent)
        path = table + key
        if key[-1] in nest:
            if isinstance(nest[key[-1]], _Value):
                return f"set twice (first{self._first(path)}); keep one of them"
            return f"already defined as a table{self._first(path)}; keep one of them"
        nest[key[-1]] = _VALUE
        if container:
            self._flags.set(path, FROZEN, recursive=True)
        self._record(path, line)
        return None


class InlineTable:
    """The keys of one inline table ``{ ... }``: each once, and none added beneath an
    array or inline table given as a value."""

    def __init__(self) -> None:
        self._tree: dict[str, Any] = {}
        self._frozen = _Flags()

    def key(self, key: Path, *, container: bool) -> str | None:
        nest = None
        if not self._frozen.has(key[:-1], FROZEN):
            nest = _nest(self._tree, key[:-1], into_arrays=False)
        if nest is None:
            return "cannot add a key beneath a value set earlier in the same inline table"
        if key[-1] in nest:
            return "set twice in the same inline table; keep one of them"
        nest[key[-1]] = _VALUE
        if container:
            self._frozen.set(key, FROZEN, recursive=True)
        return None
