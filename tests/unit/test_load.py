"""A small version of bench/bench_concurrency.py: writer processes at once lose nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def _bench():  # type: ignore[no-untyped-def]
    # Imported by name (not from a file spec) so spawned writer processes, which inherit
    # sys.path, can import it too.
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import bench_concurrency

    return bench_concurrency


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_writers_lose_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bench = _bench()
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'load.db'}"
    else:
        from pg_support import drop_database, new_database

        admin = request.getfixturevalue("pg_admin")
        url = new_database(admin, migrated=True)
        request.addfinalizer(lambda: drop_database(admin, url))
    result = bench.run(url, writers=5, ops=24)
    assert result["errors"] == []  # never "database is locked", never anything else
    assert result["problems"] == []  # every committed change present, no double booking
    assert result["booked"] > 0
    assert result["moved"] > 0
    assert result["booked"] + result["refused"] + result["moved"] + result["move_refused"] == 120
