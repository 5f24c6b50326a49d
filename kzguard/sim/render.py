"""What the simulated commands print, per docs/formats.md.  Pure functions."""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    State = dict[str, Any]
    Zone = dict[str, Any]


GLOBAL_ZONE: Zone = {
    "id": 0,
    "state": "running",
    "aux": [],
    "brand": "solaris",
    "uuid": "",
    "zonepath": "/",
    "ip_type": "shared",
}


def _id(zone: Zone) -> str:
    return "-" if zone["id"] is None else str(zone["id"])


def list_parsable(name: str, zone: Zone) -> str:
    """One ``zoneadm list -p`` line: 9 fields and an empty 10th (formats.md; the
    global zone's file-mac-profile is ``none``, IPS test fixture in docs/solaris.md 1.3)."""
    zonepath = zone["zonepath"].replace(":", "\\:")
    mac_profile = "none" if name == "global" else ""
    fields = [
        _id(zone),
        name,
        zone["state"],
        zonepath,
        zone["uuid"],
        zone["brand"],
        zone["ip_type"],
        "-",
        mac_profile,
        "",
    ]
    return ":".join(fields)


# printf "%4s %-16s %-11s %-28s %-10s %s" (formats.md)
VERBOSE_FORMAT = "{:>4} {:<16} {:<11} {:<28} {:<10} {}"


def list_verbose_header() -> str:
    return VERBOSE_FORMAT.format("ID", "NAME", "STATUS", "PATH", "BRAND", "IP")


def list_verbose(name: str, zone: Zone) -> str:
    # Kernel zones show PATH "-" (docs/solaris.md 1.1, PAVEL transcript).
    path = "-" if zone["brand"] == "solaris-kz" else zone["zonepath"]
    return VERBOSE_FORMAT.format(
        _id(zone), name, zone["state"], path, zone["brand"], zone["ip_type"]
    )


def list_aux_header() -> str:
    return "NAME             STATUS           AUXILIARY STATE"


def list_aux(name: str, zone: Zone) -> str:
    # Several auxiliary states comma-separated: UNCONFIRMED (formats.md).
    # printf "%-16s %-16s %s", then trailing blanks dropped (formats.md).
    return f"{name:<16} {zone['state']:<16} {','.join(zone['aux'])}".rstrip()


def _quote(value: str) -> str:
    """As illumos zonecfg.c quoteit() prints a value: double-quoted when it holds a
    space, nothing inside escaped (docs/solaris.md 2.5; 11.4's own: UNCONFIRMED)."""
    return f'"{value}"' if " " in value else value


def _disk_storage(name: str) -> str:
    return f"dev:/dev/zvol/dsk/rpool/VARSHARE/zones/{name}/disk0"


def export(name: str, zone: Zone) -> str:
    """``zonecfg -z NAME export`` (docs/solaris.md 2.5; the anet/device resources are
    there so parsers prove they skip what they do not need)."""
    config = zone["config"]
    lines = ["create -b"]
    kernel = zone["brand"] == "solaris-kz"
    if kernel:
        lines.append("set brand=solaris-kz")
    else:
        lines.append(f"set zonepath={zone['zonepath']}")
    lines.append(f"set autoboot={'true' if config['autoboot'] else 'false'}")
    if config.get("autoshutdown"):
        lines.append(f"set autoshutdown={config['autoshutdown']}")
    if config.get("bootargs"):
        lines.append(f"set bootargs={_quote(config['bootargs'])}")
    if config.get("boot_priority"):
        lines.append(f"set boot-priority={config['boot_priority']}")
    if not kernel:
        lines.append("set ip-type=exclusive")
    lines += ["add anet", "set lower-link=auto", "set mac-address=auto", "set id=0", "end"]
    if kernel:
        lines += ["add device", f"set storage={_disk_storage(name)}", "set bootpri=0"]
        lines += ["set id=0", "end"]
    if config.get("physical"):
        lines += ["add capped-memory", f"set physical={config['physical']}", "end"]
    suspend = config.get("suspend")
    if suspend and (suspend.get("path") or suspend.get("storage")):
        lines.append("add suspend")
        for key in ("path", "storage"):
            if suspend.get(key):
                lines.append(f"set {key}={_quote(suspend[key])}")
        lines.append("end")
    for dependency in config.get("smf_dependencies") or []:
        lines.append("add smf-dependency")
        lines += [f"set {key}={dependency[key]}" for key in _SMF_DEPENDENCY_KEYS if dependency[key]]
        lines.append("end")
    return "\n".join(lines) + "\n"


# zonecfg smf-dependency resource properties (svc.zones(8), Oracle "Zone SMF
# Dependencies" example: set name=..., set fmri=..., set grouping=...).
_SMF_DEPENDENCY_KEYS = ("name", "fmri", "grouping")


def _resource(title: str, props: list[tuple[str, str | None]]) -> list[str]:
    lines = [f"{title}:"]
    for key, value in props:
        lines.append(f"\t{key}: {value}" if value is not None else f"\t{key} not specified")
    return lines


def info(name: str, zone: Zone, what: str | None) -> list[str]:
    """``zonecfg -z NAME info [WHAT]``: global properties ``name: value``,
    resources ``name:`` + TAB ``prop: value`` / TAB ``prop not specified``
    (illumos zonecfg.c output_prop; docs/solaris.md 2.2, 2.4)."""
    config = zone["config"]
    autoshutdown = config.get("autoshutdown")
    sections: dict[str, list[str]] = {
        "zonename": [f"zonename: {name}"],
        "brand": [f"brand: {zone['brand']}"],
        "autoboot": [f"autoboot: {'true' if config['autoboot'] else 'false'}"],
        # Whether an unset autoshutdown prints its default is open question 12
        # (docs/solaris.md): the simulator prints nothing, like export.
        "autoshutdown": [f"autoshutdown: {autoshutdown}"] if autoshutdown else [],
        "bootargs": [f"bootargs: {_quote(config['bootargs']) if config.get('bootargs') else ''}"],
        "capped-memory": (
            _resource("capped-memory", [("physical", config["physical"])])
            if config.get("physical")
            else []
        ),
        "suspend": [],
        # Printed only when set, like autoshutdown; whether info prints the
        # default "normal" is UNCONFIRMED (docs/solaris.md 11, question 12).
        "boot-priority": (
            [f"boot-priority: {config['boot_priority']}"] if config.get("boot_priority") else []
        ),
        "smf-dependency": [
            line
            for dependency in config.get("smf_dependencies") or []
            for line in _resource(
                "smf-dependency",
                [(key, dependency[key]) for key in _SMF_DEPENDENCY_KEYS if dependency[key]],
            )
        ],
    }
    if zone["brand"] != "solaris-kz":
        sections["zonepath"] = [f"zonepath: {zone['zonepath']}"]
    suspend = config.get("suspend")
    if suspend and (suspend.get("path") or suspend.get("storage")):
        # The 11.2 form with "storage not specified" (formats.md).
        sections["suspend"] = _resource(
            "suspend", [("path", suspend.get("path")), ("storage", suspend.get("storage"))]
        )
    if what is not None:
        return sections.get(what, [])
    order = ["zonename", "zonepath", "brand", "autoboot", "autoshutdown", "bootargs"]
    order += ["boot-priority", "capped-memory", "suspend", "smf-dependency"]
    return [line for key in order for line in sections.get(key, [])]


INFO_TOPICS = frozenset(
    {
        "zonename",
        "zonepath",
        "brand",
        "autoboot",
        "autoshutdown",
        "bootargs",
        "capped-memory",
        "suspend",
        "boot-priority",
        "smf-dependency",
    }
)

# Solaris df -k columns: "%-18s %9s %7s %7s %8s  %s" for the header.
DF_HEADER = f"{'Filesystem':<18} {'kbytes':>9} {'used':>7} {'avail':>7} {'capacity':>8}  Mounted on"


def df_line(fs: dict[str, Any]) -> str:
    """One ``df -k`` line (formats.md; a file system name longer than its column
    pushes the numbers right, as in the formats.md example)."""
    kbytes = int(fs["size"]) // 1024
    avail = int(fs["available"]) // 1024
    used = kbytes - avail
    # df rounds capacity up: a nearly empty file system never shows 0% used.
    capacity = 0 if kbytes == 0 else -(-used * 100 // kbytes)
    return (
        f"{fs['filesystem']:<18} {kbytes:>9} {used:>7} {avail:>7} {capacity:>5}%    {fs['mount']}"
    )


def who_r(runlevel: dict[str, Any]) -> str:
    """``who -r`` (formats.md): level, date, then current level, count, previous."""
    stamp = time.strftime("%b %e %H:%M", time.localtime(int(runlevel["time"])))
    level = runlevel["current"]
    count = int(runlevel["count"])
    return f"   .       run-level {level}  {stamp}     {level}  {count:>5}  {runlevel['previous']}"


def zone_file(name: str, zone: Zone) -> str:
    """/etc/zones/NAME.xml, where zonecfg keeps the zone's configuration
    (libzonecfg.c config_file_path(); docs/solaris.md 2.6).  kzguard reads only its
    stat(2) stamp, never its contents: these are the simulator's own rendering of
    the configuration, in the shape of zonecfg.dtd.1 (element and attribute names
    beyond the zone element's: UNCONFIRMED for 11.4)."""
    config = zone["config"]
    attributes = [("name", name), ("zonepath", zone["zonepath"])]
    attributes += [("autoboot", "true" if config["autoboot"] else "false")]
    attributes += [("brand", zone["brand"])]
    for key, attribute in (("autoshutdown", "autoshutdown"), ("boot_priority", "boot-priority")):
        if config.get(key):
            attributes.append((attribute, config[key]))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE zone PUBLIC "-//Sun Microsystems Inc//DTD Zones//EN" '
        '"file:///usr/share/lib/xml/dtd/zonecfg.dtd.1">',
        "<!--",
        "    DO NOT EDIT THIS FILE.  Use zonecfg(8) instead.",
        "-->",
        f"<zone {_xml_attributes(attributes)}>",
    ]
    if config.get("physical"):
        lines.append(f"  <mcap {_xml_attributes([('physcap', str(config['physical']))])}/>")
    suspend = config.get("suspend") or {}
    found = [(key, suspend[key]) for key in ("path", "storage") if suspend.get(key)]
    if found:
        lines.append(f"  <suspend {_xml_attributes(found)}/>")
    for dependency in config.get("smf_dependencies") or []:
        present = [(key, dependency[key]) for key in _SMF_DEPENDENCY_KEYS if dependency[key]]
        lines.append(f"  <smf-dependency {_xml_attributes(present)}/>")
    lines.append("</zone>")
    return "\n".join(lines) + "\n"


def _xml_attributes(pairs: list[tuple[str, str]]) -> str:
    return " ".join(f'{key}="{_xml_escape(value)}"' for key, value in pairs)


def _xml_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
