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
zones differ (compressibility, CPU) it is their mean.

Averaging a transfer's whole rate over its life instead would credit a level it
only touched with the rate it had at another: a long suspend that ran alone for
minutes and two seconds beside three others would make "4 at once" look as fast
per stream as "1 at once".

A transfer also spends a fixed time that moves no bytes (the command's own start
and end: the simulator's op_overhead, 2 s after the bytes; on Solaris UNCONFIRMED,
docs/solaris.md 14).  The same equations with one more unknown, the bytes a stream
could have moved in that time, measure it (:meth:`Meter.fit`): the auto pace then
starts the next transfer that long before one is due to end, so that a slot's
fixed time overlaps another stream's bytes (kzguard/pace/auto.py).  The search
then compares the rates solved with it (:meth:`Meter.levels` given the fit), the
rate of a stream while it moves bytes: counted whole, a level that happened to run
the small transfers reads slow whatever the storage gave it (2 s of a 4 s
transfer moved nothing), and the search left the storage's best level for it
(tests/unit/test_pace_fluid.py).  Until then, what each level gave, fixed time
included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
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


@dataclass(frozen=True)
class Fit:
    """The rates with the fixed time a transfer spends moving no bytes."""

    per_stream: Mapping[int, float]  # concurrency -> bytes per second of one transfer
    fixed_bytes: float  # what one stream moves in that fixed time, at its level's rate
    image_ratio: float  # bytes moved / the estimate given at the beginning, on average
    mean_bytes: float  # moved by a finished transfer

    def fixed_seconds(self, concurrency: int) -> float:
        """The fixed time, in seconds at ``concurrency``'s rate (0 when unknown)."""
        rate = self.per_stream.get(concurrency, 0.0)
        return self.fixed_bytes / rate if rate > 0 else 0.0


class Meter:
    """Records transfers in flight and solves for the rate at each concurrency.

    ``predictable``, set by the pace: whether a transfer counted out
    (:meth:`count_out`) is surely in its fixed time, so that once replaced it no
    longer counts in the concurrency.  Its due time is a prediction from the bytes
    it was expected to move; where those were a guess (a first suspend's zone
    memory: images are a third to nine tenths of it on the simulator), one counted
    out early still moves bytes, and counted out of the concurrency it makes every
    transfer beside it seem faster per stream than it was, the fit's fixed time
    longer, the next count-out earlier still: replayed in bench/stop_pace.py's
    fluid model (100 zones, storage saturating at 8, the first cycle), the fixed
    time read 2.0 s after the first transfers and 10 to 30 s by the phase's end, its
    op_overhead 2 s (docs/performance.md, "Count-outs on a guess").  Not
    predictable, every transfer in flight counts, replaced or not."""

    def __init__(self) -> None:
        self.predictable = True
        self.in_flight: dict[str, int] = {}  # zone -> bytes (the estimate)
        self._due: dict[str, float] = {}  # in flight, due to end: when counted out
        self.replaced: set[str] = set()  # of those, the ones a later transfer replaced
        self._began: dict[str, float] = {}
        self._lived: dict[str, dict[int, float]] = {}  # zone -> concurrency -> seconds
        self._last = 0.0
        self._gram: dict[tuple[int, int], float] = {}
        self._moment: dict[int, float] = {}
        self.weight: dict[int, float] = {}  # concurrency -> stream-seconds of finished ones
        self.peak = 0
        self.durations: list[float] = []
        self.zone_rates: dict[str, float] = {}  # bytes per second, over its whole life
        self._bytes_sum = 0.0  # of finished transfers: the fixed time's moment
        # Of bytes moved / estimate per finished transfer: count, sum, sum of squares.
        self._ratios = (0, 0.0, 0.0)
        self._lags = (0, 0.0)  # count-out to end, of those that ended: count, sum

    @property
    def due(self) -> AbstractSet[str]:
        """The transfers in flight counted out (:meth:`count_out`)."""
        return self._due.keys()

    @property
    def moving(self) -> int:
        """The concurrency now: transfers in flight, less those replaced."""
        return len(self.in_flight) - len(self.replaced)

    def count_out(self, zone: str, at: float) -> None:
        """``zone``'s transfer is due at ``at`` to end within its fixed time: the
        next one to begin is started in its place, and from then on the two count
        as one in the concurrency (whether the fixed time comes before a transfer's
        bytes or after them, only one of the two moves bytes meanwhile), while the
        meter is ``predictable`` (the class's description).  One due that no
        transfer replaces (the run's tail) keeps counting: it may still move bytes."""
        if zone in self.in_flight and zone not in self._due:
            self._due[zone] = at

    def count_out_lag(self) -> float | None:
        """The mean time from a count-out to its transfer's end, over those that
        ended well (None before any): the fixed time, when the predictions hold."""
        count, total = self._lags
        return total / count if count else None

    def count_outs_ended(self) -> int:
        """How many transfers counted out have ended well."""
        return self._lags[0]

    def _advance(self, at: float) -> None:
        spent = max(at - self._last, 0.0) if self.in_flight else 0.0
        if spent > 0:
            level = max(self.moving, 1)
            for lived in self._lived.values():
                lived[level] = lived.get(level, 0.0) + spent
        self._last = max(at, self._last)

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self._advance(at)
        unreplaced = sorted(self.due - self.replaced)
        if unreplaced and self.predictable:
            self.replaced.add(unreplaced[0])
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
        self.replaced.discard(zone)
        counted_out = self._due.pop(zone, None)
        estimate = self.in_flight.pop(zone)
        if nbytes is None:
            nbytes = estimate
        began = self._began.pop(zone)
        lived = self._lived.pop(zone)
        # A failed transfer moved an unknown part of its bytes: it counted as in
        # flight for the others, but is no equation of its own.
        if not ok or nbytes <= 0 or not lived:
            return False
        if counted_out is not None:
            count, total = self._lags
            self._lags = (count + 1, total + at - counted_out)
        if estimate > 0:
            count, total, squares = self._ratios
            ratio = nbytes / estimate
            self._ratios = (count + 1, total + ratio, squares + ratio * ratio)
        self._bytes_sum += nbytes
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

    def ratio_spread(self) -> float:
        """How far the bytes finished transfers moved strayed from what their
        beginnings expected: the standard deviation of (moved / expected) over its
        mean (0 with fewer than two)."""
        count, total, squares = self._ratios
        if count < 2:
            return 0.0
        mean = total / count
        return math.sqrt(max(squares / count - mean * mean, 0.0)) / mean

    def levels(self, fit: Fit | None = None) -> dict[int, Level]:
        """The per-stream rate at each concurrency measured so far: what each level
        gave, fixed time included, or with ``fit`` (of these same transfers) its
        rates, the rate of a stream while it moves bytes."""
        order = sorted(self.weight)
        rates = (
            [fit.per_stream.get(level, 0.0) for level in order]
            if fit is not None
            else _solve(order, self._gram, self._moment)
        )
        return {
            level: Level(per_stream, self.weight[level]) for level, per_stream in zip(order, rates)
        }

    def fit(self) -> Fit | None:
        """The rates and the fixed time, solved together: each finished transfer's
        bytes = sum over levels of (seconds there * rate there) - fixed bytes.  None
        until twice as many transfers as unknowns have finished, and two more (with
        one more than the unknowns it came out from 0.2 s to 3.1 s where
        tests/unit/fluid.py spends 2 s, at 10 and 100 zones)."""
        order = sorted(self.weight)
        if len(self.durations) < 2 * (len(order) + 1) + 2:
            return None
        # The fixed time is the unknown at "level 0": no transfer runs at 0 at once.
        gram = dict(self._gram)
        moment = dict(self._moment)
        gram[0, 0] = float(len(self.durations))
        for level, seconds in self.weight.items():
            gram[0, level] = gram[level, 0] = -seconds
        moment[0] = -self._bytes_sum
        fixed, *rates = _solve([0, *order], gram, moment)
        count, total, _ = self._ratios
        ratio = total / count if count else 1.0
        return Fit(dict(zip(order, rates)), fixed, ratio, self._bytes_sum / len(self.durations))

    def progress(self, zone: str, at: float, fit: Fit) -> tuple[float, float] | None:
        """(bytes ``zone``'s transfer still has to move, fixed time included, its
        rate now), by ``fit``; None when a level it lived at was never measured."""
        if zone not in self.in_flight:
            return None
        rate = fit.per_stream.get(max(self.moving, 1), 0.0)
        if rate <= 0:
            return None
        done = max(at - self._last, 0.0) * rate
        for lived_level, seconds in self._lived[zone].items():
            lived_rate = fit.per_stream.get(lived_level, 0.0)
            if lived_rate <= 0:
                return None
            done += seconds * lived_rate
        work = self.in_flight[zone] * fit.image_ratio + fit.fixed_bytes
        return work - done, rate


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
