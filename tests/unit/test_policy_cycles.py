"""kzguard.policy.cycles: every elementary dependency cycle once, without recursion."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from kzguard.policy.cycles import dependency_cycles


def test_dependency_cycles_each_once() -> None:
    graph = {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"], "d": ["d"], "e": []}
    assert dependency_cycles(graph, 100) == [
        ("a", "b"),
        ("a", "b", "c"),
        ("a", "c"),
        ("a", "c", "b"),
        ("b", "c"),
        ("d",),
    ]
    assert dependency_cycles(graph, 2) == [("a", "b"), ("a", "b", "c")]
    # Unblocking meets a node that is no longer blocked (a branch of Johnson's algorithm).
    assert dependency_cycles({"a": ["c"], "b": ["c", "d"], "c": ["a", "d"], "d": ["b"]}, 9) == [
        ("a", "c"),
        ("b", "c", "d"),
        ("b", "d"),
    ]
    # A long chain closing on itself: no recursion limit to hit.
    chain = {f"z{index:04d}": [f"z{(index + 1) % 3000:04d}"] for index in range(3000)}
    (cycle,) = dependency_cycles(chain, 5)
    assert len(cycle) == 3000
    assert cycle[0] == "z0000"


def brute_force_cycles(graph: dict[str, list[str]]) -> list[tuple[str, ...]]:
    found = []
    for size in range(1, len(graph) + 1):
        for cycle in itertools.permutations(sorted(graph), size):
            closed = all(cycle[(i + 1) % size] in graph[cycle[i]] for i in range(size))
            if closed and cycle[0] == min(cycle):
                found.append(cycle)
    return sorted(found)


@given(
    st.dictionaries(
        st.sampled_from("abcde"), st.lists(st.sampled_from("abcde"), unique=True), min_size=1
    )
)
def test_dependency_cycles_are_all_the_elementary_cycles(edges: dict[str, list[str]]) -> None:
    graph: dict[str, list[str]] = {}
    for node, successors in edges.items():
        graph[node] = sorted(successor for successor in successors if successor in edges)
    assert dependency_cycles(graph, 1000) == brute_force_cycles(graph)
