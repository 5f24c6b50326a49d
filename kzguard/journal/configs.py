"""The zones' configurations as last read, each with the stamp of its zone file
(configs.json in the state directory).  Pure.

What it is for: the stop method plans from these when every zone file is as it was
when its configuration was read, instead of running a ``zonecfg export`` per zone
before its first suspend (stop/path.py).  zonecfg keeps each zone's configuration
in /etc/zones/ZONE.xml and replaces that file at every commit (libzonecfg.c
zonecfg_save_impl(): a temporary file in /etc/zones renamed over ZONE.xml;
docs/solaris.md 2.6), so a file whose inode, size and times are those seen around
a read holds the configuration that read returned.  That Solaris 11.4 still keeps
them there is UNCONFIRMED, so it is detected at run time: every read of a
configuration whose file had not changed is compared with the one recorded, and
one that differs marks the whole record untrusted, for good (:meth:`updated`):
from then on every stop reads every configuration first.

The stamp of a read is taken before and after its ``zonecfg export``; a file that
changed in between, or is missing, gives no stamp, and the zone is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kzguard import __version__
from kzguard.journal.records import config_from_json, config_to_json
from kzguard.model import SmfDependency, SuspendResource, Zone, ZoneConfig

VERSION = 1
# Who wrote the record: a configuration read by another kzguard, or into another
# model, may differ from today's reading of the same file, which would untrust the
# record for nothing.  Such a record reads as empty (everything is read once).
WRITER = " ".join(
    [f"kzguard {__version__}"]
    + [
        f"{model.__name__}({','.join(f.name for f in fields(model))})"
        for model in (ZoneConfig, SuspendResource, SmfDependency)
    ]
)


@dataclass(frozen=True)
class RecordedConfig:
    """A zone's configuration and the stamp its file had when it was read."""

    stamp: str
    config: ZoneConfig


@dataclass(frozen=True)
class ConfigRecord:
    """Every configuration read with a stamp, by zone name.  ``untrusted``: why the
    zone files proved not to follow the configurations on this host (None: no such
    proof yet)."""

    zones: Mapping[str, RecordedConfig] = field(default_factory=dict)
    untrusted: str | None = None

    def reusable(self, name: str, stamp: str | None) -> ZoneConfig | None:
        """The configuration recorded for ``name`` if its file still has ``stamp``
        (the stamp now); None when it must be read."""
        recorded = self.zones.get(name)
        if self.untrusted is not None or stamp is None or recorded is None:
            return None
        return recorded.config if recorded.stamp == stamp else None

    def updated(self, zones: Iterable[Zone]) -> ConfigRecord:
        """This record with what ``zones`` (every zone listed) read; a zone no
        longer listed is forgotten.  A configuration with a stamp
        replaces the zone's entry, one without (unreadable, or its file changed
        during the read) removes it.  A configuration read from a file with the
        recorded stamp that differs from the recorded one proves the files do not
        follow the configurations here: the record is then untrusted."""
        zones = list(zones)
        listed = {zone.name for zone in zones}
        entries = {name: entry for name, entry in self.zones.items() if name in listed}
        untrusted = self.untrusted
        for zone in zones:
            if zone.config is None and not zone.config_error:
                continue  # not read (kzguard needs no configuration for it)
            before = entries.pop(zone.name, None)
            if zone.config is None or zone.config_stamp is None:
                continue
            if (
                untrusted is None
                and before is not None
                and before.stamp == zone.config_stamp
                and before.config != zone.config
            ):
                untrusted = (
                    f"{zone.name}: its configuration changed while its zone file "
                    f"({zone.name}.xml) did not"
                )
            entries[zone.name] = RecordedConfig(zone.config_stamp, zone.config)
        return replace(self, zones=entries, untrusted=untrusted)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "writer": WRITER,
            "untrusted": self.untrusted,
            "zones": {
                name: {"stamp": entry.stamp, "config": config_to_json(entry.config)}
                for name, entry in sorted(self.zones.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ConfigRecord:
        """The record :meth:`to_json` wrote; an empty one for anything else (no file,
        another version, another WRITER): every configuration is then read.  An
        entry that cannot be read is left out, and its zone read."""
        if data is None or data.get("version") != VERSION or data.get("writer") != WRITER:
            return cls()
        untrusted = data.get("untrusted")
        zones = data.get("zones")
        entries = {}
        for name, entry in zones.items() if isinstance(zones, dict) else ():
            if not isinstance(entry, dict) or not isinstance(entry.get("stamp"), str):
                continue
            config = config_from_json(entry.get("config"))
            if config is not None and config.name == name:
                entries[name] = RecordedConfig(entry["stamp"], config)
        return cls(entries, untrusted if isinstance(untrusted, str) else None)
