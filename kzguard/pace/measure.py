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
docs/solaris.md 14).  Meanwhile the others share the storage among fewer streams
than are in flight, so the equations count, at each instant, the streams *moving*
bytes: each transfer moves from half the fixed time after its beginning to half of
it before its end (where the fixed time lies, before the bytes or after them, is
UNCONFIRMED; the simulator puts it after, tests/unit/fluid.py before).  Where it
is placed hardly matters: one fixed time for every transfer, placed anywhere,
moves every transfer's interval by the same amount and leaves each one's seconds
at each number of streams moving as they were, but at the edges (a transfer still
in flight ends "now"); a prototype that chose the place by least squares came out
within 0.002 of the halved one at 100 zones in bench/resume_pace.py's replays, and
the faithful traces of docs/performance.md ("The pace's levels on the faithful
clock") read the same wholly before, halved and wholly after.  The fixed
time is not a linear unknown then, so it is chosen by least squares over a grid of
candidates from none to three quarters of the shortest transfer, refined by golden
section, over the latest REFIT_WINDOW transfers, once enough have finished and
again each time their number grew by half (:meth:`Meter._refit`); every equation
is then solved again with it.  The auto pace starts the next transfer that long before one
is due to end, so that a slot's fixed time overlaps another stream's bytes
(kzguard/pace/auto.py), and the search compares the rates of streams while they
move bytes.  Counted by streams in flight instead (the meter before 2026-12-05),
the smallest resumes, which the start method runs first, read 30 % below what
their levels gave (2 s of a 6.6 s transfer moved nothing), the search climbed to
10-17 at once on storage that 4 saturate, and the 100-zone resume replays took
1.074 of their bound on average (worst 1.241) where they now take 1.023 (worst
1.042) (docs/performance.md, "Streams moving, not in flight").  Until the fixed
time is measured, what each level gave, fixed time included.

A crowded host stretches the fixed time: a command begun beside many others waits
for the CPUs they share before it moves anything (the simulator's Python start-up
on the benchmarks' two CPUs; on Solaris, zoneadmd's own work for each zone beside
the others', UNCONFIRMED, docs/solaris.md 14).  So the fixed time is fitted as
``fixed + crowd x the others in flight at the transfer's beginning``
(:attr:`Meter.crowd`): at each refit, the fixed time for the crowd measured so
far, then the crowd by a grid from none to the most that leaves no transfer of the
window wholly fixed time and the golden section, then each again for the other
(:func:`_least_fixed_and_crowd`).  One fixed time for all counted such transfers as
moving while they waited, so the levels where many wait read slow, and the rest
out of place: in tests/unit/fluid.py's crowded model (docs/performance.md, "A
crowded host") the search wandered up to 12-32 at once on storage two streams
saturate.  A crowd is taken only where it cuts the residual to CROWD_GAIN of what
the fixed time alone left: transfers stretched at random (a loaded host's noise,
bench/resume_pace.py --jitter) fitted spurious crowds of 0.1-1.5 s that cut it by
a quarter to two fifths, a true one by five sixths or more.  Where no crowd is
found (every replay without one, and the faithful 500-zone traces of
docs/performance.md, "A fixed time that grows with the company") the meter is what
it was.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

# Ridge added to the normal equations, relative to each level's own weight: keeps
# two levels only ever seen together (same proportions) solvable, changes nothing
# measurable otherwise.
RIDGE = 1e-9
# The fixed time is first chosen once this many transfers finished (the fit's own
# minimum with one level: 2 x (1 + 1) + 2; more where more levels were seen), then
# again each time their number grew by half, from the latest REFIT_WINDOW of them.
# A refit costs FIXED_STEPS + GOLDEN_STEPS + 2 least-squares solutions over the
# window: growing by a quarter, a 100-zone phase replayed (tests' storage model and
# the pace together) took 0.5 ms of CPU a zone against 0.1 before the meter counted
# streams moving; by half, 0.35 (0.18 at 500 zones, 0.11 before), and the resume
# replays came out no worse (1.024 against 1.027 of the bound at 100 zones).
FIT_MIN = 6
REFIT_GROWTH = 1.5
REFIT_WINDOW = 32
# A first wave held at one level (a resume's: kzguard/pace/auto.py) has its fixed
# time measured once this many transfers finished (:meth:`Meter._first_fit`), unless
# the pace changed its level before (:meth:`Meter.close_first_wave`; not the meter's
# own levels: the first transfers are launched one after another, over a tenth of a
# second on the simulator, and lived at 1 to 7 in flight for a moment), where the
# general fit waits for twice as many as its unknowns and two more: the handoffs
# between the first ends count as levels of their own (one fewer moving while a
# transfer's fixed time passes), so eight or ten ends.  Why: a first resume's first
# ends are its smallest images (the start order, start/order.py), mostly fixed time,
# and read with none its level came to 23-30 % of the storage on the faithful clock
# (76 % in tests/unit/fluid.py); the next level, read on larger transfers, looked
# better, and the search halved the way down (20 zones on storage eight streams
# saturate: 4 at once from 34 s, 1.599 of the bound; docs/performance.md, "A first
# wave's fixed time").  Three ends leave one degree of freedom to a fixed time and
# one rate, so the rate is one unknown for every number of streams moving, under
# either of two readings of the storage: each stream at one rate (storage that
# serves them all at full speed), or one aggregate throughput shared (storage they
# saturate).  Each alone misreads the other's storage (one rate a stream read 2.77 s
# where two streams saturate it and the fixed time is 2, cycle.py's 20 zones, seed
# 1; one aggregate 1.5 s where eight streams each ran at a stream's full speed), so
# the one that fits the ends better is taken, the former where they fit alike.  It
# is believed where it leaves at most FIRST_FIT_RESIDUAL of the bytes' spread about
# their mean unexplained: a loaded host's commands, stretched at random, leave more
# (bench/resume_pace.py --jitter, 100 zones, seeds 0-3: with 0.5 % and 1 % of noise
# 1.091 and 1.141 of the bound, 1.096 and 1.154 with no such bar; without noise
# 1.018 either way).
FIRST_FIT = 3
FIRST_FIT_RESIDUAL = 0.03
# The fixed times tried: FIXED_STEPS from none to this share of the shortest
# transfer (a transfer that is nearly all fixed time leaves its bytes anywhere in
# the equations), then GOLDEN_STEPS narrowings of the golden section around the best
# (to about a thousandth of the shortest transfer).  On the replays half, three
# quarters and nine tenths came out within 0.01 of one another; three quarters
# still finds the 2 s of a transfer of 1G that takes 3 s.
FIXED_MAX_SHARE = 0.75
FIXED_STEPS = 7
GOLDEN_STEPS = 10
# Residuals within this share of the bytes' squares are a tie: the equations cannot
# tell those fixed times apart.
TIE = 1e-9
# Where in a transfer its fixed time may lie, as shares of it before the bytes: the
# pools' windows are counted with whichever fits them best (Meter.sampled).
POOL_PLACES = (0.0, 0.5, 1.0)
# A number of streams counts as measured by the pools once streams ran at it for
# this many windows' length in all.
POOL_MIN_WINDOWS = 1.0


# A transfer as the timeline counts it: (began, ended, the others in flight at its
# beginning); finished, with its bytes: (began, ended, bytes, company).
Span = tuple[float, float, int]
Finished = tuple[float, float, float, int]
# The crowd tried: CROWD_STEPS from none to the most the window's transfers allow
# (:func:`_most_crowd`), then GOLDEN_STEPS narrowings around the best (:func:`_least`); taken where
# its residual is at most CROWD_GAIN of the fixed time's alone (the module's
# description), then fitted with the fixed time CROWD_ROUNDS times more.
CROWD_STEPS = 5
CROWD_GAIN = 0.5
CROWD_ROUNDS = 2


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

    per_stream: Mapping[int, float]  # streams moving -> bytes per second of one transfer
    fixed: float  # seconds of each transfer that move no bytes
    image_ratio: float  # bytes moved / the estimate given at the beginning, on average
    crowd: float = 0.0  # seconds more fixed time for each other transfer in flight at its beginning


class Meter:
    """Records transfers in flight and solves for the rate at each concurrency.

    ``predictable``, set by the pace: whether a transfer counted out
    (:meth:`count_out`) is surely in its fixed time, so that once replaced it no
    longer counts in the concurrency the pace keeps (:attr:`moving`).  Its due time
    is a prediction from the bytes it was expected to move; where those were a guess
    (a first suspend's zone memory: images are a third to nine tenths of it on the
    simulator), one counted out early still moves bytes, and the pace would run one
    stream more than it chose (docs/performance.md, "Count-outs on a guess").  Not
    predictable, every transfer in flight counts, replaced or not."""

    def __init__(self, *, first_fit: bool = False) -> None:
        self.predictable = True
        # Whether a first wave is fitted at FIRST_FIT ends (the constant's
        # description): False once tried, or once the pace changed the level it held
        # (close_first_wave).
        self._first_open = first_fit
        self.in_flight: dict[str, int] = {}  # zone -> bytes (the estimate)
        self._due: dict[str, float] = {}  # in flight, due to end: when counted out
        self.replaced: set[str] = set()  # of those, the ones a later transfer replaced
        self._began: dict[str, float] = {}
        self._lived: dict[str, dict[int, float]] = {}  # zone -> concurrency -> seconds
        self._last = 0.0
        self._ended: list[Span] = []  # every ended transfer, in end order
        self._ends: list[float] = []  # their ends, for bisect
        self._finished: list[Finished] = []
        self._company: dict[str, int] = {}  # in flight: the others in flight at its beginning
        self.crowd = 0.0  # the fixed time's seconds more for each other in flight
        self.fixed = 0.0  # the fixed time the equations are solved with
        self._refit_at = FIT_MIN
        self._gram: dict[tuple[int, int], float] = {}
        self._moment: dict[int, float] = {}
        self._squares = 0.0  # the finished transfers' bytes squared, summed
        self.weight: dict[int, float] = {}  # streams moving -> stream-seconds of finished
        self._rates: dict[int, float] | None = None  # solved from the above, until changed
        self._confounded: tuple[float, frozenset[int]] | None = None  # likewise: (limit, levels)
        self.peak = 0
        self.durations: list[float] = []
        # Of bytes moved / estimate per finished transfer: count, sum, sum of squares.
        self._ratios = (0, 0.0, 0.0)
        self._lags = (0, 0.0)  # count-out to end, of those that ended: count, sum
        # The pools' windows (:meth:`sampled`): each (start, stop, bytes); their
        # normal equations, with the fixed time they were counted with, and the
        # seconds spent at each number of streams moving in them.
        self._windows: list[tuple[float, float, float]] = []
        self._pool_gram: dict[tuple[int, int], float] = {}
        self._pool_moment: dict[int, float] = {}
        self._pool_seconds: dict[int, float] = {}
        self._pool_fixed = 0.0
        self._pool_before = 0.5  # the share of the fixed time before the bytes
        self._pool_levels: dict[int, Level] | None = None  # solved, until a change

    @property
    def due(self) -> AbstractSet[str]:
        """The transfers in flight counted out (:meth:`count_out`)."""
        return self._due.keys()

    @property
    def moving(self) -> int:
        """The concurrency the pace keeps: transfers in flight, less those replaced."""
        return len(self.in_flight) - len(self.replaced)

    def lead(self, zone: str) -> float:
        """How much longer than ``zone``'s own fixed time the next transfer's will be,
        begun now beside everything in flight (none without a crowd): counted out
        that much before its own fixed time is left, ``zone`` hands its stream to the
        next one as its bytes end (none where it began beside as many as are in
        flight now, or more)."""
        return self.crowd * max(len(self.in_flight) - self._company[zone], 0)

    def mean_company(self) -> float:
        """The others in flight at the beginnings of the latest REFIT_WINDOW finished
        transfers, on average (0 before any): with the crowd, their mean fixed time."""
        window = self._finished[-REFIT_WINDOW:]
        return sum(finished[3] for finished in window) / max(len(window), 1)

    def count_out(self, zone: str, at: float) -> None:
        """``zone``'s transfer is due at ``at`` to end within its fixed time: the
        next one to begin is started in its place, and from then on the two count
        as one in the concurrency (whether the fixed time comes before a transfer's
        bytes or after them, only one of the two moves bytes meanwhile), while the
        meter is ``predictable`` (the class's description).  One due that no
        transfer replaces (the run's tail) keeps counting: it may still move bytes."""
        if zone in self.in_flight and zone not in self._due:
            # Its lag (count-out to end) is held against the fixed time a transfer
            # spends alone: what the crowd adds, by its company and the lead, is
            # taken off (the class's description).
            self._due[zone] = at + self.lead(zone) + self.crowd * self._company[zone]

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
        self._company[zone] = len(self.in_flight)
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
        company = self._company.pop(zone)
        # Every transfer shared the storage while it moved bytes, failed or not.
        self._ended.append((began, at, company))
        self._ends.append(at)
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
        finished = (began, at, float(nbytes), company)
        self._finished.append(finished)
        self._add(finished, self._seconds(finished))
        self.durations.append(at - began)
        if self._first_open and len(self._finished) >= FIRST_FIT:
            self._first_open = False
            self._first_fit(at)
        elif len(self._finished) >= max(self._refit_at, _enough(len(self.weight))):
            self._refit(at)
        return True

    def close_first_wave(self) -> None:
        """The level the first wave was held at changed: its fit is no longer tried."""
        self._first_open = False

    @property
    def first_wave_open(self) -> bool:
        """Whether the first wave's fixed time is still to be fitted (FIRST_FIT)."""
        return self._first_open

    def _first_fit(self, now: float) -> None:
        """The fixed time of a first wave held at one level, from its finished
        transfers (FIRST_FIT): the least-squares fixed time with one rate a stream
        for every number of streams moving, and with one aggregate throughput; the
        one that explains the transfers better, where it explains them (the former
        where both do alike), else none."""
        window = self._finished
        spans = self._spans(min(finished[0] for finished in window), now)
        mean = sum(finished[2] for finished in window) / len(window)
        spread = sum((finished[2] - mean) ** 2 for finished in window)
        tie = TIE * sum(finished[2] * finished[2] for finished in window)
        longest = FIXED_MAX_SHARE * min(self.durations)
        fits = [
            _least(_first_wave_cost(window, spans, shared), longest, FIXED_STEPS, tie)
            for shared in (False, True)
        ]
        least = min(found for _, found in fits)
        fixed, found = next(fit for fit in fits if fit[1] <= least + tie)
        if fixed > 0 and found <= FIRST_FIT_RESIDUAL * spread:
            self._solve_again(fixed, 0.0, self._every_equation(fixed, 0.0, now))

    def _add(self, finished: Finished, lived: Mapping[int, float]) -> None:
        self._rates, self._confounded = None, None
        _accumulate(self._gram, self._moment, lived, finished[2])
        self._squares += finished[2] * finished[2]
        for level, seconds in lived.items():
            self.weight[level] = self.weight.get(level, 0.0) + seconds

    def _spans(self, since: float, now: float) -> list[Span]:
        """(began, ended, company) of every transfer that was in flight after
        ``since``; one still in flight ends ``now``."""
        first = bisect.bisect_right(self._ends, since)
        flying = [
            (began, now, self._company[zone]) for zone, began in self._began.items() if began < now
        ]
        return self._ended[first:] + flying

    def _seconds(self, finished: Finished) -> dict[int, float]:
        """The seconds ``finished``, just ended, moved bytes at each number of streams
        moving, with the fixed time measured so far."""
        spans = self._spans(finished[0], finished[1])
        return _equations([finished], spans, self.fixed, self.crowd)[0]

    def _refit(self, now: float) -> None:
        """Choose the fixed time that fits the latest transfers best (the module's
        description), and solve every finished one's equation again with it when it
        changed."""
        self._refit_at = max(len(self._finished) + 2, math.ceil(REFIT_GROWTH * len(self._finished)))
        window = self._finished[-REFIT_WINDOW:]
        timeline_since = min(finished[0] for finished in window)
        spans = self._spans(timeline_since, now)
        shortest = min(self.durations)
        # Where the equations cannot tell fixed times apart (transfers alike in
        # size and company), the one measured before, else the least of them.
        tie = TIE * sum(finished[2] * finished[2] for finished in window)

        # The searches come back to points they tried (a grid's best, the fixed
        # time held): one solution each.
        known: dict[tuple[float, float], float] = {}

        def cost(fixed: float, crowd: float) -> float:
            if (fixed, crowd) not in known:
                known[fixed, crowd] = _residual(window, spans, fixed, crowd)
            return known[fixed, crowd]

        fixed, crowd, found = _least_fixed_and_crowd(
            cost, shortest, _most_crowd(window), self.crowd, tie
        )
        if cost(self.fixed, self.crowd) <= found + tie:
            return
        rows = self._every_equation(fixed, crowd, now)
        # Each fixed time spreads the same seconds over other numbers of streams
        # moving: the rates it needs must still be outnumbered as the fit requires.
        if len(rows) < _enough(len({level for _, lived in rows for level in lived})):
            return
        self._solve_again(fixed, crowd, rows)

    def _every_equation(
        self, fixed: float, crowd: float, now: float
    ) -> list[tuple[Finished, dict[int, float]]]:
        """Every finished transfer with its seconds at each number of streams moving,
        counted with ``fixed`` and ``crowd``."""
        spans = self._spans(-math.inf, now)
        return list(zip(self._finished, _equations(self._finished, spans, fixed, crowd)))

    def _solve_again(
        self, fixed: float, crowd: float, rows: list[tuple[Finished, dict[int, float]]]
    ) -> None:
        """Take ``fixed`` and ``crowd``, and ``rows`` (every finished transfer's
        equation counted with them, :meth:`_every_equation`)."""
        self.fixed, self.crowd = fixed, crowd
        self._gram, self._moment, self.weight, self._rates = {}, {}, {}, None
        self._squares = 0.0
        self._confounded = None
        for finished, lived in rows:
            self._add(finished, lived)

    def ratio_spread(self) -> float:
        """How far the bytes finished transfers moved strayed from what their
        beginnings expected: the standard deviation of (moved / expected) over its
        mean (0 with fewer than two)."""
        count, total, squares = self._ratios
        if count < 2:
            return 0.0
        mean = total / count
        return math.sqrt(max(squares / count - mean * mean, 0.0)) / mean

    def left(self, at: float, per_stream: Callable[[int], float]) -> list[float]:
        """The bytes each transfer in flight still has to move by ``per_stream`` (the
        bytes a second of one stream at each concurrency): the bytes expected at its
        beginning, less what it moved at each concurrency it lived at.  Not scaled
        by what finished transfers moved against their estimates: a first stop's
        are its zones' memory, and its first ends are its smallest images (a 5.2G
        image of 16G said a third where the suspends in flight moved four fifths;
        docs/performance.md, "The stop's tail")."""
        return [
            nbytes - self._moved(zone, at, per_stream) for zone, nbytes in self.in_flight.items()
        ]

    def _moved(self, zone: str, at: float, per_stream: Callable[[int], float]) -> float:
        """The bytes ``zone``'s transfer moved by ``at`` at ``per_stream``'s rates:
        since the last change at the number moving now, before it at each number it
        lived at."""
        moved = max(at - self._last, 0.0) * per_stream(max(self.moving, 1))
        for level, seconds in self._lived[zone].items():
            moved += seconds * per_stream(level)
        return moved

    def levels(self) -> dict[int, Level]:
        """The per-stream rate at each number of streams moving, measured so far:
        the rate of a stream while it moves bytes, the fixed time apart once
        measured."""
        rates = self._solved()
        return {level: Level(rates[level], self.weight[level]) for level in sorted(rates)}

    def confounded(self, limit: float) -> frozenset[int]:
        """The levels whose rate the finished transfers' equations cannot tell from
        their neighbours': those whose variance inflation, G_jj (G^-1)_jj of the
        normal matrix G, exceeds ``limit`` (1 / (1 - R^2), R^2 how much of the
        level's seconds the other levels' seconds explain).  Transfers begun
        together and never apart (a first stop's first wave: each lived 10 s at 3
        at once, then 10 s at 4) give rows in the same proportions, and the least
        squares split their bytes between the levels as the ridge pleases."""
        if self._confounded is None or self._confounded[0] != limit:
            order = sorted(self.weight)
            levels = frozenset(
                level
                for level, inverse in zip(order, _inverse_diagonal(order, self._gram))
                if self._gram.get((level, level), 0.0) * inverse > limit
            )
            self._confounded = (limit, levels)
        return self._confounded[1]

    def errors(self) -> dict[int, float]:
        """Each level's per-stream rate's standard error over the rate itself
        (infinite where the rate is none), from the finished transfers' residuals,
        once as many have finished as the fit needs (:meth:`fit`); empty before.

        The error is the level's as if its seconds were alone in their equations:
        the residuals' variance over the level's own sum of squared seconds.  What
        the other levels' seconds share with its own (variance inflation) is left
        out: the exact inverse of the normal matrix costs an elimination of twice
        its width at every end, which doubled the pace's CPU on a 500-zone resume
        trace of 30 levels (2.6 to 4.9 ms a zone); levels that cannot be told
        apart are :meth:`confounded`'s."""
        equations = len(self._finished)
        if equations < _enough(len(self.weight)):
            return {}
        rates = self._solved()
        explained = sum(
            rates[low] * rates[high] * value * (1 if low == high else 2)
            for (low, high), value in self._gram.items()
        )
        fitted = sum(rate * self._moment.get(level, 0.0) for level, rate in rates.items())
        residual = max(self._squares - 2 * fitted + explained, 0.0)
        variance = residual / (equations - len(rates))
        # Every level measured has seconds of its own (_moving_seconds counts none
        # that are 0), so its sum of squares is more than none.
        return {
            level: math.sqrt(variance / self._gram[(level, level)]) / rate if rate > 0 else math.inf
            for level, rate in rates.items()
        }

    def _solved(self) -> dict[int, float]:
        if self._rates is None:
            order = sorted(self.weight)
            self._rates = dict(zip(order, _solve(order, self._gram, self._moment)))
        return self._rates

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        """The pools moved ``nbytes`` between ``start`` and ``stop`` (zpool iostat,
        docs/solaris.md 14.1): one equation, the window's seconds at each number of
        streams moving times that many streams' rate (a window that saw 5 and then 4
        streams is one equation).  Time with none moving is left out: what the pools
        moved then was not the images.

        The streams are counted with the fixed time measured so far, and every window
        again when a refit changes it: counted in flight, a resume's 2 s of a 6 s
        transfer make four at once look like three (bench/live_pace.py --in-flight);
        before the fixed time is measured, only windows clear of every beginning and
        end (:meth:`_near_a_change`).

        Unlike a transfer's own equation, a window is a span of the clock, so where
        in a transfer its fixed time lies matters here (UNCONFIRMED on Solaris; the
        simulator puts it after the bytes): each recount takes whichever of before,
        halved and after the windows fit best."""
        if stop <= start:
            return
        self._windows.append((start, stop, nbytes))
        if self._pool_fixed != self.fixed:
            self._recount(stop)
            return
        if self.fixed == 0 and self._near_a_change(start, stop):
            return
        timeline = self._pool_timeline(start, stop, self._pool_before)
        lived = _window_seconds(timeline, start, stop)
        if lived:
            self._count_window(lived, nbytes)

    def _count_window(self, lived: Mapping[int, float], nbytes: float) -> None:
        """Add a window's equation (its seconds at each number of streams moving,
        its bytes) to the pools' normal equations."""
        _accumulate(self._pool_gram, self._pool_moment, _streams(lived), nbytes)
        for level, spent in lived.items():
            self._pool_seconds[level] = self._pool_seconds.get(level, 0.0) + spent
        self._pool_levels = None

    def _near_a_change(self, start: float, stop: float) -> bool:
        """Whether a transfer began or ended in the window or a window's length
        before it.  Until the fixed time is measured, such a window is not counted
        (all are counted at the first refit): a transfer in its fixed time would
        count as moving, before its bytes or after them, and the first reading of a
        number just taken would send the search the wrong way (on
        tests/unit/fluid.py's model, which spends the fixed time before the bytes,
        7 at once read 1.32G/s where the storage gives 1.74: the search went up to
        10 on storage that 2 saturate; docs/performance.md)."""
        margin = stop - start
        began = any(start - margin < at < stop for at in self._began.values())
        ended = bisect.bisect_right(self._ends, start - margin) < len(self._ends)
        return began or ended

    def _pool_timeline(
        self, since: float, now: float, before: float
    ) -> tuple[list[float], list[int]]:
        """Streams moving at each time from ``since`` on (the transfers that ended
        after it), one still in flight moving beyond ``now``, none before the first."""
        # Past the longest fixed time of any in flight: one began beside more
        # than are in flight now.
        most = max(self._company.values(), default=0)
        beyond = now + self.fixed + self.crowd * most + 1.0
        first = bisect.bisect_right(self._ends, since)
        spans = self._ended[first:] + [
            (began, beyond, self._company[zone]) for zone, began in self._began.items()
        ]
        times, counts = _timeline(spans, self.fixed, self.crowd, before)
        return [-math.inf, *times], [0, *counts]

    def _recount(self, now: float) -> None:
        """Count every window again with the fixed time measured now, placed where
        the windows fit best."""

        def counted(before: float) -> list[tuple[dict[int, float], float]]:
            timeline = self._pool_timeline(-math.inf, now, before)
            return [
                (lived, nbytes)
                for start, stop, nbytes in self._windows
                if (lived := _window_seconds(timeline, start, stop))
            ]

        counts = {before: counted(before) for before in POOL_PLACES}
        self._pool_before = min(POOL_PLACES, key=lambda before: _pool_residual(counts[before]))
        rows = counts[self._pool_before]
        self._pool_fixed = self.fixed
        self._pool_gram, self._pool_moment, self._pool_seconds = {}, {}, {}
        self._pool_levels = None
        for lived, nbytes in rows:
            self._count_window(lived, nbytes)

    def pool_levels(self) -> dict[int, Level]:
        """The per-stream rate at each number of streams moving, from the pools'
        windows, where streams ran at that number for a window's length in all
        (``stream_seconds``: those seconds times the number); 0 where the pools saw
        nothing move (images on no pool of theirs)."""
        if self._windows and self._pool_fixed != self.fixed:
            self._recount(self._windows[-1][1])
        if self._pool_levels is None:
            mean = self.window_length()
            order = sorted(self._pool_seconds)
            rates = dict(zip(order, _solve(order, self._pool_gram, self._pool_moment)))
            self._pool_levels = {
                level: Level(rates[level], level * self._pool_seconds[level])
                for level in order
                if self._pool_seconds[level] >= POOL_MIN_WINDOWS * mean
            }
        return self._pool_levels

    def window_length(self) -> float:
        """The pools' windows' mean length (0 before any)."""
        return sum(stop - start for start, stop, _ in self._windows) / max(len(self._windows), 1)

    def fit(self) -> Fit | None:
        """The rates and the fixed time, once twice as many transfers as unknowns
        (the levels and the fixed time) have finished, and two more, and the fixed
        time measured is more than none."""
        if len(self._finished) < _enough(len(self.weight)) or self.fixed <= 0:
            return None
        count, total, _ = self._ratios
        ratio = total / count if count else 1.0
        return Fit(dict(self._solved()), self.fixed, ratio, self.crowd)

    def progress(self, zone: str, at: float, fit: Fit) -> tuple[float, float] | None:
        """(bytes ``zone``'s transfer still has to move, its rate now), by ``fit``,
        counting it as moving bytes from its beginning (so the bytes are done one
        fixed time before it ends, wherever in its life the fixed time lies); None
        when a level it lived at was never measured."""
        if zone not in self.in_flight:
            return None
        rates = fit.per_stream
        now = max(self.moving, 1)
        if any(rates.get(level, 0.0) <= 0 for level in (now, *self._lived[zone])):
            return None
        moved = self._moved(zone, at, rates.__getitem__)
        return self.in_flight[zone] * fit.image_ratio - moved, rates[now]


def _enough(levels: int) -> int:
    """Finished transfers before the fixed time is measured beside ``levels`` rates:
    twice as many as unknowns, and two more (with one more than the unknowns it
    came out from 0.2 s to 3.1 s where tests/unit/fluid.py spends 2 s, at 10 and
    100 zones)."""
    return 2 * (levels + 1) + 2


def _moving(
    began: float, ended: float, fixed: float, crowd: float, company: int, *, before: float = 0.5
) -> tuple[float, float]:
    """When a transfer moved bytes, as the equations take it: from ``before`` of its
    fixed time after its beginning to the rest of it before its end (a transfer's own
    equation: half and half, the module's description).  Its fixed time is ``fixed``,
    and ``crowd`` more for each of the ``company`` others in flight at its beginning."""
    own = fixed + crowd * company
    return began + own * before, ended - own * (1 - before)


def _timeline(
    spans: Sequence[Span], fixed: float, crowd: float = 0.0, before: float = 0.5
) -> tuple[list[float], list[int]]:
    """The number of streams moving bytes from each time on."""
    changes: dict[float, int] = {}
    for began, ended, company in spans:
        start, stop = _moving(began, ended, fixed, crowd, company, before=before)
        if stop > start:
            changes[start] = changes.get(start, 0) + 1
            changes[stop] = changes.get(stop, 0) - 1
    times = sorted(changes)
    counts = list(itertools.accumulate(changes[time] for time in times))
    return times, counts


def _moving_seconds(
    timeline: tuple[list[float], list[int]], start: float, stop: float, *, least: int = 1
) -> dict[int, float]:
    """Seconds between ``start`` and ``stop`` at each number of streams moving (no
    fewer than ``least``: a transfer's equation counts its own stream)."""
    times, counts = timeline
    seconds: dict[int, float] = {}
    size = len(times)
    index = max(bisect.bisect_right(times, start) - 1, 0)
    at = start
    # The times are distinct and the first one found is at or before ``start``, so
    # every step moves ``at`` forwards.  The meter's hottest loop (every equation of
    # every refit): written for CPython's speed, the arithmetic as plain as before.
    while at < stop and index < size:
        following = times[index + 1] if index + 1 < size else stop
        following = following if following < stop else stop
        level = counts[index] if counts[index] > least else least
        seconds[level] = seconds.get(level, 0.0) + following - at
        at = following
        index += 1
    return seconds


def _window_seconds(
    timeline: tuple[list[float], list[int]], start: float, stop: float
) -> dict[int, float]:
    """A window's seconds at each number of streams moving, none left out."""
    seconds = _moving_seconds(timeline, start, stop, least=0)
    seconds.pop(0, None)
    return seconds


def _streams(seconds: Mapping[int, float]) -> dict[int, float]:
    """A window's stream-seconds at each number: its equation's coefficients."""
    return {level: level * spent for level, spent in seconds.items()}


def _pool_residual(rows: Sequence[tuple[Mapping[int, float], float]]) -> float:
    """The squared error of the windows' least-squares solution."""
    return _squared_error([(_streams(lived), nbytes) for lived, nbytes in rows])


def _golden(cost: Callable[[float], float], low: float, high: float) -> float:
    """Where ``cost`` is least between ``low`` and ``high`` (one minimum there), to
    GOLDEN_STEPS narrowings of the golden section."""
    ratio = (math.sqrt(5) - 1) / 2
    left, right = high - ratio * (high - low), low + ratio * (high - low)
    left_cost, right_cost = cost(left), cost(right)
    for _ in range(GOLDEN_STEPS):
        if left_cost <= right_cost:
            high, right, right_cost = right, left, left_cost
            left = high - ratio * (high - low)
            left_cost = cost(left)
        else:
            low, left, left_cost = left, right, right_cost
            right = low + ratio * (high - low)
            right_cost = cost(right)
    return (low + high) / 2


def _least(
    cost: Callable[[float], float],
    high: float,
    steps: int,
    tie: float,
    at_none: float | None = None,
) -> tuple[float, float]:
    """Where ``cost`` is least from none to ``high``, and that cost: a grid of
    ``steps``, then the golden section about its best.  ``at_none``: the cost at
    none, known; the golden section is then skipped where none is best (the crowd's
    common case, nothing crowding: a refit costs ``steps - 1`` residuals more, not
    GOLDEN_STEPS more again)."""
    step = high / (steps - 1)
    candidates = [step * index for index in range(steps)]
    residuals = [
        cost(value) if index or at_none is None else at_none
        for index, value in enumerate(candidates)
    ]
    least = min(residuals)
    best, at_best = next((c, r) for c, r in zip(candidates, residuals) if r <= least + tie)
    if best == 0 and at_none is not None:
        return best, at_best
    value = _golden(cost, max(best - step, 0.0), min(best + step, high))
    found = cost(value)
    if found > at_best - tie:
        return best, at_best
    return value, found


def _least_fixed_and_crowd(
    cost: Callable[[float, float], float],
    shortest: float,
    most: float,
    crowd: float,
    tie: float,
) -> tuple[float, float, float]:
    """(fixed time, crowd, their cost) of least ``cost``: the fixed time for the
    crowd measured so far (``crowd``), then the crowd for that fixed time; a crowd
    other than ``crowd`` is taken where it cuts the cost to CROWD_GAIN of it (or is
    less than ``crowd``), and then each is chosen again for the other CROWD_ROUNDS
    times, the crowd each time within half the width it was sought in before (one
    round left the crowd 4 % off where the transfers' fixed times fit exactly:
    tests/unit/test_pace.py)."""
    longest = FIXED_MAX_SHARE * shortest
    fixed, found = _least(_at_crowd(cost, crowd), longest, FIXED_STEPS, tie)
    if most <= 0:
        return fixed, crowd, found
    at_none = found if crowd == 0 else cost(fixed, 0.0)
    tried, at_tried = _least(_at_fixed(cost, fixed), most, CROWD_STEPS, tie, at_none)
    if at_tried >= found - tie or (tried > crowd and at_tried > CROWD_GAIN * found):
        return fixed, crowd, found
    crowd, found = tried, at_tried
    width = most / (CROWD_STEPS - 1)
    for _ in range(CROWD_ROUNDS if crowd > 0 else 0):
        # Each step keeps what it had where it finds nothing better (the grid need
        # not hold the fixed time it had).
        again = _least(_at_crowd(cost, crowd), longest, FIXED_STEPS, tie)
        fixed, found = min(again, (fixed, found), key=lambda pair: pair[1])
        width /= 2
        narrower = _golden(
            _at_fixed(cost, fixed), max(crowd - width, 0.0), min(crowd + width, most)
        )
        crowd, found = min(
            (narrower, cost(fixed, narrower)), (crowd, found), key=lambda pair: pair[1]
        )
    return fixed, crowd, found


def _at_crowd(cost: Callable[[float, float], float], crowd: float) -> Callable[[float], float]:
    """``cost`` by the fixed time, at ``crowd``."""
    return lambda fixed: cost(fixed, crowd)


def _at_fixed(cost: Callable[[float, float], float], fixed: float) -> Callable[[float], float]:
    """``cost`` by the crowd, at ``fixed``."""
    return lambda crowd: cost(fixed, crowd)


def _most_crowd(window: Sequence[Finished]) -> float:
    """The largest crowd no transfer of ``window`` would spend wholly in it: the
    least of each one's length over the others in flight at its beginning (none
    when every one began alone)."""
    return min(
        ((ended - began) / company for began, ended, _, company in window if company > 0),
        default=0.0,
    )


def _equations(
    window: Sequence[Finished], spans: Sequence[Span], fixed: float, crowd: float = 0.0
) -> list[dict[int, float]]:
    """Each of ``window``'s transfers' seconds moving bytes at each number of streams
    moving, on the timeline of ``spans``, with ``fixed`` and ``crowd``."""
    timeline = _timeline(spans, fixed, crowd)
    return [
        _moving_seconds(timeline, *_moving(began, ended, fixed, crowd, company))
        for began, ended, _, company in window
    ]


def _residual(
    window: Sequence[Finished],
    spans: Sequence[Span],
    fixed: float,
    crowd: float = 0.0,
) -> float:
    """The least-squares residual of ``window``'s equations with ``fixed`` and
    ``crowd``."""
    return _squared_error(
        list(zip(_equations(window, spans, fixed, crowd), (row[2] for row in window)))
    )


def _squared_error(rows: Sequence[tuple[Mapping[int, float], float]]) -> float:
    """The squared error of the least-squares solution of ``rows`` (each an
    equation: its coefficient at each level, its bytes)."""
    gram: dict[tuple[int, int], float] = {}
    moment: dict[int, float] = {}
    for lived, nbytes in rows:
        _accumulate(gram, moment, lived, nbytes)
    order = sorted(moment)
    rates = dict(zip(order, _solve(order, gram, moment)))
    return sum(
        (nbytes - sum(rates[level] * coefficient for level, coefficient in lived.items())) ** 2
        for lived, nbytes in rows
    )


def _first_wave_cost(
    window: Sequence[Finished], spans: Sequence[Span], shared: bool
) -> Callable[[float], float]:
    """The least-squares residual of ``window``'s equations for a fixed time, with
    one unknown rate: a stream's at every number of streams moving (storage that
    serves them all at full speed), or, ``shared``, the aggregate throughput that
    ``n`` streams moving share (storage they saturate)."""

    def cost(fixed: float) -> float:
        shares, products, squares = 0.0, 0.0, 0.0
        for lived, (_, _, nbytes, _) in zip(_equations(window, spans, fixed), window):
            share = sum(seconds / level if shared else seconds for level, seconds in lived.items())
            shares += share * share
            products += share * nbytes
            squares += nbytes * nbytes
        return squares - products * products / shares if shares > 0 else squares

    return cost


def _accumulate(
    gram: dict[tuple[int, int], float],
    moment: dict[int, float],
    lived: Mapping[int, float],
    nbytes: float,
) -> None:
    """Add one transfer's equation (its seconds at each level, its bytes) to the
    normal equations ``gram`` and ``moment``.  ``gram`` is symmetric: it holds each
    pair once, the smaller level first (:func:`_solve` reads it so)."""
    pairs = sorted(lived.items())
    for index, (level, seconds) in enumerate(pairs):
        moment[level] = moment.get(level, 0.0) + seconds * nbytes
        for other, other_seconds in pairs[index:]:
            key = (level, other)
            gram[key] = gram.get(key, 0.0) + seconds * other_seconds


def _rows(
    order: list[int], gram: Mapping[tuple[int, int], float], extra: Callable[[int], list[float]]
) -> list[list[float]]:
    """The normal matrix with RIDGE on its diagonal, each row followed by ``extra``."""
    rows = [[gram.get((a, b) if a <= b else (b, a), 0.0) for b in order] + extra(a) for a in order]
    for index in range(len(order)):
        rows[index][index] *= 1.0 + RIDGE
    return rows


def _inverse_diagonal(order: list[int], gram: Mapping[tuple[int, int], float]) -> list[float]:
    """The diagonal of the normal matrix's inverse (with RIDGE).  Every level in
    ``order`` has seconds of its own, so the ridge makes the matrix positive
    definite and no pivot is 0."""
    size = len(order)
    rows = _eliminated(_rows(order, gram, lambda a: [1.0 if a == b else 0.0 for b in order]))
    return [rows[index][size + index] for index in range(size)]


def _eliminated(rows: list[list[float]]) -> list[list[float]]:
    """``rows`` (a square matrix, each row followed by its right-hand sides) brought
    to the identity on the left by Gauss-Jordan elimination with partial pivoting:
    the right-hand sides are then the solutions."""
    size = len(rows)
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(rows[row][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        head = rows[column][column]
        rows[column] = [value / head for value in rows[column]]
        for row in range(size):
            factor = rows[row][column]
            if row != column and factor:
                rows[row] = [a - factor * b for a, b in zip(rows[row], rows[column])]
    return rows


def _solve(
    order: list[int], gram: Mapping[tuple[int, int], float], moment: Mapping[int, float]
) -> list[float]:
    """Least squares by elimination on the normal equations; a level with no
    solution of its own (negative) is 0."""
    rows = _eliminated(_rows(order, gram, lambda a: [moment.get(a, 0.0)]))
    return [max(row[-1], 0.0) for row in rows]
