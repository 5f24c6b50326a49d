"""The problems found in a policy, each addressed by its key path, then located and
sorted for the operator.  Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from kzguard.errors import Problem
from kzguard.policy.show import KeyPath, format_key

# A file with thousands of bad lines gets the first ones, then how many more: the
# operator fixes those first, and a log or terminal is not flooded.
MAX_PROBLEMS_REPORTED = 50


class Report:
    """The problems found so far, addressed by key path."""

    def __init__(self, lines: Mapping[KeyPath, int]) -> None:
        self._lines = lines
        self._found: list[tuple[KeyPath, str]] = []

    def add(self, path: KeyPath, message: str) -> None:
        self._found.append((path, message))

    def line_of(self, path: KeyPath) -> int:
        """Return the line of the array entry or key, or of the nearest one enclosing
        it, that the scanner saw; 0 if none."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return 0

    def problems(self) -> list[Problem]:
        located = [(self.line_of(path), path, message) for path, message in self._found]
        located.sort(key=lambda item: (item[0], _sort_key(item[1])))
        problems = [
            Problem(format_key(path), message, line)
            for line, path, message in located[:MAX_PROBLEMS_REPORTED]
        ]
        if len(located) > MAX_PROBLEMS_REPORTED:
            more = len(located) - MAX_PROBLEMS_REPORTED
            problems.append(
                Problem(
                    "",
                    f"{more} more problem{'s' if more > 1 else ''} not listed; fix the ones "
                    "above and check again",
                )
            )
        return problems


def _sort_key(path: KeyPath) -> list[tuple[int, str, int]]:
    # Indexes sort as numbers, so fallback[2] comes before fallback[10].
    return [(1, "", part) if isinstance(part, int) else (0, part, 0) for part in path]
