"""bench/build_db.py writes exactly the rows the services would (via store.queries.fill_row)."""

from __future__ import annotations

import importlib.util
from datetime import date, time
from pathlib import Path
from types import ModuleType

import pytest

from sessions_tui.domain.events import Event
from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow

from ._helpers import all_day, local, timed

BUILD_DB = Path(__file__).resolve().parents[2] / "bench" / "build_db.py"


@pytest.fixture(scope="module")
def build_db() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_build_db", BUILD_DB)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EVENTS = [
    timed(local(date(2026, 3, 5), time(10), "America/Chicago"), 50, rrule="FREQ=WEEKLY;COUNT=8"),
    timed(local(date(2026, 3, 5), time(10), "Europe/London"), 50, rrule="FREQ=WEEKLY"),
    timed(local(date(2026, 11, 25), time(9), "Asia/Kolkata"), 30),
    all_day(date(2026, 11, 26), 2, tzid="Australia/Sydney"),
]


@pytest.mark.parametrize("event", EVENTS, ids=["count-series", "endless", "one-off", "all-day"])
def test_bench_rows_equal_service_rows(
    admin_ctx: Context, build_db: ModuleType, event: Event
) -> None:
    now = admin_ctx.clock.now()
    stored = scheduling.create_event(admin_ctx, event, uid="same-uid")
    with admin_ctx.db.session() as s:
        row = s.get(EventRow, stored.id)
        assert row is not None
        service = {name: getattr(row, name) for name in build_db.COLUMNS}
    bench = build_db._row(event, "same-uid", now)
    assert bench == service
