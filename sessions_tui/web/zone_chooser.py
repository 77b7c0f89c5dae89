"""The booking pages' zone chooser: the zones offered and their ``<option>`` list.

The list shows the visitor's current zone first, then one group per region (``Africa``,
``America``, … in ``<optgroup>``), each of its canonical zones once: the tz database's aliases
(``Asia/Calcutta`` for ``Asia/Kolkata``, ``US/…``) are left out of the list, though a link or a
browser naming one is still understood (and then it is the first option).
"""

from __future__ import annotations

import contextlib
import importlib.resources
import zoneinfo
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape


def _aliases() -> frozenset[str]:
    """The tz database's link names (``L target alias`` lines of ``tzdata.zi``), where found."""
    texts = []
    with contextlib.suppress(ModuleNotFoundError, FileNotFoundError, OSError):
        texts.append(
            importlib.resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text()
        )
    for base in zoneinfo.TZPATH:
        path = Path(base) / "tzdata.zi"
        if path.is_file():
            texts.append(path.read_text())
    return frozenset(
        parts[2]
        for text in texts
        for line in text.splitlines()
        if line.startswith("L ") and len(parts := line.split()) == 3
    )


@cache
def zone_names() -> tuple[str, ...]:
    """The zones the chooser accepts: every region/city zone (aliases too), and UTC."""
    names = {
        n
        for n in zoneinfo.available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return ("UTC", *sorted(names))


@cache
def zone_set() -> frozenset[str]:
    """The zones the chooser accepts (:func:`zone_names`), as a set for lookups."""
    return frozenset(zone_names())


@cache
def listed_zones() -> tuple[str, ...]:
    """The zones the list shows: :func:`zone_names` without the aliases."""
    aliases = _aliases()
    return tuple(z for z in zone_names() if z == "UTC" or z not in aliases)


@cache
def _groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    regions: dict[str, list[str]] = {}
    for z in listed_zones():
        region = z.split("/", 1)[0] if "/" in z else z
        regions.setdefault(region, []).append(z)
    return tuple((r, tuple(zs)) for r, zs in sorted(regions.items()))


def _label(zone: str) -> str:
    return zone.replace("_", " ")


@cache
def zone_options(selected: str) -> Markup:
    """The chooser's options: ``selected`` first (selected), then the regions' groups."""
    parts = []
    if selected in zone_set():
        parts.append(
            f'<option value="{escape(selected)}" selected>{escape(_label(selected))}</option>'
        )
    for region, zones in _groups():
        options = "".join(
            f'<option value="{z}">{escape(_label(z))}</option>' for z in zones if z != selected
        )
        parts.append(f'<optgroup label="{escape(region)}">{options}</optgroup>')
    return Markup("".join(parts))
