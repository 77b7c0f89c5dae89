"""Issue 15 on a real PostgreSQL: each member of staff is a database role, and the database
itself refuses what their role may not do, whatever SQL they send over their own connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pg_support import drop_database, new_database
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import PermissionDenied
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments, practice
from sessions_tui.services.context import Context, make_context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.write_guard import writing

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)


@pytest.fixture(autouse=True)
def _the_database_guards() -> Iterator[None]:
    """These tests probe the database's own refusals, as a member of staff connecting with psql
    would: the application's write guard (store/write_guard.py) is stood aside for them."""
    with writing():
        yield


@dataclass
class Shared:
    owner_url: str
    db: Database  # connected as the superuser that made the database
    tag: str
    events: dict[str, int]

    def url_as(self, who: str) -> str:
        url = make_url(self.owner_url).set(username=self.login(who), password=None)
        return url.render_as_string(hide_password=False)

    def login(self, who: str) -> str:
        return f"{who}_{self.tag}"

    def engine_as(self, who: str) -> Engine:
        return create_engine(self.url_as(who))


def _event(pid: int, title: str, hour: int) -> Event:
    start = NOW + timedelta(days=1, hours=hour)
    return Event(
        kind=EventKind.OTHER,
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        tzid="UTC",
        practitioner_id=pid,
    )


@pytest.fixture
def shared(pg_admin: str) -> Iterator[Shared]:
    url = new_database(pg_admin)
    db = open_database(url)
    tag = uuid.uuid4().hex[:8]  # roles are cluster-wide: new names for every test
    boss = practice.add_staff(
        Context(db, CLOCK, None), f"boss_{tag}", "Bo Boss", {Role.ADMIN, Role.PRACTITIONER}
    )
    bctx = Context(db, CLOCK, boss)
    pat = practice.add_staff(bctx, f"pat_{tag}", "Pat P", {Role.PRACTITIONER})
    quinn = practice.add_staff(bctx, f"quinn_{tag}", "Quinn Q", {Role.PRACTITIONER})
    events = {}
    for who, person, hour in (("pat", pat, 1), ("quinn", quinn, 3)):
        change = appointments.create(bctx, _event(person.id, f"{who}'s event", hour))
        assert change.result_id is not None
        events[who] = change.result_id
    try:
        yield Shared(url, db, tag, events)
    finally:
        db.dispose()
        drop_database(pg_admin, url)


def _refused(engine: Engine, sql: str, **params: object) -> str:
    with engine.begin() as conn, pytest.raises(DBAPIError) as info:
        conn.execute(text(sql), params)
    return str(info.value.orig)


def test_issue_15_staff_add_makes_a_login_role_in_its_groups(shared: Shared) -> None:
    with shared.db.engine.connect() as conn:
        groups = conn.execute(
            text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :l ORDER BY 1"
            ),
            {"l": shared.login("pat")},
        ).scalars()
        assert list(groups) == ["sessions_practitioner"]
        can_login = conn.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :l"), {"l": shared.login("pat")}
        ).scalar_one()
        assert can_login


def test_issue_15_practitioner_cannot_change_another_practitioners_event(shared: Shared) -> None:
    pat = shared.engine_as("pat")
    try:
        with pat.connect() as conn:
            hit = conn.execute(
                text("UPDATE event SET title = 'hacked' WHERE id = :i"),
                {"i": shared.events["quinn"]},
            )
            assert hit.rowcount == 0  # the row is not theirs to change: invisible to UPDATE
            gone = conn.execute(
                text("DELETE FROM event WHERE id = :i"), {"i": shared.events["quinn"]}
            )
            assert gone.rowcount == 0
            conn.commit()
        # Moving their own event into a colleague's calendar is refused outright.
        message = _refused(
            pat,
            "UPDATE event SET practitioner_id = (SELECT id FROM staff WHERE login = :q) "
            "WHERE id = :i",
            q=shared.login("quinn"),
            i=shared.events["pat"],
        )
        assert "row-level security" in message
        with pat.connect() as conn:  # their own event: allowed
            own = conn.execute(
                text("UPDATE event SET title = 'mine' WHERE id = :i"), {"i": shared.events["pat"]}
            )
            assert own.rowcount == 1
            conn.commit()
    finally:
        pat.dispose()
    with shared.db.engine.connect() as conn:
        title = conn.execute(
            text("SELECT title FROM event WHERE id = :i"), {"i": shared.events["quinn"]}
        ).scalar_one()
    assert title == "quinn's event"


def test_issue_15_practitioner_cannot_change_settings_or_roles(shared: Shared) -> None:
    pat = shared.engine_as("pat")
    try:
        assert "permission denied" in _refused(pat, "UPDATE practice SET internal_ids = true")
        assert "permission denied" in _refused(
            pat, "UPDATE staff SET roles = 'admin,practitioner' WHERE login = current_user"
        )
        assert "permission denied" in _refused(
            pat,
            "INSERT INTO staff (login, name, roles, color, default_session_minutes) "
            "VALUES ('x', 'X', 'admin', '', 50)",
        )
        with pat.connect() as conn:  # their own name: allowed
            hit = conn.execute(text("UPDATE staff SET name = 'Pat Q' WHERE login = current_user"))
            assert hit.rowcount == 1
            other = conn.execute(
                text("UPDATE staff SET name = 'X' WHERE login = :b"), {"b": shared.login("boss")}
            )
            assert other.rowcount == 0
            conn.commit()
    finally:
        pat.dispose()


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_readonly",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "INSERT INTO audit_log (at, actor, entity, entity_id, action) "
        "VALUES ('2026-01-01T00:00:00Z', 'forged', 'event', 1, 'delete')",
        "DROP TABLE audit_log",
        "DROP TRIGGER audit_event ON event",
        "CREATE OR REPLACE FUNCTION sessions_audit() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NULL; END $$",
    ],
)
def test_issue_15_practitioner_cannot_touch_the_audit_log(shared: Shared, sql: str) -> None:
    with shared.db.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*), max(id) FROM audit_log")).one()
    pat = shared.engine_as("pat")
    try:
        message = _refused(pat, sql)
        assert "must be owner" in message or "permission denied" in message, message
    finally:
        pat.dispose()
    with shared.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(id) FROM audit_log")).one() == before


def test_issue_15_the_actor_is_the_connected_role_whatever_is_set(shared: Shared) -> None:
    pat = shared.engine_as("pat")
    try:
        with pat.connect() as conn:
            conn.execute(text("SELECT set_config('sessions_tui.actor', :b, false)"), {"b": "boss"})
            conn.execute(text("SET ROLE sessions_practitioner"))  # a group they are in
            conn.execute(text("RESET ROLE"))
            conn.execute(
                text("UPDATE event SET title = 'by pat' WHERE id = :i"), {"i": shared.events["pat"]}
            )
            conn.commit()
    finally:
        pat.dispose()
    with shared.db.engine.connect() as conn:
        actor = conn.execute(
            text(
                "SELECT actor FROM audit_log WHERE entity = 'event' AND entity_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": shared.events["pat"]},
        ).scalar_one()
    assert actor == shared.login("pat")


def test_issue_15_identity_is_the_connected_role_and_user_mismatch_refused(
    shared: Shared,
) -> None:
    db = open_database(shared.url_as("pat"))
    try:
        me = make_context(db, CLOCK, None)
        assert me.actor is not None
        assert me.actor.login == shared.login("pat")
        assert make_context(db, CLOCK, shared.login("pat")).actor == me.actor
        with pytest.raises(PermissionDenied, match="you are the role you connected as"):
            make_context(db, CLOCK, shared.login("boss"))
        # Through the services, the role's grants are enough for ordinary work ...
        quinn_id = me.actor.id + 1  # quinn was added after pat
        change = appointments.create(me, _event(me.actor.id, "new one", 5))
        assert change.result_id is not None
        # ... and the app refuses, before the database would, another's calendar.
        with pytest.raises(PermissionDenied):
            appointments.create(me, _event(quinn_id, "not mine", 6))
    finally:
        db.dispose()


def test_issue_15_user_mismatch_on_the_command_line(
    shared: Shared, capsys: pytest.CaptureFixture[str]
) -> None:
    from ._cli import cli

    result = cli(capsys, "staff", "list", "--db", shared.url_as("pat"), "--user", "someone")
    assert result.code == 1
    assert result.err_lines == [
        f"sessions-tui: error: --user someone: on PostgreSQL you are the role you connected as "
        f"('{shared.login('pat')}'); connect as 'someone' instead"
    ]


def test_issue_15_db_upgrade_reapplies_and_a_staff_role_cannot_run_it(
    shared: Shared, capsys: pytest.CaptureFixture[str]
) -> None:
    from ._cli import cli

    ok = cli(capsys, "db", "upgrade", "--db", shared.owner_url)
    assert ok.code == 0, ok.err
    assert "at revision" in ok.out
    with shared.db.engine.connect() as conn:
        owner = conn.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'")
        ).scalar_one()
    assert owner == "sessions_owner"
    refused = cli(capsys, "db", "upgrade", "--db", shared.url_as("pat"))
    assert refused.code != 0
    assert len(refused.err.splitlines()) == 1
