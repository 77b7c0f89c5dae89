"""``sessions-tui availability``: open booking slots of practitioners, for scripts and people.

Registered on the main group at the bottom of :mod:`sessions_tui.cli`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import click

from sessions_tui.cli import options as _cli

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sessions_tui.domain.model import Staff
    from sessions_tui.services.availability import OpenSlot
    from sessions_tui.services.context import Context

LIST_DAYS = 7
"""Days listed when ``--days`` is not given."""


@click.command("availability")
@_cli.global_options
@click.option(
    "--practitioner",
    "names",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Login or name (repeatable; --first takes the earliest of them).",
)
@click.option(
    "--from", "from_", metavar="DATE", help="First day (YYYY-MM-DD or 'today'); default today."
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help=f"Days to list (default {LIST_DAYS}); with --first, to search (default 90).",
)
@click.option("--first", is_flag=True, help="Print only the earliest open slot.")
@click.option(
    "--minutes",
    type=click.IntRange(5, 1440),
    default=None,
    help="Session length; default each practitioner's default session length.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def availability(
    names: tuple[str, ...],
    from_: str | None,
    days: int | None,
    first: bool,
    minutes: int | None,
    fmt: str,
) -> None:
    """Open booking slots: availability minus date overrides minus busy events.

    JSON is a list of objects with ``start`` and ``end`` (ISO 8601 with the display zone's
    offset) and ``practitioner``.
    """
    from sessions_tui.domain.timeutil import days_bounds
    from sessions_tui.services.practice import find_practitioner

    o = _cli.opts()
    ctx = o.context()
    ctx.require_actor()
    tz = o.display_tz()
    day0 = _cli.parse_from(from_, tz, ctx.clock)
    people = list({p.id: p for p in (find_practitioner(ctx, n) for n in names)}.values())
    if first:
        found = _first(ctx, people, day0, days or 90, minutes, tz)
        slots = [found] if found is not None else []
    else:
        start, end = days_bounds(day0, days or LIST_DAYS, tz)
        slots = _all(ctx, people, start, end, minutes)
    by_id = {p.id: p for p in people}
    if fmt == "json":
        click.echo(
            json.dumps(
                [s.to_json(tz, by_id[s.practitioner_id].name) for s in slots],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for line in _text(slots, by_id, tz, day0, days or LIST_DAYS, first=first, minutes=minutes):
        click.echo(line)


def _length(person: Staff, minutes: int | None) -> timedelta:
    return timedelta(minutes=minutes or person.default_session_minutes)


def _all(
    ctx: Context, people: Sequence[Staff], start: Any, end: Any, minutes: int | None
) -> list[OpenSlot]:
    from sessions_tui.services.availability import open_slots

    out: list[OpenSlot] = []
    for p in people:
        out.extend(open_slots(ctx, p.id, start, end, _length(p, minutes)))
    order = {p.id: n for n, p in enumerate(people)}
    return sorted(out, key=lambda s: (s.start, order[s.practitioner_id]))


def _first(
    ctx: Context, people: Sequence[Staff], day0: date, days: int, minutes: int | None, tz: ZoneInfo
) -> OpenSlot | None:
    from sessions_tui.domain.timeutil import day_bounds
    from sessions_tui.services.availability import first_open_slot

    begin, _ = day_bounds(day0, tz)
    # People with the same session length are searched together; the earliest wins.
    groups: dict[timedelta, list[int]] = {}
    for p in people:
        groups.setdefault(_length(p, minutes), []).append(p.id)
    best: OpenSlot | None = None
    for length, ids in groups.items():
        found = first_open_slot(ctx, ids, begin, length, days=days)
        if found is not None and (best is None or found.start < best.start):
            best = found
    return best


def _text(
    slots: Sequence[OpenSlot],
    by_id: dict[int, Staff],
    tz: ZoneInfo,
    day0: date,
    days: int,
    *,
    first: bool,
    minutes: int | None,
) -> list[str]:
    from sessions_tui.domain.timeutil import zone_label

    names = ", ".join(p.name for p in by_id.values())
    if minutes:
        length = f"{minutes}-minute"
    else:
        length = (
            "/".join(sorted({f"{p.default_session_minutes}" for p in by_id.values()}, key=int))
            + "-minute"
        )
    when = slots[0].start if slots else _cli.opts().clock().now()
    header = f"Open {length} slots of {names} (times in {zone_label(tz, when)})"
    if first:
        if not slots:
            return [f"No open {length} slot of {names} in the {days} days from {day0}."]
        s = slots[0]
        a, b = s.start.astimezone(tz), s.end.astimezone(tz)
        length = f"{int((s.end - s.start).total_seconds()) // 60}-minute"
        return [
            f"First open {length} slot: {a:%A, %b} {a.day}, {a.year} "
            f"{a:%H:%M}–{b:%H:%M} {tz.key} · {by_id[s.practitioner_id].name}"
        ]
    lines = [header]
    by_day: dict[date, list[OpenSlot]] = {}
    for s in slots:
        by_day.setdefault(s.start.astimezone(tz).date(), []).append(s)
    many = len(by_id) > 1
    for n in range(days):
        d = day0 + timedelta(days=n)
        lines.append(f"{d:%A, %b} {d.day}, {d.year}")
        todays = by_day.get(d, [])
        if not todays:
            lines.append("  (no open slots)")
        for s in todays:
            a, b = s.start.astimezone(tz), s.end.astimezone(tz)
            who = f"  · {by_id[s.practitioner_id].name}" if many else ""
            lines.append(f"  {a:%H:%M}–{b:%H:%M}{who}")
    return lines
