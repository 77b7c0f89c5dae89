"""The agenda's work without click: read the window and make its text, written once.

Both doors use it: the ``agenda`` click command (:mod:`sessions_tui.cli.agenda`) and the quick
path that answers the agenda's common forms before click is imported (:mod:`sessions_tui.cli.quick`,
issue 29). The output is made whole and returned, so the caller writes it with one ``write``
(the agenda printed 254 lines a week at 10k, each a ``click.echo`` of its own).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sessions_tui.cli.options import Options, fast_login, parse_from

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sessions_tui.store.reader import Reader


def agenda_text(
    o: Options,
    from_: str | None,
    days: int | None,
    practitioner: tuple[str, ...],
    location: tuple[str, ...],
    fmt: str,
    next_: bool,
    *,
    orm: Callable[[], Reader] | None = None,
) -> tuple[str, list[str]]:
    """What ``sessions-tui agenda`` prints: its whole standard output, and its warning lines.

    ``orm`` opens the ORM reader when the stdlib one cannot serve (default: the services'
    database of ``o``); the quick path passes one that gives up instead.
    """
    from sessions_tui.domain.listing import skipped_of
    from sessions_tui.domain.names import find_location, find_practitioner
    from sessions_tui.domain.timeutil import days_bounds
    from sessions_tui.services.agenda_item import agenda_items

    reader = open_agenda_reader(o, orm)
    try:
        with reader.snapshot():
            tz = o.display_tz(lambda: reader.settings().display_tz)
            first = parse_from(from_, tz, o.clock())
            p_ids = l_ids = None
            if practitioner:
                people = reader.staff()
                p_ids = [find_practitioner(people, n).id for n in practitioner]
            if location:
                places = reader.locations()
                l_ids = [find_location(places, n).id for n in location]
            if next_:
                return _next_text(o, reader, from_, first, days or 90, tz, p_ids, l_ids, fmt), []
            days = days or 1
            start, end = days_bounds(first, days, tz)
            items = agenda_items(reader, start, end, tz, practitioner_ids=p_ids, location_ids=l_ids)
    finally:
        reader.close()
    # A stored event refused by today's rules: named, with the fix; the others still print.
    warnings = [f"sessions-tui: {skipped.warning()}" for skipped in skipped_of(items)]
    if fmt == "json":
        import json  # here: ~2 ms of start-up the text agenda does not need

        return json.dumps([i.to_json(tz) for i in items], indent=2, ensure_ascii=False) + "\n", (
            warnings
        )
    from sessions_tui.services.render import agenda_lines

    return "".join(f"{line}\n" for line in agenda_lines(items, tz, first, days)), warnings


def _next_text(
    o: Options,
    reader: Reader,
    from_: str | None,
    first: date,
    days: int,
    tz: ZoneInfo,
    p_ids: list[int] | None,
    l_ids: list[int] | None,
    fmt: str,
) -> str:
    """``agenda --next``: the first timed, not cancelled event starting at or after now (or
    the start of ``--from``'s day) within ``days`` days; nothing is ``null`` or one line."""
    from sessions_tui.domain.timeutil import days_bounds
    from sessions_tui.services.alerts import next_event
    from sessions_tui.services.render import describe

    after, end = days_bounds(first, days, tz)
    if from_ is None or from_.lower() == "today":
        # From now, and the whole horizon after it.
        after, end = o.clock().now(), o.clock().now() + (end - after)
    item = next_event(reader, after, end - after, tz, practitioner_ids=p_ids, location_ids=l_ids)
    if fmt == "json":
        import json

        return json.dumps(item.to_json(tz) if item else None, indent=2, ensure_ascii=False) + "\n"
    if item is None:
        return f"(nothing scheduled in the next {days} days)\n"
    start = item.start
    assert isinstance(start, datetime)
    local = start.astimezone(tz)
    return f"{local:%a %Y-%m-%d} {describe(item, tz)}\n"


def open_agenda_reader(o: Options, orm: Callable[[], Reader] | None = None) -> Reader:
    """The agenda's reader, chosen once (:func:`sessions_tui.store.reader.open_reader`): the
    stdlib ``sqlite3`` one on a SQLite file at the newest migration whose practice knows the
    user, importing neither SQLAlchemy nor SQLModel; else ``orm()``, by default the ORM one
    (another backend, a database to migrate, an unknown user: that path opens, migrates and
    gives the errors)."""
    from sessions_tui.store.reader import open_reader

    url: str | None = None
    raw = o.db or os.environ.get("SESSIONS_TUI_DB")
    # Not the default file (resolve_url in store.db creates its folder), and not when told
    # (comparisons and benchmarks).
    if raw and not os.environ.get("SESSIONS_TUI_NO_FAST_READ"):
        url = raw if "://" in raw else f"sqlite:///{Path(raw).expanduser().resolve()}"

    def orm_reader() -> Reader:
        from sessions_tui.store.orm_reader import OrmReader

        return OrmReader(o.context().db)

    def knows_user(reader: Reader) -> bool:
        # The --user rule of services.context (issue 15); else the ORM path gives the error.
        if url is not None:
            o.warn_file_mode(url)
        login = fast_login(o, reader)
        if login is None:
            return False
        return reader.staff_by_login(login) is not None or not reader.staff_count()

    return open_reader(url, orm or orm_reader, accept=knows_user)
