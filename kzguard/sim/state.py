"""The simulated host's state: one file, shared by every simulated command.

``DIR/state.marshal`` is read and written under ``fcntl.flock`` on ``DIR/state.lock``
(shared for :meth:`SimHost.read`, exclusive for :meth:`SimHost.edit`) and replaced
atomically (temporary file + rename), so concurrent zoneadm processes never see a
torn file.  Nobody holds the lock while sleeping.  Every edit also keeps
``DIR/ops/OP_ID``, one empty file per zoneadm operation in flight
(:meth:`SimHost.op_marker`), for the waiting zoneadm processes to glance at.

Schema (``version`` 1); sizes are bytes, times are ``time.time()`` epoch seconds
unless said otherwise, "simulated seconds" are multiplied by ``time_scale`` to get
real seconds:

``version``            int, :data:`STATE_VERSION`
``release``            ``"11.4"``; per-zone SMF instances exist only on 11.4
``time_scale``         real seconds per simulated second (tests 0.01, demo 0.05);
                       set it while nothing is in flight: progress is computed
                       from elapsed real time at the current scale
``rates``              ``suspend_rate`` (bytes/simulated s one suspend can produce:
                       compress + encrypt is CPU-bound), ``storage_bandwidth``
                       (bytes/simulated s shared by every suspend at once),
                       ``storage_saturation``/``_loss``/``_floor`` (its loss beyond
                       saturation), ``resume_rate``, ``read_bandwidth`` and
                       ``read_saturation``/``_loss``/``_floor`` (the same for resumes:
                       :mod:`kzguard.sim.storage`, docs/solaris.md 14; the six
                       newer keys optional), ``op_overhead`` (simulated s added to every
                       zoneadm operation), ``boot_seconds``, ``shutdown_seconds``,
                       ``halt_seconds``, ``milestone_seconds`` (boot until
                       multi-user-server is online), ``resume_milestone_seconds``
                       (the same after a resume)
``list_s_accepts_c``   bool: ``zoneadm list -cs`` allowed (docs/formats.md)
``halt_discards_image``  bool: ``zoneadm halt`` of a suspended zone deletes the image
``already_in_state_exit``  exit status of ``boot`` of a booted zone and ``halt`` of a
                       halted one: 0 by default, as illumos zoneadmd answers
                       (lifecycle.py); 1 for a host that fails them
``zoneadmd``           (optional) ``"illumos"``: each zoneadm operation runs in a
                       process of its own that outlives a killed zoneadm, and
                       ``shutdown`` checks the zone before it waits (sim/zoneadm.py
                       _in_zoneadmd, docs/solaris.md 14); absent: in zoneadm itself
``host_boot_time``     int: when the global zone booted (``kstat`` in the global zone)
``runlevel``           ``{current, previous, count, time}`` as ``who -r`` prints it
``smf``                ``{fmri: {"pg/prop": [type, value]}}``: the repository svcprop
                       reads (the running snapshot); value is a string or a list
                       of strings.  The instances ``svc:/system/zones/zone:NAME``
                       are derived from the zones on every edit.
``services``           ``{"instances": {fmri: {enabled, temporary, refresh_count,
                       restart_count, clear_count, history}}, "manifests": [{path,
                       services, instances, content, time}]}``: svcadm/svccfg effects
``filesystems``        ``[{mount, filesystem, size, available}]``
``pools``              (optional) ``{name: {size, read_bytes, write_bytes, since}}``:
                       the host's ZFS pools (rpool, holding both file systems), the
                       bytes image transfers read and wrote on each since ``since``
                       (its import, at the global zone's boot), for ``zpool
                       iostat`` (:mod:`kzguard.sim.zfs`, docs/solaris.md 14.1); a
                       state without it is given an rpool with nothing counted
``zones``              ``{name: zone}`` in configuration order, zone being
                       ``{id (int|null), state, aux [str], brand, uuid, zonepath,
                       ip_type, config {autoboot, autoshutdown (str|null = not set),
                       physical (e.g. "4G"|null), suspend ({path, storage}|null),
                       bootargs}, boot_time (int|null), boot_history [int],
                       online_at (float|null: multi-user-server online from then),
                       image ({bytes, path, mount}|null), image_ratio (image bytes /
                       memory), faults {operation: fault}, commands {command line:
                       {status, stdout, stderr, not_ready_status}}, op (the zoneadm
                       operation in progress: {kind, op_id, pid, reserved, mount}|
                       null), last_bootargs [str]}``
                       Since issue 11 a zone may also hold ``volatile`` ({dirs,
                       files}: its /system/volatile, :mod:`kzguard.sim.volatile`),
                       ``clock_step_at_resume`` (seconds) and, in ``config``,
                       ``boot_priority`` and ``smf_dependencies`` [{name, fmri,
                       grouping}]; all optional (older state files lack them)
``smf_pending``        (optional) svccfg -s changes not yet refreshed
                       (:func:`kzguard.sim.smfrepo.pending`)
``zones_service``      (optional) the current shutdown: began, level, actions of
                       svc.zones, stop_methods (:mod:`kzguard.sim.shutdown`)
``zone_files``         (optional) ``"follow"`` (absent: the default) or ``"frozen"``:
                       whether /etc/zones/NAME.xml follows each zone's configuration
                       (:meth:`SimHost._mirror_zone_files`), or stays as it is, as on
                       a host that kept its configurations elsewhere would
                       (:meth:`SimHost.set_zone_files`; docs/solaris.md 2.6, 14)
``next_zone_id``       the id the next boot or resume gets
``io``                 ``{updated, transfers: [{op_id, zone, pid, kind, bytes,
                       remaining, cap, zpool}]}``: image writes/reads in flight,
                       advanced to ``updated`` by :func:`kzguard.sim.transfers.sync`;
                       ``zpool`` is the pool holding the image (null: none of the
                       host's; absent in older state files)
"""

from __future__ import annotations

import contextlib
import fcntl
import marshal
import os
import time
from collections.abc import Iterator

from kzguard.sim.zonesettings import SETTABLE_AUX, SMF_GROUPINGS, ZONE_SETTINGS

# Not typing.TYPE_CHECKING: typing is not imported at run time (kzguard/sim/record.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Union

    State = dict[str, Any]
    PathLike = Union[str, os.PathLike[str]]

STATE_VERSION = 1
RESTARTER = "svc:/system/svc/restarter:default"
RUNLEVEL_PROPERTY = "options_ovr/runlevel"
# One empty file per zoneadm operation in flight, named by its op_id
# (SimHost.op_marker).
OPS_DIR = "ops"
# Where zonecfg keeps each zone's configuration, NAME.xml (docs/solaris.md 2.6).
ZONE_FILES_DIR = "etc/zones"
# Whether those files follow the configurations (SimHost.set_zone_files).
FOLLOW, FROZEN = "follow", "frozen"
ZONE_FILE_MODES = (FOLLOW, FROZEN)
LOG_NAME = "commands.log"
OUTPUT_FAULTS_NAME = "output-faults.json"
STATE_NAME = "state.marshal"
# The state is JSON's data model (dicts with string keys, lists, strings, numbers,
# booleans, None) in marshal's format 2 rather than JSON text: json brings re and
# enum with it, a third of a simulated command's start-up (docs/performance.md, "A
# simulated command's start-up"), and marshal also reads and writes a 500-zone state
# faster.  Format 2, not the current one: format 3 and later share objects that
# appear twice (a list loaded back would be one list in two places, where JSON gave
# two) and mark them by reference count, so the same state would not always give the
# same bytes, which _store compares to skip writing an unchanged state.
# ``kzguard sim state DIR`` prints it as JSON.
MARSHAL_FORMAT = 2


# Output faults of kzguard.sim.tools (kept here: tools imports this module).
OUTPUT_FAULTS = frozenset(
    {"garbage", "empty", "truncate", "huge", "hang", "slow", "sigkill", "sigsegv"}
)

# Faults persist until cleared: a zone whose image is corrupt stays corrupt however
# often it is booted, which is what a retry loop in kzguard must cope with.
FAULTS: dict[str, frozenset[str]] = {
    "suspend": frozenset({"enospc", "hang", "lose-image"}),
    "resume": frozenset({"corrupt"}),
    "shutdown": frozenset({"hang"}),
    "boot": frozenset({"fail"}),
    # zlogin cannot reach the zone; its /system/volatile is read-only (EROFS).
    "zlogin": frozenset({"fail"}),
    "volatile": frozenset({"readonly"}),
}

_REQUIRED_KEYS = (
    "version",
    "release",
    "time_scale",
    "rates",
    "runlevel",
    "smf",
    "services",
    "filesystems",
    "zones",
    "next_zone_id",
    "io",
)


class SimStateError(Exception):
    """The state file is missing, unreadable or not a simulator state file."""


class SimHost:
    """One simulated host directory."""

    def __init__(self, path: PathLike) -> None:
        # Strings inside, a Path only for a caller that asks for one: importing
        # pathlib cost every simulated command 3.5 ms of CPU (docs/performance.md).
        self._root = os.path.realpath(path)
        self._state_file = os.path.join(self._root, STATE_NAME)
        self._lock_file = os.path.join(self._root, "state.lock")

    @property
    def root(self) -> str:
        """The host's directory, as a string."""
        return self._root

    @property
    def path(self) -> Path:
        return _path(self._root)

    @property
    def bin_dir(self) -> Path:
        return _path(self._root, "bin")

    @property
    def policy_path(self) -> Path:
        return _path(self._root, "policy.toml")

    @property
    def state_dir(self) -> Path:
        return _path(self._root, "var", "share", "kzguard")

    @property
    def console_path(self) -> Path:
        """The host's console: what methods write to /dev/msglog lands here."""
        return _path(self._root, "dev", "msglog")

    def console(self) -> str:
        """Everything written to the console so far."""
        try:
            return self.console_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    @property
    def log_path(self) -> Path:
        return _path(self._root, LOG_NAME)

    @property
    def state_file(self) -> Path:
        return _path(self._state_file)

    @property
    def lock_file(self) -> Path:
        return _path(self._lock_file)

    def op_marker(self, op_id: str) -> str:
        """A file that exists while the zoneadm operation ``op_id`` holds its zone:
        every edit mirrors the state's operations in flight into ``DIR/ops``.  A
        waiting zoneadm looks at its marker, not at the whole state, to notice a halt
        that took its zone away: on a 500-zone host, parsing the state at every
        glance cost each waiting zoneadm 3-4 ms ten times a second, and the shared
        lock of those reads held up every edit (docs/performance.md)."""
        return os.path.join(self._root, OPS_DIR, op_id)

    def executable(self, name: str) -> str:
        """Return the absolute path of the simulated command ``name``."""
        return os.path.join(self._root, "bin", name)

    @contextlib.contextmanager
    def _locked(self, mode: int, *, creating: bool = False) -> Iterator[None]:
        if not creating and not os.path.exists(self._state_file):
            # Checked before the lock file is made, so a wrong path stays untouched.
            if os.path.exists(os.path.join(self._root, "state.json")):
                raise SimStateError(
                    f"{self._root}: a simulated host of an older kzguard (state.json): "
                    "make it again with kzguard sim create"
                )
            raise SimStateError(f"{self._root}: no simulated host here (no {STATE_NAME})")
        try:
            fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SimStateError(f"{self._lock_file}: cannot open: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def _load_data(self) -> tuple[State, bytes]:
        try:
            with open(self._state_file, "rb") as handle:
                data = handle.read()
        except FileNotFoundError as exc:
            raise SimStateError(f"{self._state_file}: no simulated host here") from exc
        except OSError as exc:
            raise SimStateError(f"{self._state_file}: cannot read: {exc.strerror}") from exc
        try:
            # S302: this host's own file, written by _store; loading runs no code.
            state = marshal.loads(data)  # noqa: S302
        except (EOFError, ValueError, TypeError) as exc:
            raise SimStateError(f"{self._state_file}: garbled state file: {exc}") from exc
        check_state(state, self._state_file)
        return state, data

    def _load(self) -> State:
        return self._load_data()[0]

    def _store(self, state: State, unchanged: bytes | None = None) -> None:
        data = marshal.dumps(state, MARSHAL_FORMAT)
        if data == unchanged:
            return  # a read-only command that settled nothing leaves the file alone
        # Not tempfile.mkstemp: its import costs every simulated command 7 ms, and the
        # exclusive lock already makes this name unique to this process.
        temp = os.path.join(self._root, f".state.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, self._state_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def read(self) -> State:
        """Return a consistent snapshot of the state (changes to it are not saved)."""
        with self._locked(fcntl.LOCK_SH):
            return self._load()

    @contextlib.contextmanager
    def edit(self, *, settle: bool = True) -> Iterator[State]:
        """Yield the state for changing; it is written back when the block ends
        without an exception.  ``settle`` first brings in-flight transfers up to now
        and cleans up after zoneadm processes that were killed."""
        # Imported here: read-only commands (zonecfg export, zoneadm list, most
        # zlogins) never settle, and the transfer model's modules cost each of them
        # a few ms of start-up.
        from kzguard.sim import settle as settle_module  # noqa: PLC0415

        with self._locked(fcntl.LOCK_EX):
            state, data = self._load_data()
            images = _image_files(self._root, state)
            ops = _op_ids(state)
            configs = _configs(state)
            if settle:
                settle_module.settle(state, time.time())
            yield state
            settle_module.refresh_derived(state)
            self._store(state, unchanged=data)
            self._mirror_images(images, _image_files(self._root, state))
            self._mirror_ops(ops, _op_ids(state))
            self._mirror_zone_files(configs, state)

    def _mirror_images(self, before: dict[str, int], after: dict[str, int]) -> None:
        """Each suspend image with a path as a file of its size inside the host's
        root (sparse: no disk), written and removed as the state's images change, so
        that kzguard reads its size as on Solaris, where the suspend resource's path
        names a file in the global zone (docs/solaris.md 2.1).  The state stays the
        truth: a file that cannot be written or removed only misstates a size."""
        for path in before.keys() - after.keys():
            with contextlib.suppress(OSError):
                os.unlink(path)
        for path, nbytes in after.items():
            if before.get(path) == nbytes:
                continue
            with contextlib.suppress(OSError):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as handle:
                    handle.truncate(nbytes)

    def _mirror_ops(self, before: set[str], after: set[str]) -> None:
        """The markers of :meth:`op_marker`.  One that cannot be written only costs
        its zoneadm a read of the state at each glance."""
        for op_id in before - after:
            with contextlib.suppress(OSError):
                os.unlink(self.op_marker(op_id))
        if after - before:
            with contextlib.suppress(OSError):
                os.makedirs(os.path.join(self._root, OPS_DIR), exist_ok=True)
        for op_id in after - before:
            with contextlib.suppress(OSError):
                os.close(os.open(self.op_marker(op_id), os.O_WRONLY | os.O_CREAT, 0o644))

    def _mirror_zone_files(self, before: bytes, state: State) -> None:
        """Each zone's configuration as /etc/zones/NAME.xml inside the host's root,
        written as zonecfg commits one: a temporary file in /etc/zones renamed over
        it (libzonecfg.c zonecfg_save_impl()), so that its inode and times change
        with the configuration and only then (docs/solaris.md 2.6); removed with
        its zone.  ``before``: :func:`_configs` of the state before the change."""
        if state.get("zone_files") == FROZEN or _configs(state) == before:
            return
        from kzguard.sim import render  # noqa: PLC0415  (only when a configuration changed)

        old: dict[str, Any] = marshal.loads(before) if before else {}  # noqa: S302
        directory = os.path.join(self._root, ZONE_FILES_DIR)
        with contextlib.suppress(OSError):
            os.makedirs(directory, exist_ok=True)
        zones: dict[str, Any] = state["zones"]
        for name in old.keys() - zones.keys():
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, f"{name}.xml"))
        for name, zone in zones.items():
            if old.get(name) == zone["config"]:
                continue
            temp = os.path.join(directory, f"zonecfg.{os.getpid()}")
            with contextlib.suppress(OSError):
                with open(temp, "w", encoding="utf-8") as handle:
                    handle.write(render.zone_file(name, zone))
                os.chmod(temp, 0o644)
                os.replace(temp, os.path.join(directory, f"{name}.xml"))

    def create(self, state: State) -> None:
        """Write a brand-new state file (used by :func:`kzguard.sim.create.create_host`)."""
        from kzguard.sim import settle as settle_module  # noqa: PLC0415

        check_state(state, self._state_file)
        with self._locked(fcntl.LOCK_EX, creating=True):
            settle_module.refresh_derived(state)
            self._store(state)
            self._mirror_zone_files(b"", state)

    # Conveniences for tests and the ``kzguard sim`` command.

    def zone(self, name: str) -> dict[str, Any]:
        """Return a snapshot of zone ``name``; KeyError if there is none."""
        zones: dict[str, Any] = self.read()["zones"]
        if name not in zones:
            raise KeyError(f"no zone {name!r} on the simulated host")
        return zones[name]  # type: ignore[no-any-return]

    def set_fault(self, zone: str, operation: str, fault: str) -> None:
        """Make ``operation`` on ``zone`` fail with ``fault`` until cleared."""
        if operation not in FAULTS:
            raise ValueError(
                f"unknown operation {operation!r} (one of {', '.join(sorted(FAULTS))})"
            )
        if fault not in FAULTS[operation]:
            choices = ", ".join(sorted(FAULTS[operation]))
            raise ValueError(f"unknown {operation} fault {fault!r} (one of {choices})")
        with self.edit() as state:
            _zone_in(state, zone)["faults"][operation] = fault

    def clear_faults(self, zone: str) -> None:
        """Remove every fault of ``zone``."""
        with self.edit() as state:
            _zone_in(state, zone)["faults"] = {}

    def set_runlevel(self, level: str, previous: str | None = None) -> None:
        """Make ``who -r`` and the restarter's options_ovr/runlevel both show
        ``level``: the instant inside svc.startd's dgraph_set_runlevel() after it
        wrote utmpx and before it deleted the property (docs/solaris.md 12).  The
        whole Solaris sequence, after which a stop method finds the property
        gone, is :func:`kzguard.sim.shutdown.begin`."""
        with self.edit() as state:
            set_runlevel(state, level, previous, time.time())
            state["smf"].setdefault(RESTARTER, {})[RUNLEVEL_PROPERTY] = ["astring", level]

    def set_zone_files(self, mode: str) -> None:
        """``follow``: /etc/zones/NAME.xml is replaced as each zone's configuration
        changes, as zonecfg commits (the default); ``frozen``: the files stay as
        they are whatever changes, the other case docs/solaris.md 2.6 leaves open
        for Solaris 11.4 (configurations kept elsewhere, stale files left)."""
        if mode not in ZONE_FILE_MODES:
            raise ValueError(
                f"unknown zone files mode {mode!r} (one of {', '.join(ZONE_FILE_MODES)})"
            )
        with self.edit() as state:
            state["zone_files"] = mode

    def set_aux(self, zone: str, aux: str | None) -> None:
        """Put a running kernel zone into the auxiliary state ``aux`` (one of
        :data:`SETTABLE_AUX`), or take it out of any of them (None)."""
        if aux is not None and aux not in SETTABLE_AUX:
            choices = ", ".join(sorted(SETTABLE_AUX))
            raise ValueError(f"unknown auxiliary state {aux!r} (one of {choices}, or none)")
        with self.edit() as state:
            entry = _zone_in(state, zone)
            kept = [item for item in entry["aux"] if item not in SETTABLE_AUX]
            if aux is not None:
                if entry["state"] != "running" or entry["brand"] != "solaris-kz":
                    raise ValueError(
                        f"{zone} is not a running kernel zone (it is {entry['state']}, "
                        f"brand {entry['brand']})"
                    )
                kept.append(aux)
            entry["aux"] = kept

    def set_zone_setting(self, zone: str, key: str, value: str) -> None:
        """Change one setting of ``zone`` (see :data:`ZONE_SETTINGS`)."""
        if key not in ZONE_SETTINGS:
            raise ValueError(
                f"unknown zone setting {key!r} (one of {', '.join(sorted(ZONE_SETTINGS))})"
            )
        with self.edit() as state:
            ZONE_SETTINGS[key](_zone_in(state, zone), value)

    def add_smf_dependency(
        self, zone: str, fmri: str, *, name: str | None = None, grouping: str | None = None
    ) -> None:
        """``zonecfg add smf-dependency``: the zone's SMF instance depends on
        ``fmri`` (svc.zones(8); grouping defaults to require_all)."""
        if grouping is not None and grouping not in SMF_GROUPINGS:
            raise ValueError(f"unknown grouping {grouping!r} (one of {', '.join(SMF_GROUPINGS)})")
        if not fmri.startswith("svc:/"):
            raise ValueError(f"{fmri!r} is not an svc: FMRI")
        with self.edit() as state:
            config = _zone_in(state, zone)["config"]
            config.setdefault("smf_dependencies", []).append(
                {"name": name, "fmri": fmri, "grouping": grouping}
            )

    def set_zone_command(
        self,
        zone: str,
        command: str,
        *,
        status: int = 0,
        stdout: str = "",
        stderr: str = "",
        not_ready_status: int = 1,
    ) -> None:
        """Teach zlogin a command line for ``zone``: before the zone's milestone is
        online it exits ``not_ready_status`` silently, afterwards as given."""
        with self.edit() as state:
            _zone_in(state, zone)["commands"][command] = {
                "status": status,
                "stdout": stdout,
                "stderr": stderr,
                "not_ready_status": not_ready_status,
            }

    def set_output_fault(self, command: str, fault: str | None) -> None:
        """Make the command line ``command`` (tool name and arguments joined by
        spaces, e.g. ``"zoneadm list -cp"``) misbehave with ``fault``, one of
        garbage, empty, truncate, huge, hang, slow, sigkill, sigsegv (see
        :mod:`kzguard.sim.tools`); None clears it."""
        if fault is not None and fault not in OUTPUT_FAULTS:
            raise ValueError(
                f"unknown output fault {fault!r} (one of {', '.join(sorted(OUTPUT_FAULTS))})"
            )
        import json  # noqa: PLC0415  (not on a simulated command's path: see STATE_NAME)

        path = self.path / OUTPUT_FAULTS_NAME
        faults = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if fault is None:
            faults.pop(command, None)
        else:
            faults[command] = fault
        temp = path.with_name(f".output-faults.{os.getpid()}")
        temp.write_text(json.dumps(faults, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, path)

    def commands(self) -> list[dict[str, Any]]:
        """Return the command log, one dict per start or end event, oldest first."""
        import json  # noqa: PLC0415  (not on a simulated command's path: see STATE_NAME)

        try:
            text = self.log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        events: list[dict[str, Any]] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError as exc:
                raise SimStateError(f"{self.log_path}:{number}: garbled log line") from exc
        return events


def _path(*parts: str) -> Path:
    from pathlib import Path  # noqa: PLC0415  (see SimHost.__init__)

    return Path(*parts)


def set_runlevel(state: State, level: str, previous: str | None, now: float) -> None:
    """Change the run level in ``state`` the way init(8) records it."""
    runlevel = state["runlevel"]
    runlevel["previous"] = previous if previous is not None else runlevel["current"]
    runlevel["current"] = level
    runlevel["count"] = 0
    runlevel["time"] = int(now)


def check_state(state: object, source: str) -> None:
    """Raise SimStateError unless ``state`` looks like a simulator state."""
    if not isinstance(state, dict):
        raise SimStateError(f"{source}: not a kzguard simulator state file (not an object)")
    missing = [key for key in _REQUIRED_KEYS if key not in state]
    if missing:
        raise SimStateError(
            f"{source}: not a kzguard simulator state file (missing {', '.join(missing)})"
        )
    if state["version"] != STATE_VERSION:
        raise SimStateError(
            f"{source}: unsupported simulator state version {state['version']!r}"
            f" (this kzguard writes {STATE_VERSION})"
        )
    if not isinstance(state["zones"], dict) or not isinstance(state["filesystems"], list):
        raise SimStateError(f"{source}: garbled state file (zones or filesystems)")


def _zone_in(state: State, name: str) -> dict[str, Any]:
    zones: dict[str, Any] = state["zones"]
    if name not in zones:
        raise KeyError(f"no zone {name!r} on the simulated host")
    return zones[name]  # type: ignore[no-any-return]


def _configs(state: State) -> bytes:
    """Every zone's configuration, as bytes that differ when any of them does."""
    return marshal.dumps(
        {name: zone["config"] for name, zone in state["zones"].items()}, MARSHAL_FORMAT
    )


def _op_ids(state: State) -> set[str]:
    """The ids of the zoneadm operations in flight."""
    return {str(zone["op"]["op_id"]) for zone in state["zones"].values() if zone.get("op")}


def _image_files(root: str, state: State) -> dict[str, int]:
    """Where each suspend image with a path lies inside the host's ``root``, and its
    size; paths that would leave the root (``..``) are none of the simulator's."""
    files: dict[str, int] = {}
    for zone in state["zones"].values():
        image = zone.get("image")
        path = image.get("path") if isinstance(image, dict) else None
        if isinstance(path, str) and path.startswith("/") and "/../" not in path + "/":
            files[os.path.join(root, path.lstrip("/"))] = int(image["bytes"])
    return files
