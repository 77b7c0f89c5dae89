"""Client identity on accept (issue 27): a request whose address is a client's but whose name
is another's, or whose name alone matches, is never booked for that client without asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessions_tui.services import booking_requests, practice
from sessions_tui.services.booking_requests import ClientChoice

from ._cli import cli
from .test_issue_24_holds import CLOCK, NOW_TEXT, THU_13, Demo, demo, template

__all__ = ["demo", "template"]


def ask_as(demo: Demo, name: str, email: str) -> int:
    from sessions_tui.services import booking
    from sessions_tui.services.booking import Visitor
    from sessions_tui.store.db import open_database

    db = open_database(demo.url)
    try:
        page = booking.page_for_key(db, "ben")
        assert page is not None
        row = booking.create_request(
            db, CLOCK, page, "Intake", THU_13, Visitor(name, email), "America/Chicago"
        )
        assert row.id is not None
        return row.id
    finally:
        db.dispose()


def ava_id(demo: Demo) -> int:
    for alice in demo.ctx("alice"):
        (ava,) = [c for c in practice.list_clients(alice) if c.full_name == "Ava Bennett"]
        return ava.id
    raise AssertionError


def test_issue_27_impostor_with_a_clients_address_is_asked_about(demo: Demo) -> None:
    rid = ask_as(demo, "Mallory Impostor", "AVA.Bennett@Example.org")
    ava = ava_id(demo)
    for alice in demo.ctx("alice"):
        with pytest.raises(ClientChoice) as asked:
            booking_requests.accept(alice, rid)
        assert asked.value.requester == "Mallory Impostor"
        assert asked.value.matches == [(ava, "Ava Bennett")]
        assert booking_requests.list_requests(alice)[0].status == "pending"  # nothing changed
        done = booking_requests.accept(alice, rid, new_client=True)
        assert done.client_id != ava
        assert done.client == "Mallory Impostor"


def test_issue_27_cli_accept_names_both_and_says_which_option_to_pass(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW_TEXT)
    rid = ask_as(demo, "Mallory Impostor", "ava.bennett@EXAMPLE.org")
    ava = ava_id(demo)
    base = ["--db", str(demo.path), "--user", "alice"]
    refused = cli(capsys, "booking", "accept", str(rid), *base)
    assert refused.code == 1
    assert refused.err_lines == [
        f"sessions-tui: error: request {rid} is from 'Mallory Impostor' but its address is "
        f"client {ava}'s, Ava Bennett: pass --client {ava} to book Ava Bennett, or --new-client"
    ]
    done = cli(capsys, "booking", "accept", str(rid), "--client", str(ava), *base)
    assert done.code == 0, done.err
    assert done.out.strip().endswith(
        f"for client {ava}, Ava Bennett (the request of Mallory Impostor)."
    )


def test_issue_27_a_name_alone_asks_too(demo: Demo) -> None:
    rid = ask_as(demo, "Ava Bennett", "someone.else@example.net")
    for alice in demo.ctx("alice"):
        with pytest.raises(ClientChoice) as asked:
            booking_requests.accept(alice, rid)
        assert asked.value.matches == [(ava_id(demo), "Ava Bennett")]


def test_issue_27_secret_booking_links_are_stored_as_hashes_and_shown_once(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sessions_tui.services import booking
    from sessions_tui.store.db import open_database

    from ._cli import dump

    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW_TEXT)
    base = ["--db", str(demo.path), "--user", "alice"]
    ben = ["--practitioner", "Ben Okafor"]
    assert cli(capsys, "booking", "settings", *ben, "--secret", *base).code == 0
    made = cli(capsys, "booking", "link", *ben, "--rotate", *base)
    assert made.code == 0, made.err
    url = made.out.strip()
    secret = url.rsplit("/", 1)[-1]
    assert url.startswith("http://127.0.0.1:8765/book/")
    assert len(secret) >= 20
    q = open_database(demo.url)
    try:
        assert booking.page_for_key(q, secret) is not None  # the link works
    finally:
        q.dispose()
    assert secret not in repr(dump(demo.path))  # only its hash is stored
    again = cli(capsys, "booking", "link", *ben, *base)
    assert again.code == 1
    assert again.err_lines == [
        "sessions-tui: error: the booking page's secret link is shown only when it is made and "
        "is not stored; `sessions-tui booking link --practitioner 'Ben Okafor' --rotate` makes "
        "a new one (the old link then stops working)"
    ]
    shown = cli(capsys, "booking", "settings", *base)
    assert shown.code == 0
    assert secret not in shown.out
    assert "/book/" not in shown.out.replace("/book/ben", "")  # no secret link printed


def test_issue_27_booking_link_says_when_the_page_is_off(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW_TEXT)
    base = ["--db", str(demo.path), "--user", "alice"]
    ben = ["--practitioner", "Ben Okafor"]
    assert cli(capsys, "booking", "settings", *ben, "--off", *base).code == 0
    off = cli(capsys, "booking", "link", *ben, *base)
    assert off.code == 0
    assert off.out.strip() == "http://127.0.0.1:8765/book/ben"
    assert off.err_lines == [
        "Booking is off, so this page answers 404 (not found): turn it on with "
        "`sessions-tui booking settings --practitioner 'Ben Okafor' --on`."
    ]


def test_issue_27_migration_drops_stored_secrets_and_keeps_links(tmp_path: Path) -> None:
    """Upgrading a database whose booking links were kept in clear: the secrets are gone, the
    hashes (so every link given out) stay."""
    import hashlib

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    from sessions_tui.store.db import MIGRATIONS_DIR, open_database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    digest = hashlib.sha256(b"given-to-clients-long-ago").hexdigest()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0013")
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.create_function("sessions_actor", 0, lambda: "test")  # the audit triggers' actor
        conn.execute(
            text(
                "INSERT INTO staff (id, login, name, roles, color, default_session_minutes) "
                "VALUES (1, 'alice', 'Alice', 'practitioner', '', 50)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO booking_settings (practitioner_id, enabled, notice_minutes, "
                "horizon_days, buffer_minutes, hold_minutes, new_clients, public, link_secret, "
                "link_hash, updated_at) VALUES (1, 0, 60, 60, 0, 60, 1, 0, "
                "'given-to-clients-long-ago', :h, '2026-11-25 16:00:00.000000')"
            ),
            {"h": digest},
        )
    engine.dispose()
    db = open_database(url)  # migrates to head
    try:
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("booking_settings")}
            hashes = conn.execute(text("SELECT link_hash FROM booking_settings")).scalars().all()
    finally:
        db.dispose()
    assert "link_secret" not in columns
    assert hashes == [digest]
    assert b"given-to-clients-long-ago" not in (tmp_path / "old.db").read_bytes()
