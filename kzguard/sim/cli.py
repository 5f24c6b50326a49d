"""``kzguard sim ...``: make and drive simulated hosts.

Wired into ``kzguard`` by :func:`add_parser`; also runs alone as
``python3 -m kzguard.sim.cli ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kzguard import __version__
from kzguard.sim import control, reboot, render, shutdown, storage, transfers
from kzguard.sim.create import create_host
from kzguard.sim.state import FAULTS, ZONE_FILE_MODES, SimHost, SimStateError
from kzguard.sim.zonesettings import SETTABLE_AUX, SMF_GROUPINGS, ZONE_SETTINGS

EXIT_OK = 0
EXIT_USAGE = 2


def _fill(parser: argparse.ArgumentParser) -> None:
    subparsers = parser.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    version = argparse.ArgumentParser(add_help=False)
    version.add_argument("--version", action="version", version=f"kzguard {__version__}")

    class Commands:
        """Each subcommand takes --version, like every kzguard command, and says
        what it does in its --help too."""

        @staticmethod
        def add_parser(name: str, *, help: str) -> argparse.ArgumentParser:
            description = help[0].upper() + help[1:] + "."
            return subparsers.add_parser(
                name, help=help, description=description, parents=[version]
            )

    commands = Commands()
    create = commands.add_parser("create", help="make a simulated host in DIR")
    create.add_argument("dir", metavar="DIR", help="new (or empty) directory")
    create.add_argument("--zones", type=int, default=4, help="kernel zones kz1..kzN (default 4)")
    create.add_argument("--seed", type=int, default=0, help="random seed for memory sizes")
    create.add_argument(
        "--time-scale",
        type=float,
        default=0.01,
        help="real seconds per simulated second (default 0.01)",
    )
    create.add_argument(
        "--storage-profile",
        choices=sorted(storage.PROFILES),
        help="storage saturating at 2, 4 or 8 concurrent streams (default: the defaults, as sat2)",
    )
    create.add_argument(
        "--reboot-seconds",
        type=float,
        metavar="SECONDS",
        help="simulated seconds a reboot spends powered off and booting "
        f"(default {reboot.DEFAULT_POWER_CYCLE_SECONDS:g}, an assumption: docs/solaris.md 14)",
    )
    create.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a rate after the profile (repeatable); `kzguard sim rates DIR` lists them",
    )
    rates = commands.add_parser(
        "rates", help="print the host's rates and storage model, after setting any given"
    )
    rates.add_argument("dir", metavar="DIR")
    rates.add_argument(
        "settings", metavar="KEY=VALUE", nargs="*", help=", ".join(storage.DEFAULT_RATES)
    )
    fault = commands.add_parser("fault", help="make an operation on a zone fail until cleared")
    fault.add_argument("dir", metavar="DIR")
    fault.add_argument("zone", metavar="ZONE")
    fault.add_argument("operation", metavar="OPERATION", choices=sorted(FAULTS))
    faults = "; ".join(f"{op}: {', '.join(sorted(kinds))}" for op, kinds in sorted(FAULTS.items()))
    fault.add_argument("fault", metavar="FAULT", help=faults)
    clear = commands.add_parser("clear-faults", help="remove every fault of a zone")
    clear.add_argument("dir", metavar="DIR")
    clear.add_argument("zone", metavar="ZONE")
    runlevel = commands.add_parser("runlevel", help="record `init LEVEL` (who -r, svcprop)")
    runlevel.add_argument("dir", metavar="DIR")
    runlevel.add_argument("level", metavar="LEVEL")
    runlevel.add_argument("--previous", help="previous level (default: the current one)")
    setting = commands.add_parser(
        "set", help="change zone settings: clock_step_at_resume, boot-priority, autoshutdown..."
    )
    setting.add_argument("dir", metavar="DIR")
    setting.add_argument("zone", metavar="ZONE")
    setting.add_argument(
        "settings", metavar="KEY=VALUE", nargs="+", help=", ".join(sorted(ZONE_SETTINGS))
    )
    aux = commands.add_parser("aux", help="put a running kernel zone in an auxiliary state")
    aux.add_argument("dir", metavar="DIR")
    aux.add_argument("zone", metavar="ZONE")
    aux.add_argument("aux", metavar="STATE", choices=[*sorted(SETTABLE_AUX), "none"])
    dependency = commands.add_parser(
        "smf-dependency", help="zonecfg add smf-dependency: the zone's instance depends on FMRI"
    )
    dependency.add_argument("dir", metavar="DIR")
    dependency.add_argument("zone", metavar="ZONE")
    dependency.add_argument("fmri", metavar="FMRI")
    dependency.add_argument("--name")
    dependency.add_argument("--grouping", choices=SMF_GROUPINGS)
    zone_files = commands.add_parser(
        "zone-files",
        help="whether /etc/zones/NAME.xml follows each zone's configuration (follow, the "
        "default) or stays as it is (frozen: configurations kept elsewhere)",
    )
    zone_files.add_argument("dir", metavar="DIR")
    zone_files.add_argument("mode", metavar="MODE", choices=ZONE_FILE_MODES)
    init = commands.add_parser(
        "init", help="`init LEVEL` as Solaris does before the stop methods (who -r, svcprop)"
    )
    init.add_argument("dir", metavar="DIR")
    init.add_argument("level", metavar="LEVEL")
    simple = {
        "power-off": "lose power: every running zone is lost",
        "zones-stop": "svc:/system/zones stops: apply each zone's autoshutdown",
        "zones-start": "svc:/system/zones starts: boot or resume autoboot zones",
        "reboot": "`reboot`: halt every zone, no stop methods",
        "boot-host": "the global zone boots: new boot time, run level 3",
        "show": "print the zones, file systems and run level",
        "state": "print the whole state as JSON (the file itself is marshal: kzguard/sim/state.py)",
    }
    for name, text in simple.items():
        commands.add_parser(name, help=text).add_argument("dir", metavar="DIR")


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """Register ``sim`` under ``subparsers``; its handler is :func:`run`."""
    parser = subparsers.add_parser(
        "sim",
        parents=list(parents),
        help="make and drive a simulated Solaris host (for tests and demos)",
        description="Make and drive a simulated Solaris global zone whose zoneadm, "
        "zonecfg, zlogin, svcprop, svcadm, svccfg, who, df, kstat, init, shutdown, beadm "
        "and zpool kzguard can run.",
    )
    _fill(parser)
    parser.set_defaults(handler=run, sim_run=run)
    return parser


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def show(state: dict[str, Any]) -> str:
    """``zoneadm list -cv`` plus auxiliary state, boot time, image and faults."""
    form = "%4s %-16s %-13s %-10s %-6s %-10s %-19s %-8s %s"
    lines = [form % ("ID", "NAME", "STATUS", "BRAND", "MEMORY", "AUX", "BOOTED", "IMAGE", "FAULTS")]
    for name, zone in [("global", render.GLOBAL_ZONE), *state["zones"].items()]:
        config = zone.get("config", {})
        image = zone.get("image")
        faults = ",".join(f"{op}={kind}" for op, kind in sorted(zone.get("faults", {}).items()))
        lines.append(
            form
            % (
                "-" if zone["id"] is None else zone["id"],
                name,
                zone["state"],
                zone["brand"],
                config.get("physical") or "-",
                ",".join(zone["aux"]) or "-",
                _when(zone.get("boot_time")),
                f"{image['bytes'] / (1 << 30):.1f}G" if image else "-",
                faults or "-",
            )
        )
    lines += ["", rates_text(state), ""]
    lines.append(render.DF_HEADER)
    lines += [render.df_line(fs) for fs in state["filesystems"]]
    lines.append("")
    lines.append(render.who_r(state["runlevel"]))
    return "\n".join(lines)


def rates_text(state: dict[str, Any]) -> str:
    """The host's rates, one ``key = value`` a line, under the clock they run on."""
    heading = (
        f"rates per simulated second (M = MiB; time scale {state['time_scale']:g} real s "
        "per simulated s):"
    )
    return "\n".join([heading, *storage.describe(state["rates"])])


def _events(events: list[control.Event]) -> None:
    for event in events:
        print(f"{event.zone}: {event.outcome}")


def _dispatch(args: argparse.Namespace) -> int:
    command = args.sim_command
    if command == "create":
        chosen = dict(storage.parse_setting(item) for item in args.rate)
        if args.reboot_seconds is not None:
            # Refused before anything is made: no half-made host.
            reboot.check_power_cycle_seconds(args.reboot_seconds, "--reboot-seconds")
        host = create_host(
            args.dir,
            zones=args.zones,
            seed=args.seed,
            time_scale=args.time_scale,
            scaled_limits=True,
            profile=args.storage_profile,
            rates=chosen,
        )
        if args.reboot_seconds is not None:
            reboot.set_power_cycle_seconds(host, args.reboot_seconds)
        print(f"simulated host created in {host.path}; policy file {host.policy_path}")
        return EXIT_OK
    host = SimHost(args.dir)
    if command == "fault":
        host.set_fault(args.zone, args.operation, args.fault)
    elif command == "clear-faults":
        host.clear_faults(args.zone)
    elif command == "runlevel":
        host.set_runlevel(args.level, args.previous)
    elif command == "set":
        for item in args.settings:
            key, equals, value = item.partition("=")
            if not equals:
                raise ValueError(f"{item!r} is not KEY=VALUE")
            host.set_zone_setting(args.zone, key, value)
    elif command == "rates":
        settings = [storage.parse_setting(item) for item in args.settings]
        if settings:
            with host.edit() as state:
                # Transfers in flight move at the old rates up to now (transfers.sync).
                transfers.sync(state, time.time())
                state["rates"].update(settings)
        print(rates_text(host.read()))
    elif command == "aux":
        host.set_aux(args.zone, None if args.aux == "none" else args.aux)
    elif command == "zone-files":
        host.set_zone_files(args.mode)
    elif command == "smf-dependency":
        host.add_smf_dependency(args.zone, args.fmri, name=args.name, grouping=args.grouping)
    elif command == "init":
        milestone = shutdown.begin(host, args.level)
        print(f"run level {args.level}; options_ovr/milestone {milestone or '(unchanged)'}")
    elif command == "power-off":
        _events(control.power_off(host))
    elif command == "zones-stop":
        _events(control.zones_service_stop(host))
    elif command == "zones-start":
        _events(control.zones_service_start(host))
    elif command == "reboot":
        _events(control.reboot_bypass(host))
    elif command == "boot-host":
        control.boot_host(host)
    elif command == "state":
        print(json.dumps(host.read(), indent=1, sort_keys=True))
    else:
        print(show(host.read()))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Carry out ``kzguard sim SUBCOMMAND``; return the exit status."""
    if args.sim_command != "create" and not Path(args.dir).is_dir():
        print(f"kzguard sim: {args.dir}: no such directory", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except KeyError as exc:
        print(f"kzguard sim: {exc.args[0]}", file=sys.stderr)
    except (SimStateError, ValueError, FileExistsError) as exc:
        print(f"kzguard sim: {exc}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kzguard sim", description="Make and drive a simulated Solaris host."
    )
    _fill(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
