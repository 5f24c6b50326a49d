"""The pools' bandwidth while the stop method's suspends run, for the auto pace.

``zoneadm`` reports no progress, so the pace learns what a number of transfers at
once gave only as transfers end: minutes, at the start of a first stop that begins
with the largest suspends, and never below the one number a small host runs
(docs/performance.md, "Sampling the pool while it moves bytes").  The pools count
every byte as it moves: ``zpool iostat SECONDS 2`` prints, after a report since
boot, what every pool read and wrote in the next SECONDS (docs/solaris.md 14.1).  A
thread runs it one window after another and hands each window to the stop
executor, which tells its pace (pace/auto.py judges whether the pools see the
suspends at all: an image on NFS or iSCSI is on none of them).  The window is
timed by the arrival of zpool's two reports (time.monotonic, the executor's clock),
and holds SAMPLE_SECONDS of the pools' bytes written.  Only a first stop reads
them, while its pace ramps up on them, and not for resumes: their ends measure soon
enough (AutoPace.wants_samples).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kzguard.errors import CommandError
from kzguard.pace.limit import PoolSample, PoolsLost
from kzguard.solaris.host import Host

log = logging.getLogger(__name__)

# ZFS writes in transaction groups, one at least every zfs_txg_timeout, 5 s (illumos
# usr/src/uts/common/fs/zfs/txg.c): a window of one such period holds one or two
# of them.  How bursty a pool's write bandwidth is per window under suspends:
# UNCONFIRMED (the pace's least squares take every window).
SAMPLE_SECONDS = 5
# A watch that has been asked to close waits no longer than this for its thread
# (its zpool has been killed by then, and one it starts after is killed at once:
# Runner.close).
CLOSE_SECONDS = 2.0


class PoolWatch:
    """Runs ``zpool iostat`` on ``pools`` window after window until closed, handing
    each window's bytes written to ``report``.  A command that fails ends the watch,
    once logged and reported (:class:`~kzguard.pace.limit.PoolsLost`): the pace goes
    on measuring by the suspends' ends."""

    def __init__(
        self,
        pools: Host,
        report: Callable[[PoolSample | PoolsLost], None],
    ) -> None:
        # A host with a runner of its own, so that closing kills its zpool and no
        # zone's zoneadm.
        self._pools = pools
        self._report = report
        self._closed = threading.Event()
        # Named like a zone's worker: the executors' fake-clock tests
        # (tests/unit/fakes.py) wait for it as for one while it is not asleep.
        self._thread = threading.Thread(target=self._watch, name="kzguard-pool-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._pools.runner.close()
        self._thread.join(CLOSE_SECONDS)

    def _watch(self) -> None:
        while not self._closed.is_set():
            try:
                traffic = self._pools.pool_traffic(SAMPLE_SECONDS)
            except CommandError as error:
                if not self._closed.is_set():
                    log.info("suspend pace: %s; measuring by the ends alone", error)
                    self._report(PoolsLost())
                return
            if not self._closed.is_set():
                self._report(
                    PoolSample(traffic.start, traffic.stop, traffic.write * SAMPLE_SECONDS)
                )
