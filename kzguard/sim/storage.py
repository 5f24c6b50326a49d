"""The simulated host's storage and zone-operation rates: their keys and defaults,
the storage profiles, the check of a value, and the :mod:`kzguard.sim.timing` pools
a state's rates describe.

Imported by every simulated command that moves an image: standard library only.
No published suspend/resume speeds exist (docs/solaris.md 1.4, UNCONFIRMED), and the
loss beyond saturation is an ASSUMPTION (docs/solaris.md 14): every figure here is a
host setting (``kzguard sim create --storage-profile/--rate``, ``kzguard sim rates``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from kzguard.sim import timing

MIB = 1 << 20
WRITE_POOL = 0
READ_POOL = 1

# Plausible figures chosen so that one suspend alone is CPU-bound (its own rate) and
# two saturate the storage; beyond that each further stream costs 3 % of the
# aggregate, down to half of it (docs/solaris.md 14).  Rates are bytes per simulated
# second, durations simulated seconds, saturation a number of streams.
DEFAULT_RATES: dict[str, float] = {
    "suspend_rate": 400.0 * MIB,
    "storage_bandwidth": 800.0 * MIB,
    "storage_saturation": 2.0,
    "storage_loss": 0.03,
    "storage_floor": 0.5,
    "resume_rate": 600.0 * MIB,
    "read_bandwidth": 1200.0 * MIB,
    "read_saturation": 2.0,
    "read_loss": 0.03,
    "read_floor": 0.5,
    "op_overhead": 2.0,
    "boot_seconds": 30.0,
    "shutdown_seconds": 20.0,
    "halt_seconds": 2.0,
    "milestone_seconds": 15.0,
    # A resumed zone gets its SMF state back with its memory, but its network and
    # storage paths are re-established first; same delay until known better.
    "resume_milestone_seconds": 15.0,
}

BYTE_RATES = ("suspend_rate", "storage_bandwidth", "resume_rate", "read_bandwidth")
SATURATIONS = ("storage_saturation", "read_saturation")
FRACTIONS = ("storage_loss", "storage_floor", "read_loss", "read_floor")


def _saturating_at(streams: int) -> dict[str, float]:
    """The default bandwidths, each stream capped so that ``streams`` fill them."""
    return {
        "suspend_rate": DEFAULT_RATES["storage_bandwidth"] / streams,
        "storage_saturation": float(streams),
        "resume_rate": DEFAULT_RATES["read_bandwidth"] / streams,
        "read_saturation": float(streams),
    }


# Storage that saturates at 2, 4 and 8 concurrent streams (issue 13's benchmarks):
# the same bandwidths and loss, a lower per-stream rate.  sat2 is the default.
PROFILES: dict[str, dict[str, float]] = {
    f"sat{streams}": _saturating_at(streams) for streams in (2, 4, 8)
}


def profile(name: str) -> dict[str, float]:
    """The rates of storage profile ``name`` (the defaults where it says nothing)."""
    if name not in PROFILES:
        raise ValueError(
            f"unknown storage profile {name!r}: choose one of {', '.join(sorted(PROFILES))}"
        )
    return {**DEFAULT_RATES, **PROFILES[name]}


_SUFFIXES = {"K": 1 << 10, "M": MIB, "G": 1 << 30}


def check_rate(key: str, value: str | float) -> float:
    """``value`` as the rate ``key`` takes, or ValueError naming both and the
    allowed range.  Byte rates also take a K, M or G suffix (binary: "800M")."""
    if key not in DEFAULT_RATES:
        raise ValueError(f"unknown rate {key!r}: choose one of {', '.join(sorted(DEFAULT_RATES))}")
    text = str(value).strip()
    scale = 1.0
    if key in BYTE_RATES and text[-1:].upper() in _SUFFIXES:
        scale, text = float(_SUFFIXES[text[-1:].upper()]), text[:-1]
    try:
        number = float(text) * scale
    except ValueError:
        raise ValueError(f"rate {key}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"rate {key}: {value!r} is not a finite number")
    if key in BYTE_RATES and number <= 0:
        raise ValueError(f"rate {key}: {value!r} must be positive (bytes per simulated second)")
    if key in SATURATIONS and number < 1:
        raise ValueError(f"rate {key}: {value!r} must be at least 1 (concurrent streams)")
    if key in FRACTIONS and not 0 <= number <= 1:
        raise ValueError(f"rate {key}: {value!r} must be between 0 and 1")
    if number < 0:
        raise ValueError(f"rate {key}: {value!r} must not be negative (simulated seconds)")
    return number


def parse_setting(item: str) -> tuple[str, float]:
    """``KEY=VALUE`` as (key, checked value)."""
    key, equals, value = item.partition("=")
    if not equals:
        raise ValueError(f"{item!r} is not KEY=VALUE")
    return key.strip(), check_rate(key.strip(), value)


def pools(rates: Mapping[str, float]) -> tuple[timing.Storage, timing.Storage]:
    """The write and read pools of a state's ``rates``.  A state file from before
    the loss model has neither loss nor a read side of its own: its resumes then
    read at the write bandwidth, without loss, as they did."""
    write = timing.Storage(
        float(rates["storage_bandwidth"]),
        float(rates.get("storage_saturation", timing.UNLIMITED)),
        float(rates.get("storage_loss", 0.0)),
        float(rates.get("storage_floor", 0.0)),
    )
    read = timing.Storage(
        float(rates.get("read_bandwidth", write.bandwidth)),
        float(rates.get("read_saturation", timing.UNLIMITED)),
        float(rates.get("read_loss", 0.0)),
        float(rates.get("read_floor", 0.0)),
    )
    return write, read


def pool_of(kind: str) -> int:
    """The pool a transfer of ``kind`` uses: resumes read, everything else writes."""
    return READ_POOL if kind == "resume" else WRITE_POOL


def describe(rates: Mapping[str, float]) -> list[str]:
    """The rates as ``kzguard sim show`` and ``kzguard sim rates`` print them."""
    lines = []
    for key in DEFAULT_RATES:
        if key not in rates:
            continue
        value = float(rates[key])
        shown = f"{value / MIB:g}M" if key in BYTE_RATES else f"{value:g}"
        lines.append(f"{key} = {shown}")
    return lines
