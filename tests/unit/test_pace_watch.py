"""kzguard.pace.watch: zpool iostat window after window, each handed on with its
bytes and its times on the executor's clock; a failing zpool ends the watch once
logged; closing kills the zpool in flight."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from kzguard.pace.limit import PoolSample, PoolsLost
from kzguard.pace.watch import PoolWatch
from kzguard.solaris.parse.zpool import PoolTraffic
from tests.unit.fakes import FailingPools, FakeClock, FakePools

G = 1 << 30


def windows(samples: list[PoolSample]) -> list[tuple[float, float, float]]:
    return [(sample.start, sample.stop, sample.nbytes) for sample in samples]


def test_each_window_is_handed_on_with_its_bytes_written_and_times() -> None:
    clock = FakeClock(1000.0)
    pools = FakePools(clock, (1.0 * G, 3.0 * G), (2.0 * G, 0.5 * G))
    samples = clock.queue()
    watch = PoolWatch(pools, samples.put)  # type: ignore[arg-type]
    watch.start()
    got = [samples.get(timeout=60.0), samples.get(timeout=60.0)]
    watch.close()
    clock.close()
    assert windows(got) == [(1000.0, 1005.0, 15.0 * G), (1005.0, 1010.0, 2.5 * G)]
    # A third window was asked for, and killed by the close, which logged nothing.
    assert (pools.windows, pools.killed) == ([5, 5, 5], 1)
    assert samples.empty()


def test_a_failing_zpool_ends_the_watch_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kzguard.pace.watch")
    pools = FailingPools()
    reported: list[PoolSample | PoolsLost] = []
    watch = PoolWatch(pools, reported.append)  # type: ignore[arg-type]
    watch.start()
    watch._thread.join(5.0)  # it ends by itself, not closed
    assert not watch._thread.is_alive()
    watch.close()
    # The executor hears of it, so that the pace stops waiting for windows.
    assert pools.calls == 1
    assert [type(event) for event in reported] == [PoolsLost]
    assert caplog.messages == [
        "suspend pace: /usr/sbin/zpool iostat 5 2: exited with status 1: internal error: "
        "failed to initialize ZFS library; measuring by the ends alone"
    ]


class AnsweringPools:
    """zpool whose window ends early when the watch closes, with an answer all the
    same (a kill that came as its report did)."""

    def __init__(self) -> None:
        self.runner = self
        self.closing = threading.Event()
        self.calls = 0

    def pool_traffic(self, seconds: int) -> PoolTraffic:
        self.calls += 1
        self.closing.wait(60.0)
        return PoolTraffic(0.0, float(seconds), 0.0, G)

    def close(self) -> int:
        self.closing.set()
        return 1


def test_a_window_that_ends_as_the_watch_closes_is_not_reported() -> None:
    pools = AnsweringPools()
    reported: list[PoolSample] = []
    watch = PoolWatch(pools, reported.append)  # type: ignore[arg-type]
    watch.start()
    while not pools.calls:
        time.sleep(0.001)
    watch.close()
    assert not watch._thread.is_alive()
    assert (pools.calls, reported) == (1, [])
