"""The index on series' bounds: a window finds the series alive in it without walking the rest.

A series touches ``[start, end)`` when its first start is before ``end`` and its last end
(``series_end_utc``, ``NULL`` for an endless series) is after ``start``. A B-tree on either bound
answers only half of that, so the range it walks grows with the practice: every series begun
before the window, finished or not. This index holds each series as one interval and is searched
for intervals that overlap the window, so a week reads the series alive in that week only.

* **SQLite**: an R*Tree virtual table ``event_series_bounds(id, lo, hi)``, one row per series
  (``id`` is the event's id; ``lo``/``hi`` its bounds in seconds since 1970, ``hi`` =
  :data:`OPEN_END` for an endless series). Triggers on ``event`` keep it in step inside the
  transaction of every write (the writer's, a migration's, a repair's, raw SQL), so it cannot
  drift from the rows; migration 0012 creates it and fills it from the rows already there.
  R*Tree keeps 32-bit floats rounded outward (lower bounds down, upper bounds up), so it may
  return a series a couple of minutes off the window, never miss one: the window query keeps
  its exact conditions on the event row as well.
* **PostgreSQL**: a partial GiST index on ``tstzrange(start_utc, <last end>, '[]')`` over the
  series rows (a ``NULL`` upper bound is open), searched with ``&&``; PostgreSQL maintains it.

The virtual table and its shadow tables are not models (``store/tables.py``): migrations own
them, :func:`is_modelled` tells Alembic's comparison to leave them out. This module is stdlib
only (the fast read path imports it).
"""

from __future__ import annotations

from datetime import datetime

TABLE = "event_series_bounds"
PG_INDEX = "ix_event_series_bounds"
OPEN_END = 1e30
"""``hi`` of an endless series (far beyond any instant; exact in a 32-bit float's range)."""

_SHADOWS = (f"{TABLE}_node", f"{TABLE}_parent", f"{TABLE}_rowid")


def is_modelled(name: str | None, type_: str, _parent: object = None) -> bool:
    """Alembic ``include_name``: ``False`` for this index's tables (SQLite) and index (PG)."""
    if type_ == "table":
        return name not in (TABLE, *_SHADOWS)
    if type_ == "index":
        return name != PG_INDEX
    return True


def epoch(value: datetime) -> float:
    """An aware instant as the index stores it (seconds since 1970-01-01 UTC)."""
    return value.timestamp()


def _sqlite_epoch(column: str) -> str:
    """SQL for the stored UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``) in seconds since 1970."""
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def _sqlite_values(row: str) -> str:
    lo = _sqlite_epoch(f"{row}.start_utc")
    hi = f"coalesce({_sqlite_epoch(f'{row}.series_end_utc')}, {OPEN_END!r})"
    return f"{row}.id, {lo}, max({lo}, {hi})"  # R*Tree refuses lo > hi (UNTIL before DTSTART)


SQLITE_CREATE = f"CREATE VIRTUAL TABLE {TABLE} USING rtree(id, lo, hi)"
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON event WHEN NEW.is_series BEGIN
        INSERT INTO {TABLE} (id, lo, hi) VALUES ({_sqlite_values("NEW")}); END""",
    f"""CREATE TRIGGER {TABLE}_update AFTER UPDATE OF id, is_series, start_utc, series_end_utc
        ON event BEGIN
        DELETE FROM {TABLE} WHERE id = OLD.id;
        INSERT INTO {TABLE} (id, lo, hi) SELECT {_sqlite_values("NEW")} WHERE NEW.is_series;
        END""",
    f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON event WHEN OLD.is_series BEGIN
        DELETE FROM {TABLE} WHERE id = OLD.id; END""",
)
SQLITE_BACKFILL = (
    f"INSERT INTO {TABLE} (id, lo, hi) SELECT {_sqlite_values('event')} FROM event "
    "WHERE event.is_series"
)
SQLITE_DROP = (
    *(f"DROP TRIGGER IF EXISTS {TABLE}_{a}" for a in ("insert", "update", "delete")),
    f"DROP TABLE IF EXISTS {TABLE}",
)

SQLITE_SERIES = (
    # CROSS JOIN: SQLite keeps the R*Tree as the outer loop (the planner could otherwise walk
    # ix_event_window, the growing range, and probe the R*Tree per row).
    f"SELECT event.* FROM {TABLE} CROSS JOIN event ON event.id = {TABLE}.id "
    f"WHERE {TABLE}.lo < ? AND {TABLE}.hi > ? AND event.is_series = 1 "
    "AND event.start_utc < ? AND (event.series_end_utc IS NULL OR event.series_end_utc > ?)"
)
"""The series touching a window: ``[epoch(end), epoch(start), end, start]`` (the last two as
stored text), then the filters."""

PG_LAST_END = "CASE WHEN series_end_utc < start_utc THEN start_utc ELSE series_end_utc END"
PG_BOUNDS = f"tstzrange(start_utc, {PG_LAST_END}, '[]')"
PG_CREATE = f"CREATE INDEX {PG_INDEX} ON event USING gist (({PG_BOUNDS})) WHERE is_series"
PG_DROP = f"DROP INDEX IF EXISTS {PG_INDEX}"
