"""UTCDateTime: aware in, aware UTC out; naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import StatementError

from sessions_tui.store.types import UTCDateTime

CHICAGO_CST = timezone(timedelta(hours=-6))


@pytest.fixture
def table() -> tuple[object, Table]:
    engine = create_engine("sqlite://")
    meta = MetaData()
    t = Table("t", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    meta.create_all(engine)
    return engine, t


def test_naive_datetime_is_refused(table: tuple[object, Table]) -> None:
    engine, t = table
    with engine.begin() as conn, pytest.raises(StatementError, match=r"naive datetime .* refused"):  # type: ignore[attr-defined]
        conn.execute(insert(t).values(at=datetime(2026, 11, 25, 10)))


def test_non_datetime_is_refused(table: tuple[object, Table]) -> None:
    engine, t = table
    with engine.begin() as conn, pytest.raises(StatementError, match="needs a datetime"):  # type: ignore[attr-defined]
        conn.execute(insert(t).values(at=date(2026, 11, 25)))


def test_aware_values_come_back_as_utc(table: tuple[object, Table]) -> None:
    engine, t = table
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(t).values(id=1, at=datetime(2026, 11, 25, 10, tzinfo=CHICAGO_CST)))
        conn.execute(insert(t).values(id=2, at=None))
        got = dict(conn.execute(select(t.c.id, t.c.at)).all())
    assert got[1] == datetime(2026, 11, 25, 16, tzinfo=UTC)
    assert got[1].tzinfo is UTC
    assert got[2] is None


def test_sqlite_text_order_is_time_order(table: tuple[object, Table]) -> None:
    engine, t = table
    values = [
        datetime(2026, 3, 8, 7, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 3, tzinfo=CHICAGO_CST),
        datetime(2026, 3, 8, 8, 30, tzinfo=UTC),
    ]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for i, v in enumerate(values):
            conn.execute(insert(t).values(id=i, at=v))
        ordered = conn.execute(select(t.c.at).order_by(t.c.at)).scalars().all()
    assert ordered == sorted(v.astimezone(UTC) for v in values)
