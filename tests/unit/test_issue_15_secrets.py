"""Issue 15: no secret in output. A database password never appears in an error, a hint or a
log line; the Google token folder is 0700 and a loose token file is repaired with a warning; a
copy of the database holds no working feed URL."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from sessions_tui.domain.text import RedactingFilter, install_log_redaction
from sessions_tui.services import feeds
from sessions_tui.services.context import Context
from sessions_tui.store.db import DatabaseError, open_database
from sessions_tui.sync import oauth

from ._cli import cli

SECRET = "pw-s3cr3t-9"
BAD_PG = f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:1/practice"  # nothing listens on 1


def test_issue_15_cannot_open_database_error_masks_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(DatabaseError) as info:
        open_database(BAD_PG)
    assert SECRET not in str(info.value)
    assert "alice:***@127.0.0.1:1" in str(info.value)
    result = cli(capsys, "agenda", "--db", BAD_PG)
    assert result.code == 1
    assert SECRET not in result.err + result.out
    assert result.err.startswith("sessions-tui: error: cannot open database")
    bad = cli(capsys, "agenda", "--db", f"nosuch://bob:{SECRET}@host/db")
    assert bad.code != 0
    assert SECRET not in bad.err + bad.out


def test_issue_15_demo_hint_masks_the_password(
    pg_admin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pg_support import drop_database, new_database
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = new_database(pg_admin, migrated=False)
    role = f"demo_{os.getpid()}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{SECRET}'"))
    admin.dispose()
    with_password = (
        make_url(url).set(username=role, password=SECRET).render_as_string(hide_password=False)
    )
    try:
        result = cli(capsys, "demo", "--db", with_password)
        assert result.code == 0, result.err
        assert "Open it with: sessions-tui --db postgresql+psycopg://" in result.out
        assert f"{role}:***@" in result.out
        assert SECRET not in result.out + result.err
    finally:
        drop_database(pg_admin, url)


def test_issue_15_log_lines_mask_the_password(caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction()
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    finally:
        root.removeHandler(handler)
    caplog.handler.addFilter(RedactingFilter())
    log = logging.getLogger("sessions_tui.test")
    log.warning("connecting to %s", BAD_PG)
    try:
        raise RuntimeError(f"could not connect to {BAD_PG}")
    except RuntimeError:
        log.exception("sync failed")
    assert SECRET not in caplog.text
    assert "alice:***@" in caplog.text


def test_issue_15_google_token_folder_is_private_and_loose_tokens_repaired(
    caplog: pytest.LogCaptureFixture,
) -> None:
    os.umask(0o022)
    try:
        path = oauth.save_token("pat", json.dumps({"token": "a", "refresh_token": "r"}))
    finally:
        os.umask(0o077)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    path.parent.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="sessions_tui.sync.oauth"):
        oauth.check_token_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "had mode 0644" in caplog.text
    assert "had mode 0755" in caplog.text


def test_issue_15_a_copy_of_the_database_yields_no_feed_url(
    admin_ctx: Context, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    me = admin_ctx.require_actor()
    made = feeds.ensure_feed(admin_ctx, me.id)
    assert made.token is not None  # shown once, when made
    assert feeds.feed_by_token(admin_ctx.db, made.token) is not None
    again = feeds.get_feed(admin_ctx, me.id)
    assert (again.token, again.has_token, again.url()) == (None, True, None)
    admin_ctx.db.dispose()
    with sqlite3.connect(tmp_path / "practice.db") as conn:
        stored = [str(v) for row in conn.execute("SELECT * FROM feed") for v in row]
        logged = [str(v) for row in conn.execute("SELECT * FROM audit_log") for v in row]
    assert not any(made.token in v for v in stored + logged)
    # `ics url` cannot show it again and says how to get a new one.
    db = str(tmp_path / "practice.db")
    result = cli(capsys, "ics", "url", "--practitioner", me.name, "--db", db)
    assert result.code == 1
    assert "--rotate` makes a new one" in result.err
    rotated = cli(capsys, "ics", "url", "--practitioner", me.name, "--db", db, "--rotate")
    assert rotated.code == 0, rotated.err
    assert rotated.out.startswith("http://127.0.0.1:8765/feeds/")
    assert feeds.feed_by_token(open_database(db), made.token) is None  # the old URL is dead
