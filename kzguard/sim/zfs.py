"""The simulated host's ZFS pools: their space and the bytes suspend images moved on
them, which the simulated ``zpool iostat`` reports (:mod:`kzguard.sim.zpool`,
docs/solaris.md 14.1).

State ``pools`` (optional: a state written before it has none, and
:func:`pools` then makes the one pool every simulated host has, ``rpool``):

``{name: {size, read_bytes, write_bytes, since}}``

``size``         bytes: the pool's raw size (``vs_space``); what is allocated is not
                 kept here but read from its file systems (:func:`allocated`)
``read_bytes``   bytes resumes have read from images on the pool since ``since``
``write_bytes``  bytes suspends have written to images on the pool since ``since``
``since``        epoch seconds: when the pool was imported, which is when its
                 statistics began (the global zone's boot, :func:`reimport`)

Only image transfers do I/O here: a real pool also serves the global zone's own
reads and writes, which the simulator does not model.  The counters are floats,
since :func:`kzguard.sim.transfers.sync` advances transfers by fractions of a byte.
Operations are not counted but derived (:func:`operations`).

Imported by every simulated command that moves an image: standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    State = dict[str, Any]
    Pool = dict[str, Any]

# The pool of a Solaris 11 global zone's root file system and of its zones
# (rpool/ROOT/solaris, rpool/VARSHARE/zones: kzguard/sim/create.py).
ROOT_POOL = "rpool"
# ASSUMPTION: one I/O operation per 128 KiB moved, as if every image were written
# and read in whole records of ZFS's default recordsize (128 KB, the largest the
# Oracle Solaris ZFS Administration Guide's recordsize property allows; that 11.4
# keeps it as the default is UNCONFIRMED).  Real operation counts depend on the
# file's recordsize or the zvol's volblocksize, on aggregation in the I/O pipeline
# and on metadata (docs/solaris.md 14.1).
BYTES_PER_OPERATION = 128 << 10
# Storage URIs of a ZFS volume: dev: with the device path, absolute or relative to
# /dev (suriadm(1M) examples: dev:/dev/dsk/c4t1d0, dev:dsk/c4t1d0), and the block or
# raw device node of a volume, /dev/zvol/dsk/POOL/VOLUME or /dev/zvol/rdsk/... (zfs(8)).
_ZVOL_PREFIXES = ("zvol/dsk/", "zvol/rdsk/")


def dataset_pool(dataset: str) -> str:
    """The pool of a ZFS dataset name: its first component (rpool/VARSHARE/zones)."""
    return dataset.split("/", 1)[0]


def zvol_pool(uri: str) -> str | None:
    """The pool of the ZFS volume a storage URI names, or None when it names no
    local ZFS volume (iscsi://, nfs://, lu:, a dev: URI of a disk)."""
    if not uri.startswith("dev:"):
        return None
    path = uri[len("dev:") :]
    if path.startswith("/dev/"):
        path = path[len("/dev/") :]
    for prefix in _ZVOL_PREFIXES:
        if path.startswith(prefix):
            pool = dataset_pool(path[len(prefix) :])
            return pool or None
    return None


def new_pool(size: int, since: float) -> Pool:
    """A pool just imported: nothing read or written yet."""
    return {"size": size, "read_bytes": 0.0, "write_bytes": 0.0, "since": since}


def size_of(filesystems: list[dict[str, Any]], name: str) -> int:
    """A pool as big as its file systems' df sizes together, so that what df shows
    of them (size = used + available) adds up to the pool's alloc and free."""
    return sum(int(fs["size"]) for fs in filesystems if dataset_pool(fs["filesystem"]) == name)


def initial_pools(filesystems: list[dict[str, Any]], since: float) -> dict[str, Pool]:
    """The pools of a new host whose global zone booted at ``since``: rpool."""
    return {ROOT_POOL: new_pool(size_of(filesystems, ROOT_POOL), since)}


def pools(state: State) -> dict[str, Pool]:
    """The state's pools; a state written before pools existed gets, in place, an
    rpool imported at the global zone's boot with nothing counted yet."""
    table = state.get("pools")
    if table is None:
        table = initial_pools(state.get("filesystems", []), float(state.get("host_boot_time", 0)))
        state["pools"] = table
    return table


def count(state: State, pool: str, kind: str, nbytes: float) -> None:
    """Add ``nbytes`` moved by a transfer of ``kind`` to ``pool``'s counters: a
    resume reads its image, everything else writes one (as
    :func:`kzguard.sim.storage.pool_of` sorts them).  A pool the host does not have
    counts nothing."""
    entry = pools(state).get(pool)
    if entry is None or nbytes <= 0:
        return
    key = "read_bytes" if kind == "resume" else "write_bytes"
    entry[key] = float(entry[key]) + float(nbytes)


def reimport(state: State, now: float) -> None:
    """The global zone booted at ``now`` and imported its pools again: their
    statistics begin anew.  ``zpool iostat`` reports "the accumulated statistics
    since boot" (Oracle, "Listing Pool-Wide I/O Statistics") over the time the
    kernel gives with them, vs_timestamp, the time since the vdev's statistics
    began (illumos vdev.c vdev_get_stats()); that they begin at the import, which
    the boot does, is inferred (docs/solaris.md 14.1)."""
    table = pools(state)
    for name, entry in table.items():
        table[name] = new_pool(int(entry["size"]), now)


def allocated(state: State, name: str) -> int:
    """Bytes allocated in pool ``name``: what its file systems use (df size less
    available), no more than the pool's size.  A suspend reserves its image's
    space when it starts (kzguard/sim/lifecycle.py), so alloc grows then, not as
    the image is written; a zvol's space is not modelled."""
    used = sum(
        int(fs["size"]) - int(fs["available"])
        for fs in state.get("filesystems", [])
        if dataset_pool(fs["filesystem"]) == name
    )
    size = int(pools(state)[name]["size"])
    return max(0, min(used, size))


def operations(nbytes: float) -> float:
    """The I/O operations ``nbytes`` took (:data:`BYTES_PER_OPERATION`)."""
    return nbytes / BYTES_PER_OPERATION
