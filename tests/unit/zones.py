"""Builders of model values for unit tests."""

from __future__ import annotations

from kzguard.model import (
    INSTALLED,
    KERNEL_ZONE_BRAND,
    RUNNING,
    SuspendResource,
    Zone,
    ZoneConfig,
    ZoneListing,
)
from kzguard.units import parse_size


def kernel_zone(
    name: str,
    *,
    state: str = RUNNING,
    aux: tuple[str, ...] = (),
    memory: str | None = "4G",
    suspend_path: str | None = "/system/zones/%{zonename}/suspend",
    storage: str | None = None,
    autoboot: bool = False,
    autoshutdown: str | None = None,
    brand: str = KERNEL_ZONE_BRAND,
) -> Zone:
    suspend = (
        SuspendResource(path=suspend_path, storage=storage)
        if suspend_path is not None or storage is not None
        else None
    )
    return Zone(
        listing=ZoneListing(
            zoneid=5 if state == RUNNING else None,
            name=name,
            state=state,
            zonepath=f"/system/zones/{name}",
            uuid="",
            brand=brand,
            ip_type="excl",
        ),
        aux_states=aux,
        config=ZoneConfig(
            name=name,
            brand=brand,
            autoboot=autoboot,
            autoshutdown=autoshutdown,
            suspend=suspend,
            physical_memory=parse_size(memory) if memory else None,
        ),
    )


def native_zone(name: str, *, state: str = RUNNING) -> Zone:
    return Zone(
        listing=ZoneListing(
            zoneid=3 if state == RUNNING else None,
            name=name,
            state=state,
            zonepath=f"/zones/{name}",
            uuid="",
            brand="solaris",
            ip_type="excl",
        ),
    )


def suspended_zone(name: str, **kwargs: object) -> Zone:
    return kernel_zone(name, state=INSTALLED, aux=("suspended",), **kwargs)  # type: ignore[arg-type]
