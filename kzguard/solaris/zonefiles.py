"""The file each zone's configuration lives in, and a stamp that changes with it.

zonecfg keeps a zone's configuration in /etc/zones/ZONE.xml (libzonecfg.c
config_file_path(): ZONE_CONFIG_ROOT "/" zonename ".xml") and commits a change by
writing a temporary file in /etc/zones and renaming it over ZONE.xml
(zonecfg_save_impl()): every commit gives the file a new inode and new times.
Sources: illumos-gate and the Solaris 11.0 source; for 11.4 UNCONFIRMED, which is
why the record built on these stamps checks them at run time (journal/configs.py,
docs/solaris.md 2.6).

A stat(2) of a local file, in the process: no command, and no timeout needed
(/etc is on the root file system).
"""

from __future__ import annotations

import os

from kzguard.policy.model import Commands
from kzguard.solaris.simulated import host_path

ZONE_CONFIG_DIR = "/etc/zones"


def zone_files(commands: Commands) -> str:
    """The directory of the zones' configuration files on the host ``commands`` act
    on (inside a simulated host's root)."""
    return host_path(commands, ZONE_CONFIG_DIR)


def zone_file(directory: str, zone_name: str) -> str:
    """Where ``zone_name``'s configuration lives in :func:`zone_files`."""
    return f"{directory}/{zone_name}.xml"


def stamp(path: str) -> str | None:
    """inode, size, modification and change times of ``path``; None when it cannot
    be read (no such file: the zone is new, or its configuration lives elsewhere)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return f"{found.st_ino}:{found.st_size}:{found.st_mtime_ns}:{found.st_ctime_ns}"
