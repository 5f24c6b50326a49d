"""Simulated ``/usr/sbin/zpool``: ``zpool iostat [-T d|u] [pool] ... [interval
[count]]`` over the simulated host's pools (:mod:`kzguard.sim.zfs`), as illumos
usr/src/cmd/zpool/zpool_main.c zpool_do_iostat() prints it (docs/solaris.md 14.1).

- Options by getopt "T:v"; then the trailing operands that are numbers are the
  interval and the count (get_interval_count()), the rest pool names, each checked
  and opened as libzfs does (zpool_open_canfail(): ``cannot open 'NAME': REASON``,
  exit status 1 at the end, the other pools still reported).  No pool named: every
  pool, sorted by name (zpool_iter.c, an AVL tree ordered by strcmp()).
- Each report: the time (-T u: seconds since the epoch; -T d: date(1)'s format),
  the header on the first report only, one row per pool, a separator after the
  rows when there is more than one pool, stdout flushed.  A row is the pool's
  alloc and free and its read and write operations and bytes per second, each
  through zfs_nicenum() in a 5-column field (print_vdev_stats()).
- The first report's rates are averages since the pool's statistics began (its
  import at the global zone's boot); each later one's, over the time since the
  report before (vs_timestamp's difference).  With an interval, a report every
  ``interval`` seconds, ``count`` of them or until killed.

Time is the simulator's: an interval of N sleeps N simulated seconds (N x
time_scale real seconds) and the rates are per simulated second.  A report reads
the state under its shared lock and brings the transfers in flight up to that
instant in memory, as a waiting zoneadm does (kzguard.sim.lifecycle _Op.transfer;
exact from the stored state, :func:`kzguard.sim.transfers.sync`): it never holds
the exclusive lock, and it sleeps holding none, so watching the pool slows no
zoneadm down.  The one exception is a state file written before pools were
modelled, given its pool by one edit (:func:`_observe`).

Not modelled (docs/solaris.md 14.1): ``-v``, whose rows are the pool's vdev tree,
which the simulator does not have (usage, exit 2), and every other subcommand
(answered as an unrecognized command, after a general usage listing iostat only).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from kzguard.sim import transfers, zfs
from kzguard.sim.options import OptionError, getopt
from kzguard.sim.record import Record
from kzguard.sim.state import SimHost
from kzguard.sim.tools import host_for

EXIT_ERROR = 1
EXIT_USAGE = 2

# zpool_main.c get_usage(HELP_IOSTAT), the only subcommand simulated.
IOSTAT_USAGE = "\tiostat [-v] [-T d|u] [pool] ... [interval [count]]\n"
# usage(): inside a command, "usage:" and its line; outside, the general usage,
# which on Solaris goes on to list every subcommand (command_table[]) and here
# lists the one simulated.
COMMAND_USAGE = "usage:\n" + IOSTAT_USAGE
GENERAL_USAGE = (
    "usage: zpool command args ...\nwhere 'command' is one of the following:\n\n" + IOSTAT_USAGE
)

# print_iostat_header() and print_iostat_separator().
HEADER_CAPACITY = "     capacity     operations    bandwidth"
HEADER_COLUMNS = "  alloc   free   read  write   read  write"
SEPARATOR_COLUMNS = "  -----  -----  -----  -----  -----  -----"
# get_namewidth(): "The width must fall into the range [10,38].  The upper limit is
# the maximum we can have and still fit in 80 columns."
MIN_NAME_WIDTH = 10
MAX_NAME_WIDTH = 38

# statcommon timestamp.c print_timestamp(): -T u prints time(NULL) with "%ld"; -T d
# strftime() with nl_langinfo(_DATE_FMT), in the C locale date(1)'s default format
# (read in a BSD-derived copy of libc's locale tables: docs/solaris.md 14.1).
DATE_FORMAT = "%a %b %e %H:%M:%S %Z %Y"
TIMESTAMP_FORMATS = ("u", "d")

# zfs_nicenum()'s units: bytes, then powers of 1024 up to exa, the most a uint64_t
# reaches.
NICENUM_UNITS = " KMGTPE"
ULONG_MAX = (1 << 64) - 1  # strtoul()'s range on 64-bit Solaris (ERANGE beyond)
# zfs_namecheck.c pool_namecheck(): ZFS_MAX_DATASET_NAME_LEN (256) less room for
# "pool/$ORIGIN@$ORIGIN".
MAX_POOL_NAME = 256 - 2 - 2 * len("$ORIGIN")
RESERVED_POOL_NAMES = ("mirror", "raidz")
POOL_NAME_PUNCTUATION = "-_.: "  # valid_char(), besides letters and digits


def nicenum(num: int) -> str:
    """``num`` as libzfs zfs_nicenum() writes it (illumos libzfs_util.c): below 1024
    as is; an exact multiple of its unit without decimals ("1K", "2M"); else the
    most decimals (2, 1, 0) that fit in 5 characters ("1.20K", "23.3M", "10.0K")."""
    value = num
    index = 0
    while value >= 1024 and index < len(NICENUM_UNITS) - 1:
        value //= 1024
        index += 1
    unit = NICENUM_UNITS[index]
    if index == 0:
        return str(value)
    base = 1 << (10 * index)
    if num % base == 0:
        return f"{value}{unit}"
    text = ""
    for precision in (2, 1, 0):
        text = f"{num / base:.{precision}f}{unit}"
        if len(text) <= 5:
            break
    return text


class PoolStats(Record):
    """One pool at one instant, as the kernel hands its statistics to zpool: the
    simulated seconds since they began (vs_timestamp), its space and its bytes."""

    name: str
    since: float
    age: float
    size: int
    alloc: int
    read_bytes: float
    write_bytes: float


class Observation(Record):
    """Every pool of the host at one instant, and the clock they run on."""

    pools: dict[str, PoolStats]
    time_scale: float


class _ZeroInterval(Exception):
    """get_interval_count(): "interval cannot be zero"."""


def main(argv: Sequence[str], host: SimHost | None = None) -> int:
    host = host_for(argv, host)
    args = list(argv[1:])
    # zpool_main.c main(): no command; "-?"; a command it does not know.
    if not args:
        sys.stderr.write("missing command\n" + GENERAL_USAGE)
        return EXIT_USAGE
    if args[0] == "-?":
        sys.stdout.write(GENERAL_USAGE)
        return 0
    if args[0] != "iostat":
        # Every other subcommand, known to Solaris or not: not simulated.
        sys.stderr.write(f"unrecognized command '{args[0]}'\n" + GENERAL_USAGE)
        return EXIT_USAGE
    return _iostat(host, args[1:])


def _usage() -> int:
    sys.stderr.write(COMMAND_USAGE)
    return EXIT_USAGE


def _iostat(host: SimHost, args: list[str]) -> int:
    # getopt(argc, argv, "T:v") with opterr = 0 (main()): each option acted on in
    # turn, so a bad -T argument ends the command before a later bad option is seen.
    bad_option: str | None = None
    try:
        options, operands = getopt(args, "T:v")
    except OptionError as error:
        options, operands, bad_option = error.parsed, [], error.letter
    timestamp: str | None = None
    verbose = False
    for option, value in options:
        if option == "-v":
            verbose = True
        elif value[:1] in TIMESTAMP_FORMATS:  # get_timestamp_arg(*optarg)
            timestamp = value[:1]
        else:
            return _usage()
    if bad_option is not None:
        sys.stderr.write(f"invalid option '{bad_option}'\n")
        return _usage()
    try:
        interval, count = _interval_count(operands)
    except _ZeroInterval:
        sys.stderr.write("interval cannot be zero\n")
        return _usage()

    # pool_list_get(): open each pool named, reporting those that cannot be.
    observation = _observe(host)
    status = 0
    named: list[str] = []
    for name in operands:
        problem = _name_problem(name)
        if problem is None and name not in observation.pools:
            problem = "no such pool"
        if problem is not None:
            # libzfs zfs_verror(): "%s: %s\n" of the action and the reason.
            sys.stderr.write(f"cannot open '{name}': {problem}\n")
            status = EXIT_ERROR
        elif name not in named:
            named.append(name)
    if operands and not named:
        return EXIT_ERROR
    if not operands and not observation.pools and interval == 0:
        sys.stderr.write("no pools available\n")
        return EXIT_ERROR
    if verbose:
        # -v prints each pool's vdev tree, which the simulator does not model:
        # refused as a usage error rather than printed wrongly (docs/solaris.md 14.1).
        return _usage()
    return _reports(
        host,
        observation,
        named=named,
        interval=interval,
        count=count,
        timestamp=timestamp,
        status=status,
    )


def _reports(
    host: SimHost,
    observation: Observation,
    *,
    named: list[str],
    interval: int,
    count: int,
    timestamp: str | None,
    status: int,
) -> int:
    """zpool_do_iostat()'s loop: a report, then sleep, until count runs out."""
    _die_of_signals_as_c_does()
    previous: dict[str, PoolStats] = {}
    iteration = 0
    while True:
        # pool_list_update() adds new pools when none was named; refresh_iostat()
        # drops those that are gone.
        if named:
            named = [name for name in named if name in observation.pools]
            shown = sorted(named)
        else:
            shown = sorted(observation.pools)
        if not shown:
            break
        # get_namewidth() sets the width from each pool in turn without comparing,
        # so the last pool's name decides.
        width = min(max(len(shown[-1]), MIN_NAME_WIDTH), MAX_NAME_WIDTH)
        lines = [] if timestamp is None else [_timestamp(timestamp)]
        iteration += 1
        if iteration == 1:
            lines += header_lines(width)
        for name in shown:
            old = previous.get(name) if iteration > 1 else None
            lines.append(pool_line(observation.pools[name], old, width))
        if len(shown) > 1:
            lines.append(separator_line(width))
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()
        previous = observation.pools
        if interval == 0:
            break
        if count != 0:
            count -= 1
            if count == 0:
                break
        time.sleep(interval * observation.time_scale)
        observation = _observe(host)
    return status


def _die_of_signals_as_c_does() -> None:
    """zpool is a C program: a reader that goes away (SIGPIPE) or a Control-C
    (SIGINT) ends it silently, by the signal; Python would raise instead."""
    import signal  # noqa: PLC0415 (only zpool iostat needs it)

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interval_count(operands: list[str]) -> tuple[int, int]:
    """get_interval_count(): if the last operand is a number it is the interval and
    is removed; then if the new last one is a number too, it is the interval and the
    one before the count."""
    interval = count = 0
    if operands and _starts_with_digit(operands[-1]):
        interval = _take_number(operands)
    if operands and _starts_with_digit(operands[-1]):
        count = interval
        interval = _take_number(operands)
    return interval, count


def _take_number(operands: list[str]) -> int:
    """The last operand as a number, removed; 0 and left in place when it starts
    with a digit without being one ("just plow on": it is then a pool name)."""
    parsed = _strtoul(operands[-1])
    if parsed is None:
        return 0
    if parsed == 0:
        raise _ZeroInterval
    operands.pop()
    return parsed


def _starts_with_digit(text: str) -> bool:
    return text != "" and "0" <= text[0] <= "9"  # isdigit() in the C locale


def _strtoul(text: str) -> int | None:
    """strtoul(text, &end, 10) when it ends at the end and sets no errno, else None."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= ULONG_MAX else None


def _name_problem(name: str) -> str | None:
    """Why libzfs would not open a pool of this name (zpool_name_valid() with
    isopen, pool_namecheck()), or None."""
    if len(name) >= MAX_POOL_NAME:
        return "name is too long"
    for char in name:
        if not (char.isascii() and (char.isalnum() or char in POOL_NAME_PUNCTUATION)):
            return f"invalid character '{char}' in pool name"
    if not (name[:1].isascii() and name[:1].isalpha()):
        return "name must begin with a letter"
    if name in RESERVED_POOL_NAMES:
        return "name is reserved"
    if name[:1] == "c" and _starts_with_digit(name[1:2]):
        return "pool name is reserved"  # a name like a disk's (c0t0d0)
    return None


def _observe(host: SimHost) -> Observation:
    """Every pool's statistics now: the state as read under the shared lock, with
    the transfers in flight advanced to this instant in memory."""
    state = host.read()
    if "pools" not in state:
        # A state file written before pools were modelled: its rpool is made and
        # kept (an edit, once), so that every later look counts from the same start.
        with host.edit() as edited:
            zfs.pools(edited)
        state = host.read()
    now = time.time()
    transfers.sync(state, now)
    scale = float(state["time_scale"])
    pools = {}
    for name, entry in zfs.pools(state).items():
        since = float(entry["since"])
        pools[name] = PoolStats(
            name=name,
            since=since,
            age=max(0.0, now - since) / scale,
            size=int(entry["size"]),
            alloc=zfs.allocated(state, name),
            read_bytes=float(entry["read_bytes"]),
            write_bytes=float(entry["write_bytes"]),
        )
    return Observation(pools, scale)


def header_lines(width: int) -> list[str]:
    """print_iostat_header(): two header lines and the separator."""
    return [
        " " * width + HEADER_CAPACITY,
        f"{'pool':<{width}}" + HEADER_COLUMNS,
        separator_line(width),
    ]


def separator_line(width: int) -> str:
    return "-" * width + SEPARATOR_COLUMNS


def pool_line(new: PoolStats, old: PoolStats | None, width: int) -> str:
    """print_vdev_stats() for a pool: its name, alloc and free, then its read and
    write operations and bytes per second since ``old`` (None: since its
    statistics began), each scaled by the time between the two and truncated to
    an integer as the C code's uint64_t cast does."""
    name = new.name if len(new.name) > width else f"{new.name:<{width}}"
    if old is not None and old.since != new.since:
        # Imported again since the last report (a simulated reboot; on Solaris the
        # command would not have outlived it): its counters started afresh.
        old = None
    elapsed = new.age - (old.age if old is not None else 0.0)
    scale = 1.0 / elapsed if elapsed > 0 else 1.0  # print_vdev_stats(): tdelta 0 -> 1.0
    if new.size == 0:
        line = name + "      -      -"  # "only toplevel vdevs have capacity stats"
    else:
        line = name + _stat(new.alloc) + _stat(new.size - new.alloc)
    old_read = old.read_bytes if old is not None else 0.0
    old_write = old.write_bytes if old is not None else 0.0
    for delta in (
        zfs.operations(new.read_bytes) - zfs.operations(old_read),
        zfs.operations(new.write_bytes) - zfs.operations(old_write),
        new.read_bytes - old_read,
        new.write_bytes - old_write,
    ):
        line += _stat(max(0, int(scale * delta)))
    return line


def _stat(value: int) -> str:
    """print_one_stat(): "  %5s" of zfs_nicenum()."""
    return f"  {nicenum(value):>5}"


def _timestamp(kind: str) -> str:
    now = time.time()
    if kind == "u":
        return str(int(now))
    return time.strftime(DATE_FORMAT, time.localtime(now))
