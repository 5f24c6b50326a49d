"""``parallel = "auto"``: as many transfers at once as the storage rewards, found by
measurement (issue 13).  Pure: the executor hands in every time.

The pace measures the aggregate throughput at each concurrency it runs
(:mod:`kzguard.pace.measure`) and moves towards the best one
(:mod:`kzguard.pace.search`), reading each stream's rate as non-increasing in the
level (search.non_increasing: no stream of shared storage is faster beside more
streams, and a level that reads so is noise; the history keeps what was measured).
With what earlier cycles of the same path learned (history.json), read so, it
starts at the best level they found, and still probes one more when that was the
highest tried (unless every stream there still ran at full speed: then it starts
no lower than START).  Begun there, its probes down are gentle (an eighth) until a
level below is measured, even where more streams lost: an earlier cycle measured
that best, and below the storage's saturation a probe
loses whole streams (halving 4 to 2 held 2 while the largest resumes ran, 1.71 of
the bound; 3 instead, 1.61; docs/performance.md).  A resume pace begun there does
not probe below it at all while nothing below is measured.  Unlike a suspend's, a
resume begun later starts no zone's downtime later (each zone is down until its own
resume ends), so a probe down can gain only beyond the storage's saturation: the
few per cent it loses there, and the share fewer streams leave each resume that
runs (the smallest first, their mean time to running falls); below saturation it
loses a stream's share for as long as it lasts, and it lasts until transfers that
ran at its level end, which in the resume order (the largest images begun early
enough, start/order.py) are the largest: the probe to 3 that took the 1.61 held
through three images of 25-27G, 77 s (docs/performance.md, "The sat4 slow mode
traced").  Suspends still probe down: each suspend begun later starts its zone's
downtime later.  A level measured both in earlier cycles and in this one counts
both, weighted by their stream-seconds, the past's at PAST_WEIGHT: a level seen for
a few transfers early in a cycle must not undo what a whole earlier cycle measured
there.  Without history it starts at START, probes an eighth down, then halves the
way down while fewer streams gain, or goes a quarter up while more gain, until no
untried level could do better.  A first resume makes no probe down before its
first wave's fixed time is fitted, at its third end (pace/measure.py FIRST_FIT):
its first ends are its smallest images, mostly fixed time, and the level read on
them lost to the next one, read on larger transfers (20 zones on storage eight
streams saturate, faithful clock, seed 6: from 8 to 4 at once at 33 s, 1.599 of
the bound; held and fitted, 1.089-1.101; over four seeds 1.283 against 1.298, the
crowd of the first boots' start-ups biasing the reading still;
docs/performance.md, "A first wave's fixed time").  Only
transfers count: the executor reports suspends at stop and resume boots at start,
never halts, shutdowns or verifications; and a transfer it reports unmeasured (one
that ran mostly beside the survey of the live configurations, solaris/survey.py
SURVEY_SHARE) counts in flight for the others but teaches nothing.  The cap
(MAX_AUTO, 32) bounds the level above, and it never goes below 1.

A first resume on a host whose stop measured its suspends (history.json keeps both
paths) knows how far the storage went for writes: the most suspends at once that
each still ran at full speed, and what they moved together.  Once its fixed time is
first measured (its first wave's fit, or the general one), it knows how fast one
stream reads, and where as many streams as read what the suspends wrote are more
than the search's next step up, it goes there at once, and the start method orders
the resumes not yet begun for that number
(:meth:`AutoPace.order_for`, start/run.py).  Only where the suspends ran more than
START at full speed: on storage that 2 to 8 streams saturate, the simulator's
profiles and issue 13's targets, nothing changes.  Why: on storage that 16 or 24
streams saturate, a first resume climbed a quarter at a time from 8, 25-70 s apart,
and ran its largest images in an order made for 8, which leaves them for last at
24 at once: 100 zones came to 1.542 of the bound, worse than all at once (1.319),
and 1.363 so (bench/unseen.py --simulator; docs/performance.md, "A first resume
after suspends that went further").  The number assumes the pool reads at least
as fast as it writes, which is UNCONFIRMED for a kernel zone's suspend images
(docs/solaris.md 14): where reads are faster a stream, fewer of them carry the
bandwidth and the rule asks for fewer; where the pool reads slower, the search
probes down from there as from any level.  Taken instead as the same number of
streams as the suspends ran, a first resume on storage whose reads saturate at
half the writes' streams lost up to 0.19 (30 zones, 1.087 -> 1.273); so it is not.

A first stop that reads the pools (``pools``: the stop method runs ``zpool iostat``
window after window while its suspends run, pace/watch.py, docs/solaris.md 14.1)
does not wait minutes for its first ends: it begins at RAMP_FIRST and ramps up on
the pools' windows, which measure a number at once within two windows (pace/
measure.py Meter.sampled), adding a third while each number gives more than the
best below it, settling on the best once a number gave no more (RAMP_CONFIRM).
Fewer at once takes effect only as suspends end, and a first stop's first suspends
are its largest: begun at START on storage two streams saturate, six streams too
many ran for minutes, where more at once takes effect at once.  In
bench/stop_pace.py's fluid replays the 100-zone first stops (seeds 0-3) came to
1.060 / 1.039 / 1.055 of the bound on storage two, four and eight streams saturate,
against 1.101 / 1.110 / 1.063 by the ends alone and 1.091 / 1.067 / 1.040 when the
pools counted only from the first end (the steps up from three cost where eight
was right); at 10 zones (seeds 0-7) the mean downtime on storage two saturate came
to 1.078 of the best offline schedule's (1.134 by the ends alone); in
tests/unit/fluid.py's model (fixed time before the bytes, fast storage, phases of a
minute or two) 1.054 / 1.057 / 1.125 against 1.097 / 1.104 / 1.097 by the ends
alone (docs/performance.md, "Ramping up on the pools").  The ramp ends when it
settles, when the ends measured its number first (short suspends end before the
pools read a window clear of them), when the pools prove not to see the suspends
(POOL_FLOOR, POOL_SEEN), fail, or send nothing (RAMP_PATIENCE): then at the number
it begins at without them.  From then on the ends decide, at the numbers they
measured, on their figures weighed with the pools' by stream-seconds: a number the
pools measured on a window or two, noisy with their other traffic, gives way as the
ends measure it; not while the ends' equations cannot tell it from its neighbours
(CONFOUNDED: the first ends of a wave begun together lived the same seconds at
each number).  The numbers only the pools measured are learned too
(:meth:`AutoPace.learned`): the ramp climbs through the numbers below the one it
settles on, and a next stop that knew nothing below its best probed down to one
of them (the 10-zone second stops on storage four streams saturate, 1.070 of the
bound on average in bench/stop_pace.py's replays, 1.049 with them; 1.158 on the
faithful clock, 1.067 with them; docs/performance.md).

Told the work before it (the bytes each transfer is expected to move, begun largest
first: the stop plan's order), it starts no higher than the fewest transfers at
once that keep pace with the largest one, ceil(all the bytes / the largest's),
when every size is known.  When one image is a large share of all (a quarter: 4),
the makespan is that transfer alone at a stream's full speed, which it has only
while no more streams run than the storage serves at full speed; START would share
the storage eight ways, and the largest would end at 1.45 of the bound
(docs/performance.md, seed 1 on storage saturating at 4).  Fewer than that many
would leave the others' bytes for after it, so the search probes no lower while the
largest runs; where the storage saturates above that level, it still ramps up from
it.  Not for resumes: their order starts the largest later, when fewer bytes are
left beside it.

Told the work, it also watches the tier behind the largest (pace/tail.py): at a
level the storage saturates, the largest may hold every slot while a large suspend
waits behind them, and that one then runs alone at one stream's speed at the end.
At each end the pace predicts the time left at its level and at one more, from the
rates it measured, and takes one more when that ends the stop TAIL_GAIN sooner,
held while the transfer it was taken for runs.  On the faithful clock, 10 zones on
storage four streams saturate, the first stop's slow mode went from 1.142-1.146 of
the bound to 1.079-1.087 (docs/performance.md, "The stop's tail").

Told how many transfers there are (``work``), it makes no probe down once fewer
are left to begin than run at once: the probe would hold a stream idle while they
wait, and no transfer would run at its level long enough to measure it before the
run drains (bench/stop_pace.py: the 10- and 20-zone first stops on storage
saturating at 2, 1.072 -> 1.067 and 1.082 -> 1.078 of the bound on average over
eight seeds; docs/performance.md).

With nothing learned yet, it holds one stream fewer in every five of that level
(UNMEASURED_DROP) while the largest runs: keeping pace assumes storage that serves
that many streams at full speed, which a first cycle does not know.  Where it serves
fewer (the simulator's default storage saturates at 2, its 10-zone hosts keep pace
with 4 to 6), the extra streams move nothing sooner, and each zone whose suspend
begins early is down for longer (its downtime runs from its suspend's start to its
return after the host's).  A tuned figure, not a derived one (bench/stop_pace.py,
docs/performance.md): on the simulator's 10-zone hosts (storage saturating at 2, 4
and 8, eight workloads each) the first cycle's makespan went from 1.071 to 1.057 of
the bound on average and its mean downtime from 1.157 to 1.100 of the best offline
schedule's; the later cycles moved by less than 0.01 on average.  Two thirds of the
level brought the downtime to 1.051 but the makespan to 1.115 (1.40 at worst, on
storage saturating at 8; 1.25-1.33 on tests/unit/test_pace_fluid.py's more skewed
workloads).  A first cycle is not rare: history.json forgets a figure after 180
days (PACE_MAX_AGE), longer than many hosts run between reboots.

A transfer also spends a fixed time moving no bytes (on the simulator op_overhead,
2 s after its bytes; on Solaris UNCONFIRMED, docs/solaris.md 14).  Counted whole,
it leaves its slot's share of the storage idle for that time at every handoff (the
best fixed number of transfers at once takes 1.07-1.11 of the bound in
tests/unit/fluid.py).  So once the meter has measured it
(:meth:`~kzguard.pace.measure.Meter.fit`), a transfer due to end within it no
longer counts: :meth:`AutoPace.limit` asked with the time allows one more start for
each, and :meth:`AutoPace.wake` tells the executor when the next one falls due.
Whether the fixed time comes before the bytes or after them, starting the next
transfer that long before one ends keeps the number of streams moving bytes at the
level chosen; and from then on the levels are compared on the rate a stream has
while moving bytes, by the number of streams moving (pace/measure.py), which the
mix of large and small transfers at each level no longer sways.  A transfer counted out stops
counting in the concurrency only while such predictions hold: the sizes given at
the beginnings proved close to the bytes moved (a resume's image is on disk; a
first suspend's is only its zone's memory), and the transfers counted out so far
took the fixed time to end (PREDICTION_SLACK, LAG_EVIDENCE); else it may still move
bytes.  Where the meter measured a crowd (a fixed time that grows with the others
in flight at a transfer's beginning, pace/measure.py), the next transfer's fixed
time is longer than the ending one's by the crowd for each transfer in flight beyond
those it began beside: the ending one is counted out that much sooner
(Meter.lead), and its lag is held against the fixed time without the crowd.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from kzguard.errors import described
from kzguard.journal.history import PaceSample
from kzguard.journal.pace_record import LevelChange
from kzguard.pace.measure import REFIT_WINDOW, Fit, Meter
from kzguard.pace.search import MAX_AUTO, NEAR, best_level, next_step, non_increasing
from kzguard.pace.tail import remaining_time
from kzguard.units import format_duration, format_size

# Without history: saturation is rarely below 2 or above 16 streams, and running
# above it loses a few per cent per extra stream while running below it loses
# whole streams' worth; the first transfers (the largest: the plans start them
# first) run before anything is measured, so the first guess leans high.
START = 8
# A level is measured once finished transfers spent this many times its own
# concurrency in mean transfer durations at it: a quarter of a transfer's life, per
# stream (the least squares need little; waiting longer costs more than it gains
# in tests/unit/test_pace_fluid.py).  Once measured, a level is held to the lowest
# bar it met, not to the rising one: the mean duration grows as longer
# transfers end (a resume's order begins with the smallest images), and a level
# that fell back below the bar read as never tried, so the search probed down
# through it (from 8 to 4 at once on storage that 8 saturate, 1.20-1.24 of the
# bound in bench/resume_pace.py's replays, where it had measured 7 as worse).  But
# below its own bar it is no longer measured: the meter's fixed time, once found,
# spreads the same seconds over other numbers of streams moving, and a level left
# with a fraction of them reads what a few transfers say (on the faithful clock, 8
# at once measured on 6.7 stream-seconds at 10.6G/s kept 1.1 of them after the
# refit and read 18.4G/s, the others 12-15: the resume went from 2 at once to 10,
# 1.07-1.21 of the bound; docs/performance.md, "The pace's levels on the faithful
# clock").
TRUST = 0.25
# Nor is a level whose rate the ends' residuals say is known only to within more
# than this share of itself (pace/measure.py Meter.errors), once as many ends as the
# fit needs give the residuals: on a loaded host each command's start and end
# stretch by a random fraction of a second, and a thin level read twice the
# storage's bandwidth sent a 500-zone resume to 32 at once on storage two saturate
# (docs/performance.md, "Noisy ends").  Without that noise the ends' equations
# are near exact, and it changes nothing.
ERROR_MAX = 0.2
# What the history's stream-seconds at a level count for beside this cycle's, when
# both measured it: the past still steadies a fresh, thin figure (a resume run on
# the simulator left its best level, 3, for 5 and 6 when a few transfers at 3
# early in cycle 2 read low and replaced 100 stream-seconds of cycle 1's), and
# storage that changed still shows within a cycle or two.  In the fluid model with
# noise (transfers' overheads and rates off by up to half and 30 %), a quarter cut
# cycles 2-4 by 0.4 % a case on average against ignoring the past, and changed two
# noise-free cases of twelve, both at 10 zones (docs/performance.md).
PAST_WEIGHT = 0.25
# A level the ramp measured on the pools is read from them alone while the ends'
# equations cannot tell it from its neighbours: variance inflation above 10 (the
# usual bar for collinearity; pace/measure.py Meter.confounded).  A first stop's
# first wave begins together, and its first ends lived the same seconds at each
# level: on storage four streams saturate their least squares read 4 at once at
# 2.5G/s where the pools read 4.4, the pace took 5 for the best and went to 6 for a
# minute (1.155-1.157 of the bound; 1.142-1.146 without that minute;
# docs/performance.md, "A level the ends cannot tell apart").
CONFOUNDED = 10.0
# A transfer this close to its due time is due: an executor's wake-up is no more
# precise, and one that woke a hair early must not wait for another.
DUE_SLACK = 0.01
# A transfer counted out while the sizes' spread could misplace its due time by more
# than this share of the fixed time may still move bytes: it keeps counting in the
# concurrency (pace/measure.py Meter).  Half: within it the error is smaller than
# the overlap it is meant to buy.  In bench/stop_pace.py's fluid replays (seeds 0
# to 3, 100 and 500 zones, three storages and cycles) a quarter, a half and a whole
# came to 1.035, 1.034 and 1.034 of the bound on average: not a sensitive figure.
PREDICTION_SLACK = 0.5
# Count-outs whose ends test the prediction before it is judged on them.
LAG_EVIDENCE = 3
MAX_DUE = 2
# Without history, while the largest runs: one stream fewer in every this many of
# those that keep pace with it (the module's description).
UNMEASURED_DROP = 5
# A first stop (no history) read by the pools (zpool iostat, docs/solaris.md 14.1)
# begins at this many suspends and ramps up while they show more streams moving
# more (the module's description).  Three: one level below four, so that a search
# settled at four has a measured level beneath it and no reason to probe down
# (begun at four, the 100-zone first stops on storage four streams saturate settled
# there and the ends' search halved down to two: 1.082 of the bound in the fluid
# replays, 1.039 begun at three); begun at two, the small hosts lost (10 zones on
# storage four saturate: 1.117 against 1.083) and every level below the storage's
# saturation costs whole streams while the ramp climbs (docs/performance.md,
# "Ramping up on the pools").
RAMP_FIRST = 3
# Each step of the ramp adds a third of the level (at least one): on storage eight
# streams saturate, steps of a half overshot it (the 100-zone first stops 1.074
# against 1.055: every stream beyond the saturation costs its share until suspends
# begun there end, minutes, the first suspends being the largest); steps of one did
# no better.
RAMP_STEP = 3
# A level the pools show no better than the one below is believed once streams ran
# at it for this many windows' length: one window's reading is as noisy as the
# pools' other traffic (with a tenth of noise a window, the 100-zone first stops on
# storage eight streams saturate came to 1.097, worst 1.196, settled on one window;
# 1.095, worst 1.139, on two).
RAMP_CONFIRM = 2.0
# No level read from the pools this long after the first suspends began (from the
# executor's first ask; a zpool that hangs, a host whose stop reads none): the ramp
# is left for the level the pace begins at without the pools.  Four of the watch's
# windows (pace/watch.py SAMPLE_SECONDS).  A zpool that fails ends the ramp at once
# (AutoPace.pools_lost).
RAMP_PATIENCE = 20.0
# Pools that moved less than this a stream while the suspends ran do not hold the
# images (a suspend path on NFS, an iSCSI storage URI: which a host uses is its
# own); the ramp is left at once.  A suspend that slow would take an hour for an
# image of 4G.
POOL_FLOOR = 1 << 20
# Pools that move more than the floor may still see only their other traffic: once
# the suspends' ends measured a level the pools measured too, the pools' figures
# count only if they came to at least this share of the ends' (else the level the
# pace begins at without them, and the ends alone).  No bound above: the ends'
# first readings are the rougher, and the pools' other traffic adds to every level
# alike.
POOL_SEEN = 0.5
MIB = 1 << 20
_T = TypeVar("_T")
# One more suspend at once when the stop, run at its level with what is left, would
# end this share sooner with one more (pace/tail.py): below it, the prediction's
# own error (the rates measured, the images a first stop only guesses) outweighs
# the gain, and every zone whose suspend begins early is down for longer.
TAIL_GAIN = 0.02


def _unsaturated_top(table: Mapping[int, float], best: int) -> bool:
    fastest = max(value / level for level, value in table.items())
    return best < START and best == max(table) and table[best] / best >= (1 - NEAR) * fastest


def _rate(value: float) -> str:
    # To the mebibyte: the least squares leave crumbs ("1024.0M/s" for 1G/s).
    return f"{format_size(round(value / MIB) * MIB)}/s"


class AutoPace:
    """A :class:`~kzguard.pace.limit.Pace` that measures; ``kind``: "suspend" or
    "resume", for its messages; ``learned``: what earlier cycles measured;
    ``work``: the bytes each transfer is expected to move, when they begin largest
    first (None: not known; empty: none is planned, a stop that only shuts zones
    down or halts them); ``pools``: the executor reads the pools' bandwidth while
    the suspends run (pace/watch.py), for a first stop's ramp (see the module's
    description)."""

    def __init__(
        self,
        kind: str,
        learned: Sequence[PaceSample] = (),
        *,
        cap: int = MAX_AUTO,
        work: Sequence[int] | None = None,
        pools: bool = False,
        writes: Sequence[PaceSample] = (),
    ) -> None:
        self.kind = kind
        self.cap = max(cap, 1)
        usable = [s for s in learned if s.concurrency >= 1 and s.bytes_per_second > 0]
        self.past = {sample.concurrency: sample.bytes_per_second for sample in usable}
        self._past_seconds = {sample.concurrency: sample.seconds for sample in usable}
        self._samples = list(learned)
        # The first wave's own fit for resumes only (pace/measure.py FIRST_FIT): a
        # first stop ramps on the pools and changes its level before three ends.
        self.meter = Meter(first_fit=kind == "resume")
        self.measured: dict[int, float] = {}  # this cycle's trusted levels
        self._seconds: dict[int, float] = {}  # their stream-seconds
        self.current = min(START, self.cap)
        self._from_history = False
        # No transfer planned: nothing to measure or ramp on; the level still bounds
        # the shutdowns' slots ([shutdown] parallel counts every step), and what
        # earlier cycles measured on suspends says nothing of shutdowns.
        self._none_planned = work is not None and not work
        if self.past and not self._none_planned:
            # Read as the search reads every table (search.non_increasing): a level
            # a first cycle read at 43.7G/s on 15 stream-seconds, beside 30-37 on
            # hundreds at the levels below, began the next cycle at 20 at once.
            past = non_increasing(self._weighed())
            best = best_level(past)
            # A best that is the most ever tried, each stream still at full speed, says
            # only that more was never tried (a small host's run ends at its tail):
            # it is no reason to start below where a host without history would.
            if not _unsaturated_top(past, best):
                self.current = min(best, self.cap)
                self._from_history = True
        # What this host's suspends measured, for a first resume (the module's
        # description): the most at once each at full speed, and their aggregate.
        self._writes = _full_speed_top(writes) if kind == "resume" and not self.past else None
        # What the reach was taken from, once taken: (level, the suspends' top level,
        # their aggregate, a resume's rate a stream).
        self._reads: tuple[int, int, float, float] | None = None
        # How many transfers are planned (None: not known), and how many began.
        self._planned = None if work is None else len(work)
        self._begun = 0
        # The bytes of the transfers not yet begun, in the order they begin, and the
        # level held for them (_keep_tail), with the bytes of the next to begin.
        self._pending = list(work or ())
        self._tail: _Tail | None = None
        self._work = _keeping_level(work or (), measured=bool(self.past))
        if self._work is not None and self._work.level < self.current:
            self.current = self._work.level
        else:
            self._work = None
        self._fit: Fit | None = None  # the fixed time, once measured
        # Whether the sizes given at the beginnings strayed too far from the bytes
        # moved to predict a due time (_predictable): no transfer is counted out.
        self._guessed = False
        # The levels measured in this cycle, and the lowest bar each met (TRUST).
        self._bars: dict[int, float] = {}
        self._changes: list[LevelChange] = []  # on the executor's clock
        # A first stop ramps up on the pools' bandwidth (the module's description)
        # from RAMP_FIRST; ``_without_pools``: the level it would begin at without.
        self._without_pools = self.current
        # No more suspends than it begins with (``work`` holds one size each), or
        # none: all begin at once, nothing to ramp.
        few = work is not None and len(work) <= RAMP_FIRST
        self._ramping = pools and kind == "suspend" and not self.past and not few
        if self._ramping:
            self.current = min(RAMP_FIRST, self.current)
        # When the ramp's patience began: the first time the pace was asked for its
        # limit with the time, or a transfer began (whichever came first).  Not the
        # first beginning alone: the executor starts the first suspends in their
        # own threads, and asks when to wake before they have reported.
        self._ramp_since: float | None = None
        # What the pools measured, kept when the ramp ended: level -> (aggregate,
        # stream-seconds); weighed with the ends' figures (_end_table) until shown
        # not to see the transfers (POOL_SEEN).
        self._ramp_table: dict[int, tuple[float, float]] = {}
        # Every level the pools measured while the ramp ran, with its latest figure:
        # their windows are counted again at each refit (pace/measure.py), and a
        # level the ramp climbed through may fall below a window's length then.
        self._ramp_seen: dict[int, tuple[float, float]] = {}
        self._pools_judged = False
        self._verdict: str | None = None  # one line, until the executor takes it
        # The pace's own fault, once one happened (_guarded), and the latest time
        # it was given, for the level change that says so.
        self._fault: str | None = None
        self._clock = 0.0
        # How many transfers at once the start order is made for (order_for).
        self._order_for = self.current

    # -- the executor's calls, each guarded (_guarded) -------------------------

    def limit(self, at: float | None = None) -> int:
        """The level; asked with the time, one more for each transfer due to end
        within the fixed time (counted out of the concurrency from then on)."""
        return self._guarded(at, lambda: self._limit(at), lambda: self.current)

    def wake(self, at: float) -> float | None:
        """When the next transfer falls due to end within the fixed time (None: no
        such prediction), on the clock of ``at``; or when a ramp that read no pools'
        bandwidth gives up on them (RAMP_PATIENCE)."""
        return self._guarded(at, lambda: self._wake(at), lambda: None)

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self._guarded(at, lambda: self._began(zone, nbytes, at), lambda: None)

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        self._guarded(at, lambda: self._ended(zone, at, ok, nbytes, measured), lambda: None)

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        """The pools moved ``nbytes`` (written: suspends) between ``start`` and
        ``stop`` on the executor's clock."""
        self._guarded(stop, lambda: self._sampled(start, stop, nbytes), lambda: None)

    def pools_lost(self, at: float) -> None:
        """The pools' watch ended by itself and logged why: a ramp goes at once to
        the level it begins at without the pools, as after RAMP_PATIENCE, with no
        verdict of its own."""
        self._guarded(at, lambda: self._pools_lost(at), lambda: None)

    def table(self) -> dict[int, float]:
        """Aggregate throughput per level: this cycle's ends' and the pools', and
        the history's, weighted by their stream-seconds (the history's at
        PAST_WEIGHT); while the ramp runs, the pools' alone."""
        return self._guarded(None, self._table, dict)

    def why(self) -> str:
        return self._guarded(None, lambda: self._why(self.current), self._failed_why)

    def last_word(self) -> str:
        """:meth:`why` at the run's end.  A level above the most that ever ran at
        once was never reached (fewer transfers than it allowed: a resume of 4 zones
        begun at START), so neither tried nor kept: the word is then the best level
        measured, not "trying 8 at once"."""
        return self._guarded(None, self._last_word, self._failed_why)

    def learned(self, now: float) -> list[PaceSample]:
        """What to keep for the next cycle: this cycle's levels, stamped ``now``, and
        the history's others (:meth:`_learned`); after a fault, the history as it
        was: a run the pace stopped measuring teaches nothing."""
        # ``now`` is the history's clock (wall time), not the executor's.
        return self._guarded(None, lambda: self._learned(now), lambda: list(self._samples))

    def _guarded(self, at: float | None, call: Callable[[], _T], fallback: Callable[[], _T]) -> _T:
        """``call``, or once the pace has failed, ``fallback``.  The pace is pure and
        every input it is given is valid, so an exception in it is a defect of its
        own (a level read as moving nothing once divided the tail's prediction,
        93e8fea).  It must not cost a stop its zones: from the fault on the pace
        keeps the level it had, as a fixed number would, stops measuring (no
        count-outs, no pools), learns nothing for the next cycle, and says why in a
        level change the executor logs and the journal keeps."""
        if at is not None:
            self._clock = max(self._clock, at)
        if self._fault is None:
            try:
                return call()
            except Exception as error:  # any defect of this pure module (the docstring)
                self._fail(error)
        return fallback()

    def _fail(self, error: Exception) -> None:
        self._fault = described(error)
        self.current = max(1, min(self.current, self.cap))
        self._ramping, self._tail = False, None
        self._changes.append(LevelChange(self._clock, self.current, self._failed_why()))

    def _failed_why(self) -> str:
        return (
            f"{self.current} at once from now on: the pace's measurement failed "
            f"({self._fault}); please report it"
        )

    @property
    def peak(self) -> int:
        return self.meter.peak

    @property
    def planned(self) -> int:
        """How many at once a plan counts on to meet its deadline (stop/plan.py):
        the level this pace begins at, but for a first stop's ramp the level it
        would begin at without the pools.  The ramp's first level is where it
        climbs from while the pools show more streams moving more, not a number the
        stop is expected to run at: planned at it, the default policy (900 s,
        256M/s a suspend assumed) set one of forty 16G zones to halt and two of
        twenty 32G zones to shut down, where at 8 at once all suspend within 320
        and 384 s of the 840 s budget.  A stop that falls behind its plan
        (storage that serves fewer) still gives a suspend it reaches too late to
        its shutdown (stop/run.py StopRun._doomed), as the plan would have."""
        return self._without_pools

    def _limit(self, at: float | None) -> int:
        if at is not None and self._ramp_since is None:
            self._ramp_since = at
        if at is not None and self._ramp_waited(at):
            self._leave_ramp(at, f"no pools' bandwidth in {format_duration(RAMP_PATIENCE)}")
        if at is not None and self._fit is not None:
            for zone, left in sorted(self._left(at).items(), key=lambda item: item[1]):
                if left <= DUE_SLACK and len(self.meter.due) < max(1, -(-self.current // MAX_DUE)):
                    self.meter.count_out(zone, at)
        return self.current + len(self.meter.due)

    def _wake(self, at: float) -> float | None:
        due = [at + left for left in self._left(at).values() if left > DUE_SLACK]
        patience = self._patience_end()
        if patience is not None:
            due.append(patience)
        return min(due, default=None)

    def _left(self, at: float) -> dict[str, float]:
        """Per predictable transfer in flight not yet counted out, the seconds until
        only its fixed time is left (<= 0: due now)."""
        fit = self._fit
        if fit is None:
            return {}
        seconds: dict[str, float] = {}
        for zone in self.meter.in_flight:
            found = None if zone in self.meter.due else self.meter.progress(zone, at, fit)
            if found is not None:
                seconds[zone] = found[0] / found[1]
                if fit.crowd:
                    seconds[zone] -= self.meter.lead(zone)
        return seconds

    def fixed_seconds(self) -> float | None:
        """The fixed time a transfer spends moving no bytes, at the current level,
        once measured and believed."""
        return None if self._fit is None else self._fit.fixed

    def _began(self, zone: str, nbytes: int, at: float) -> None:
        if self._ramp_since is None:
            self._ramp_since = at
        self._begun += 1
        if self._tail is not None and self._tail.zone is None:
            self._tail = replace(self._tail, zone=zone)
        if nbytes in self._pending:
            self._pending.remove(nbytes)
        elif self._pending:
            # Bytes the work did not list (a caller's estimate that changed since):
            # one fewer is left to begin all the same; the smallest, so that no
            # large transfer's tail is forgotten.
            self._pending.pop()
        self.meter.began(zone, nbytes, at)

    def _ended(self, zone: str, at: float, ok: bool, nbytes: int | None, measured: bool) -> None:
        # Unmeasured, it is forgotten as a failed one is: in flight for the others only.
        if not self.meter.ended(zone, at, ok=ok and measured, nbytes=nbytes):
            return
        if self._writes is not None and self.meter.fixed > 0:
            self._reach_reads(self._writes, at)
        durations = self.meter.durations
        mean = sum(durations) / len(durations)
        self._fit = self.meter.fit()
        self.meter.predictable = self._predictable(mean)
        trusted, bars = {}, {}
        errors = self.meter.errors()
        for level, found in self.meter.levels().items():
            bar = min(TRUST * level * mean, self._bars.get(level, math.inf))
            steady = errors.get(level, 0.0) <= ERROR_MAX
            if found.per_stream > 0 and found.stream_seconds >= bar and steady:
                trusted[level], bars[level] = found, bar
        self._bars = bars
        self.measured = {level: found.aggregate(level) for level, found in trusted.items()}
        self._seconds = {level: found.stream_seconds for level, found in trusted.items()}
        self._decide(at)
        if not self._ramping:
            self._keep_tail(at)

    def _reach_reads(self, writes: tuple[int, float], at: float) -> None:
        """Once, when a first resume's fixed time is first measured (its first
        wave's, pace/measure.py FIRST_FIT, or the general fit's): as many resumes at
        once as the suspends' bandwidth (``writes``: their most at once at full speed,
        their aggregate) carries at the rate one stream reads, where that is more
        than the search's next step up (the module's description)."""
        self._writes = None
        top, aggregate = writes
        stream = max((found.per_stream for found in self.meter.levels().values()), default=0.0)
        # To the nearest stream: the least squares leave crumbs (1.0001G/s a stream).
        # A stream read at no rate (every level solved to 0) reaches nothing.
        reads = min(top, round(aggregate / stream), self.cap) if stream > 0 else 0
        if reads <= self.current + max(self.current // 4, 1):
            return
        before = self.current
        self.current = self._order_for = reads
        self._reads = (reads, top, aggregate, stream)
        self._changed(before, at)

    def order_for(self) -> int:
        """How many transfers at once the start order (start/order.py) is made for:
        the level the pace began at, or what a first resume took from the
        suspends' bandwidth (the module's description), for which the start method
        orders the resumes not yet begun again."""
        return self._order_for

    def wants_samples(self) -> bool:
        """Whether the pools' bandwidth is of use: to a first stop while it ramps up
        on it (the module's description); from then on the ends measure (each
        window costs a command and its reading: 2 ms of CPU a zone in a 100-zone
        stop on the simulator, had it read them to the end).  Not with history: begun
        where earlier stops measured, a stop has little left to search.  Not for
        resumes: they begin with the smallest images, whose ends measure every few
        seconds."""
        return self._ramping

    def _sampled(self, start: float, stop: float, nbytes: float) -> None:
        if not self._ramping:
            return
        self.meter.sampled(start, stop, nbytes)
        self._decide(stop)

    def _pools_lost(self, at: float) -> None:
        if self._ramping:
            self._ramping = False
            self._pools_blind(at, None)

    def verdict(self) -> str | None:
        """Once each, when judged: whether the pools' bandwidth sees the suspends."""
        verdict, self._verdict = self._verdict, None
        return verdict

    def _decide(self, at: float) -> None:
        if self._ramping:
            if self.current not in self.measured:
                self._ramp(at)
                return
            self._leave_ramp(at)
        self._judge_pools(at)
        # Decided only on a level the ends measured: the pools' figure alone, the
        # fixed time not yet measured, counts suspends in flight, not moving.
        if self.current not in self.measured:
            return
        table = self._end_table()
        before = self.current
        step = next_step(
            table,
            cap=self.cap,
            gentle=self._from_history,
            hold=self._from_history and self.kind == "resume",
            kept=before,
        )
        if step.level < before and not self._from_history and self.meter.first_wave_open:
            # A first resume's first ends are its smallest images, mostly fixed time:
            # its level reads low until that is measured (pace/measure.py FIRST_FIT),
            # and a probe down would be read on larger transfers, each better.
            step = replace(step, level=before)
        if step.level < before and step.level not in table and self._in_the_tail(before):
            # A probe down with fewer transfers left to begin than run at once would
            # hold a stream idle to the end, and could not be measured before the
            # run drains: the search goes on at the next stop.
            step = replace(step, level=before)
        self.current = step.level
        work = self._work
        if work is not None and self._largest_in_flight(work):
            # Fewer would leave the others' bytes for after the largest: the
            # search's probes down wait for its end.
            self.current = max(self.current, work.level)
        self._changed(before, at)

    def _keep_tail(self, at: float) -> None:
        """One more at once than the search's level while the transfers not yet
        begun would otherwise end the stop later by TAIL_GAIN or more (pace/
        tail.py); the search's level again once they would not."""
        held = self._tail
        if held is not None and held.level == self.current and held.zone in self.meter.in_flight:
            return  # held while the transfer it was raised for runs
        self._tail = None
        base = held.base if held is not None and held.level == self.current else self.current
        before = self.current
        self.current = base
        if self._tail_gains(at, base):
            self.current = base + 1
            self._tail = _Tail(self.current, self._pending[0], base)
        self._changed(before, at)

    def _tail_gains(self, at: float, level: int) -> bool:
        """Whether one more than ``level`` at once ends the stop sooner by TAIL_GAIN,
        as predicted from the rates measured (the first stop's ramp, the ends)."""
        if level >= self.cap or not self._pending or not self.meter.in_flight:
            return False
        # A level read as moving nothing (the pools' 0 where they saw no bytes,
        # pace/measure.py Meter.pool_levels) says nothing of a rate to predict by.
        table = {found: value for found, value in self.table().items() if value > 0}
        if not table:
            return False
        aggregate = _predicting(table)
        left = self.meter.left(at, lambda streams: aggregate(streams) / streams)
        pending = [float(nbytes) for nbytes in self._pending]
        # Cheap first: the next to begin, from when the first slot frees at this
        # level's rate, ends before everything is moved at the best rate.
        fastest = max(aggregate(streams) / streams for streams in range(1, max(table) + 1))
        freed = max(min(left), 0.0) * level / aggregate(level)
        if freed + pending[0] / fastest < (sum(left) + sum(pending)) / max(table.values()):
            return False
        now = remaining_time(left, pending, level, aggregate)
        return remaining_time(left, pending, level + 1, aggregate) < (1 - TAIL_GAIN) * now

    def _changed(self, before: int, at: float) -> None:
        if self.current != before:
            self.meter.close_first_wave()
            self._changes.append(LevelChange(at, self.current, self._why_level()))

    def _pool_aggregates(self) -> dict[int, float]:
        levels = self.meter.pool_levels().items()
        return {level: found.aggregate(level) for level, found in levels}

    def _ramp(self, at: float) -> None:
        """One step of the ramp on the pools' table, once it measured the current
        level: up by a third while it gives more than the best below it by more than
        search.NEAR (while the largest suspend runs, no higher than keeps pace with
        it, _keeping_level), else settled at the best, once confirmed."""
        pool = self._pool_aggregates()
        for seen, found in self.meter.pool_levels().items():
            self._ramp_seen[seen] = (found.aggregate(seen), found.stream_seconds)
        level = self.current
        if level not in pool:
            return
        before = level
        seconds = self.meter.pool_levels()[level].stream_seconds / level
        confirmed = seconds >= RAMP_CONFIRM * self.meter.window_length()
        if pool[level] < POOL_FLOOR * level:
            # Judged on RAMP_CONFIRM windows, not one: the first may fall wholly in
            # the suspends' own start (zoneadm's, then the zone's quiescing before
            # its memory is written: how long on 11.4 UNCONFIRMED, docs/solaris.md
            # 14), and one window of nothing would drop the pools for the whole stop
            # (on the simulator under load: tests/integration/test_pace.py).
            if confirmed:
                shown = _rate(pool[level])
                self._leave_ramp(at, f"the pools moved {shown} with {level} suspends at once")
            return
        below = [value for other, value in pool.items() if other < level]
        if not below or pool[level] > (1 + NEAR) * max(below):
            higher = min(level + max(level // RAMP_STEP, 1), self.cap)
            work = self._work
            if work is not None and self._largest_in_flight(work):
                higher = min(higher, max(work.level, level))
            if higher > level:
                self.current = higher
            elif level < self.cap:
                return  # held while the largest runs
            else:
                self._leave_ramp(at)  # no more allowed
        else:
            if not confirmed:
                return
            self.current = best_level(pool)
            self._leave_ramp(at)
        self._changed(before, at)

    def _patience_end(self) -> float | None:
        """When a ramp that has read no pools' level gives up on them: RAMP_PATIENCE
        after its first suspends' beginning (_ramp_since); None for any other."""
        if not self._ramping or self._ramp_since is None or self.meter.pool_levels():
            return None
        return self._ramp_since + RAMP_PATIENCE

    def _ramp_waited(self, at: float) -> bool:
        patience = self._patience_end()
        return patience is not None and at >= patience - DUE_SLACK

    def _leave_ramp(self, at: float, blind: str | None = None) -> None:
        """End the ramp: keep what the pools measured, or with ``blind`` (why the
        pools see nothing of the suspends) go to the level the pace begins at
        without them."""
        self._ramping = False
        if blind is None:
            # The levels it climbed through stay, as the ramp last read them: the
            # next stop learns them (learned), and one that knew nothing below its
            # best probed down to a level the ramp had measured, with four small
            # suspends left (10 zones on storage four streams saturate: 1.159 of
            # the bound where 4 alone gives 1.066; docs/performance.md, "A level
            # the ends cannot tell apart").
            found = self.meter.pool_levels().items()
            self._ramp_table = dict(self._ramp_seen)
            self._ramp_table.update(
                (level, (level_found.aggregate(level), level_found.stream_seconds))
                for level, level_found in found
            )
            return
        # Nothing kept: _judge_pools has nothing left to judge.
        self._pools_blind(at, f"{blind}: measuring by the ends alone")

    def _pools_blind(self, at: float, verdict: str | None) -> None:
        self._ramp_table = {}
        self._verdict = verdict
        before = self.current
        self.current = max(self.current, self._without_pools)
        self._changed(before, at)

    def _judge_pools(self, at: float) -> None:
        """At the first level both the pools and the suspends' ends measured,
        whether the pools saw the suspends (POOL_SEEN)."""
        if self._pools_judged or not self._ramp_table:
            return
        # The ends' levels held to their bar (TRUST): a first end alone, mostly its
        # fixed time, read a third of what the pools gave on the simulator.  Nor one
        # the ends' equations cannot tell from its neighbours (CONFOUNDED).
        confounded = self.meter.confounded(CONFOUNDED)
        both = [
            level
            for level in self.measured
            if level in self._ramp_table and level not in confounded
        ]
        if not both:
            return
        self._pools_judged = True
        level = max(both, key=lambda found: self._seconds[found])
        # 0.0 first: the least squares may leave a -0.0 where the pools saw nothing.
        share = max(0.0, self._ramp_table[level][0] / self.measured[level])
        said = (
            f"the pools' bandwidth gave {share:.0%} of what the {self.kind}s' ends "
            f"measured at {level} at once"
        )
        if share >= POOL_SEEN:
            self._verdict = f"{said}: measuring by both"
        else:
            self._pools_blind(at, f"{said}: measuring by the ends alone")

    def level_changes(self) -> Sequence[LevelChange]:
        return self._changes

    def _predictable(self, mean: float) -> bool:
        """Whether a transfer counted out is surely in its fixed time (pace/measure.py
        Meter): the fixed time is believed; the spread of the bytes finished
        transfers moved against their estimates, over a mean transfer's life, shifts
        a due time by no more than PREDICTION_SLACK of it; and once LAG_EVIDENCE
        transfers counted out have ended, they took that fixed time to end, to
        within PREDICTION_SLACK of it."""
        fit = self._fit
        if fit is None:
            return False
        fixed = fit.fixed
        self._guessed = self.meter.ratio_spread() * mean > PREDICTION_SLACK * fixed
        if self._guessed:
            return False
        lag = self.meter.count_out_lag()
        if lag is None or self.meter.count_outs_ended() < LAG_EVIDENCE:
            return True
        return abs(lag - fixed) <= PREDICTION_SLACK * fixed

    def _in_the_tail(self, level: int) -> bool:
        """Whether fewer transfers are left to begin than ``level`` (never when the
        number planned is not known)."""
        return self._planned is not None and self._planned - self._begun < level

    def _largest_in_flight(self, work: _Work) -> bool:
        return max(self.meter.in_flight.values(), default=0) >= work.largest

    def _table(self) -> dict[int, float]:
        if self._ramping:
            return self._pool_aggregates()
        return self._end_table()

    def _end_table(self) -> dict[int, float]:
        weighed = self._weighed()
        confounded = self.meter.confounded(CONFOUNDED) if self._ramp_table else frozenset()
        for level, pools in self._ramp_table.items():
            if level in weighed and level not in confounded:
                weighed[level] = _weigh(pools, weighed[level])
            else:
                weighed[level] = pools
        return self._as_kept(non_increasing(weighed))

    def _as_kept(self, table: dict[int, float]) -> dict[int, float]:
        """``table`` (by streams moving) as the level is kept.  While no transfer is
        counted out because the sizes are a guess (_predictable: a first stop's are
        only its zones' memory), every one in flight spends its fixed time moving
        nothing, so a level of L moves bytes like L x (1 - fixed time / mean
        transfer) streams: each level's figure is read there (between two levels
        measured, on the line joining them; below the lowest, at its rate a
        stream), the mean over the latest REFIT_WINDOW transfers (a first stop's
        first suspends are its largest and longest: over all of them, the fixed
        time's share came out a third of what the suspends running late in the stop
        spend).  Compared by streams moving instead, a first stop on storage two
        streams saturate chose 2 in flight over 3, within search.NEAR of each other,
        and each slot idled through every suspend's fixed time: the 100-zone first
        stops came to 1.060 / 1.039 / 1.055 of the bound on storage two, four and
        eight streams saturate in bench/stop_pace.py's fluid replays, 1.044 / 1.035
        / 1.054 so (1.051 / 1.039 / 1.055 with the mean over every transfer); no
        10-zone figure moved
        (docs/performance.md, "Ramping up on the pools").  Not where count-outs
        are off because they ended late: read so whenever none is counted out,
        bench/resume_pace.py's 100-zone replays came to 1.083 of the bound on
        average, 1.060 without, and tests/unit/test_pace_fluid.py's second 500-transfer
        stop on storage eight saturate to 1.094, 1.029 without."""
        fit = self._fit
        if fit is None or not self._guessed or not table:
            return table
        recent = self.meter.durations[-REFIT_WINDOW:]
        fixed = fit.fixed + fit.crowd * self.meter.mean_company()
        moving = max(0.0, 1.0 - fixed / (sum(recent) / len(recent)))
        return {level: _read(table, level * moving) for level in table}

    def _weighed(self) -> dict[int, tuple[float, float]]:
        """Each level's aggregate throughput and the stream-seconds behind it."""
        table = {level: (value, self._past_seconds[level]) for level, value in self.past.items()}
        for level, value in self.measured.items():
            past = (self.past.get(level, 0.0), PAST_WEIGHT * self._past_seconds.get(level, 0.0))
            table[level] = _weigh((value, self._seconds[level]), past)
        return table

    def _last_word(self) -> str:
        table = self.table()
        if self.meter.peak >= self.current or self._ramping or not table:
            return self.why()
        return self._why(best_level(table), final=True)

    def _why(self, level: int, *, final: bool = False) -> str:
        fixed = self.fixed_seconds()
        said = self._why_level(level, final=final)
        if fixed is None or round(fixed, 1) == 0:
            return said  # under a twentieth of a second: nothing an operator acts on
        shown = format_duration(round(fixed, 1))
        crowd = 0.0 if self._fit is None else round(self._fit.crowd, 1)
        if crowd:
            return (
                f"{said}; {shown} of each transfer moves no bytes, {format_duration(crowd)} "
                "more for each other in flight when it began, so the next begins that "
                "long before one ends"
            )
        return (
            f"{said}; {shown} of each transfer moves no bytes, "
            f"so the next begins {shown} before one ends"
        )

    def _why_level(self, level: int | None = None, *, final: bool = False) -> str:
        table = self.table()
        level = self.current if level is None else level
        if self._none_planned:
            return f"{level} at once: no {self.kind} planned, nothing to measure"
        if self._tail is not None and self._tail.level == level:
            return (
                f"{level} at once: the {format_size(self._tail.nbytes)} {self.kind} not yet "
                f"begun would otherwise end after the rest"
            )
        work = self._work
        if (
            work is not None
            and level == work.level
            and (not self.measured or self._largest_in_flight(work))
        ):
            largest = (
                f"the largest {self.kind} ({format_size(work.largest)} of "
                f"{format_size(work.total)})"
            )
            if work.keeping > level:
                return (
                    f"{level} at once: {work.keeping} would keep pace with {largest} "
                    f"if the storage serves {work.keeping}; one in {UNMEASURED_DROP} fewer "
                    "until it is measured, then by measurement"
                )
            return (
                f"{level} at once: {level} keep pace with {largest} while it runs, "
                "then by measurement"
            )
        reads = self._reads
        if reads is not None and level == reads[0] and level not in table:
            _, top, aggregate, stream = reads
            return (
                f"{level} at once: this host's suspends ran {top} at once at full speed, "
                f"{_rate(aggregate)}; at {_rate(stream)} a resume, {level} read as much"
            )
        if not table and self._ramping:
            return (
                f"{level} at once to begin: more while the pools' bandwidth grows "
                "(zpool iostat), then by measurement"
            )
        if not table:
            return f"{level} at once to begin: no {self.kind} measured yet, then by measurement"
        if self._ramping:
            when = " by the pools"
        else:
            when = "" if self.measured or self._ramp_table else " last cycle"
        # Held within search.BAND of the NEAR line, the level run now is the best.
        best = best_level(table, level)
        if level == best:
            others = [other for other in table if other != best]
            if not others:
                then = "no other number measured" if final else "trying more next"
                return f"{level} at once: {best} gave {_rate(table[best])}{when}, {then}"
            other = min(others, key=lambda found: (abs(found - best), -found))
            return (
                f"{level} at once: {best} gave {_rate(table[best])}{when}, "
                f"{other} gave {_rate(table[other])}"
            )
        if level > best and not any(other > best for other in table):
            # One level alone shows no growth: only that nothing above it was tried.
            growth = (
                "aggregate still growing" if len(table) > 1 else f"nothing above {best} measured"
            )
            return f"ramping up: {level} at once, {growth} ({best} gave {_rate(table[best])}{when})"
        direction = "fewer" if level < best else "more"
        return (
            f"trying {level} at once: {best} gave {_rate(table[best])}{when}, "
            f"{direction} may do as well"
        )

    def _learned(self, now: float) -> list[PaceSample]:
        """What to keep for the next cycle: this cycle's levels, stamped ``now``, and
        the history's others.  This cycle's levels include those only the pools
        measured (a first stop's ramp, while they were believed): a ramp climbs
        through levels below the one it settles on, and without them the next stop
        knows nothing below its best and probes down, holding a stream idle for as
        long as suspends begun at the lower level run (docs/performance.md)."""
        weighed = self._weighed()
        pools_only = {
            level: found for level, found in self._ramp_table.items() if level not in self.measured
        }
        kept = [
            sample
            for sample in self._samples
            if sample.concurrency not in self.measured and sample.concurrency not in pools_only
        ]
        fresh = [PaceSample(level, *weighed[level], now) for level in self.measured]
        fresh += [PaceSample(level, *found, now) for level, found in pools_only.items()]
        return sorted(kept + fresh, key=lambda sample: sample.concurrency)


def _read(table: Mapping[int, float], level: float) -> float:
    """``table``'s aggregate at a ``level`` between its levels, on the line joining
    the two either side; below the lowest, at the lowest's rate a stream; above the
    highest, the highest's."""
    levels = sorted(table)
    if level <= levels[0]:
        return table[levels[0]] * level / levels[0]
    for low, high in zip(levels, levels[1:]):
        if level <= high:
            return table[low] + (table[high] - table[low]) * (level - low) / (high - low)
    return table[levels[-1]]


def _predicting(table: Mapping[int, float]) -> Callable[[int], float]:
    """``table``'s aggregate at any number of streams, for a prediction: read as
    :func:`_read` does, but below the lowest level measured no lower than there
    unless the next level up gave more (by search.NEAR): fewer streams than were
    ever measured may each move as much as all of them did (storage two streams
    saturate, measured from three on), and a tail predicted at the lowest's rate a
    stream is a tail that is not there (bench/stop_pace.py)."""
    levels = sorted(table)
    lowest = levels[0]
    grows = len(levels) > 1 and table[levels[1]] > (1 + NEAR) * table[lowest]

    def aggregate(streams: int) -> float:
        if streams < lowest and not grows:
            return table[lowest]
        return _read(table, streams)

    return aggregate


def _weigh(one: tuple[float, float], other: tuple[float, float]) -> tuple[float, float]:
    """Two (aggregate, stream-seconds) figures of one level as one, weighted by their
    stream-seconds."""
    seconds = one[1] + other[1]
    return (one[0] * one[1] + other[0] * other[1]) / seconds, seconds


def _full_speed_top(samples: Sequence[PaceSample]) -> tuple[int, float] | None:
    """The most transfers at once that each still ran within search.NEAR of the
    fastest stream, and their aggregate (``samples`` read as the search reads them,
    non_increasing); None without samples, or where that is no more than START."""
    figures = {
        sample.concurrency: (sample.bytes_per_second, sample.seconds)
        for sample in samples
        if sample.concurrency >= 1 and sample.bytes_per_second > 0
    }
    if not figures:
        return None
    table = non_increasing(figures)
    fastest = max(value / level for level, value in table.items())
    top = max(level for level, value in table.items() if value >= (1 - NEAR) * fastest * level)
    return (top, table[top]) if top > START else None


@dataclass(frozen=True)
class _Work:
    """The level to hold while the largest transfer runs, and the fewest transfers
    at once that keep pace with it (``keeping``)."""

    level: int
    largest: int
    total: int
    keeping: int


@dataclass(frozen=True)
class _Tail:
    """The level held for a transfer not yet begun (AutoPace._keep_tail): its bytes,
    the search's level beneath it, and the zone that began in the slot it made."""

    level: int
    nbytes: int
    base: int
    zone: str | None = None  # once begun


def _keeping_level(work: Sequence[int], *, measured: bool) -> _Work | None:
    """None when keeping pace would hold none of ``work`` back (as many as there are
    transfers: starting them all is what any level does then), or when a size is
    unknown (0: a zone whose memory its configuration does not say may be the
    largest).  ``measured``: whether earlier cycles learned anything; without, one
    fewer in every UNMEASURED_DROP (the module's description)."""
    if not work or min(work) <= 0:
        return None
    largest, total = max(work), sum(work)
    keeping = -(-total // largest)
    if keeping >= len(work):
        return None
    level = keeping if measured else keeping - keeping // UNMEASURED_DROP
    return _Work(level, largest, total, keeping)


def aggregates(samples: Mapping[int, float]) -> str:
    """``"2: 1.0G/s, 4: 1.9G/s"``: a learned table in one line, fewest first."""
    return ", ".join(f"{level}: {_rate(samples[level])}" for level in sorted(samples))
