"""kzguard.journal.configs: the configurations last read, with their zone files'
stamps, and the proof that those files do not follow zonecfg."""

from __future__ import annotations

from dataclasses import replace

from kzguard import __version__
from kzguard.journal.configs import WRITER, ConfigRecord, RecordedConfig
from kzguard.model import SmfDependency, Zone, ZoneConfig
from tests.unit.zones import kernel_zone, native_zone


def read(name: str, stamp: str | None, *, memory: str = "4G") -> Zone:
    """A kernel zone whose configuration was read with its file at ``stamp``."""
    return replace(kernel_zone(name, memory=memory), config_stamp=stamp)


def config(name: str, memory: str = "4G") -> ZoneConfig:
    found = kernel_zone(name, memory=memory).config
    assert found is not None
    return found


RECORD = ConfigRecord(
    {"kz1": RecordedConfig("s1", config("kz1")), "kz2": RecordedConfig("s2", config("kz2"))}
)


def test_a_configuration_is_reused_only_while_its_file_has_the_recorded_stamp() -> None:
    assert RECORD.reusable("kz1", "s1") == config("kz1")
    assert RECORD.reusable("kz1", "s1-later") is None
    assert RECORD.reusable("kz1", None) is None  # no file now
    assert RECORD.reusable("kz3", "s3") is None  # never recorded
    assert replace(RECORD, untrusted="kz2: ...").reusable("kz1", "s1") is None


def test_each_read_replaces_its_zone_s_entry_and_a_read_without_a_stamp_removes_it() -> None:
    failed = replace(kernel_zone("kz2"), config=None, config_error="zonecfg: exited 1")
    updated = RECORD.updated([read("kz1", "s1b", memory="8G"), failed, read("kz3", None)])
    assert updated == ConfigRecord({"kz1": RecordedConfig("s1b", config("kz1", "8G"))})


def test_a_zone_not_read_keeps_its_entry_and_one_no_longer_listed_is_forgotten() -> None:
    unread = replace(kernel_zone("kz2"), config=None)  # listed, no configuration asked
    assert RECORD.updated([unread, native_zone("ngz1")]) == ConfigRecord(
        {"kz2": RecordedConfig("s2", config("kz2"))}
    )


def test_a_different_configuration_behind_the_recorded_stamp_untrusts_the_record() -> None:
    updated = RECORD.updated([read("kz1", "s1"), read("kz2", "s2", memory="8G")])
    assert (
        updated.untrusted == "kz2: its configuration changed while its zone file (kz2.xml) did not"
    )
    assert updated.zones["kz2"] == RecordedConfig("s2", config("kz2", "8G"))
    assert updated.reusable("kz1", "s1") is None
    # The first proof stays; a change with its file's own is none.
    assert updated.updated([read("kz1", "s1", memory="2G")]).untrusted == updated.untrusted
    assert RECORD.updated([read("kz2", "s2b", memory="8G")]).untrusted is None


def test_the_record_reads_back_what_it_wrote_and_nothing_else() -> None:
    full = replace(
        config("kz1"),
        autoboot=True,
        autoshutdown="suspend",
        boot_priority="high",
        smf_dependencies=(SmfDependency("svc:/system/zones/zone:kz2", "db", "require_all"),),
    )
    record = ConfigRecord({"kz1": RecordedConfig("s1", full)}, untrusted="kz9: why")
    assert ConfigRecord.from_json(record.to_json()) == record
    assert record.to_json()["version"] == 1
    assert record.to_json()["writer"] == (
        f"kzguard {__version__} ZoneConfig(name,brand,autoboot,autoshutdown,suspend,"
        "physical_memory,boot_priority,smf_dependencies) SuspendResource(path,storage) "
        "SmfDependency(fmri,name,grouping)"
    )
    another = {**record.to_json(), "writer": "kzguard 0.0.9 ZoneConfig(name,brand)"}
    for unusable in (None, {}, {"version": 2, "zones": {}}, another):
        assert ConfigRecord.from_json(unusable) == ConfigRecord()
    garbled = {
        "version": 1,
        "writer": WRITER,
        "untrusted": 7,
        "zones": {
            "kz1": {"stamp": "s1", "config": {"name": "kz1", "brand": "solaris-kz"}},
            "kz2": {"stamp": 5, "config": {"name": "kz2", "brand": "solaris-kz"}},
            "kz3": {"stamp": "s3", "config": {"name": "kz4", "brand": "solaris-kz"}},
            "kz5": {"stamp": "s5", "config": "zonecfg"},
            "kz6": "s6",
        },
    }
    assert ConfigRecord.from_json(garbled) == ConfigRecord(
        {"kz1": RecordedConfig("s1", ZoneConfig("kz1", "solaris-kz"))}
    )
    assert ConfigRecord.from_json({"version": 1, "writer": WRITER, "zones": []}) == ConfigRecord()
