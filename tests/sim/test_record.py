"""Record (kzguard/sim/record.py): typing.NamedTuple's classes, made at run time
with collections.namedtuple so that simulated commands do not import typing."""

from __future__ import annotations

import pytest

from kzguard.sim.lifecycle import Outcome
from kzguard.sim.record import Record
from kzguard.sim.timing import Flow, Storage


def test_a_record_is_a_named_tuple_of_its_fields_and_defaults() -> None:
    assert Flow._fields == ("remaining", "cap", "pool")
    assert Flow._field_defaults == {"pool": 0}
    assert Storage._field_defaults == {"saturation": float("inf"), "loss": 0.0, "floor": 0.0}
    flow = Flow(5.0, 2.0)
    assert flow == (5.0, 2.0, 0)
    assert (flow.remaining, flow.cap, flow.pool) == (5.0, 2.0, 0)
    assert repr(Outcome(1, ("no",))) == "Outcome(status=1, errors=('no',))"
    assert Outcome(0).errors == ()
    with pytest.raises(AttributeError):
        flow.remaining = 1.0  # type: ignore[misc]


def test_a_record_keeps_its_docstring_name_and_module() -> None:
    assert Flow.__doc__ is not None
    assert Flow.__doc__.startswith("One transfer: bytes still to move")
    assert (Flow.__module__, Flow.__qualname__) == ("kzguard.sim.timing", "Flow")


def test_a_record_takes_only_fields_and_a_docstring() -> None:
    with pytest.raises(TypeError) as caught:

        class Pair(Record):
            left: int
            right: int = 0

            def total(self) -> int:
                return self.left + self.right

    assert str(caught.value) == "record Pair: only fields and a docstring, not ['total']"
