"""Finding a practitioner or a location by the name a person typed: the one set of rules.

Every reader (the ORM services, the stdlib-``sqlite3`` fast path, the CLI and the screens)
resolves ``--practitioner`` and ``--location`` through these, over the staff and locations it
read, so "ben", "Ben Okafor" and "okafor" mean the same person everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from sessions_tui.domain.errors import NotFoundError
from sessions_tui.domain.model import Location, Staff


def match_practitioner(people: Sequence[Staff], name: str) -> Staff | None:
    """The practitioner ``name`` means, or ``None``.

    A login or full name (case-insensitive) wins; otherwise a part of one name, when exactly
    one practitioner's name contains it. Members of staff who are not practitioners never match.
    """
    practitioners = [p for p in people if p.is_practitioner]
    wanted = name.strip().casefold()
    for p in practitioners:
        if p.login.casefold() == wanted or p.name.casefold() == wanted:
            return p
    matches = [p for p in practitioners if wanted and wanted in p.name.casefold()]
    return matches[0] if len(matches) == 1 else None


def find_practitioner(people: Sequence[Staff], name: str) -> Staff:
    """As :func:`match_practitioner`; a clear error lists who exists.

    Raises:
        NotFoundError: no practitioner (or more than one) answers to ``name``.
    """
    found = match_practitioner(people, name)
    if found is not None:
        return found
    known = ", ".join(p.name for p in people if p.is_practitioner) or "none yet"
    raise NotFoundError(f"unknown practitioner {name!r} (practitioners: {known})")


def match_location(locations: Sequence[Location], name: str) -> Location | None:
    """The location named ``name`` (case-insensitive, whole name), or ``None``."""
    wanted = name.strip().casefold()
    for loc in locations:
        if loc.name.casefold() == wanted:
            return loc
    return None


def find_location(locations: Sequence[Location], name: str) -> Location:
    """As :func:`match_location`; a clear error lists the locations.

    Raises:
        NotFoundError: no location is called ``name``.
    """
    found = match_location(locations, name)
    if found is not None:
        return found
    known = ", ".join(loc.name for loc in locations) or "none yet"
    raise NotFoundError(f"unknown location {name!r} (locations: {known})")
