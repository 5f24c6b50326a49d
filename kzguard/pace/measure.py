"""Aggregate throughput per concurrency, measured from transfers' beginnings and
ends.  Pure: the times are the executor's clock, handed in.

Why this estimator: the executor reports only when each transfer began and ended,
never its progress, and a transfer lives through several concurrencies (others
begin and end meanwhile).  Its bytes are the image's size: known before a resume,
known only after a suspend (the zone's memory, given at its beginning, is only an
estimate: images compress each zone's memory differently, by a factor of three
between zones on the simulator, which swamps the few per cent that tell two
concurrencies apart).  So each finished transfer gives one equation: its bytes
equal the sum, over the concurrencies ``c`` it lived through, of the seconds it
spent at ``c`` times the per-stream rate ``p(c)`` at ``c``.  The least-squares
solution of those equations is each concurrency's per-stream rate, and ``c * p(c)``
its aggregate throughput.  On storage that shares its bandwidth among the streams
(docs/solaris.md 1.4, the simulator's fluid model) the equations are exact; where
zones differ (compressibility, CPU) it is their mean.  Averaging a transfer's whole
rate over its life instead would credit a level it only touched with the rate it
had at another: a long suspend that ran alone for minutes and two seconds beside
three others would make "4 at once" look as fast per stream as "1 at once".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Ridge added to the normal equations, relative to each level's own weight: keeps
# two levels only ever seen together (same proportions) solvable, changes nothing
# measurable otherwise.
RIDGE = 1e-9


@dataclass(frozen=True)
class Level:
    """What was measured at one concurrency."""

    per_stream: float  # bytes per second of one transfer
    stream_seconds: float  # seconds of finished transfers spent at this concurrency

    def aggregate(self, concurrency: int) -> float:
        return self.per_stream * concurrency


class Meter:
    """Records transfers in flight and solves for the rate at each concurrency."""

    def __init__(self) -> None:
        self.in_flight: dict[str, int] = {}  # zone -> bytes
        self._began: dict[str, float] = {}
        self._lived: dict[str, dict[int, float]] = {}  # zone -> concurrency -> seconds
        self._last = 0.0
        self._gram: dict[tuple[int, int], float] = {}
        self._moment: dict[int, float] = {}
        self.weight: dict[int, float] = {}  # concurrency -> stream-seconds of finished ones
        self.peak = 0
        self.durations: list[float] = []
        self.zone_rates: dict[str, float] = {}  # bytes per second, over its whole life

    def _advance(self, at: float) -> None:
        spent = max(at - self._last, 0.0) if self.in_flight else 0.0
        if spent > 0:
            level = len(self.in_flight)
            for lived in self._lived.values():
                lived[level] = lived.get(level, 0.0) + spent
        self._last = max(at, self._last)

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self._advance(at)
        self.in_flight[zone] = max(nbytes, 0)
        self._began[zone] = at
        self._lived[zone] = {}
        self.peak = max(self.peak, len(self.in_flight))

    def ended(self, zone: str, at: float, *, ok: bool, nbytes: int | None = None) -> bool:
        """Record the end; True when it was a finished transfer now measured.
        ``nbytes``, when given, replaces the estimate given at the beginning."""
        if zone not in self.in_flight:
            return False
        self._advance(at)
        estimate = self.in_flight.pop(zone)
        if nbytes is None:
            nbytes = estimate
        began = self._began.pop(zone)
        lived = self._lived.pop(zone)
        # A failed transfer moved an unknown part of its bytes: it counted as in
        # flight for the others, but is no equation of its own.
        if not ok or nbytes <= 0 or not lived:
            return False
        for level, seconds in lived.items():
            self.weight[level] = self.weight.get(level, 0.0) + seconds
            self._moment[level] = self._moment.get(level, 0.0) + seconds * nbytes
            for other, other_seconds in lived.items():
                key = (level, other)
                self._gram[key] = self._gram.get(key, 0.0) + seconds * other_seconds
        duration = at - began
        self.durations.append(duration)
        self.zone_rates[zone] = nbytes / duration
        return True

    def levels(self) -> dict[int, Level]:
        """The per-stream rate at each concurrency measured so far."""
        order = sorted(self.weight)
        return {
            level: Level(per_stream, self.weight[level])
            for level, per_stream in zip(order, _solve(order, self._gram, self._moment))
        }


def _solve(
    order: list[int], gram: Mapping[tuple[int, int], float], moment: Mapping[int, float]
) -> list[float]:
    """Least squares by Gaussian elimination on the normal equations; a level with
    no solution of its own (negative) is 0."""
    size = len(order)
    rows = [[gram.get((a, b), 0.0) for b in order] + [moment.get(a, 0.0)] for a in order]
    for index in range(size):
        rows[index][index] *= 1.0 + RIDGE
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(rows[row][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        head = rows[column][column]
        for row in range(column + 1, size):
            factor = rows[row][column] / head
            if factor:
                for k in range(column, size + 1):
                    rows[row][k] -= factor * rows[column][k]
    solution = [0.0] * size
    for row in reversed(range(size)):
        total = rows[row][size] - sum(rows[row][k] * solution[k] for k in range(row + 1, size))
        solution[row] = total / rows[row][row]
    return [max(value, 0.0) for value in solution]
