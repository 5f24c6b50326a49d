"""Several zoneadm processes at once: shared storage bandwidth, a consistent state."""

from __future__ import annotations

from pathlib import Path

from kzguard.sim import transitions
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost
from tests.sim.helpers import run, start
from tests.support import set_rates

GIB = 1 << 30


def _equal_zones(host: SimHost, names: list[str]) -> None:
    """Every zone 4G of memory with a 2 GiB image, no overheads."""
    with host.edit() as state:
        for name in names:
            state["zones"][name]["config"]["physical"] = "4G"
            state["zones"][name]["image_ratio"] = 0.5


def _suspend_all(host: SimHost, names: list[str]) -> float:
    """Suspend ``names`` at once; return the seconds from the first command's start
    to the last one's end, as the simulated commands logged them (the test
    machine's process start-up, which a loaded CI host stretches, is no part)."""
    already = len(host.commands())
    processes = [start(host, "zoneadm", "-z", name, "suspend") for name in names]
    statuses = [process.wait(timeout=60) for process in processes]
    assert statuses == [0] * len(names)
    events = host.commands()[already:]
    starts = [e["time"] for e in events if e["event"] == "start"]
    ends = [e["time"] for e in events if e["event"] == "end"]
    assert len(starts) == len(ends) == len(names)
    return float(max(ends) - min(starts))


def test_parallel_suspends_share_storage_one_alone_is_cpu_bound(tmp_path: Path) -> None:
    # One suspend alone: 2 GiB at its 1 GiB/s cap = 2 simulated s.  Four at once
    # share 1 GiB/s, less the default loss beyond 2 streams (3 % a stream): 8 GiB
    # in all = 8.5 simulated s, however their starts spread.  One simulated second
    # is 0.25 real s here: 0.5 s against 2.1 s.
    host = create_host(tmp_path / "host", zones=6, seed=0, time_scale=0.25)
    names = ["kz1", "kz2", "kz3", "kz4", "kz5", "kz6"]
    _equal_zones(host, names)
    set_rates(host, suspend_rate=GIB, storage_bandwidth=GIB, op_overhead=0.0)
    # One alone, twice (the faster counts): a process starved of CPU for a moment
    # under the whole suite wakes late, which only ever adds time.
    alone = min(_suspend_all(host, [name]) for name in names[:2])
    together = _suspend_all(host, names[2:])
    # The upper bounds leave room for a loaded machine's late wake-ups and slower
    # imports: under the whole suite (pytest -n 4 on 2 CPUs) four at once took up
    # to 3.08 s and one alone 1.02 s, their processes starved of CPU, not of
    # storage (2.8 s and 1.0 s failed: stop 18's CI, a clean-clone .ci/run, a
    # make test on 2026-12-03).  The sharing itself is what the lower bounds and
    # the ratio prove.
    assert 0.45 <= alone <= 1.5
    assert 1.95 <= together <= 3.5
    assert together > 1.8 * alone


def test_eight_parallel_suspends_keep_the_state_consistent(tmp_path: Path) -> None:
    # Equal 2 GiB images at 100 MiB/s each (eight of them exactly fill 800 MiB/s):
    # 20 simulated s = 0.8 s each however they overlap, so all eight are surely
    # in flight together even on a slow machine.
    host = create_host(tmp_path / "host", zones=8, seed=3, time_scale=0.04)
    set_rates(host, op_overhead=0.0, suspend_rate=float(100 << 20))
    names = [f"kz{index}" for index in range(1, 9)]
    _equal_zones(host, names)
    state = host.read()
    images = {n: transitions.image_bytes(state["zones"][n]) for n in names}
    free = next(fs for fs in state["filesystems"] if fs["mount"] == "/system/zones")["available"]
    _suspend_all(host, names)
    after = host.read()
    for name in names:
        zone = after["zones"][name]
        assert (zone["state"], zone["aux"], zone["id"], zone["op"]) == (
            "installed",
            ["suspended"],
            None,
            None,
        )
        assert zone["image"]["bytes"] == images[name]
    fs = next(fs for fs in after["filesystems"] if fs["mount"] == "/system/zones")
    assert fs["available"] == free - sum(images.values())
    assert after["io"]["transfers"] == []
    assert after["zones"]["ngz1"]["state"] == "running"
    # The command log shows all eight running at the same time.
    events = [e for e in host.commands() if e["tool"] == "zoneadm"]
    starts = [e["time"] for e in events if e["event"] == "start"]
    ends = [e["time"] for e in events if e["event"] == "end"]
    assert len(starts) == len(ends) == 8
    assert max(starts) < min(ends)
    # And they all resume, in parallel too (faster: the overlap is proven).
    with host.edit() as state:
        state["time_scale"] = 0.01
    processes = [start(host, "zoneadm", "-z", name, "boot") for name in names]
    assert [process.wait(timeout=60) for process in processes] == [0] * 8
    final = host.read()
    ids = sorted(final["zones"][name]["id"] for name in names)
    assert len(set(ids)) == 8
    assert ids[0] >= 10  # fresh ids after 1..9 used at creation
    restored = next(fs for fs in final["filesystems"] if fs["mount"] == "/system/zones")
    assert restored["available"] == free


def test_parallel_suspends_compete_for_the_last_free_space(host: SimHost) -> None:
    # Room for kz1's image only: of two simultaneous suspends exactly the ones
    # that fit succeed, and no space is lost either way.
    state = host.read()
    image1 = transitions.image_bytes(state["zones"]["kz1"])
    image3 = transitions.image_bytes(state["zones"]["kz3"])
    with host.edit() as state:
        fs = next(fs for fs in state["filesystems"] if fs["mount"] == "/system/zones")
        fs["available"] = max(image1, image3)
    first = start(host, "zoneadm", "-z", "kz1", "suspend")
    second = start(host, "zoneadm", "-z", "kz3", "suspend")
    statuses = sorted([first.wait(timeout=30), second.wait(timeout=30)])
    assert statuses in ([0, 1], [1, 1])
    after = host.read()
    suspended = [n for n in ("kz1", "kz3") if after["zones"][n]["image"] is not None]
    used = sum(after["zones"][n]["image"]["bytes"] for n in suspended)
    fs = next(fs for fs in after["filesystems"] if fs["mount"] == "/system/zones")
    assert fs["available"] == max(image1, image3) - used
    for name in ("kz1", "kz3"):
        expected = "installed" if name in suspended else "running"
        assert after["zones"][name]["state"] == expected


def test_list_while_zones_change_always_parses(host: SimHost) -> None:
    set_rates(host, boot_seconds=20.0, shutdown_seconds=20.0)
    processes = [
        start(host, "zoneadm", "-z", "kz1", "shutdown"),
        start(host, "zoneadm", "-z", "kz2", "suspend"),
        start(host, "zoneadm", "-z", "kz3", "reboot"),
    ]
    seen: set[str] = set()
    while any(process.poll() is None for process in processes):
        result = run(host, "zoneadm", "list", "-cp")
        assert result.status == 0
        for line in result.stdout.splitlines():
            fields = line.split(":")
            assert len(fields) == 10
            seen.add(fields[2])
    assert [process.wait(timeout=30) for process in processes] == [0, 0, 0]
    assert "running" in seen
    assert seen <= {"running", "installed", "shutting_down", "down", "ready"}
