"""The simulated ``zpool iostat`` (kzguard/sim/zpool.py) and the pool I/O it reports
(kzguard/sim/zfs.py): the layout of illumos zpool_main.c, zfs_nicenum(), the
rates of the storage model, and the errors, exactly (docs/solaris.md 14.1)."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import select
import time

import pytest

from kzguard.policy.model import Commands
from kzguard.sim import control, transfers, transitions, zfs, zpool
from kzguard.sim.state import SimHost
from kzguard.sim.tools import TOOLS
from tests.sim.helpers import run, start

MIB = 1 << 20
GIB = 1 << 30
HEADER = [
    "               capacity     operations    bandwidth",
    "pool        alloc   free   read  write   read  write",
    "----------  -----  -----  -----  -----  -----  -----",
]
SEPARATOR = HEADER[2]
COMMAND_USAGE = "usage:\n\tiostat [-v] [-T d|u] [pool] ... [interval [count]]\n"
GENERAL_USAGE = (
    "usage: zpool command args ...\n"
    "where 'command' is one of the following:\n\n"
    "\tiostat [-v] [-T d|u] [pool] ... [interval [count]]\n"
)


def row(name: str, *figures: str, width: int = 10) -> str:
    """A pool's row as print_vdev_stats() prints it: "%-*s" then "  %5s" each."""
    return f"{name:<{width}}" + "".join(f"  {figure:>5}" for figure in figures)


def space(host: SimHost) -> tuple[str, str]:
    """rpool's alloc and free as zpool shows them: its file systems' df figures."""
    state = host.read()
    used = sum(
        fs["size"] - fs["available"]
        for fs in state["filesystems"]
        if fs["filesystem"].startswith("rpool/")
    )
    return zpool.nicenum(used), zpool.nicenum(state["pools"]["rpool"]["size"] - used)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (786, "786"),
        (1023, "1023"),
        (1024, "1K"),
        (1228, "1.20K"),
        (10239, "10.0K"),  # 9.999K: one decimal, to fit in 5 characters
        (296 * 1024, "296K"),
        (88166, "86.1K"),
        (1023 * 1024 + 1, "1023K"),
        (1048575, "1024K"),
        (2 * MIB, "2M"),
        (24431820, "23.3M"),
        (int(57.7 * MIB), "57.7M"),
        (int(6.05 * GIB), "6.05G"),
        (5 << 40, "5T"),
        (1 << 60, "1E"),
        ((1 << 64) - 1, "16.0E"),  # UINT64_MAX, the largest a uint64_t holds
    ],
)
def test_nicenum_prints_as_libzfs_does(value: int, text: str) -> None:
    assert zpool.nicenum(value) == text


def test_the_first_report_is_the_average_since_the_pool_was_imported(host: SimHost) -> None:
    # Oracle's example row ("Listing Pool-Wide I/O Statistics"): 6.05G allocated,
    # 61.9G free, 786 bytes read and 107 written a second on average.  A million
    # simulated seconds since the import, so the command's own start-up (a few
    # hundred at most) moves no printed figure.
    with host.edit() as state:
        alloc, free = int(6.05 * GIB), int(61.9 * GIB)
        for fs in state["filesystems"]:
            fs["available"] = fs["size"]
        state["filesystems"][0]["available"] -= alloc
        state["pools"]["rpool"] = {
            "size": alloc + free,
            "read_bytes": 786.5e6,
            "write_bytes": 107.5e6,
            "since": time.time() - 1e6 * state["time_scale"],
        }
    result = run(host, "zpool", "iostat")
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        *HEADER,
        "rpool       6.05G  61.9G      0      0    786    107",
    ]


@pytest.mark.parametrize(
    ("kind", "cap", "figures"),
    [
        # 400 MiB a second in 128 KiB operations: 3200 a second.
        ("suspend", 400 * MIB, ("0", "3.12K", "0", "400M")),
        # A resume reads: 600 MiB, 4800 operations a second.
        ("resume", 600 * MIB, ("4.69K", "0", "600M", "0")),
    ],
)
def test_a_later_report_shows_what_a_transfer_moved_in_its_interval(
    host: SimHost, kind: str, cap: float, figures: tuple[str, ...]
) -> None:
    # One transfer alone, capped below the storage's bandwidth: the storage model
    # moves it at exactly its cap the whole interval long.
    with host.edit() as state:
        transfers.register(
            state,
            time.time(),
            op_id="watched",
            zone="kz1",
            pid=os.getpid(),
            kind=kind,
            nbytes=1 << 40,
            cap=cap,
            zpool="rpool",
        )
    result = run(host, "zpool", "iostat", "rpool", "1", "2")
    lines = result.stdout.splitlines()
    assert (result.status, result.stderr, lines[:3], len(lines)) == (0, "", HEADER, 5)
    assert lines[4] == row("rpool", *space(host), *figures)


def test_a_completed_transfer_counts_its_last_bytes_and_a_cancelled_one_does_not(
    host: SimHost,
) -> None:
    # A waiting zoneadm calls its transfer done up to FINISH_SLACK before the
    # model's end (kzguard/sim/lifecycle.py): those last bytes were written too.
    state = host.read()
    now = state["io"]["updated"]
    for op_id in ("done", "halted"):
        transfers.register(
            state,
            now,
            op_id=op_id,
            zone="kz1",
            pid=1,
            kind="suspend",
            nbytes=1000,
            cap=1.0,
            zpool="rpool",
        )
    transfers.complete(state, "done")
    transfers.remove(state, "halted")
    assert (state["pools"]["rpool"]["write_bytes"], state["io"]["transfers"]) == (1000, [])


def test_a_suspend_writes_its_whole_image_to_its_pool_and_a_resume_reads_it(
    host: SimHost,
) -> None:
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    image = host.zone("kz1")["image"]
    pool = host.read()["pools"]["rpool"]
    assert (pool["write_bytes"], pool["read_bytes"]) == (pytest.approx(image["bytes"]), 0)
    assert run(host, "zoneadm", "-z", "kz1", "boot").status == 0
    pool = host.read()["pools"]["rpool"]
    assert pool["read_bytes"] == pytest.approx(image["bytes"])
    assert pool["write_bytes"] == pytest.approx(image["bytes"])


@pytest.mark.parametrize(
    ("storage", "counted"),
    [
        ("iscsi://target/luname.naa.600144F035FF8500000050C884E50001", False),
        ("nfs://user:staff@server/export/kz1/suspend", False),
        ("dev:/dev/zvol/dsk/rpool/kz1-suspend", True),
        ("dev:zvol/rdsk/rpool/kz1-suspend", True),
    ],
)
def test_a_suspend_storage_uri_counts_only_when_it_is_a_volume_of_the_pool(
    host: SimHost, storage: str, counted: bool
) -> None:
    with host.edit() as state:
        state["zones"]["kz1"]["config"]["suspend"] = {"path": None, "storage": storage}
    assert run(host, "zoneadm", "-z", "kz1", "suspend").status == 0
    written = host.read()["pools"]["rpool"]["write_bytes"]
    assert written == (pytest.approx(host.zone("kz1")["image"]["bytes"]) if counted else 0)


@pytest.mark.parametrize(
    ("location", "pool"),
    [
        ("/system/zones/kz1/suspend", "rpool"),
        ("/var/share/zones/SYSsuspend/kz1", "rpool"),
        ("/net/server/kz1", None),  # an NFS mount: no pool of this host
        ("dev:/dev/zvol/dsk/rpool/v", "rpool"),
        ("dev:/dev/zvol/dsk/tank/v", None),  # a pool the host does not have
        ("dev:/dev/dsk/c4t1d0", None),
        ("lu:luname.naa.600144f0dbf8af190000510979640005", None),
        ("", None),
    ],
)
def test_the_pool_of_an_image_is_its_file_systems_or_its_volumes(
    host: SimHost, location: str, pool: str | None
) -> None:
    state = host.read()
    state["filesystems"].append(
        {"mount": "/net/server", "filesystem": "server:/export", "size": GIB, "available": GIB}
    )
    assert transitions.image_pool(state, location) == pool


def test_a_reboot_of_the_global_zone_imports_the_pool_again(host: SimHost) -> None:
    with host.edit() as state:
        state["pools"]["rpool"].update(read_bytes=5e9, write_bytes=7e9)
        before = state["pools"]["rpool"]["since"]
    booted = time.time()
    control.boot_host(host)
    state = host.read()
    pool = state["pools"]["rpool"]
    assert (pool["read_bytes"], pool["write_bytes"]) == (0, 0)
    assert booted <= pool["since"] <= time.time()
    assert pool["since"] > before
    assert int(pool["since"]) <= state["host_boot_time"]
    lines = run(host, "zpool", "iostat").stdout.splitlines()
    assert lines[3] == row("rpool", *space(host), "0", "0", "0", "0")


def test_a_pool_imported_again_between_reports_starts_its_rates_afresh(host: SimHost) -> None:
    # On Solaris a reboot would end the command; the simulator's zpool can outlive
    # one, and then reports the new import's averages, not a difference with the
    # old import's counters.
    process = start(host, "zpool", "iostat", "rpool", "20", "2")  # 0.2 s apart
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]
    with host.edit() as state:
        pool = state["pools"]["rpool"]
        # Imported a million simulated seconds ago, 800.5 operations (of 128 KiB,
        # 100.06 MiB) written a second since.
        pool.update(zfs.new_pool(pool["size"], time.time() - 1e6 * state["time_scale"]))
        pool["write_bytes"] = 1e6 * 800.5 * zfs.BYTES_PER_OPERATION
    stdout, _ = process.communicate(timeout=30)
    assert lines[3].rstrip("\n") == row("rpool", *space(host), "0", "0", "0", "0")
    assert stdout.splitlines() == [row("rpool", *space(host), "0", "800", "0", "100M")]


def test_t_u_prints_the_time_before_each_report(host: SimHost) -> None:
    before = int(time.time())
    result = run(host, "zpool", "iostat", "-T", "u", "rpool", "1", "2")
    after = int(time.time())
    lines = result.stdout.splitlines()
    assert (result.status, len(lines)) == (0, 7)
    assert lines[1:5] == [*HEADER, row("rpool", *space(host), "0", "0", "0", "0")]
    assert lines[6] == lines[4]
    assert before <= int(lines[0]) <= int(lines[5]) <= after


def test_t_d_prints_the_date_as_date_does(host: SimHost) -> None:
    result = run(host, "zpool", "iostat", "-Td")
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] \d\d:\d\d:\d\d \S+ \d{4}", lines[0]
    )
    assert lines[1:4] == HEADER


def test_every_pool_sorted_by_name_a_separator_after_each_report(host: SimHost) -> None:
    with host.edit() as state:
        state["filesystems"].append(
            {"mount": "/export", "filesystem": "tank/export", "size": 10 * GIB, "available": GIB}
        )
        state["pools"]["tank"] = zfs.new_pool(20 * GIB, time.time())
    lines = run(host, "zpool", "iostat", "1", "2").stdout.splitlines()
    rpool = row("rpool", *space(host), "0", "0", "0", "0")
    tank = row("tank", "9G", "11G", "0", "0", "0", "0")
    assert lines == [*HEADER, rpool, tank, SEPARATOR, rpool, tank, SEPARATOR]


def test_the_last_pools_name_sets_the_width_as_illumos_get_namewidth_does(
    host: SimHost,
) -> None:
    # get_namewidth() overwrites the width with each pool's name in turn: a longer
    # name before the last one is printed whole, pushing its row right.
    with host.edit() as state:
        state["pools"]["apoolwithalongname"] = zfs.new_pool(0, time.time())
    lines = run(host, "zpool", "iostat").stdout.splitlines()
    assert lines[3] == "apoolwithalongname      -      -      0      0      0      0"
    assert lines[4] == row("rpool", *space(host), "0", "0", "0", "0")


def test_a_bad_pool_is_reported_and_the_others_still_shown(host: SimHost) -> None:
    result = run(host, "zpool", "iostat", "nosuch", "rpool", "rpool")
    assert result.stdout.splitlines() == [*HEADER, row("rpool", *space(host), "0", "0", "0", "0")]
    assert (result.status, result.stderr) == (1, "cannot open 'nosuch': no such pool\n")


@pytest.mark.parametrize(
    ("args", "status", "stdout", "stderr"),
    [
        (["iostat", "0"], 2, "", "interval cannot be zero\n" + COMMAND_USAGE),
        # The last number is the interval, even when it was meant as a count.
        (["iostat", "rpool", "1", "0"], 2, "", "interval cannot be zero\n" + COMMAND_USAGE),
        (["iostat", "-x"], 2, "", "invalid option 'x'\n" + COMMAND_USAGE),
        (["iostat", "-T"], 2, "", "invalid option 'T'\n" + COMMAND_USAGE),
        (["iostat", "-T", "x"], 2, "", COMMAND_USAGE),
        # getopt's options are acted on in turn: the bad -T ends it before -q.
        (["iostat", "-Tx", "-q"], 2, "", COMMAND_USAGE),
        (["iostat", "-v"], 2, "", COMMAND_USAGE),  # not modelled: no vdev tree
        (["iostat", "-v", "nosuch"], 1, "", "cannot open 'nosuch': no such pool\n"),
        (["iostat", "nosuch", "5"], 1, "", "cannot open 'nosuch': no such pool\n"),
        # Not a whole number: a pool name ("just plow on"), and 5 the count.
        (["iostat", "1x", "5"], 1, "", "cannot open '1x': name must begin with a letter\n"),
        (["iostat", "mirror"], 1, "", "cannot open 'mirror': name is reserved\n"),
        (["iostat", "c0t0d0"], 1, "", "cannot open 'c0t0d0': pool name is reserved\n"),
        (
            ["iostat", "rpool/ROOT"],
            1,
            "",
            "cannot open 'rpool/ROOT': invalid character '/' in pool name\n",
        ),
        (["iostat", "p" * 240], 1, "", f"cannot open '{'p' * 240}': name is too long\n"),
        (["list"], 2, "", "unrecognized command 'list'\n" + GENERAL_USAGE),
        (["frobnicate"], 2, "", "unrecognized command 'frobnicate'\n" + GENERAL_USAGE),
        ([], 2, "", "missing command\n" + GENERAL_USAGE),
        (["-?"], 0, GENERAL_USAGE, ""),
    ],
)
def test_errors_are_zpools_own(
    host: SimHost,
    capsys: pytest.CaptureFixture[str],
    *,
    args: list[str],
    status: int,
    stdout: str,
    stderr: str,
) -> None:
    # In this process for speed: none of these reaches the reports (which set the
    # signal handlers of a C program); the executable itself is run above.
    assert zpool.main([str(host.executable("zpool")), *args], host) == status
    assert capsys.readouterr() == (stdout, stderr)


def test_the_executable_exits_with_the_usage_status(host: SimHost) -> None:
    result = run(host, "zpool", "iostat", "-v")
    assert (result.status, result.stdout, result.stderr) == (2, "", COMMAND_USAGE)


def test_no_pools_at_all(host: SimHost) -> None:
    with host.edit() as state:
        state["pools"] = {}
    result = run(host, "zpool", "iostat")
    assert (result.status, result.stdout, result.stderr) == (1, "", "no pools available\n")
    result = run(host, "zpool", "iostat", "1", "2")  # an interval: nothing to wait for
    assert (result.status, result.stdout, result.stderr) == (0, "", "")


def test_a_state_file_from_before_pools_gets_its_rpool(host: SimHost) -> None:
    with host.edit() as state:
        del state["pools"]
        boot_time = state["host_boot_time"]
        size = sum(fs["size"] for fs in state["filesystems"])
    assert "pools" not in host.read()
    result = run(host, "zpool", "iostat")
    assert (result.status, result.stdout.splitlines()[3]) == (
        0,
        row("rpool", *space(host), "0", "0", "0", "0"),
    )
    assert host.read()["pools"] == {
        "rpool": {"size": size, "read_bytes": 0, "write_bytes": 0, "since": boot_time}
    }
    # A suspend on such a state counts from its first edit on.
    with host.edit() as state:
        del state["pools"]
    assert run(host, "zoneadm", "-z", "kz2", "suspend").status == 0
    written = host.read()["pools"]["rpool"]["write_bytes"]
    assert written == pytest.approx(host.zone("kz2")["image"]["bytes"])


def test_output_faults_apply_to_zpool(host: SimHost) -> None:
    host.set_output_fault("zpool iostat rpool", "empty")
    result = run(host, "zpool", "iostat", "rpool")
    assert (result.status, result.stdout) == (0, "")


def test_it_sleeps_without_the_lock_on_the_hosts_clock(host: SimHost) -> None:
    # 50 simulated seconds between reports are half a real second at 0.01:
    # meanwhile the state's lock is free for any zoneadm.
    process = start(host, "zpool", "iostat", "rpool", "50")
    try:
        assert process.stdout is not None
        for _ in range(4):
            process.stdout.readline()
        reported = time.monotonic()
        time.sleep(0.2)  # well into its sleep
        fd = os.open(host.lock_file, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if held
        finally:
            os.close(fd)
        assert select.select([process.stdout], [], [], 10.0)[0], "no second report"
        assert process.stdout.readline().startswith("rpool ")
        assert 0.45 < time.monotonic() - reported < 10.0
    finally:
        process.kill()
        process.communicate()


def test_the_policy_names_the_simulated_commands_kzguard_knows(host: SimHost) -> None:
    # zpool is simulated whether or not kzguard runs it; the policy names a command
    # only once kzguard's [commands] table knows it, or the policy would be refused.
    known = {field.name for field in dataclasses.fields(Commands)}
    text = host.policy_path.read_text()
    named = set(re.findall(r"^(\w+) = ", text.split("[paths]")[0], re.MULTILINE))
    assert named == set(TOOLS) & known
    assert os.access(host.executable("zpool"), os.X_OK)
