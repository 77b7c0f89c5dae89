"""The booking pages' zone chooser: the zones offered and their ``<option>`` list."""

from __future__ import annotations

import zoneinfo
from functools import cache

from markupsafe import Markup


@cache
def zone_names() -> tuple[str, ...]:
    """The zones the chooser offers: every region/city zone, and UTC."""
    names = {
        n
        for n in zoneinfo.available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return ("UTC", *sorted(names))


@cache
def zone_set() -> frozenset[str]:
    """The zones the chooser offers (:func:`zone_names`), as a set for lookups."""
    return frozenset(zone_names())


@cache
def _zone_options() -> str:
    return "".join(f'<option value="{z}">{z}</option>' for z in zone_names())


def zone_options(selected: str) -> Markup:
    """The chooser's options with ``selected`` selected (built once: 400-odd zones)."""
    if selected not in zone_set():
        return Markup(_zone_options())
    mark = f'<option value="{selected}">'
    return Markup(_zone_options().replace(mark, f'<option value="{selected}" selected>', 1))
