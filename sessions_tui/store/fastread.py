"""A read path over a SQLite practice database with the stdlib ``sqlite3`` only.

``sessions-tui agenda`` is a short process whose cost is mostly start-up: importing SQLAlchemy,
SQLModel and Alembic takes longer than the query itself. On a SQLite file already at the newest
migration it reads through this module instead, and imports none of them.

One source of truth:

* the SQL selects ``*`` and converts each column by the type the migrations declared for it
  (``PRAGMA table_info``: ``DATETIME`` is UTC text as ``UTCDateTime`` writes it, ``DATE``,
  ``BOOLEAN``), so no column list is repeated here;
* rows become domain objects, and series are expanded, by :mod:`sessions_tui.store.rows`, the
  same code the SQLAlchemy window query (:func:`sessions_tui.store.queries.window`) runs; the
  conditions below mirror that query's (a test checks both give the same answers);
* it is one of the two implementations of :class:`sessions_tui.store.reader.Reader` (chosen
  by :func:`sessions_tui.store.reader.open_reader`); names are matched by
  :mod:`sessions_tui.domain.names`, as on the other path;
* anything unusual (another backend, a database not at the newest revision, which needs
  migrating, a name that does not match) makes :func:`open_fast` return ``None`` or a lookup
  return ``None``, and the caller takes the ordinary path with its errors.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Occurrence
from sessions_tui.domain.holds import ACCEPTING, PENDING, Hold, hold_from_row
from sessions_tui.domain.model import Client, Location, PracticeSettings, Staff
from sessions_tui.domain.names import match_location as match_location  # re-exported
from sessions_tui.domain.names import match_practitioner as match_practitioner  # re-exported
from sessions_tui.store import rows, series_bounds
from sessions_tui.store.integrity import check_on_open

MIGRATIONS_VERSIONS = Path(__file__).parent / "migrations" / "versions"
_SQLITE_URL = re.compile(r"^sqlite(\+pysqlite)?:///(?P<path>[^?]+)$")


def head_revision() -> str:
    """The newest migration, from the file names (as ``store.db.HEAD_REVISION``)."""
    names = [p.name.split("_", 1)[0] for p in MIGRATIONS_VERSIONS.glob("[0-9]*_*.py")]
    return max(names, default="")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "DATETIME": lambda v: _utc(v) if isinstance(v, str) else v,
    "DATE": lambda v: date.fromisoformat(v) if isinstance(v, str) else v,
    "BOOLEAN": bool,
}


def _param(value: datetime) -> str:
    """A UTC instant as SQLAlchemy's SQLite ``DateTime`` stores it (text order = time order)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run under the reader's lock. Workers read while the app may be closing the reader;
    sqlite3 crashes the process if a connection is closed while another thread uses it."""

    @functools.wraps(method)
    def wrapper(self: FastReader, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._closed:
                raise ReaderClosed("the fast reader is closed")
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReaderClosed(RuntimeError):
    """A read was attempted after :meth:`FastReader.close` (the app is shutting down)."""


class FastReader:
    """Read-only queries on one SQLite practice database (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._types: dict[str, dict[str, str]] = {}
        self._lock = threading.RLock()
        self._closed = False

    def close(self) -> None:
        """Close the connection (once; later calls do nothing); later reads fail."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.conn.close()

    def release(self) -> None:
        """End the snapshot :func:`open_fast` began: each later :meth:`snapshot` sees the
        newest commits (the calendar reads for its whole run; ``agenda`` keeps one snapshot)."""
        with self._lock:
            if not self._closed and self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the database; one thread at a time."""
        with self._lock:
            if self._closed:
                raise ReaderClosed("the fast reader is closed")
            if self.conn.in_transaction:
                yield
                return
            self.conn.execute("BEGIN")
            try:
                yield
            finally:
                if not self._closed:
                    self.conn.execute("COMMIT")

    # -- rows ---------------------------------------------------------------------------------

    def _factory(self, table: str) -> Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]:
        types = self._types.get(table)
        if types is None:
            types = {
                r[1]: str(r[2]).upper() for r in self.conn.execute(f"PRAGMA table_info({table})")
            }
            self._types[table] = types
        cache: dict[tuple[str, ...], tuple[type, list[Callable[[Any], Any] | None]]] = {}

        def factory(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Any:
            names = tuple(d[0] for d in cursor.description)
            made = cache.get(names)
            if made is None:
                cls = type(f"{table}_row", (), {"__slots__": names})
                convs = [_CONVERTERS.get(types.get(n, "")) for n in names]
                made = cache[names] = (cls, convs)
            cls, convs = made
            row = cls.__new__(cls)
            for name, conv, value in zip(names, convs, values, strict=True):
                setattr(row, name, conv(value) if conv is not None and value is not None else value)
            return row

        return factory

    @_locked
    def _select(self, table: str, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cur = self.conn.cursor()
        cur.row_factory = self._factory(table)
        return cur.execute(sql, params).fetchall()

    # -- people, places, settings -------------------------------------------------------------

    @_locked
    def staff_by_login(self, login: str) -> Staff | None:
        """The member of staff with ``login``, or ``None``."""
        found = self._select("staff", "SELECT * FROM staff WHERE login = ?", (login,))
        return rows.staff_from_row(found[0]) if found else None

    @_locked
    def staff_count(self) -> int:
        """How many members of staff the practice has (0 on a new practice)."""
        return int(self.conn.execute("SELECT count(*) FROM staff").fetchone()[0])

    @_locked
    def staff(self) -> list[Staff]:
        """Every member of staff, in name order."""
        return [
            rows.staff_from_row(r)
            for r in self._select("staff", "SELECT * FROM staff ORDER BY name")
        ]

    @_locked
    def locations(self) -> list[Location]:
        """Every location (archived too), in name order."""
        return [
            rows.location_from_row(r)
            for r in self._select("location", "SELECT * FROM location ORDER BY name")
        ]

    @_locked
    def settings(self) -> PracticeSettings:
        """The practice settings (defaults before any were saved)."""
        found = self._select("practice", "SELECT * FROM practice WHERE id = 1")
        return rows.settings_from_row(found[0] if found else None)

    @_locked
    def preference(self, staff_id: int, key: str) -> str | None:
        """A user's remembered choice as stored (JSON text), as ``practice.get_preference``."""
        found = self.conn.execute(
            "SELECT value FROM preference WHERE staff_id = ? AND key = ?", (staff_id, key)
        ).fetchone()
        return str(found[0]) if found else None

    @_locked
    def secondary_calendars(self) -> frozenset[tuple[int, str]]:
        """As ``google_settings.secondary_calendar_keys``."""
        found = self.conn.execute(
            "SELECT a.practitioner_id, c.calendar FROM sync_calendar AS c "
            "JOIN sync_account AS a ON a.id = c.account_id "
            "WHERE a.provider = 'google' AND c.role = 'secondary'"
        ).fetchall()
        return frozenset((int(pid), str(cal)) for pid, cal in found)

    @_locked
    def hours(self, kind: str) -> list[tuple[int | None, str, list[tuple[int, str, str]]]]:
        """Every set of weekly hours of ``kind`` (``office``, ``availability``), as
        ``hours.get_hours`` reads them: ``(practitioner id or None for the practice default,
        zone, [(weekday, "HH:MM" start, "HH:MM" end), ...])``."""
        found = self.conn.execute(
            'SELECT h.id, h.practitioner_id, h.tzid, i.weekday, i.start, i."end" '
            "FROM hours AS h LEFT JOIN hours_interval AS i ON i.hours_id = h.id "
            "WHERE h.kind = ? ORDER BY h.id",
            (kind,),
        ).fetchall()
        sets: dict[int, tuple[int | None, str, list[tuple[int, str, str]]]] = {}
        for hid, pid, tzid, weekday, start, end in found:
            entry = sets.setdefault(hid, (pid, str(tzid), []))
            if weekday is not None:
                entry[2].append((int(weekday), str(start), str(end)))
        return list(sets.values())

    @_locked
    def _by_ids(self, table: str, ids: set[int]) -> list[Any]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._select(table, f"SELECT * FROM {table} WHERE id IN ({marks})", sorted(ids))

    @_locked
    def people_and_places(
        self, staff_ids: set[int], client_ids: set[int], location_ids: set[int]
    ) -> tuple[dict[int, Staff], dict[int, Client], dict[int, Location]]:
        """Staff, clients and locations by id (the ids that exist)."""
        return (
            {r.id: rows.staff_from_row(r) for r in self._by_ids("staff", staff_ids)},
            {r.id: rows.client_from_row(r) for r in self._by_ids("client", client_ids)},
            {r.id: rows.location_from_row(r) for r in self._by_ids("location", location_ids)},
        )

    # -- the window query ---------------------------------------------------------------------

    @_locked
    def window(
        self,
        start: datetime,
        end: datetime,
        *,
        display_tz: ZoneInfo,
        practitioners: Sequence[int] | None = None,
        locations: Sequence[int] | None = None,
    ) -> list[Occurrence]:
        """As :func:`sessions_tui.store.queries.window`, with the same index range scans."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        max_span = self.conn.execute(
            "SELECT max(span_s) FROM event WHERE is_series = 0"
        ).fetchone()[0]
        lower = start - timedelta(seconds=int(max_span or 0))
        extra = ""
        extra_params: list[Any] = []
        if practitioners is not None:
            marks = ",".join("?" * len(practitioners))
            extra += f" AND (practitioner_id IN ({marks}) OR practitioner_id IS NULL)"
            extra_params += list(practitioners)
        if locations is not None:
            marks = ",".join("?" * len(locations))
            extra += f" AND location_id IN ({marks})"
            extra_params += list(locations)
        singles = self._select(
            "event",
            "SELECT * FROM event WHERE is_series = 0 AND start_utc < ? AND start_utc >= ? "
            "AND end_utc > ?" + extra,
            [_param(end), _param(lower), _param(start), *extra_params],
        )
        series = self._select(  # by the index on the series' bounds (store.series_bounds)
            "event",
            series_bounds.SQLITE_SERIES + extra,
            [
                series_bounds.epoch(end),
                series_bounds.epoch(start),
                _param(end),
                _param(start),
                *extra_params,
            ],
        )
        skips: list[tuple[int, str | None]] = []
        if series:
            ids = [r.id for r in series]
            marks = ",".join("?" * len(ids))
            skips += self.conn.execute(
                f"SELECT series_id, recurrence_key FROM exdate WHERE series_id IN ({marks})", ids
            ).fetchall()
            skips += self.conn.execute(
                f"SELECT series_id, recurrence_key FROM event WHERE series_id IN ({marks})", ids
            ).fetchall()
        return rows.expand_window(singles, series, skips, start, end, display_tz)

    @_locked
    def holds(
        self,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        practitioners: Sequence[int] | None = None,
    ) -> list[Hold]:
        """As :func:`sessions_tui.store.holds.holds_between` (its rule, :func:`.is_held`)."""
        sql = (
            "SELECT * FROM booking_request WHERE (status = ? OR (status = ? AND expires_at > ?)) "
            "AND start_utc < ? AND end_utc > ?"
        )
        params: list[Any] = [ACCEPTING, PENDING, _param(now), _param(end), _param(start)]
        if practitioners is not None:
            sql += f" AND practitioner_id IN ({','.join('?' * len(practitioners))})"
            params += list(practitioners)
        found = self._select("booking_request", sql + " ORDER BY start_utc, id", params)
        return [hold_from_row(r) for r in found]


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (``None`` for other URLs and in-memory databases)."""
    m = _SQLITE_URL.match(url)
    if m is None or m.group("path") in ("", ":memory:"):
        return None
    return Path(m.group("path"))


def open_fast(url: str) -> FastReader | None:
    """A reader for ``url`` if it is an existing SQLite file at the newest migration."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    check_on_open(path)  # a damaged file is refused here too, in one line (issue 28)
    try:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("BEGIN")  # one snapshot for every read of this process
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if found is None or str(found[0]) != head_revision():
            conn.close()
            return None
    except sqlite3.Error:
        conn.close()
        return None
    return FastReader(conn)
