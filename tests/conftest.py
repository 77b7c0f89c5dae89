"""Shared fixtures for every test suite (unit, UI, snapshots, ICS, sync).

Isolation: the autouse :func:`_isolated_env` fixture points HOME, the XDG config/data dirs (what
platformdirs reads on Linux) and ``SESSIONS_TUI_CONFIG`` at the test's ``tmp_path``, and clears
``SESSIONS_TUI_DB``/``SESSIONS_TUI_NOW``/``SESSIONS_TUI_TZ``/``SESSIONS_TUI_USER``, so no test
reads or writes the developer's real practice database or config.

Fixtures for others to reuse:

- ``now_env``: sets ``SESSIONS_TUI_NOW`` to the same instant (for CLI runs); returns it.
- ``clock``: a :class:`~sessions_tui.clock.FixedClock` at :data:`NOW` (2026-11-25 16:00 UTC,
  a Wednesday, 10:00 in America/Chicago).
- ``db``: a fresh, migrated SQLite *file* database in ``tmp_path`` (``db.url`` gives its URL).
- ``admin_ctx``: a :class:`~sessions_tui.services.context.Context` on ``db`` whose actor is the
  practice's first member of staff, login ``admin`` (admin + practitioner).
- ``demo_db``: a database file holding the demo practice seeded at :data:`NOW` (copied from a
  once-per-session template, so it is cheap); ``demo_ctx`` acts as ``alice`` (admin) on it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database, open_database

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
"""The frozen "now" of the test suite (10:00 America/Chicago, Wednesday)."""

NOW_ENV = "2026-11-25T16:00:00+00:00"
"""``NOW`` as a ``SESSIONS_TUI_NOW`` value, for subprocess/CLI tests."""

# Files the tests make (copies of the demo template too) are private, as the product makes
# them: a world-readable practice file is warned about on stderr (store.filemode).
os.umask(0o077)

TEST_OS_LOGIN = "admin"
"""The OS login every in-process test runs as."""

_CLEARED = ("SESSIONS_TUI_DB", "SESSIONS_TUI_NOW", "SESSIONS_TUI_TZ", "SESSIONS_TUI_USER")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Redirect HOME, XDG dirs and the config file into ``tmp_path``; clear SESSIONS_TUI_*.

    Returns the fake home directory.
    """
    home = tmp_path / "home"
    for sub in ("", ".config", ".local/share", ".cache", ".local/state"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(home / ".config/sessions-tui/config.toml"))
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    # In-process runs are logged in as "admin", the first member of staff most fixtures make,
    # so ``--user`` naming others is honoured as for an admin (services.context). Tests of the
    # rule itself set another login (tests/unit/test_issue_15_identity.py).
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: TEST_OS_LOGIN)
    return home


@pytest.fixture
def clock() -> FixedClock:
    """A clock frozen at :data:`NOW` (2026-11-25T16:00Z)."""
    return FixedClock(NOW)


@pytest.fixture
def now_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set ``SESSIONS_TUI_NOW`` to :data:`NOW` (for in-process CLI runs); returns the value."""
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW_ENV)
    return NOW_ENV


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite file database at ``tmp_path / "practice.db"``."""
    database = open_database(str(tmp_path / "practice.db"))
    yield database
    database.dispose()


@pytest.fixture
def admin_ctx(db: Database, clock: FixedClock) -> Context:
    """A Context on ``db`` acting as the first member of staff (login ``admin``, an admin and
    practitioner named "Ada Admin"), created through ``practice.add_staff`` on the empty db."""
    admin = practice.add_staff(
        Context(db, clock, None), "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER}
    )
    return Context(db, clock, admin)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo practice seeded once per test session at :data:`NOW`."""
    from sessions_tui.services.demo import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = open_database(str(path))
    try:
        assert seed_demo(Context(database, FixedClock(NOW), None))
    finally:
        database.dispose()
    return path


@pytest.fixture
def demo_db(_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A private copy of the seeded demo practice (file ``tmp_path / "demo.db"``)."""
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo_template, target)
    for suffix in ("-wal", "-shm"):
        extra = _demo_template.with_name(_demo_template.name + suffix)
        if extra.exists():
            shutil.copyfile(extra, target.with_name(target.name + suffix))
    database = open_database(str(target))
    yield database
    database.dispose()


@pytest.fixture
def demo_ctx(demo_db: Database, clock: FixedClock) -> Context:
    """A Context on ``demo_db`` acting as ``alice`` (the demo's admin and a practitioner)."""
    from sessions_tui.services.context import make_context

    return make_context(demo_db, clock, "alice")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    """Admin URL of a PostgreSQL server with the migrated template database (see
    ``tests/pg_support.py``); skips only where this machine has no PostgreSQL at all."""
    from pg_support import make_template, pg_server

    with pg_server() as admin:
        if admin is None:
            pytest.skip("no PostgreSQL on this machine (.ci/run installs it)")
        make_template(admin)
        yield admin


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real CalDAV server (Radicale, from the test extra) on 127.0.0.1 for the whole run:
    started on first use, stopped at the end; each test makes its own user and calendars
    (``tests/unit/caldav_harness.py``)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "unit"))
    from caldav_harness import Radicale

    server = Radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()
