"""The order in which the start method boots its zones, within the dependency
constraints.  Pure.

Two targets pull apart.  The resume makespan is bound by the storage: every image
must be read, so the last zone is back no sooner than max(longest single resume,
total image bytes / read bandwidth).  Each zone's downtime ends when it is back, so
the mean downtime is smallest when the quickest resumes go first (shortest first
is the classic rule for the least mean completion time).  Shortest first alone
leaves the largest images to the end: one that takes half the makespan by itself,
started last, ends far past the bound, with the storage idle beside it.

So the order is shortest first, except that no image starts later than it must
for everything to end when largest first would.  The slots are modelled as
``streams`` equal machines (the storage serves that many resumes at full speed; a
resume takes its bytes' worth of time).  Largest first, placed backwards from its
own makespan (each image on the slot whose next image begins latest), gives every
image a *latest start*: begun by then, all can end by that makespan.  Then the
order is replayed forwards: when a slot frees, the image with the earliest latest
start goes next if waiting for the shortest one to run first on that slot would
pass its latest start; otherwise the shortest goes.  One at a time (streams 1) the
images are read one after the other whatever the order, so the order cannot
shorten the makespan: it is shortest first.

The rule this replaced put an image first when it was at least 0.75 of one slot's
even share of all the bytes, the rest shortest first: an image just under that
share started last, and its tail reached past the bound (on the simulator, sat4
storage, 10 zones: a 25G image of 135G at 4 slots, just under the 25.3G share,
started at 97 s and ended at 190 s against a bound of 117 s).  Replayed in a fluid
model of the simulator's storage over 10 to 100 zones (bench/order.py, its figures
in docs/performance.md), the new order kept the makespan of largest first and the
mean time to up within a few per cent of shortest first's, where the old rule lost
on both.

``streams`` stands for how many resumes the storage serves at full speed at once.
With more slots than that, the model counts too much parallel time and starts the
large images later than it should; with fewer, earlier.  So the caller should pass
a measured concurrency when it has one (plan_start's ``streams``), not only the
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

import heapq
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypeVar


class Bootable(Protocol):
    """What the order needs of an item (start/plan.py's Item)."""

    @property
    def name(self) -> str: ...

    @property
    def rank(self) -> int: ...


B = TypeVar("B", bound=Bootable)


def boot_order(
    items: Sequence[B],
    nbytes: Mapping[str, int],
    waited_on: Collection[str],
    streams: int,
    busy: Sequence[int] = (),
) -> list[B]:
    """``items`` in the order the start method should try them (module docstring).

    ``nbytes``: each item's image size in bytes (none listed: 0);
    ``waited_on``: the names that other items wait for; ``streams``: how many
    resumes run at once (1 or less: one at a time); ``busy``: the images of the
    resumes in flight, when the order is made again during a run."""
    sizes = {item.name: max(nbytes.get(item.name, 0), 0) for item in items}
    order = size_order(sizes, streams, busy)
    position = {name: index for index, name in enumerate(order)}

    def key(item: B) -> tuple[int, bool, int]:
        return (item.rank, item.name not in waited_on, position[item.name])

    return sorted(items, key=key)


def size_order(sizes: Mapping[str, int], streams: int, busy: Sequence[int] = ()) -> list[str]:
    """The names of ``sizes`` shortest first, each started no later than its latest
    start (module docstring); ties by name.  ``busy``: what the slots already hold
    (the bytes of transfers in flight), each on a slot of its own."""
    shortest = sorted(sizes, key=lambda name: (sizes[name], name))
    if streams <= 1 or len(shortest) <= 1:
        return shortest
    held = _held(busy, streams)
    latest = latest_starts(sizes, streams, held)
    urgent = sorted((latest[name], name) for name in shortest)  # sorted: a heap
    slots = list(held)  # when each slot is free again, a heap
    placed: set[str] = set()
    order: list[str] = []
    next_short = 0
    while len(order) < len(shortest):
        now = heapq.heappop(slots)
        while shortest[next_short] in placed:
            next_short += 1
        while urgent[0][1] in placed:
            heapq.heappop(urgent)
        short = shortest[next_short]
        must, pressed = urgent[0]
        chosen = pressed if pressed != short and must < now + sizes[short] else short
        placed.add(chosen)
        order.append(chosen)
        heapq.heappush(slots, now + sizes[chosen])
    return order


def _held(busy: Sequence[int], streams: int) -> list[int]:
    """``streams`` slots' loads, a heap: the largest of ``busy`` each on one, the
    rest 0."""
    held = sorted(busy, reverse=True)[:streams]
    held += [0] * (streams - len(held))
    heapq.heapify(held)
    return held


def latest_starts(
    sizes: Mapping[str, int], streams: int, held: Sequence[int] = ()
) -> dict[str, int]:
    """When each image must start at the latest for all to end by the makespan of
    largest first on ``streams`` equal slots (``held``: their loads already, a
    heap): largest first placed backwards."""
    # Equal sizes by name backwards: placed later, the first name begins earlier.
    largest = sorted(sizes, key=lambda name: (sizes[name], name), reverse=True)
    loads = list(held) if held else [0] * streams
    for name in largest:
        heapq.heapreplace(loads, loads[0] + sizes[name])
    makespan = max(loads)
    # Backwards from the makespan, each image on the slot whose next image begins
    # latest: the same loads as forwards, so no latest start is before 0.
    begins = [-makespan] * streams  # negated: a max-heap of the slots' begin times
    latest: dict[str, int] = {}
    for name in largest:
        begin = -begins[0] - sizes[name]
        latest[name] = begin
        heapq.heapreplace(begins, -begin)
    return latest
