"""Quick add: one typed line, "Ava Bennett fri 15:00 50m @Telehealth", read into the parts of a
client session (client, day, time, length, location) for the event editor to open prefilled.

:func:`parse_quick_add` is pure: the practice's clients and locations are passed in. Each word
must be understood as one of the parts, or the line is refused with one sentence naming it
(``did not understand 'xyz'``); nothing is guessed silently:

* ``@name``: a location, by its name or a prefix of it that only one location has (any case;
  a name of several words may follow the ``@``: ``@main st``);
* ``15:00``, ``3pm``, ``3:30pm``: the start time (a bare number is not a time);
* ``50m``, ``50min``, ``1h``, ``1h30``, ``90m``: the length;
* a date as ``g`` reads it (:func:`~sessions_tui.services.natural_dates.parse_natural_date`):
  ``fri``, ``dec 24``, ``next monday``, ``+3``, ``2026-12-24``;
* the rest: a client, by "First Last", "Last First", "Last, First" or the Internal ID, whole or
  a prefix only one client has; several clients with that prefix are named, not chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.model import Client, Location

_TIME = re.compile(r"^(\d{1,2}(:\d{2})?\s*(am|pm|a|p)|\d{1,2}:\d{2})$", re.IGNORECASE)
_LENGTH = re.compile(r"^(?:(\d{1,2})h(?:(\d{1,2})(?:m|min)?)?|(\d{1,4})(?:m|min|mins))$")
MAX_MINUTES = 24 * 60
EXAMPLE = "Ava Bennett fri 15:00 50m @Telehealth"
"""The example the prompt shows."""


@dataclass(frozen=True)
class QuickAdd:
    """What a quick-add line named; ``None`` for a part it did not name.

    Attributes:
        client: The client.
        day: The day.
        at: The start time (wall clock, in the display zone).
        minutes: The length.
        location: The location.
    """

    client: Client | None = None
    day: date | None = None
    at: time | None = None
    minutes: int | None = None
    location: Location | None = None


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="quick-add")


def _names(client: Client) -> tuple[str, ...]:
    first, last = client.first_name.casefold(), client.last_name.casefold()
    names = (f"{first} {last}".strip(), f"{last} {first}".strip(), f"{last}, {first}")
    return (*names, client.internal_id.casefold()) if client.internal_id else names


def _clients_named(text: str, clients: Sequence[Client]) -> tuple[list[Client], bool]:
    """The clients ``text`` names: those it names in full if any (and ``True``), else those
    whose names it begins (and ``False``)."""
    wanted = " ".join(text.casefold().split())
    exact = [c for c in clients if wanted in _names(c)]
    if exact:
        return exact, True
    return [c for c in clients if any(n.startswith(wanted) for n in _names(c))], False


def _is_date(words: list[str], today: date) -> bool:
    try:
        _date_of(words, today)
    except ValidationError:
        return False
    return True


def _listed(names: Sequence[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _location(words: list[str], at: int, locations: Sequence[Location]) -> tuple[Location, int]:
    """The location the words from ``at`` (the one with ``@``) name, and how many words."""
    best: tuple[list[Location], int] | None = None
    for n in range(len(words) - at, 0, -1):  # the longest name first: "@main st clinic"
        typed = " ".join(words[at : at + n])[1:].casefold()
        if not typed:
            continue
        exact = [loc for loc in locations if loc.name.casefold() == typed]
        found = exact or [loc for loc in locations if loc.name.casefold().startswith(typed)]
        if found:
            best = (found, n)
            break
    if best is None:
        known = _listed([loc.name for loc in locations]) or "none yet"
        raise _refuse(f"did not understand {words[at]!r}: no location is called that ({known})")
    found, n = best
    if len(found) > 1:
        typed = " ".join(words[at : at + n])
        names = _listed([loc.name for loc in found])
        raise _refuse(f"{typed!r} could be {names}: type more of the location's name")
    return found[0], n


def _length(word: str) -> int | None:
    m = _LENGTH.match(word.casefold())
    if m is None:
        return None
    if m.group(3) is not None:
        return int(m.group(3))
    return int(m.group(1)) * 60 + int(m.group(2) or 0)


def _date_of(words: list[str], today: date) -> date | None:
    """The date ``words`` name (``None`` for no words); refused in the parser's words."""
    if not words:
        return None
    from sessions_tui.services.natural_dates import parse_natural_date

    try:
        return parse_natural_date(" ".join(words), today)
    except ValidationError as exc:
        raise _refuse(exc.message.split(" (a date such")[0]) from None


def parse_quick_add(
    text: str,
    today: date,
    clients: Sequence[Client],
    locations: Sequence[Location],
    *,
    shown: Callable[[Client], str] | None = None,
) -> QuickAdd:
    """Read a quick-add line (see the module's docstring).

    Args:
        text: The line, e.g. ``Ava Bennett fri 15:00 50m @Telehealth``.
        today: Today in the display zone (what ``fri`` and ``+3`` count from).
        clients: The practice's clients to match names against.
        locations: The locations that may be chosen (not archived ones).
        shown: How a refusal names the clients a name could be (privacy mode: initials);
            their full names by default.

    Raises:
        ValidationError: one line naming the part not understood, or the clients or
            locations a name could be.
    """
    from sessions_tui.domain.timeutil import parse_clock

    words = text.split()
    if not words:
        raise _refuse(f"type a client, a day, a time, a length and @location: {EXAMPLE}")
    location: Location | None = None
    at: time | None = None
    minutes: int | None = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("@"):
            if location is not None:
                raise _refuse(f"two locations: {location.name!r} and {word!r}")
            location, used = _location(words, i, locations)
            i += used
            continue
        length = _length(word)
        if length is not None:
            if minutes is not None:
                raise _refuse(f"two lengths: {minutes} minutes and {word!r}")
            if not 5 <= length <= MAX_MINUTES:
                raise _refuse(f"{word!r} is not a length of 5 minutes to 24 hours")
            minutes = length
        elif _TIME.match(word):
            if at is not None:
                raise _refuse(f"two times: {at:%H:%M} and {word!r}")
            try:
                at = parse_clock(word)
            except ValueError:
                raise _refuse(f"{word!r} is not a time (15:00 or 3pm)") from None
        else:
            rest.append(word)
        i += 1
    client, day = _client_and_day(rest, today, clients, shown or (lambda c: c.full_name))
    return QuickAdd(client=client, day=day, at=at, minutes=minutes, location=location)


def _client_and_day(
    words: list[str], today: date, clients: Sequence[Client], shown: Callable[[Client], str]
) -> tuple[Client | None, date | None]:
    """The client some run of ``words`` names and the date the words around it name.

    Runs are tried longest first (then leftmost): "Ava Bennett fri" is Ava Bennett on Friday
    even where a client's name begins with "Fri". Words that read as a date are a date unless
    they are a client's whole name: "fri 15:00" is Friday, not Frida Kahlo.
    """
    first_problem: ValidationError | None = None
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            named, whole = _clients_named(" ".join(run), clients)
            if not named or (not whole and _is_date(run, today)):
                continue
            before, after = words[:start], words[start + size :]
            try:
                if before and after:
                    raise _refuse(f"did not understand {' '.join(before)!r}")
                day = _date_of(before or after, today)
            except ValidationError as exc:
                first_problem = first_problem or exc
                continue
            if len(named) > 1:
                typed = " ".join(run)
                names = _listed([shown(c) for c in named])
                raise _refuse(f"{typed!r} could be {names}: type more of the client's name")
            return named[0], day
    try:
        return None, _date_of(words, today)
    except ValidationError as exc:
        if first_problem is not None:
            raise first_problem from None
        if "did not understand" in exc.message:
            raise _refuse(
                exc.message + " (not a client, a date, a time such as 15:00, a length such as "
                "50m or an @location)"
            ) from None
        raise
