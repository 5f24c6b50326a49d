"""Adapter to the global zone: Solaris commands in, model values out.

Thin by design: argv from :mod:`kzguard.solaris.argv`, execution by :mod:`kzguard.solaris.runner`,
meaning by :mod:`kzguard.solaris.parse`.  The only decisions here are about the commands
themselves (which variant this host accepts).
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from kzguard.errors import (
    CommandError,
    CommandFailed,
    OutputParseError,
    ParseError,
    excerpt,
)
from kzguard.model import FileSystemSpace, Zone, ZoneConfig, ZoneListing
from kzguard.policy.model import Commands
from kzguard.solaris.argv import MARKER_FILE, Argv, zone_instance
from kzguard.solaris.bounded import BoundedCalls, CallTimedOut
from kzguard.solaris.parse import beadm, df, kstat, svcprop, who, zoneadm, zonecfg, zpool
from kzguard.solaris.runner import Runner
from kzguard.solaris.simulated import host_path
from kzguard.solaris.zonefiles import stamp, zone_file, zone_files

log = logging.getLogger(__name__)

T = TypeVar("T")

# Listing and configuration commands answer in well under a second on a healthy
# host; the bounds only guard against a wedged zoneadmd or name service.
QUERY_TIMEOUT = 30.0
# zlogin into a zone that is still resuming can take a while to connect.
IN_ZONE_TIMEOUT = 15.0
# Configuration reads run concurrently: 500 zones read one at a time would make
# `kzguard status` take tens of seconds.
CONFIG_READERS = 8
# Operands per df call: far below any ARG_MAX (Solaris: 1 MB and more), while a
# failing batch costs at most this many single calls.
DF_OPERANDS = 128
# svccfg and svcadm talk to svc.configd and return at once; the bound is for a
# repository that does not answer.
SMF_CHANGE_TIMEOUT = 30.0
# A suspend image may live on NFS (a suspend resource's path is any global-zone
# path, docs/solaris.md 2.1), where a stat(2) blocks while the server does not
# answer: a local stat takes microseconds, a slow server a second.
IMAGE_STAT_TIMEOUT = 5.0
# zoneadm exits 2 on invalid usage (zoneadm(8)).
ZONEADM_USAGE = 2


# Where a run level was read (the journal's runlevel_source).
WHO_R = "who -r"
MILESTONE_SOURCE = "options_ovr/milestone"
RUNLEVEL_SOURCE = "options_ovr/runlevel"


@dataclass(frozen=True)
class RunLevel:
    """The run level the global zone is heading to, and where it was read from.

    ``level`` is a run level (0-6, S, s), or the milestone word when ``source`` is
    options_ovr/milestone; None when no source could be read, ``problems`` says why.
    """

    level: str | None
    source: str
    problems: tuple[str, ...] = ()

    @property
    def going_down(self) -> bool:
        """Whether the global zone is going down (only meaningful with a level)."""
        if self.source == MILESTONE_SOURCE:
            return svcprop.milestone_is_going_down(self.level or "")
        return who.is_going_down(self.level or "")

    def describe(self) -> str:
        """``run level 3``, or ``milestone all`` when read from options_ovr/milestone."""
        if self.source == MILESTONE_SOURCE:
            return f"milestone {self.level}"
        return f"run level {self.level}"


class Host:
    """The global zone, seen through its commands."""

    def __init__(self, commands: Commands, runner: Runner | None = None) -> None:
        self.argv = Argv(commands)
        self.commands = commands
        self.runner = runner or Runner()
        self._list_s_accepts_c: bool | None = None
        # Not named kzguard-...: an idle helper lingers, and the executors' fake-clock
        # tests count threads so named as busy workers (tests/unit/fakes.py).
        self._stats: BoundedCalls[os.stat_result] = BoundedCalls("image stat")

    # -- queries --------------------------------------------------------------

    def list_zones(self) -> list[ZoneListing]:
        """Every non-global zone from ``zoneadm list -cp`` that kzguard may act on.

        A line it refuses -- above all one whose zone name breaks the Solaris rule,
        which must never reach an argv -- is logged with the command and left out, so
        that one bad line does not keep kzguard from every other zone.
        """
        argv = self.argv.list_parseable()
        table = self._query(argv, zoneadm.parse_zone_table)
        for error in table.refused:
            log.warning(
                "%s: refusing the line %r: %s; kzguard will not act on that zone",
                " ".join(argv),
                excerpt(error.line),
                error.reason,
            )
        return table.zones

    def auxiliary_states(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Zone name -> (state, auxiliary states) from ``zoneadm list -s``.

        Whether ``-s`` combines with ``-c`` is UNCONFIRMED (docs/solaris.md 1.2), so the
        first call tries ``-cs`` and, if zoneadm calls that invalid usage, uses ``-s``
        from then on.  Plain ``-s`` may omit zones that are not running: a zone missing
        from the answer has auxiliary states nobody knows (:meth:`zones` says so in
        ``Zone.aux_known``, :meth:`zone_state` with None).
        """
        if self._list_s_accepts_c is not False:
            argv = self.argv.list_auxiliary(all_zones=True)
            try:
                states, refused = self._query(argv, zoneadm.parse_aux_table)
            except CommandFailed as error:
                if error.returncode != ZONEADM_USAGE:
                    raise
                log.debug("zoneadm does not accept 'list -cs'; using 'list -s'")
                self._list_s_accepts_c = False
            else:
                self._list_s_accepts_c = True
                _report_aux_refusals(argv, refused)
                return states
        argv = self.argv.list_auxiliary(all_zones=False)
        states, refused = self._query(argv, zoneadm.parse_aux_table)
        _report_aux_refusals(argv, refused)
        return states

    def zone_config(self, zone_name: str) -> ZoneConfig:
        """The zone's configuration from ``zonecfg -z ZONE export``."""
        argv = self.argv.zone_export(zone_name)
        return self._query(argv, lambda text: zonecfg.parse_zonecfg_export(zone_name, text))

    def zones(
        self,
        *,
        configure: Callable[[ZoneListing], bool],
        tolerant: bool = False,
        quiet: bool = False,
        listed: Callable[[Sequence[ZoneListing]], None] | None = None,
        reuse: Callable[[str, str | None], ZoneConfig | None] | None = None,
    ) -> list[Zone]:
        """A snapshot of every non-global zone, with auxiliary states, and with the
        configuration of each zone for which ``configure`` is true, and its zone
        file's stamp (:meth:`stamped_config`).  ``reuse(name, stamp)``: a
        configuration recorded for that stamp, taken instead of reading it
        (journal/configs.py); None reads it.

        ``tolerant`` is for the stop and start paths, which must still act on every
        zone they can:
        a ``zoneadm list -s`` that fails leaves the auxiliary states unknown
        (``Zone.aux_known``: the start path then boots a zone its stop suspended,
        which resumes it if its image is there), and a zonecfg that fails for a
        zone leaves that zone without a configuration and with ``config_error`` set,
        each with a warning.  Otherwise any failure raises CommandError.  ``quiet``
        logs those at debug level: for a second look in the same method, whose first
        look already warned.  ``listed`` is told the listing before the
        configurations are read (the stop path begins reading ahead then).
        """
        warn = log.debug if quiet else log.warning
        listings = self.list_zones()
        if listed is not None:
            listed(listings)
        try:
            aux: dict[str, tuple[str, tuple[str, ...]]] | None = self.auxiliary_states()
        except CommandError as error:
            if not tolerant:
                raise
            warn("%s; auxiliary states (suspended) unknown", error)
            aux = None

        def read(name: str) -> tuple[ZoneConfig | str, str | None]:
            return self.stamped_config(name, tolerant=tolerant)

        names = [listing.name for listing in listings if configure(listing)]
        stamped: dict[str, tuple[ZoneConfig | str, str | None]] = {}
        if reuse is not None:
            for name in names:
                now = self.config_stamp(name)
                recorded = reuse(name, now)
                if recorded is not None:
                    stamped[name] = (recorded, now)
        unread = [name for name in names if name not in stamped]
        stamped.update(zip(unread, self._concurrently(read, unread)))
        bare = [
            Zone(
                listing=listing,
                aux_states=aux[listing.name][1] if aux and listing.name in aux else (),
                aux_known=aux is not None and listing.name in aux,
            )
            for listing in listings
        ]
        return with_configs(bare, stamped, quiet=quiet)

    @functools.cached_property
    def _zone_files(self) -> str:
        return zone_files(self.commands)

    def config_stamp(self, zone_name: str) -> str | None:
        """The stamp of the zone's configuration file now (solaris/zonefiles.py)."""
        return stamp(zone_file(self._zone_files, zone_name))

    def stamped_config(
        self, zone_name: str, *, tolerant: bool = True
    ) -> tuple[ZoneConfig | str, str | None]:
        """The zone's configuration (or, ``tolerant``, why it could not be read) and
        its file's stamp: the same before and after the read, else None (a commit
        in between: which of the two the read saw is not known)."""
        before = self.config_stamp(zone_name)
        config = self.config_or_error(zone_name) if tolerant else self.zone_config(zone_name)
        after = self.config_stamp(zone_name)
        return config, before if before is not None and before == after else None

    def config_or_error(self, zone_name: str) -> ZoneConfig | str:
        """The zone's configuration, or why it could not be read (for the stop and
        start paths, which go on without it)."""
        try:
            return self.zone_config(zone_name)
        except CommandError as error:
            return str(error)

    def zone_state(self, zone_name: str) -> tuple[str, tuple[str, ...] | None] | None:
        """The zone's state and auxiliary states now (None for the latter when
        ``zoneadm list -s`` left the zone out: a plain ``-s`` may list running zones
        only, docs/solaris.md 1.2), or None if it is no longer configured.  Used to
        decide before a step and after a failed or timed-out one."""
        try:
            listings = self._query(
                self.argv.zone_list_parseable(zone_name), zoneadm.parse_zoneadm_list_p
            )
        except CommandFailed as error:
            if "No such zone configured" in error.stderr:
                return None
            raise
        match = [listing for listing in listings if listing.name == zone_name]
        if not match:
            return None
        found = self.auxiliary_states().get(zone_name)
        return match[0].state, None if found is None else found[1]

    def operate(self, zone_name: str, subcommand: str, *args: str, timeout: float) -> None:
        """``zoneadm -z ZONE suspend|shutdown|halt|boot``; raises CommandError."""
        self.runner.run(self.argv.zoneadm(zone_name, subcommand, *args), timeout=timeout)

    def boot_time(self, zone_name: str, *, timeout: float) -> int:
        """The zone's own boot time (kstat unix:0:system_misc:boot_time via zlogin)."""
        return self._query(
            self.argv.boot_time(zone_name), kstat.parse_kstat_boot_time, timeout=timeout
        )

    def image_size(self, path: str, *, timeout: float = IMAGE_STAT_TIMEOUT) -> int | None:
        """The size of the suspend image file at ``path`` (the zone's suspend
        resource, a global-zone path: docs/solaris.md 2.1), or None when there is no
        regular file there to measure (a storage URI's device, no image, no access)
        or the stat did not return within ``timeout`` seconds (it is then left to
        finish in its helper thread: kzguard/solaris/bounded.py).
        Not a command: the methods run as root in the global zone, where the file
        is; on a simulated host, inside its root."""
        try:
            image = self._stats.call(lambda: os.stat(host_path(self.commands, path)), timeout)
        except CallTimedOut:
            log.warning("%s: image size unknown: stat did not return in %gs", path, timeout)
            return None
        except (OSError, ValueError):
            return None
        return image.st_size if stat.S_ISREG(image.st_mode) and image.st_size > 0 else None

    def write_resume_marker(self, zone_name: str, nonce: str, *, timeout: float) -> None:
        """Write ``nonce`` as the zone's resume marker (:meth:`Argv.marker_writing`,
        one zlogin); raises CommandError."""
        self.runner.run(self.argv.marker_writing(zone_name, nonce), timeout=timeout)

    def boot_time_and_new_marker(
        self, zone_name: str, nonce: str, *, timeout: float
    ) -> tuple[int, CommandFailed | None]:
        """The zone's boot time, read by the zlogin that then writes ``nonce`` as its
        resume marker (:meth:`Argv.boot_time_and_marker_writing`), and the marker
        write's failure, if it failed.  Raises CommandError when the boot time
        cannot be read: zlogin or kstat failed, nothing was printed, and the
        marker's part of the list never ran (on a timeout, it may have)."""
        boot_time, rest = self._boot_time_first(
            self.argv.boot_time_and_marker_writing(zone_name, nonce), timeout=timeout
        )
        return boot_time, rest if isinstance(rest, CommandFailed) else None

    def read_resume_marker(self, zone_name: str, *, timeout: float) -> str | None:
        """The zone's resume marker, or None when there is none (cat: No such file
        or directory); raises CommandError when it cannot be read (zlogin fails)."""
        argv = self.argv.marker_reading(zone_name)
        try:
            result = self.runner.run(argv, timeout=timeout)
        except CommandFailed as error:
            if _marker_absent(error):
                return None
            raise
        return result.stdout.rstrip("\n")

    def boot_time_and_marker(
        self, zone_name: str, *, timeout: float
    ) -> tuple[int, str | CommandFailed | None]:
        """The zone's boot time and its resume marker, read by one zlogin
        (:meth:`Argv.boot_time_and_marker`): the marker's text, None when there is
        none, or the failure of its ``cat``.  Raises CommandError when the boot time
        cannot be read (zlogin or kstat failed: nothing was printed)."""
        boot_time, rest = self._boot_time_first(
            self.argv.boot_time_and_marker(zone_name), timeout=timeout
        )
        if isinstance(rest, CommandFailed):
            return boot_time, None if _marker_absent(rest) else rest
        return boot_time, rest.rstrip("\n")

    def _boot_time_first(
        self, argv: Sequence[str], *, timeout: float
    ) -> tuple[int, str | CommandFailed]:
        """Run an in-zone AND list that begins with kstat's boot time: the boot time
        and what followed its line, or the list's failure once kstat had answered
        (its line came: the list's status is a later command's).  Raises
        CommandError when kstat printed nothing (zlogin or kstat failed)."""
        try:
            result = self.runner.run(argv, timeout=timeout)
        except CommandFailed as error:
            if not error.stdout:
                raise
            kstat_line = error.stdout.partition("\n")[0]
            return self._parsed(argv, kstat.parse_kstat_boot_time, kstat_line + "\n"), error
        kstat_line, _, rest = result.stdout.partition("\n")
        return self._parsed(argv, kstat.parse_kstat_boot_time, kstat_line + "\n"), rest

    def zone_instances(self, zone_names: Sequence[str]) -> dict[str, bool]:
        """Whether each zone has its 11.4 SMF instance svc:/system/zones/zone:NAME."""

        def exists(name: str) -> bool:
            try:
                self.runner.run(
                    self.argv.instance_exists(zone_instance(name)), timeout=QUERY_TIMEOUT
                )
            except CommandFailed:
                return False
            return True

        return dict(zip(zone_names, self._concurrently(exists, zone_names)))

    def instance_properties(
        self, fmri: str, *, current: bool
    ) -> dict[str, dict[str, svcprop.Property]] | None:
        """Every property of an SMF instance, by group: the running snapshot, or with
        ``current`` the view svccfg edits (docs/solaris.md 5.5).  None when the
        repository has no such instance (svcprop: "doesn't match any entities")."""
        try:
            return self._query(
                self.argv.instance_properties(fmri, current=current),
                svcprop.parse_svcprop_properties,
            )
        except CommandFailed as error:
            if "doesn't match any entities" in error.stderr:
                return None
            raise

    def configure_instance(self, fmri: str, *subcommand: str) -> None:
        """``svccfg -s FMRI SUBCOMMAND...``: one change to the instance's current
        properties, seen by svc.startd only after :meth:`refresh_instance`."""
        self.runner.run(self.argv.svccfg_on(fmri, *subcommand), timeout=SMF_CHANGE_TIMEOUT)

    def refresh_instance(self, fmri: str) -> None:
        """``svcadm refresh FMRI``: the running snapshot takes the current properties."""
        self.runner.run(self.argv.refresh(fmri), timeout=SMF_CHANGE_TIMEOUT)

    def reboot_cleanly(self, *, timeout: float) -> None:
        """``init 6``: init asks svc.startd for run level 6 and returns; the stop
        methods and the reboot follow in the background (docs/solaris.md 4)."""
        self.runner.run(self.argv.init_reboot(), timeout=timeout)

    def boot_environment_names(self, *, timeout: float) -> tuple[str, ...]:
        """The names of the host's boot environments (``beadm list -H``)."""
        return self._query(
            self.argv.list_boot_environments(),
            beadm.parse_beadm_list_parseable,
            timeout=timeout,
        )

    def activate_boot_environment(self, name: str, *, timeout: float) -> None:
        """``beadm activate NAME``: the next boot boots that BE (beadm(8))."""
        self.runner.run(self.argv.activate_boot_environment(name), timeout=timeout)

    def host_boot_time(self) -> int:
        """The global zone's own boot time: tells a new boot from a service restart."""
        return self._query(self.argv.host_boot_time(), kstat.parse_kstat_boot_time, timeout=10.0)

    def host_boot_time_or_none(self, *, without_it: str = "") -> int | None:
        """:meth:`host_boot_time`, or None when it cannot be read; the reason is
        logged here, once, with what goes ``without_it``."""
        try:
            return self.host_boot_time()
        except CommandError as error:
            if without_it:
                log.warning("global zone boot time unknown (%s); %s", error, without_it)
            else:
                log.warning("global zone boot time unknown: %s", error)
            return None

    def milestone_state(self, zone_name: str, *, timeout: float) -> str:
        """The state of multi-user-server inside the zone (``online`` when ready)."""
        return self._query(
            self.argv.milestone_state(zone_name), svcprop.parse_svcs_state, timeout=timeout
        )

    def in_zone_succeeds(self, zone_name: str, command: str, *, timeout: float) -> bool:
        """Whether ``command`` exits 0 in the zone.  zlogin hands it to the zone's
        shell, as documented for zlogin's non-interactive mode (docs/solaris.md 8)."""
        try:
            self.runner.run(self.argv.in_zone(zone_name, command), timeout=timeout)
        except CommandFailed:
            return False
        return True

    def free_spaces(self, paths: Sequence[str]) -> dict[str, FileSystemSpace | str]:
        """``df -k`` for every path; a failure is kept as its message.

        One ``df -k PATH...`` per DF_OPERANDS paths: with ``%{zonename}`` in the
        suspend path every zone has its own directory, and one process per zone was
        most of the survey before the first suspend (bench/shutdown.py).  If a batch
        fails (a path that does not resolve makes df exit non-zero) or does not give
        one line per operand, its paths are asked one by one, so that each gets its
        own answer or its own error.
        """
        found: dict[str, FileSystemSpace | str] = {}
        for first in range(0, len(paths), DF_OPERANDS):
            batch = list(paths[first : first + DF_OPERANDS])
            spaces = self._free_space_batch(batch) if len(batch) > 1 else None
            if spaces is not None:
                found.update(zip(batch, spaces))
                continue

            def ask(path: str) -> FileSystemSpace | str:
                try:
                    return self.free_space(path)
                except CommandError as error:
                    return str(error)

            found.update(zip(batch, self._concurrently(ask, batch)))
        return found

    def _free_space_batch(self, paths: Sequence[str]) -> list[FileSystemSpace] | None:
        def parse_each(text: str) -> list[FileSystemSpace]:
            return df.parse_df_k_each(text, len(paths))

        try:
            return self._query(self.argv.free_space(*paths), parse_each)
        except CommandError as error:
            log.debug("%s; asking df path by path", error)
            return None

    def free_space(self, path: str) -> FileSystemSpace:
        """The file system holding ``path`` and its free bytes, from ``df -k``."""
        return self._query(self.argv.free_space(path), df.parse_df_k)

    def pool_traffic(self, seconds: int) -> zpool.PoolTraffic:
        """The bandwidth every pool read and wrote, together, over the next
        ``seconds`` (``zpool iostat SECONDS 2``; its first report, since boot, is
        skipped), and when that interval began and ended (time.monotonic: when the
        two reports arrived)."""
        argv = self.argv.pool_iostat(seconds)
        arrivals: list[tuple[float, int]] = []

        def arrived(data: bytes) -> None:
            received = arrivals[-1][1] if arrivals else 0
            arrivals.append((time.monotonic(), received + len(data)))

        result = self.runner.run(argv, timeout=seconds + QUERY_TIMEOUT, on_stdout=arrived)
        return self._parsed(
            argv, lambda text: zpool.parse_iostat_interval(text, arrivals), result.stdout
        )

    def runlevel(self) -> RunLevel:
        """Read the run level the global zone is moving to (docs/solaris.md 12).

        svc.startd's dgraph_set_runlevel() writes the new level to utmpx ("so stop
        rc scripts see the new settings via who -r") and sets options_ovr/milestone,
        then deletes options_ovr/runlevel, all before any stop method runs.  So
        ``who -r`` first, the milestone second, and the property init(8) wrote only
        as a last resort: its absence is the normal case and no problem at all.
        """
        problems = []
        sources: Sequence[tuple[str, list[str], Callable[[str], str]]] = (
            (WHO_R, self.argv.who_runlevel(), who.parse_who_r),
            (MILESTONE_SOURCE, self.argv.milestone_property(), svcprop.parse_svcprop_milestone),
            (RUNLEVEL_SOURCE, self.argv.runlevel_property(), svcprop.parse_svcprop_runlevel),
        )
        for source, argv, parser in sources:
            try:
                level = self._query(argv, parser, timeout=10.0)
            except CommandFailed as error:
                if source == RUNLEVEL_SOURCE and "Couldn't find property" in error.stderr:
                    continue
                problems.append(str(error))
                continue
            except CommandError as error:
                problems.append(str(error))
                continue
            if level and source == WHO_R and not who.is_going_down(level):
                # `svcadm milestone none` (or single-user) stops every service, the
                # zones' instances too, and changes no run level: only the milestone
                # override it writes says so (illumos svcadm.c set_milestone();
                # docs/solaris.md 12).
                milestone = self._milestone_override()
                if milestone and svcprop.milestone_is_going_down(milestone):
                    return RunLevel(milestone, MILESTONE_SOURCE, tuple(problems))
            if level:
                return RunLevel(level, source, tuple(problems))
            if source != RUNLEVEL_SOURCE:
                problems.append(f"{' '.join(argv)}: empty")
        return RunLevel(None, "none", tuple(problems))

    def _milestone_override(self) -> str | None:
        """svc.startd's ``options_ovr/milestone``, or None where it cannot be read (no
        override is the normal case on a running host, and nothing to report)."""
        try:
            return self._query(
                self.argv.milestone_property(), svcprop.parse_svcprop_milestone, timeout=10.0
            )
        except CommandError:
            return None

    # -- plumbing -------------------------------------------------------------

    def _query(
        self, argv: Sequence[str], parser: Callable[[str], T], *, timeout: float | None = None
    ) -> T:
        # QUERY_TIMEOUT is looked up at each call, so that a test can shorten it.
        result = self.runner.run(argv, timeout=QUERY_TIMEOUT if timeout is None else timeout)
        return self._parsed(argv, parser, result.stdout)

    @staticmethod
    def _parsed(argv: Sequence[str], parser: Callable[[str], T], text: str) -> T:
        try:
            return parser(text)
        except ParseError as error:
            raise OutputParseError(argv, error.line, error.reason) from None

    def _concurrently(self, function: Callable[[str], T], names: Iterable[str]) -> list[T]:
        names = list(names)
        if len(names) <= 1:
            return [function(name) for name in names]
        with ThreadPoolExecutor(max_workers=CONFIG_READERS) as pool:
            return list(pool.map(function, names))


def with_configs(
    zones: Iterable[Zone],
    configs: Mapping[str, tuple[ZoneConfig | str, str | None]],
    *,
    quiet: bool = False,
) -> list[Zone]:
    """``zones`` with the configurations read for them and their files' stamps; a
    zone whose read failed (a message instead) gets ``config_error`` and a warning
    (debug: ``quiet``)."""
    warn = log.debug if quiet else log.warning
    found = []
    for zone in zones:
        config, stamped = configs.get(zone.name, (None, None))
        if isinstance(config, str):
            warn("%s: configuration unknown: %s", zone.name, config)
            found.append(replace(zone, config=None, config_error=config, config_stamp=None))
        else:
            found.append(replace(zone, config=config, config_error="", config_stamp=stamped))
    return found


def _marker_absent(error: CommandFailed) -> bool:
    """cat's own "No such file or directory" for the marker's path (its wording:
    UNCONFIRMED, docs/formats.md); anything else, zlogin's own failures above all,
    is no proof of absence."""
    return MARKER_FILE in error.stderr and "No such file or directory" in error.stderr


def _report_aux_refusals(argv: Sequence[str], refused: Sequence[ParseError]) -> None:
    """Warn about the ``zoneadm list -s`` rows that could not be read.  A row refused
    for its zone name was already reported by :meth:`Host.list_zones`."""
    for error in refused:
        level = logging.DEBUG if "zone name" in error.reason else logging.WARNING
        log.log(
            level,
            "%s: ignoring the line %r: %s; that zone's auxiliary state is unknown",
            " ".join(argv),
            excerpt(error.line),
            error.reason,
        )
