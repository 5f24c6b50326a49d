"""The interface between an executor (stop/run.py, start/run.py) and a pace.  Pure.

An executor asks :meth:`Pace.limit`, with its clock's time, before it starts a
transfer step (a suspend at stop, a resume boot at start), waits for the next
event no later than :meth:`Pace.wake`, hands it the pools' bandwidth while it
wants it (:meth:`Pace.sampled`), and reports each step's beginning and end,
with the bytes it moved and the executor's clock: at the beginning an estimate
(the image's size its past suspends suggest, else the zone's memory), and at the
end the image's size when its file could be read (the image a suspend wrote, or
the one a resume read, measured by the zone's worker).  A fixed pace always
answers the policy's number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kzguard.journal.pace_record import LevelChange


class PoolSample:
    """One window: the pools moved ``nbytes`` from ``start`` to ``stop`` (the
    executor's clock), handed to :meth:`Pace.sampled`.  A plain class: a
    dataclass costs the method path's import."""

    __slots__ = ("nbytes", "start", "stop")

    def __init__(self, start: float, stop: float, nbytes: float) -> None:
        self.start = start
        self.stop = stop
        self.nbytes = nbytes


class PoolsLost:
    """The pools' watch ended by itself (its zpool failed, and it said why): no
    window will come.  A plain class, as PoolSample."""

    __slots__ = ()


class Pace(Protocol):
    """Decides how many transfer steps may be in flight at once."""

    def limit(self, at: float | None = None) -> int:
        """How many transfer steps may be in flight at ``at`` (at least 1; without
        a time, the level alone, for plans and messages)."""
        ...

    def wake(self, at: float) -> float | None:
        """When :meth:`limit` may next allow more than now, with nothing else
        happening meanwhile (None: not before the next beginning or end)."""
        ...

    def began(self, zone: str, nbytes: int, at: float) -> None:
        """A transfer step of ``zone`` (about ``nbytes``) began at ``at``."""
        ...

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        """The transfer step of ``zone`` ended at ``at`` (``ok``: it moved its image;
        ``nbytes``: the bytes it moved, when known now, in place of the estimate;
        ``measured`` False: it ran mostly beside work of kzguard's own that says
        nothing of the storage, start/run.py: it counted in flight for the others,
        but is no measurement of its own)."""
        ...

    def wants_samples(self) -> bool:
        """Whether the pools' bandwidth (:meth:`sampled`) is of use to it."""
        ...

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        """The pools the transfers use moved ``nbytes`` (written at stop, read at
        start) between ``start`` and ``stop``, the executor's clock."""
        ...

    def pools_lost(self, at: float) -> None:
        """No more of the pools' bandwidth will come (:class:`PoolsLost`), from
        ``at`` on the executor's clock."""
        ...

    def verdict(self) -> str | None:
        """Once: one line saying whether the pools' bandwidth is believed."""
        ...

    def why(self) -> str:
        """One line: the current limit and the reason for it, for logs and plans."""
        ...

    def level_changes(self) -> Sequence[LevelChange]:
        """Each change of level so far, on the executor's clock, in order."""
        ...

    def order_for(self) -> int:
        """How many resumes at once the start order is made for (start/order.py);
        when it changes, the start method orders the resumes not yet begun again."""
        ...


class FixedPace:
    """``parallel = N``: always N."""

    def __init__(self, parallel: int) -> None:
        if parallel < 1:
            raise ValueError(f"parallel must be at least 1, not {parallel}")
        self.parallel = parallel
        self.in_flight: set[str] = set()
        self.peak = 0  # the most transfers in flight at once, for the journal

    def limit(self, at: float | None = None) -> int:
        return self.parallel

    @property
    def planned(self) -> int:
        return self.parallel

    def wake(self, at: float) -> float | None:
        return None

    def began(self, zone: str, nbytes: int, at: float) -> None:
        self.in_flight.add(zone)
        self.peak = max(self.peak, len(self.in_flight))

    def ended(
        self, zone: str, at: float, *, ok: bool, nbytes: int | None = None, measured: bool = True
    ) -> None:
        self.in_flight.discard(zone)

    def wants_samples(self) -> bool:
        return False

    def sampled(self, start: float, stop: float, nbytes: float) -> None:
        pass

    def pools_lost(self, at: float) -> None:
        pass

    def verdict(self) -> str | None:
        return None

    def why(self) -> str:
        return f"{self.parallel} at once (policy: parallel = {self.parallel})"

    def order_for(self) -> int:
        return self.parallel

    def level_changes(self) -> Sequence[LevelChange]:
        return ()
