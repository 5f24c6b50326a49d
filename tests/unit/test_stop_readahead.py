"""The read-ahead of markers and boot times (stop/readahead.py) and the guess of the
zones to read for while the survey runs (stop/path.py, likely_suspends)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from kzguard.errors import CommandFailed, CommandTimedOut
from kzguard.journal.document import StopCycle
from kzguard.journal.history import PastRun
from kzguard.journal.records import BootTimeEvidence, MarkerEvidence
from kzguard.journal.store import Journal, read_journal, save_history
from kzguard.model import Zone, ZoneConfig, ZoneListing
from kzguard.policy.schema import policy_from_text
from kzguard.stop import path as stop_path
from kzguard.stop import readahead
from kzguard.stop.path import likely_suspends
from kzguard.stop.readahead import ReadAhead
from kzguard.stop.record import StopRecord


def listing(name: str, state: str = "running", brand: str = "solaris-kz") -> ZoneListing:
    return ZoneListing(None, name, state, f"/system/zones/{name}", "", brand, "excl")


def test_the_guess_is_running_kernel_zones_named_by_the_policy_or_suspended_before() -> None:
    policy = policy_from_text(
        '[select]\nexclude = ["old*"]\ninclude = ["app*"]\n'
        '[zone.db1]\n[zone.web1]\naction = "shutdown"\n[zone.skip1]\naction = "ignore"\n',
        source="test",
    )
    listings = [
        listing("kz10"),  # suspended before, 40 s
        listing("kz2"),  # suspended before, 90 s
        listing("kz3"),  # never suspended: select.auto must see its zonecfg first
        listing("db1"),  # [zone.db1]
        listing("app1"),  # select.include
        listing("web1"),  # [zone.web1] begins with a shutdown
        listing("skip1"),  # ignored
        listing("old1"),  # excluded, though suspended before
        listing("kz4", state="installed"),
        listing("ngz1", brand="solaris"),
    ]
    history = {
        name: [PastRun(seconds=seconds)]
        for name, seconds in {"kz10": 40.0, "kz2": 90.0, "old1": 100.0, "kz4": 60.0}.items()
    }
    assert likely_suspends(policy, listings, history) == ["kz2", "kz10", "app1", "db1"]


def test_select_auto_off_guesses_only_what_the_policy_names() -> None:
    policy = policy_from_text("[select]\nauto = false\n[zone.db1]\n", source="test")
    history = {"kz1": [PastRun(seconds=10.0)]}
    assert likely_suspends(policy, [listing("kz1"), listing("db1")], history) == ["db1"]


def read_ahead(host: object, *, write_marker: bool = False) -> ReadAhead:
    """A read-ahead of boot times (and markers) from ``host``, on the real clock."""
    return ReadAhead(
        host,  # type: ignore[arg-type]
        record_boot_time=True,
        write_marker=write_marker,
        clock=time.monotonic,
    )


def cycle_record(tmp_path: Path) -> tuple[Journal, StopRecord]:
    """A journal in ``tmp_path`` with a cycle begun, and the stop record on it."""
    journal = Journal(str(tmp_path))
    journal.begin_cycle(StopCycle(started=1.0))
    return journal, StopRecord(journal, lambda message: None)


class RecordingHost:
    """boot_time answers at once, and says which zones were read, in order; kz1's
    reading is held until ``release`` is set."""

    def __init__(self) -> None:
        self.read: list[str] = []
        self.release = threading.Event()
        self.entered = threading.Event()  # kz1's reading has begun
        self._lock = threading.Lock()

    def boot_time(self, zone_name: str, *, timeout: float) -> int:
        if zone_name == "kz1":
            self.entered.set()
            assert self.release.wait(10.0)
        with self._lock:
            self.read.append(zone_name)
        return 1_700_000_000 + int(zone_name[2:])


def test_the_plan_order_replaces_the_guess_and_only_planned_zones_are_journalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readahead, "BOOT_TIME_READERS", 1)
    host = RecordingHost()
    ahead = read_ahead(host)
    # The guess, while the survey runs: kz1 (held), then kz2, kz3, kz4.
    ahead.want(["kz1", "kz2", "kz3", "kz4"])
    assert host.entered.wait(10.0)
    # The plan: kz4 first, kz2 not suspended, kz5 new.  kz1 is under way.
    ahead.want(["kz4", "kz3", "kz1", "kz5"])
    journal, record = cycle_record(tmp_path)
    host.release.set()
    ahead.attach(record, ["kz1", "kz3", "kz4", "kz5"], budget_end=time.monotonic() + 60)
    for name in ("kz1", "kz3", "kz4", "kz5"):
        ahead.wait(name)
    ahead.close()
    assert host.read == ["kz1", "kz4", "kz3", "kz5"]
    journal.flush()
    document, problem = read_journal(str(tmp_path))
    assert problem is None
    assert document is not None
    assert document.cycle is not None
    assert {name: zone.boot_time for name, zone in document.cycle.zones.items()} == {
        "kz1": BootTimeEvidence(1_700_000_001),
        "kz3": BootTimeEvidence(1_700_000_003),
        "kz4": BootTimeEvidence(1_700_000_004),
        "kz5": BootTimeEvidence(1_700_000_005),
    }


class SurveyHost:
    """Host.zones as the stop path calls it: the listing goes to ``listed`` first,
    then the configurations are read -- here, not before the read-ahead has read
    a zone."""

    def __init__(self) -> None:
        self.boot_time_read = threading.Event()
        self.read: list[str] = []
        self.read_during_survey: list[str] = []

    def zones(
        self,
        *,
        configure: Callable[[ZoneListing], bool],
        tolerant: bool = False,
        listed: Callable[[Sequence[ZoneListing]], None] | None = None,
        reuse: Callable[[str, str | None], ZoneConfig | None] | None = None,
    ) -> list[Zone]:
        listings = [listing("kz1"), listing("kz2"), listing("kz3")]
        assert listed is not None
        listed(listings)
        # Reading the configurations: the read-ahead runs meanwhile.
        assert self.boot_time_read.wait(10.0)
        self.read_during_survey = list(self.read)
        return [Zone(listing=item, config=None, config_error="not read") for item in listings]

    def boot_time(self, zone_name: str, *, timeout: float) -> int:
        self.read.append(zone_name)
        self.boot_time_read.set()
        return 1_700_000_000

    def free_spaces(self, paths: Sequence[str]) -> dict[str, str]:
        return {}


def test_the_read_ahead_begins_while_the_configurations_are_read(tmp_path: Path) -> None:
    policy = policy_from_text(f'[paths]\nstate_dir = "{tmp_path}"\n[zone.kz3]\n', source="test")
    save_history(str(tmp_path), {"kz2": [PastRun(seconds=30.0)]}, now=time.time())
    host = SurveyHost()
    ahead = read_ahead(host)
    plan, _, _ = stop_path._plan(policy, host, tolerant=True, read_ahead=ahead)  # type: ignore[arg-type]
    ahead.close()
    # kz2 (suspended before) and kz3 (named) were guessed; kz1 (never suspended,
    # select.auto) waited for the plan.
    assert host.read_during_survey
    assert set(host.read_during_survey) <= {"kz2", "kz3"}
    assert set(host.read) <= {"kz2", "kz3"}
    assert sorted(zone.name for zone in plan.zones) == ["kz1", "kz2", "kz3"]


KSTAT_FAILED = CommandFailed(["zlogin", "-n", "kz2", "kstat"], 1, "kstat: I/O error\n")
MKDIR_FAILED = CommandFailed(
    ["zlogin", "-n", "kz3", "kstat"], 2, "mkdir: Read-only file system\n", "boot_time\t3\n"
)
HUNG = CommandTimedOut(["zlogin", "-n", "kz4", "kstat"], 5.0)


class BothHost:
    """The boot time and the marker by one zlogin: kz1's answers, kz2's kstat
    fails (nothing printed), kz3's marker write fails after kstat answered, kz4's
    zlogin hangs to its timeout.  Records every call with its nonce."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def boot_time_and_new_marker(
        self, zone_name: str, nonce: str, *, timeout: float
    ) -> tuple[int, CommandFailed | None]:
        with self._lock:
            self.calls.append((zone_name, "both", nonce))
        if zone_name == "kz2":
            raise KSTAT_FAILED
        if zone_name == "kz4":
            raise HUNG
        return 1_700_000_000 + int(zone_name[2:]), MKDIR_FAILED if zone_name == "kz3" else None

    def write_resume_marker(self, zone_name: str, nonce: str, *, timeout: float) -> None:
        with self._lock:
            self.calls.append((zone_name, "marker", nonce))


def test_one_zlogin_reads_the_boot_time_and_writes_the_marker(tmp_path: Path) -> None:
    host = BothHost()
    ahead = read_ahead(host, write_marker=True)
    names = ["kz1", "kz2", "kz3", "kz4"]
    journal, record = cycle_record(tmp_path)
    ahead.attach(record, names, time.monotonic() + 60)
    ahead.want(names)
    for name in names:
        ahead.wait(name)
    ahead.close()
    calls = sorted(host.calls)
    nonces = {zone: nonce for zone, what, nonce in calls if what == "both"}
    # Only kz2's marker is written alone, with the nonce its list never reached; a
    # zlogin that hung (kz4) is not tried again.
    assert [(zone, what) for zone, what, _ in calls] == [
        ("kz1", "both"),
        ("kz2", "both"),
        ("kz2", "marker"),
        ("kz3", "both"),
        ("kz4", "both"),
    ]
    assert calls[2][2] == nonces["kz2"]
    cycle = journal.document.cycle
    assert cycle is not None
    assert {name: (zone.marker, zone.boot_time) for name, zone in cycle.zones.items()} == {
        "kz1": (MarkerEvidence(nonces["kz1"]), BootTimeEvidence(1_700_000_001)),
        "kz2": (MarkerEvidence(nonces["kz2"]), BootTimeEvidence(None, str(KSTAT_FAILED))),
        "kz3": (MarkerEvidence(None, str(MKDIR_FAILED)), BootTimeEvidence(1_700_000_003)),
        "kz4": (MarkerEvidence(None, str(HUNG)), BootTimeEvidence(None, str(HUNG))),
    }
