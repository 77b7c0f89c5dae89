"""Issue 18: a bulk unit of work (an import) keeps SQLite's statement journals in memory and has
a larger (fixed) page cache, and only that one: the next ordinary unit of work on the same
connection has the defaults back, also after a bulk one failed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from sessions_tui.services.context import Context
from sessions_tui.store.db import BULK_CACHE_KIB, Database
from sessions_tui.sync.ics import import_calendar, importer

MEMORY, DEFAULT = 2, 0
CACHE = -2000  # SQLite's default page cache (2 MiB)


def _temp_store(s: Session) -> int:
    conn = s.connection()
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    store = int(conn.exec_driver_sql("PRAGMA temp_store").scalar_one())
    assert cache == (-BULK_CACHE_KIB if store == MEMORY else CACHE)
    return store


def test_only_a_bulk_session_keeps_its_journals_in_memory(db: Database) -> None:
    with db.session() as s:
        assert _temp_store(s) == DEFAULT
    with db.session(bulk=True) as s:
        assert _temp_store(s) == MEMORY
    with db.session() as s:
        assert _temp_store(s) == DEFAULT
    inside: list[int] = []

    def failing() -> None:
        with db.session(bulk=True) as s:
            inside.append(_temp_store(s))
            raise RuntimeError("a failed import")

    with pytest.raises(RuntimeError):
        failing()
    assert inside == [MEMORY]
    with db.session() as s:
        assert _temp_store(s) == DEFAULT


def test_an_import_writes_in_a_bulk_session(
    admin_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    finish = importer._Sink.finish

    def spy(self: Any) -> None:
        seen.append(_temp_store(self.s))
        finish(self)

    monkeypatch.setattr(importer._Sink, "finish", spy)
    me = admin_ctx.require_actor()
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
        "DTSTART:20260504T090000Z\r\nDTEND:20260504T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert import_calendar(admin_ctx, text, practitioner_id=me.id, name="a.ics").added == 1
    assert seen == [MEMORY]
    with admin_ctx.db.session() as s:
        assert _temp_store(s) == DEFAULT
