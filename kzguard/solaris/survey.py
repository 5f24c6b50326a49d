"""Reading the zones' configurations in the background, beside the first boots or
suspends.

The stop journals the configuration it planned each zone from (ZoneRecord.config),
so the start method can plan from those at once and read the live ones while it
boots: a zone's boot needs only its own configuration (its image, its dependencies,
its fingerprint), and its boot waits for that one to be read and found unchanged
(start/run.py).  What changed, or could not be read, sends the run back to a plan
made from every live configuration (start/path.py).  A `zonecfg export` per zone is
the survey's cost: on the simulator a 25 ms process each on two CPUs, about 22
simulated seconds of a 100-zone start before its first boot when read first
(docs/performance.md); on Solaris what one costs is UNCONFIRMED.

The stop method does the same with the configurations recorded with their zone
files' stamps (journal/configs.py, stop/path.py): each zone's suspend waits for its
own to be read and found unchanged (stop/run.py).

The reads run in the order given (the plan's), CONFIG_READERS at a time, in daemon
threads: a `zonecfg` that hangs is ended by its own timeout (solaris/host.py
QUERY_TIMEOUT), and the method never waits for a thread at its exit.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kzguard.model import Zone, ZoneConfig
from kzguard.solaris.host import CONFIG_READERS, Host, with_configs

# A transfer (a resume, a suspend) that spent more than this share of its life
# beside the survey is not measured: on the simulator the survey's `zonecfg`
# processes share the CPUs with the transfers' `zoneadm`, and its time measured them
# (start/run.py; the stop's pace read its first suspends' ends at twice what the
# pools moved, tests/integration/test_pace.py).  A quarter: in bench/resume_pace.py's
# fluid replays at 6291a6c (docs/performance.md) it took the 500-zone resumes from
# 1.285 of the bound on average to 1.114 and the 100-zone ones from 1.144 to 1.094,
# and left 10 zones at 1.080; a tenth gave 1.101, 1.089 and 1.082, a half 1.136,
# 1.097 and 1.080.
SURVEY_SHARE = 0.25


def clear_of_survey(began: float, ended: float, survey_ended: float | None) -> bool:
    """Whether a transfer from ``began`` to ``ended`` spent at most SURVEY_SHARE of
    its life beside the survey, which began before every transfer and ended at
    ``survey_ended`` (None: it is still reading; -inf: none ran beside)."""
    until = ended if survey_ended is None else min(ended, survey_ended)
    beside = until - began
    return max(beside, 0.0) <= SURVEY_SHARE * max(ended - began, 0.0)


class SurveyEnd:
    """When ``survey``, reading beside an executor's transfers, had read every
    configuration, on that executor's clock: the transfers it measures
    (:meth:`clear`).  ``at`` is None while it still reads, -inf when none ran
    beside."""

    def __init__(self, survey: ConfigSurvey | None) -> None:
        self._survey = survey
        self.at: float | None = None if survey is not None and not survey.complete() else -math.inf

    def heard(self, clock: Callable[[], float]) -> None:
        """A configuration was read (:class:`ConfigRead`): if it was the last, the
        survey ended now."""
        if self.at is None and self._survey is not None and self._survey.complete():
            self.at = clock()

    def clear(self, began: float, ended: float) -> bool:
        """Whether a transfer from ``began`` to ``ended`` is measured
        (:func:`clear_of_survey`)."""
        return clear_of_survey(began, ended, self.at)


@dataclass(frozen=True)
class ConfigRead:
    """The survey's word to a run: ``name``'s live configuration has been read."""

    name: str


class ConfigSurvey:
    """Reads the configurations of ``names`` in that order; each one is compared
    with ``expected``, the configuration the plan was made from."""

    def __init__(
        self,
        host: Host,
        names: Iterable[str],
        expected: Mapping[str, ZoneConfig],
        *,
        readers: int = CONFIG_READERS,
    ) -> None:
        self.host = host
        self.names = tuple(dict.fromkeys(names))
        self.expected = expected
        self.readers = readers
        self._todo = deque(self.names)
        self._read: dict[str, tuple[ZoneConfig | str, str | None]] = {}
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)

    def start(self, notify: Callable[[str], None]) -> None:
        """Begin reading; ``notify(name)`` is called (from a reader) as each arrives."""
        for number in range(min(self.readers, len(self.names))):
            threading.Thread(
                target=self._serve,
                args=(notify,),
                name=f"kzguard-zonecfg-{number}",
                daemon=True,
            ).start()

    def _serve(self, notify: Callable[[str], None]) -> None:
        while True:
            with self._lock:
                if not self._todo:
                    return
                name = self._todo.popleft()
            read: tuple[ZoneConfig | str, str | None]
            try:
                read = self.host.stamped_config(name)
            except Exception as error:  # a bug must not leave the run waiting for it
                read = (repr(error), None)
            with self._done:
                self._read[name] = read
                self._done.notify_all()
            notify(name)

    def unchanged(self, name: str) -> bool | None:
        """Whether ``name``'s live configuration is the one the plan used: True
        (or a zone this survey does not read), False (changed, or unreadable: a
        plan from it would differ), None (not read yet)."""
        if name not in self.expected:
            return True
        with self._lock:
            if name not in self._read:
                return None
            return self._read[name][0] == self.expected[name]

    def complete(self) -> bool:
        """Whether every configuration has been read (or failed to be)."""
        with self._lock:
            return len(self._read) == len(self.names)

    def changed(self) -> list[str]:
        """The zones read so far whose configuration is not the one planned from."""
        with self._lock:
            read = dict(self._read)
        return [name for name in self.names if name in read and self.unchanged(name) is False]

    def zones_read(self, listed: Sequence[Zone]) -> list[Zone]:
        """The zones of ``listed`` whose configuration has been read, with it, at
        once (a failed read is not warned about: :meth:`unchanged` told the run)."""
        with self._lock:
            read = dict(self._read)
        return with_configs([zone for zone in listed if zone.name in read], read, quiet=True)

    def zones(self, listed: Sequence[Zone]) -> list[Zone]:
        """``listed`` with every live configuration, once all are read (a zone
        whose read failed warns, as Host.zones does)."""
        with self._done:
            self._done.wait_for(lambda: len(self._read) == len(self.names))
            read = dict(self._read)
        return with_configs(listed, read)
