"""A throwaway PostgreSQL server for tests.

``SESSIONS_TUI_TEST_PG`` (a SQLAlchemy URL of a role that may CREATE DATABASE) points the tests at
a running server, as ``.ci/run`` does. Without it, a private cluster is created with the
PostgreSQL binaries on this machine (initdb/pg_ctl, run as the ``postgres`` user when we are
root) on a free loopback port, and removed at the end of the test session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEMPLATE = "sessions_tui_template"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found and "postgresql" in os.path.realpath(found):
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextlib.contextmanager
def pg_server() -> Iterator[str | None]:
    """Yield an admin URL (``postgresql+psycopg://…/postgres``), or ``None`` if there is none."""
    given = os.environ.get("SESSIONS_TUI_TEST_PG")
    if given:
        yield given
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="sessions-tui-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        root.chmod(0o755)
    port = _free_port()
    try:
        subprocess.run(
            _as_postgres(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "sessions",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_postgres(
                [
                    pg_ctl,
                    "-D",
                    str(data),
                    "-w",
                    "-l",
                    str(root / "log"),
                    "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off -c synchronous_commit=off "
                    "-c full_page_writes=off -c max_connections=200",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://sessions@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def _admin_engine(admin_url: str):  # type: ignore[no-untyped-def]
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def make_template(admin_url: str) -> None:
    """Create the migrated template database once (drops a stale one)."""
    from sessions_tui.store.db import open_database

    engine = _admin_engine(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    engine.dispose()
    url = make_url(admin_url).set(database=TEMPLATE).render_as_string(hide_password=False)
    db = open_database(url)
    db.dispose()


def new_database(admin_url: str, *, migrated: bool = True) -> str:
    """A fresh database (a copy of the migrated template); returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(admin_url)
    with engine.connect() as conn:
        if migrated:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        else:
            conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = _admin_engine(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()
