"""The time grid's layout, as pure functions: slots, columns and where each event's block goes.

No Textual and no drawing here: the grid's rows are half hours (:data:`SLOT_MINUTES`) of local
days; an event becomes a :class:`Placed` block of rows in one column, and events that overlap
share their column side by side (:func:`overlap_columns`, :func:`split_width`). The week and day
views have a column per day (:func:`place_events`), the team view a column per practitioner
(:func:`place_team`). :class:`~sessions_tui.widgets.time_grid.TimeGrid` keeps the result and
:mod:`sessions_tui.widgets.grid_paint` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sessions_tui.services.agenda_item import AgendaItem

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
DEFAULT_TOP = 7 * 60 // SLOT_MINUTES  # 07:00
DEFAULT_BOTTOM = 20 * 60 // SLOT_MINUTES  # 20:00


def overlap_columns(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Lay overlapping half-open spans ``[a, b)`` side by side.

    Returns, for each span in input order, ``(column, columns)``: its column and the number of
    columns in its cluster (a maximal run of transitively overlapping spans), so every span in a
    cluster gets the same width. Columns are reused greedily, longest span first on ties.
    """
    result = [(0, 1)] * len(spans)
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], -spans[i][1], i))
    cluster: list[int] = []
    col_ends: list[int] = []
    cluster_end: int | None = None

    def close() -> None:
        for j in cluster:
            result[j] = (result[j][0], len(col_ends))

    for i in order:
        a, b = spans[i]
        b = max(b, a + 1)
        if cluster and cluster_end is not None and a >= cluster_end:
            close()
            cluster, col_ends, cluster_end = [], [], None
        for col, end in enumerate(col_ends):
            if end <= a:
                col_ends[col] = b
                break
        else:
            col_ends.append(b)
            col = len(col_ends) - 1
        result[i] = (col, 0)
        cluster.append(i)
        cluster_end = b if cluster_end is None else max(cluster_end, b)
    if cluster:
        close()
    return result


def split_width(total: int, parts: int) -> list[int]:
    """``total`` cells split into ``parts`` widths differing by at most one."""
    if parts <= 0:
        return []
    base, extra = divmod(max(total, 0), parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


@dataclass(frozen=True)
class Placed:
    """An event's block in one day column: rows ``[start, end)``, sub-column ``col`` of ``cols``."""

    item: AgendaItem
    day: int
    start: int
    end: int
    col: int
    cols: int


def outside_slots(
    shading: dict[date, list[tuple[datetime, datetime]]], days: Sequence[date], tz: ZoneInfo
) -> dict[date, frozenset[int]]:
    """Per day, the half-hour slots wholly inside the shaded (UTC) intervals of that day."""
    out: dict[date, frozenset[int]] = {}
    step = timedelta(minutes=SLOT_MINUTES)
    for d in days:
        spans = shading.get(d)
        if not spans:
            continue
        shaded = set()
        for slot in range(SLOTS):
            minutes = slot * SLOT_MINUTES
            start = datetime.combine(d, time(minutes // 60, minutes % 60), tzinfo=tz)
            a = start.astimezone(UTC)
            if any(s <= a and a + step <= e for s, e in spans):
                shaded.add(slot)
        out[d] = frozenset(shaded)
    return out


def slot_of(moment: datetime, tz: ZoneInfo) -> int:
    """The half-hour row (0 is 00:00) of ``moment``'s local time in ``tz``."""
    local = moment.astimezone(tz)
    return (local.hour * 60 + local.minute) // SLOT_MINUTES


def place_events(
    items: Sequence[AgendaItem], days: Sequence[date], tz: ZoneInfo
) -> tuple[list[Placed], list[list[AgendaItem]]]:
    """Timed items as blocks per day column (split at midnight); all-day items per day."""
    index = {d: n for n, d in enumerate(days)}
    per_day: list[list[tuple[AgendaItem, int, int]]] = [[] for _ in days]
    all_day: list[list[AgendaItem]] = [[] for _ in days]
    for item in items:
        if not (isinstance(item.start, datetime) and isinstance(item.end, datetime)):
            d = item.start
            while d < item.end:  # type: ignore[operator]
                if d in index:
                    all_day[index[d]].append(item)
                d += timedelta(days=1)
            continue
        s, e = item.start.astimezone(tz), item.end.astimezone(tz)
        d = s.date()
        while d <= e.date():
            if d in index:
                first = slot_of(s, tz) if d == s.date() else 0
                if d == e.date():
                    minutes = e.hour * 60 + e.minute
                    last = -(-minutes // SLOT_MINUTES)
                else:
                    last = SLOTS
                if last > first or d == s.date():
                    per_day[index[d]].append((item, first, max(last, first + 1)))
            d += timedelta(days=1)
    placed: list[Placed] = []
    for n, blocks in enumerate(per_day):
        cols = overlap_columns([(a, b) for _i, a, b in blocks])
        placed.extend(
            Placed(it, n, a, b, c, k) for (it, a, b), (c, k) in zip(blocks, cols, strict=True)
        )
    return placed, all_day


def place_team(
    items: Sequence[AgendaItem],
    day: date,
    people: Sequence[tuple[int, str]],
    tz: ZoneInfo,
) -> tuple[list[Placed], list[list[AgendaItem]]]:
    """One column per practitioner for ``day``: their events, plus the practice-wide ones
    (no practitioner: a staff meeting concerns everyone), in every column."""
    placed: list[Placed] = []
    all_day: list[list[AgendaItem]] = []
    for n, (pid, _name) in enumerate(people):
        mine = [i for i in items if i.event.practitioner_id in (pid, None)]
        blocks, whole = place_events(mine, [day], tz)
        placed.extend(Placed(p.item, n, p.start, p.end, p.col, p.cols) for p in blocks)
        all_day.append(whole[0])
    return placed, all_day


def stack_all_day(
    per_column: Sequence[Sequence[AgendaItem]],
) -> list[list[AgendaItem | None]]:
    """Each column's all-day events in rows, an event on the same row in every neighbouring
    column it is in, so a multi-day event is drawn as one bar (its title once).

    Events going on from the column before keep their row; new ones take the first free
    row, the longest run first. A row left empty under a bar is ``None``.
    """
    ids = [{id(item) for item in items} for items in per_column]

    def run(item: AgendaItem, n: int) -> int:
        k = n
        while k < len(ids) and id(item) in ids[k]:
            k += 1
        return k - n

    out: list[list[AgendaItem | None]] = []
    before: dict[int, int] = {}
    for n, items in enumerate(per_column):
        rows: list[AgendaItem | None] = []
        here: dict[int, int] = {}
        going_on = [item for item in items if id(item) in before]
        fresh = [item for item in items if id(item) not in before and id(item) not in here]
        for item in going_on:
            row = before[id(item)]
            rows.extend([None] * (row + 1 - len(rows)))
            rows[row] = item
            here[id(item)] = row
        for item in sorted(fresh, key=lambda i: -run(i, n)):
            if id(item) in here:
                continue  # listed twice
            row = rows.index(None) if None in rows else len(rows)
            rows.extend([None] * (row + 1 - len(rows)))
            rows[row] = item
            here[id(item)] = row
        out.append(rows)
        before = here
    return out


def index_cells(placed: Sequence[Placed]) -> dict[tuple[int, int], list[int]]:
    """The blocks covering each ``(column, slot)``, as indexes into ``placed``.

    Drawing a cell (and :meth:`TimeGrid.events_at`) then looks only at what covers it.
    """
    cells: dict[tuple[int, int], list[int]] = {}
    for index, p in enumerate(placed):
        for slot in range(p.start, min(p.end, SLOTS)):
            cells.setdefault((p.day, slot), []).append(index)
    return cells


def clusters_by_column(placed: Sequence[Placed]) -> dict[int, list[list[int]]]:
    """Per column, its clusters of overlapping blocks (indexes into ``placed``), top to bottom.

    A cluster is a run of blocks each starting before the run's end so far, ordered by start
    row then sub-column: the blocks :func:`overlap_columns` laid side by side.
    """
    by_column: dict[int, list[int]] = {}
    for index, p in enumerate(placed):
        by_column.setdefault(p.day, []).append(index)
    out: dict[int, list[list[int]]] = {}
    for n, indexes in by_column.items():
        indexes.sort(key=lambda i: (placed[i].start, placed[i].col))
        clusters: list[list[int]] = []
        end = -1
        for i in indexes:
            p = placed[i]
            if not clusters or p.start >= end:
                clusters.append([])
                end = -1
            clusters[-1].append(i)
            end = max(end, p.end)
        out[n] = clusters
    return out


def unique_items(items: Sequence[AgendaItem]) -> list[AgendaItem]:
    """``items`` without repeats of the same object, in order (a practice-wide event is in
    every team column, and listed once)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def slot_start(day: date, slot: int, tz: ZoneInfo) -> datetime:
    """The aware start of row ``slot`` of ``day``: the wall-clock time in ``tz``."""
    wall = datetime.combine(day, time(slot * SLOT_MINUTES // 60, slot * SLOT_MINUTES % 60))
    return wall.replace(tzinfo=tz)


def scroll_top(cursor: int, top: int, home: int, visible: int) -> int:
    """The first row shown so that row ``cursor`` is on screen, ``visible`` rows at a time.

    A step just past an edge scrolls by as little as it takes; a jump (today, search, another
    zone) goes back to ``home`` (the first hour) if the cursor shows from there, else puts the
    cursor a third of the way down.
    """
    if cursor < top - 1 or cursor > top + visible:
        if home <= cursor < home + visible:
            top = home
        else:
            top = cursor - visible // 3
    elif cursor < top:
        top = cursor
    elif cursor >= top + visible:
        top = cursor - visible + 1
    return max(0, min(top, SLOTS - visible))


def column_at(x: int, widths: Sequence[int]) -> int:
    """The column under ``x`` cells from the first column's left edge (the last one past it)."""
    for n, w in enumerate(widths):
        if x < w:
            return n
        x -= w
    return len(widths) - 1
