"""The simulated host's rates: profiles, checks, pools (kzguard.sim.storage) and
``kzguard sim create --storage-profile/--rate``, ``kzguard sim rates``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzguard.sim import cli, storage, timing
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost

MIB = 1 << 20


@pytest.mark.parametrize("streams", [2, 4, 8])
def test_each_profile_saturates_at_its_number_of_streams(streams: int) -> None:
    rates = storage.profile(f"sat{streams}")
    write, read = storage.pools(rates)
    assert rates["storage_bandwidth"] / rates["suspend_rate"] == streams
    assert rates["read_bandwidth"] / rates["resume_rate"] == streams
    assert (write.saturation, read.saturation) == (streams, streams)
    assert (write.loss, write.floor, read.loss, read.floor) == (0.03, 0.5, 0.03, 0.5)
    assert rates["op_overhead"] == storage.DEFAULT_RATES["op_overhead"]


def test_the_defaults_are_the_sat2_profile() -> None:
    assert storage.profile("sat2") == storage.DEFAULT_RATES


def test_an_unknown_profile_is_named_with_the_choices() -> None:
    with pytest.raises(
        ValueError, match=r"unknown storage profile 'sat3': choose one of sat2, sat4, sat8"
    ):
        storage.profile("sat3")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("suspend_rate", "800M", 800.0 * MIB),
        ("read_bandwidth", "1g", float(1 << 30)),
        ("storage_bandwidth", "2048", 2048.0),
        ("read_saturation", "3.5", 3.5),
        ("storage_loss", "0", 0.0),
        ("read_floor", 1, 1.0),
        ("op_overhead", "0", 0.0),
    ],
)
def test_good_rates_are_read(key: str, value: str, expected: float) -> None:
    assert storage.check_rate(key, value) == expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("speed", "1", "unknown rate 'speed': choose one of boot_seconds, halt_seconds,"),
        ("suspend_rate", "fast", "rate suspend_rate: 'fast' is not a number"),
        ("suspend_rate", "inf", "rate suspend_rate: 'inf' is not a finite number"),
        ("read_bandwidth", "0M", r"rate read_bandwidth: '0M' must be positive \(bytes per"),
        ("storage_saturation", "0.5", r"must be at least 1 \(concurrent streams\)"),
        ("read_loss", "2", "rate read_loss: '2' must be between 0 and 1"),
        ("boot_seconds", "-1", r"rate boot_seconds: '-1' must not be negative \(simulated"),
    ],
)
def test_bad_rates_name_the_key_and_the_range(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        storage.check_rate(key, value)


def test_a_setting_without_equals_is_refused() -> None:
    with pytest.raises(ValueError, match="'read_loss' is not KEY=VALUE"):
        storage.parse_setting("read_loss")
    assert storage.parse_setting(" read_loss = 0.1") == ("read_loss", 0.1)


def test_a_state_from_before_the_loss_model_reads_at_the_write_bandwidth_without_loss() -> None:
    write, read = storage.pools({"storage_bandwidth": 100.0})
    assert write == read == timing.Storage(100.0, timing.UNLIMITED, 0.0, 0.0)
    assert (storage.pool_of("resume"), storage.pool_of("suspend")) == (1, 0)


def test_create_applies_the_profile_then_the_rates(tmp_path: Path) -> None:
    host = create_host(
        tmp_path / "h", zones=1, profile="sat8", rates={"read_loss": "0.1"}, scaled_limits=True
    )
    rates = host.read()["rates"]
    assert (rates["suspend_rate"], rates["read_saturation"], rates["read_loss"]) == (
        100.0 * MIB,
        8.0,
        0.1,
    )
    # The policy's assumed rate is the profile's suspend rate on the host's clock.
    assert 'assumed_rate = "10000M"' in host.policy_path.read_text(encoding="utf-8")


def test_sim_create_and_rates_set_check_and_show_the_rates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(tmp_path / "h")
    assert (
        cli.main(
            [
                "create",
                target,
                "--zones",
                "1",
                "--storage-profile",
                "sat4",
                "--rate",
                "storage_loss=0.1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert cli.main(["rates", target, "read_floor=0.25", "read_bandwidth=2G"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == "rates per simulated second (M = MiB; time scale 0.01 real s per simulated s):"
    )
    assert lines[1:11] == [
        "suspend_rate = 200M",
        "storage_bandwidth = 800M",
        "storage_saturation = 4",
        "storage_loss = 0.1",
        "storage_floor = 0.5",
        "resume_rate = 300M",
        "read_bandwidth = 2048M",
        "read_saturation = 4",
        "read_loss = 0.03",
        "read_floor = 0.25",
    ]
    assert len(lines) == 17
    assert SimHost(target).read()["rates"]["read_floor"] == 0.25
    assert cli.main(["rates", target, "read_floor=2"]) == 2
    assert capsys.readouterr().err == "kzguard sim: rate read_floor: '2' must be between 0 and 1\n"
    assert SimHost(target).read()["rates"]["read_floor"] == 0.25
    assert cli.main(["show", target]) == 0
    assert "read_floor = 0.25" in capsys.readouterr().out.splitlines()


def test_sim_create_refuses_a_bad_rate_before_making_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["create", str(tmp_path / "h"), "--rate", "suspend_rate"]) == 2
    assert capsys.readouterr().err == "kzguard sim: 'suspend_rate' is not KEY=VALUE\n"
    assert not (tmp_path / "h").exists()
