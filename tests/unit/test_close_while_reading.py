"""Closing the live-refresh watcher or the fast reader while a worker thread uses it.

Regression: the app closes both on unmount while a polling worker may be inside a query;
sqlite3 crashed the whole process (segmentation fault) when a connection was closed under a
running statement. Both now serialise use and close, and refuse use after close.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.store.db import Database
from sessions_tui.store.fastread import ReaderClosed, open_fast
from sessions_tui.store.watch import SQLiteWatcher


def _hammer(fn, stop: threading.Event, errors: list[BaseException]) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        try:
            fn()
        except ReaderClosed:
            return
        except BaseException as exc:  # anything else is a bug
            errors.append(exc)
            return


@pytest.mark.parametrize("rounds", [25])
def test_close_while_polling(demo_db: Database, rounds: int) -> None:
    path = demo_db.engine.url.database
    assert path
    start = datetime(2026, 11, 22, 6, tzinfo=UTC)
    for _ in range(rounds):
        watcher = SQLiteWatcher(path)
        reader = open_fast(f"sqlite:///{path}")
        assert reader is not None
        reader.release()
        stop, errors = threading.Event(), []  # type: ignore[var-annotated]
        threads = [
            threading.Thread(target=_hammer, args=(watcher.changed, stop, errors)),
            threading.Thread(
                target=_hammer,
                args=(
                    lambda reader=reader: reader.window(
                        start, start + timedelta(days=7), display_tz=ZoneInfo("America/Chicago")
                    ),
                    stop,
                    errors,
                ),
            ),
        ]
        for t in threads:
            t.start()
        watcher.close()
        reader.close()
        stop.set()
        for t in threads:
            t.join(timeout=10)
        assert errors == []
        assert watcher.changed() is False
        with pytest.raises(ReaderClosed):
            reader.window(start, start + timedelta(days=1), display_tz=ZoneInfo("UTC"))
