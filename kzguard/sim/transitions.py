"""Zone state changes on the state dict, shared by zoneadm and the host events.

No sleeping and no locking here: callers hold :meth:`SimHost.edit`.
"""

from __future__ import annotations

import os

from kzguard.sim import transfers, volatile, zfs
from kzguard.units import parse_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    State = dict[str, Any]
    Zone = dict[str, Any]


KERNEL_ZONE_BRAND = "solaris-kz"
AUX_SUSPENDED = "suspended"
# States in which the zone exists in the kernel and has an id: zoneadm lists them
# without -c/-i and they take halt (illumos zoneadmd server(): running,
# shutting_down and down are handled together; ready has a virtual platform too).
ACTIVE_STATES = frozenset({"ready", "running", "shutting_down", "down"})
STATE_ORDER = (
    "configured",
    "incomplete",
    "unavailable",
    "installed",
    "ready",
    "mounted",
    "running",
    "shutting_down",
    "down",
)
# A kernel zone without capped-memory gets the brand default; 4G is the 11.4
# SYSsolaris-kz template value as far as known (UNCONFIRMED).
DEFAULT_KZ_MEMORY = "4G"


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs; a killed zoneadm not yet reaped (zombie) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[-1].split()
    except OSError:
        return True
    return not fields or fields[0] not in ("Z", "X")


def state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else -1


def expand_tokens(text: str, zonename: str) -> str:
    """Expand the zonecfg token kzguard must understand (docs/solaris.md 2.1)."""
    return text.replace("%{zonename}", zonename)


def suspend_location(name: str, zone: Zone) -> tuple[str | None, str | None]:
    """Return (expanded path, storage URI) of the zone's suspend resource."""
    resource = zone["config"].get("suspend") or {}
    path = resource.get("path")
    storage = resource.get("storage")
    return (expand_tokens(path, name) if path else None, storage or None)


def memory_bytes(zone: Zone) -> int:
    return parse_size(zone["config"].get("physical") or DEFAULT_KZ_MEMORY)


def image_bytes(zone: Zone) -> int:
    """Suspend images are compressed, so smaller than memory (docs/solaris.md 1.4)."""
    return int(memory_bytes(zone) * float(zone["image_ratio"]))


def filesystem_for(state: State, path: str) -> dict[str, Any] | None:
    """Return the file system holding ``path``: the longest mount-point prefix."""
    best: dict[str, Any] | None = None
    for fs in state["filesystems"]:
        mount = fs["mount"].rstrip("/") or "/"
        inside = mount in ("/", path) or path.startswith(mount + "/")
        if path.startswith("/") and inside and (best is None or len(mount) > len(best["mount"])):
            best = fs
    return best


def image_pool(state: State, location: str) -> str | None:
    """The ZFS pool holding a suspend image at ``location``, or None when no pool of
    the host holds it.  A ``path`` is a file in the global zone (docs/solaris.md
    2.1), on the pool of the file system holding it: the first component of its
    dataset (rpool/VARSHARE/zones).  A ``storage`` URI is on a pool only when it
    names a ZFS volume (dev:/dev/zvol/dsk/POOL/...); iscsi://, nfs://, lu: and disks
    are storage of their own, on no local pool."""
    if location.startswith("/"):
        fs = filesystem_for(state, location)
        pool = zfs.dataset_pool(str(fs["filesystem"])) if fs is not None else None
    else:
        pool = zfs.zvol_pool(location)
    return pool if pool is not None and pool in zfs.pools(state) else None


def _filesystem_at(state: State, mount: str | None) -> dict[str, Any] | None:
    for fs in state["filesystems"]:
        if fs["mount"] == mount:
            return fs  # type: ignore[no-any-return]
    return None


def give_back_space(state: State, mount: str | None, nbytes: int) -> None:
    fs = _filesystem_at(state, mount)
    if fs is not None and nbytes:
        fs["available"] = min(fs["size"], fs["available"] + nbytes)


def allocate_id(state: State) -> int:
    zone_id = int(state["next_zone_id"])
    state["next_zone_id"] = zone_id + 1
    return zone_id


def new_boot_time(zone: Zone, now: float) -> int:
    """A cold boot always gets a later boot time than the last one, even within a
    second, so "resumed" (boot time unchanged) is never confused with "rebooted"."""
    previous = zone["boot_time"]
    if previous is None and zone["boot_history"]:
        previous = zone["boot_history"][-1]
    return max(int(now), int(previous or 0) + 1)


def retire_boot_time(zone: Zone) -> None:
    """The zone's running state is gone: its boot time becomes history and its
    memory-backed /system/volatile is emptied (the next boot starts afresh)."""
    if zone["boot_time"] is not None:
        zone["boot_history"].append(zone["boot_time"])
        zone["boot_time"] = None
    volatile.clear(zone)


def step_clock_at_resume(zone: Zone) -> None:
    """A resumed guest whose clock is stepped (setting ``clock_step_at_resume``)
    reports a boot time moved by the step: whether Solaris rewrites boot_time at
    resume is UNCONFIRMED (docs/solaris.md 8), so kzguard must survive it."""
    step = int(zone.get("clock_step_at_resume") or 0)
    if step and zone["boot_time"] is not None:
        zone["boot_time"] = int(zone["boot_time"]) + step


def is_suspended(zone: Zone) -> bool:
    return zone["state"] == "installed" and AUX_SUSPENDED in zone["aux"]


def discard_image(state: State, zone: Zone) -> None:
    """Delete the zone's suspend image: its space returns, the zone is plain halted."""
    image = zone["image"]
    if image is not None:
        give_back_space(state, image.get("mount"), int(image["bytes"]))
    zone["image"] = None
    zone["aux"] = [aux for aux in zone["aux"] if aux != AUX_SUSPENDED]
    if zone["state"] in ("installed", "configured"):
        retire_boot_time(zone)


def cancel_op(state: State, zone: Zone) -> None:
    """Abandon the zoneadm operation in progress: free what it reserved."""
    op = zone["op"]
    if op is None:
        return
    give_back_space(state, op.get("mount"), int(op.get("reserved") or 0))
    transfers.remove(state, op["op_id"])
    zone["op"] = None


def make_installed(state: State, zone: Zone) -> None:
    """The zone is halted: no id, nothing running.  A zone with an image (one that
    was being resumed) stays suspended; anything else loses its boot time."""
    cancel_op(state, zone)
    zone["state"] = "installed"
    zone["id"] = None
    zone["online_at"] = None
    if zone["image"] is not None:
        zone["aux"] = [AUX_SUSPENDED]
    else:
        zone["aux"] = []
        retire_boot_time(zone)


def make_running(state: State, zone: Zone, now: float, *, boot_time: int, settle: float) -> None:
    """The zone runs; its multi-user-server milestone comes online ``settle``
    simulated seconds from ``now``."""
    zone["state"] = "running"
    if zone["id"] is None:
        zone["id"] = allocate_id(state)
    zone["aux"] = []
    zone["boot_time"] = boot_time
    zone["online_at"] = now + settle * float(state["time_scale"])


def suspend_now(state: State, zone: Zone, *, nbytes: int, path: str, mount: str | None) -> None:
    """The zone's memory is in its image: installed + suspended, boot time kept."""
    zone["state"] = "installed"
    zone["aux"] = [AUX_SUSPENDED]
    zone["id"] = None
    zone["online_at"] = None
    zone["image"] = {"bytes": nbytes, "path": path, "mount": mount}


def lose(state: State, zone: Zone) -> None:
    """Power is gone: whatever ran is lost; a finished suspend image survives."""
    cancel_op(state, zone)
    if zone["state"] in ACTIVE_STATES:
        make_installed(state, zone)
