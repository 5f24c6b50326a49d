"""A pure event simulation of transfers on shared storage, for the pace tests.

Each stream moves at most ``stream`` bytes per second (its own CPU); the storage
moves at most ``streams * stream`` in all (it saturates at ``streams`` streams),
and loses ``loss`` of that per stream beyond saturation (seeks, cache, CPU
contention): ``bandwidth / (1 + loss * (n - streams))`` in all at ``n`` at once.
The transfers start largest first, as the plans order them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from kzguard.pace.limit import Pace

G = 1 << 30
MIXED_GIB = (2, 4, 4, 8, 8, 16, 16, 32, 64)


def mixed_sizes(count: int, seed: int = 13) -> list[int]:
    generator = random.Random(seed * 1000 + count)  # noqa: S311 (sizes, not secrets)
    return [generator.choice(MIXED_GIB) * G for _ in range(count)]


@dataclass(frozen=True)
class Storage:
    streams: int  # where it saturates
    stream: float = 1.0 * G  # bytes per second of one stream alone
    loss: float = 0.05

    def aggregate(self, count: int) -> float:
        bandwidth = self.streams * self.stream
        return min(count * self.stream, bandwidth / (1 + self.loss * max(0, count - self.streams)))

    def bound(self, sizes: Sequence[int]) -> float:
        """No schedule is faster: the longest alone, or every byte at full bandwidth."""
        return max(max(sizes) / self.stream, sum(sizes) / (self.streams * self.stream))


def makespan(pace: Pace, sizes: Sequence[int], storage: Storage) -> float:
    waiting = sorted(((size, f"kz{index}") for index, size in enumerate(sizes)), reverse=True)
    remaining: dict[str, float] = {}
    clock = 0.0
    while waiting or remaining:
        while waiting and len(remaining) < pace.limit():
            size, name = waiting.pop(0)
            remaining[name] = float(size)
            pace.began(name, size, clock)
        rate = storage.aggregate(len(remaining)) / len(remaining)
        name = min(remaining, key=lambda zone: remaining[zone])
        step = remaining[name] / rate
        clock += step
        for zone in remaining:
            remaining[zone] -= rate * step
        del remaining[name]
        pace.ended(name, clock, ok=True)
    return clock
