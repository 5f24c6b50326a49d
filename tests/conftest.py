"""Shared fixtures.  The autouse guard makes any attempt to run a real Solaris
binary fail, in this process and in every kzguard subprocess a test starts.

``host`` is the one simulated host a test gets; ``make_host`` makes more, or other
ones.  A directory or module whose tests all need another kind of host overrides
``host_options`` (make_host's keywords) in its conftest.py or module."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kzguard.sim import control
from kzguard.sim.create import create_host
from kzguard.sim.state import SimHost, SimStateError
from kzguard.solaris.runner import ALLOWED_PREFIX_VARIABLE
from tests.support import set_rates, write_policy

MakeHost = Callable[..., SimHost]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The reboot-cycle soak first: it is the longest test by far, and under
    pytest-xdist (Makefile unit) a test handed out first runs beside all the others
    instead of after them."""
    items.sort(key=lambda item: "/tests/soak/" not in str(item.path))


@pytest.fixture(autouse=True)
def forbid_real_solaris_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only executables under the temporary directory (where simulated hosts and
    test programs live) may run; /usr/sbin/zoneadm and friends are refused with a
    BaseException that kzguard cannot swallow."""
    monkeypatch.setenv(ALLOWED_PREFIX_VARIABLE, os.path.realpath(tempfile.gettempdir()) + os.sep)


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[MakeHost]:
    """``make_host(name="host", *, zones=4, seed=1, time_scale=0.01, rates=None,
    policy=None)``: a simulated host in ``tmp_path/name`` (create_host: ``zones`` kernel
    zones and ngz1, all running), with ``rates`` set and, when ``policy`` is given, the
    policy written by tests.support.write_policy (``policy`` its TOML).  After the
    test every host made loses its power: a simulated command a test left hanging
    (a ``hang`` fault under a killed kzguard) sees its zone lost and exits, instead
    of polling the state file for as long as pytest keeps the directory.  Before
    that, each host's state must still be JSON's data model (no tuple, no key but a
    string), which the marshal file keeps without enforcing it (kzguard/sim/state.py
    STATE_NAME): every simulator test so checks what its operations left."""
    made_hosts: list[SimHost] = []

    def make(
        name: str = "host",
        *,
        zones: int = 4,
        seed: int = 1,
        time_scale: float = 0.01,
        rates: Mapping[str, float] | None = None,
        policy: str | None = None,
    ) -> SimHost:
        made = create_host(tmp_path / name, zones=zones, seed=seed, time_scale=time_scale)
        made_hosts.append(made)
        if rates:
            set_rates(made, **rates)
        if policy is not None:
            write_policy(made, policy)
        return made

    yield make
    impure = []
    for made in made_hosts:
        with contextlib.suppress(SimStateError):  # a test may have broken its state on purpose
            state = made.read()
            if json.loads(json.dumps(state)) != state:
                impure.append(made.root)
        with contextlib.suppress(Exception):
            control.power_off(made)
    assert impure == [], "not JSON's data model"


@pytest.fixture
def host_options() -> dict[str, Any]:
    """make_host's keywords for ``host``: none, unless a conftest.py or a test module
    overrides this fixture."""
    return {}


@pytest.fixture
def host(make_host: MakeHost, host_options: dict[str, Any]) -> SimHost:
    """The simulated host of a test: ``make_host(**host_options)``."""
    return make_host(**host_options)
