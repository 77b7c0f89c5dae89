"""Client identity on accept (issue 27): a request whose address is a client's but whose name
is another's, or whose name alone matches, is never booked for that client without asking."""

from __future__ import annotations

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
