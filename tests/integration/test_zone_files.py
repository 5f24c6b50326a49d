"""/etc/zones/ZONE.xml on the simulated host, and the host adapter's stamps of it:
the file changes with the zone's configuration and only then, as zonecfg's commit
replaces it (docs/solaris.md 2.6)."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from kzguard.model import RUNNING, ZoneConfig
from kzguard.policy.file import load_policy
from kzguard.sim.state import SimHost
from kzguard.solaris.host import Host


@pytest.fixture
def host_options() -> dict[str, Any]:
    return {"zones": 2, "seed": 0}


def adapter(host: SimHost) -> Host:
    return Host(load_policy(str(host.policy_path), explicit=True).commands)


def zone_files(host: SimHost) -> list[str]:
    return sorted(os.listdir(host.path / "etc" / "zones"))


def test_a_zone_file_is_replaced_when_its_configuration_changes_and_only_then(
    host: SimHost,
) -> None:
    kzguard_host = adapter(host)
    before = {name: kzguard_host.config_stamp(name) for name in ("kz1", "kz2", "ngz1")}
    assert None not in before.values()
    inode = os.stat(host.path / "etc/zones/kz1.xml").st_ino
    # A zone's state changing is no configuration change.
    subprocess.run([str(host.bin_dir / "zoneadm"), "-z", "kz1", "suspend"], check=True)
    assert {name: kzguard_host.config_stamp(name) for name in before} == before
    host.set_zone_setting("kz1", "boot-priority", "high")
    assert kzguard_host.config_stamp("kz1") != before["kz1"]
    assert os.stat(host.path / "etc/zones/kz1.xml").st_ino != inode  # renamed over it
    assert {name: kzguard_host.config_stamp(name) for name in ("kz2", "ngz1")} == {
        "kz2": before["kz2"],
        "ngz1": before["ngz1"],
    }
    text = (host.path / "etc/zones/kz1.xml").read_text()
    assert '<zone name="kz1" zonepath="/system/zones/kz1" autoboot="false"' in text
    assert 'boot-priority="high"' in text
    assert os.stat(host.path / "etc/zones/kz1.xml").st_mode & 0o777 == 0o644
    assert zone_files(host) == ["kz1.xml", "kz2.xml", "ngz1.xml"]  # no temporary left


def test_recorded_configurations_are_taken_for_their_stamp_and_the_rest_read(
    host: SimHost,
) -> None:
    kzguard_host = adapter(host)
    recorded = ZoneConfig("kz1", "solaris-kz", boot_priority="low")
    kz1_stamp = kzguard_host.config_stamp("kz1")
    asked: list[tuple[str, str | None]] = []

    def reuse(name: str, stamp: str | None) -> ZoneConfig | None:
        asked.append((name, stamp))
        return recorded if name == "kz1" and stamp == kz1_stamp else None

    zones = {
        zone.name: zone
        for zone in kzguard_host.zones(
            configure=lambda listing: listing.state == RUNNING, tolerant=True, reuse=reuse
        )
    }
    assert asked == [
        ("kz1", kz1_stamp),
        ("kz2", kzguard_host.config_stamp("kz2")),
        ("ngz1", kzguard_host.config_stamp("ngz1")),
    ]
    assert (zones["kz1"].config, zones["kz1"].config_stamp) == (recorded, kz1_stamp)
    assert zones["kz2"].config_stamp == kzguard_host.config_stamp("kz2")
    assert zones["kz2"].config is not None
    assert zones["kz2"].config.brand == "solaris-kz"
    exports = [
        event["argv"][1:]
        for event in host.commands()
        if event["event"] == "start" and event["tool"] == "zonecfg"
    ]
    assert sorted(exports) == [["-z", "kz2", "export"], ["-z", "ngz1", "export"]]


def test_a_configuration_read_without_its_file_has_no_stamp(host: SimHost) -> None:
    os.unlink(host.path / "etc/zones/kz2.xml")
    config, stamp = adapter(host).stamped_config("kz2")
    assert isinstance(config, ZoneConfig)
    assert (config.name, stamp) == ("kz2", None)


def test_a_configuration_whose_file_changed_during_the_read_has_no_stamp(
    host: SimHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    kzguard_host = adapter(host)
    stamps = iter(["1:403:5:5", "2:403:6:6", "2:403:6:6", "2:403:6:6"])
    monkeypatch.setattr(kzguard_host, "config_stamp", lambda name: next(stamps))
    assert kzguard_host.stamped_config("kz1")[1] is None  # committed in between
    assert kzguard_host.stamped_config("kz1")[1] == "2:403:6:6"


def test_frozen_zone_files_stay_as_they_are_whatever_changes(host: SimHost) -> None:
    kzguard_host = adapter(host)
    before = kzguard_host.config_stamp("kz1")
    host.set_zone_files("frozen")
    host.set_zone_setting("kz1", "boot-priority", "high")
    assert kzguard_host.config_stamp("kz1") == before
    assert 'boot-priority="high"' not in (host.path / "etc/zones/kz1.xml").read_text()
    with pytest.raises(ValueError, match="unknown zone files mode 'thawed'"):
        host.set_zone_files("thawed")
    host.set_zone_files("follow")
    host.set_zone_setting("kz1", "boot-priority", "low")
    assert kzguard_host.config_stamp("kz1") != before
