"""Dependency cycles among zones (``after``): strongly connected components
(Tarjan) and every elementary cycle once (Johnson), both without recursion, so that
thousands of zones cannot exhaust Python's stack.  Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence


def _components(graph: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Return the strongly connected components of ``graph`` (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def dependency_cycles(graph: Mapping[str, Sequence[str]], limit: int) -> list[tuple[str, ...]]:
    """Return up to ``limit`` elementary cycles of ``graph``, each once.

    Each cycle starts from its alphabetically smallest member.  Johnson's algorithm:
    the time is bounded by the number of cycles found, not by the number of paths.
    """
    cycles: list[tuple[str, ...]] = []
    pending = _cyclic_components(graph)
    while pending and len(cycles) < limit:
        # Smallest first, so that a cut-short list holds the cycles an operator reads
        # first in the file's alphabetical order.
        pending.sort(key=min, reverse=True)
        component = pending.pop()
        start = min(component)
        sub = {node: sorted(set(graph[node]) & component) for node in component}
        path = [start]
        blocked = {start}
        closed: set[str] = set()
        blockers: dict[str, set[str]] = defaultdict(set)
        work = [(start, list(reversed(sub[start])))]
        while work and len(cycles) < limit:
            node, todo = work[-1]
            if todo:
                successor = todo.pop()
                if successor == start:
                    cycles.append(tuple(path))
                    closed.update(path)
                elif successor not in blocked:
                    path.append(successor)
                    work.append((successor, list(reversed(sub[successor]))))
                    closed.discard(successor)
                    blocked.add(successor)
                continue
            if node in closed:
                _unblock(node, blocked, blockers)
            else:
                for successor in sub[node]:
                    blockers[successor].add(node)
            work.pop()
            path.pop()
        rest = {node: [s for s in sub[node] if s != start] for node in component if node != start}
        pending.extend(_cyclic_components(rest))
    return sorted(cycles)


def cyclic_components(graph: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Return the components of ``graph`` that hold a cycle: several nodes, or one
    with a self-loop.  Every node named as a successor must be a key of ``graph``."""
    return _cyclic_components(graph)


def _cyclic_components(graph: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Return the components that hold a cycle: several nodes, or one with a self-loop."""
    return [
        component
        for component in _components(graph)
        if len(component) > 1 or not component.isdisjoint(graph[min(component)])
    ]


def _unblock(node: str, blocked: set[str], blockers: dict[str, set[str]]) -> None:
    todo = {node}
    while todo:
        current = todo.pop()
        if current in blocked:
            blocked.remove(current)
            todo.update(blockers[current])
            blockers[current].clear()
