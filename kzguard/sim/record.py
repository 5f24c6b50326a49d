"""``Record``: typing.NamedTuple's class syntax, without importing typing.

Every simulated command is a Python process, and typing (with re and enum behind
it) was a third of a command's start-up (docs/performance.md, "A simulated
command's start-up").  Type checkers see typing.NamedTuple itself; at run time a
class deriving from Record is made with collections.namedtuple from its annotated
fields and their defaults, as typing.NamedTuple makes it, so the two agree.
"""

from __future__ import annotations

import collections

__all__ = ["Record"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    _KEPT = {"__module__", "__qualname__", "__doc__", "__annotations__"}

    class _RecordType(type):
        def __new__(cls, name, bases, namespace):
            if not bases:
                return super().__new__(cls, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", {}))
            extra = sorted(set(namespace) - _KEPT - set(fields))
            if extra:
                raise TypeError(f"record {name}: only fields and a docstring, not {extra}")
            made = collections.namedtuple(
                name,
                fields,
                defaults=[namespace[field] for field in fields if field in namespace],
                module=namespace["__module__"],
            )
            made.__qualname__ = namespace["__qualname__"]
            if namespace.get("__doc__"):
                made.__doc__ = namespace["__doc__"]
            return made

    class Record(metaclass=_RecordType):
        pass
