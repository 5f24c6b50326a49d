"""The order in which the start method boots its zones, within the dependency
constraints.  Pure.

Two targets pull apart.  The resume makespan is bound by the storage: every image
must be read, so the last zone is back no sooner than max(longest single resume,
total image bytes / read bandwidth).  Each zone's downtime ends when it is back, so
the mean downtime is smallest when the quickest resumes go first (shortest first
is the classic rule for the least mean completion time).  Shortest first alone
leaves the largest images to the end: one that takes half the makespan by itself,
started last, ends far past the bound, with the storage idle beside it.

So the items fall in two classes.  A *long* resume is one whose image alone is at
least LONG_SHARE of one slot's even share of all the bytes (its bytes x streams >=
LONG_SHARE x total bytes, ``streams`` being how many resumes run at once): started
late, it would be the tail.  One at a time (streams 1) nothing is long: the images
are then read one after the other whatever the order, so the order cannot shorten
the makespan, only the mean.  The long ones start first, largest first, so that
they overlap everything else; the rest follow shortest first, so that zones come
back as early as possible.  LONG_SHARE was chosen by replaying orders in a fluid
model of the simulator's storage (a per-stream rate, one shared bandwidth, 2 s per
zone) over 10 and 100 zones of 2G to 32G, 2 to 8 slots, three seeds each: at 0.75
the mean time to up stayed within 1.12 of shortest first's (equal from 100 zones,
where no image is long), while the 10-zone tail shortest first leaves shrank (4
slots saturating the storage: 1.45 of the bound to 1.25, 1.41 to 1.05, 1.40 to
1.02); 0.5 cut one more tail (1.22 to 1.14 at 2 slots) but cost up to 1.5 of the
mean where the slots outnumber what the storage serves.

``streams`` stands for how many resumes the storage serves at full speed at once
(then one resume alone takes about its bytes x streams / total of the makespan).
With more slots than that, the rule calls too many images long and delays the
short ones for nothing: bench/resume.py at 10 zones on the simulator's default
rates (saturated by 1.33 streams) with parallel = 4 measured a mean time to up of
151 s against all-at-once's 106 s with LONG_SHARE 0.5; at 0.75, 92 s against
all-at-once's 104 s and serial's 130 s, the makespan 1.09 of the bound (boot phase
1.04), at a time scale of 0.058 (bound 172 s).  So the caller should pass a
measured concurrency when it has one (plan_start's ``streams``), not only the
policy's number.

Constraints come first, always: a lower boot-priority rank (zonecfg boot-priority,
or the policy) boots first, and among equals the zones others wait on before the
rest (their dependants are released sooner).  Only then the two classes.  The run
(start/run.py) starts, at each free slot, the first item of this order whose
dependencies are up; a zone's `after` is never overridden by this order.

The sizes are the images' as their suspends recorded them, else the zones' memory
(start/plan.py Item.size).  A fresh boot reads no image but boots a bigger zone
no faster, and a check of a running zone takes no slot (start/run.py), so both are
ordered by the same sizes; a zone of unknown size counts as 0 bytes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypeVar

# A resume whose image is at least this share of one slot's even share of all the
# bytes is long (above); chosen by replaying the orders in the storage model.
LONG_SHARE = 0.75


class Bootable(Protocol):
    """What the order needs of an item (start/plan.py's Item)."""

    @property
    def name(self) -> str: ...

    @property
    def rank(self) -> int: ...


B = TypeVar("B", bound=Bootable)


def boot_order(
    items: Sequence[B], nbytes: Mapping[str, int], waited_on: Collection[str], streams: int
) -> list[B]:
    """``items`` in the order the start method should try them (module docstring).

    ``nbytes``: each item's image size in bytes (none listed: 0);
    ``waited_on``: the names that other items wait for; ``streams``: how many
    resumes run at once (1 or less: one at a time)."""
    total = sum(nbytes.get(item.name, 0) for item in items)
    threshold = LONG_SHARE * total / streams if streams > 1 else math.inf
    long = {item.name for item in items if 0 < nbytes.get(item.name, 0) >= threshold}

    def key(item: B) -> tuple[int, bool, bool, int, str]:
        size = nbytes.get(item.name, 0)
        is_long = item.name in long
        return (item.rank, item.name not in waited_on, not is_long, -size if is_long else size,
                item.name)  # fmt: skip

    return sorted(items, key=key)
