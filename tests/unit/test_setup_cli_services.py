"""The setup services behind the CLI and the setup screens: role rules, own profile, archived
locations, duplicate internal IDs, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import NotFoundError, PermissionDenied, ValidationError
from sessions_tui.domain.model import Role
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database

CHICAGO = ZoneInfo("America/Chicago")


class Team:
    def __init__(self, tmp_path: Path) -> None:
        self.db = open_database(str(tmp_path / "team.db"))
        self.clock = FixedClock(datetime(2026, 11, 25, 16, tzinfo=UTC))
        admin = practice.add_staff(
            Context(self.db, self.clock, None), "ada", "Ada Admin", {Role.ADMIN}
        )
        self.admin = Context(self.db, self.clock, admin)
        self.pat_staff = practice.add_staff(self.admin, "pat", "Pat P", {Role.PRACTITIONER})
        self.quinn_staff = practice.add_staff(self.admin, "quinn", "Quinn Q", {Role.PRACTITIONER})
        self.sam_staff = practice.add_staff(self.admin, "sam", "Sam S", {Role.SCHEDULER})
        self.pat = Context(self.db, self.clock, self.pat_staff)
        self.sam = Context(self.db, self.clock, self.sam_staff)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


def test_practitioner_edits_own_profile_but_not_roles(team: Team) -> None:
    me = practice.update_staff(
        team.pat, team.pat_staff.id, name="Pat Park", color="magenta", default_session_minutes=45
    )
    assert (me.name, me.color, me.default_session_minutes) == ("Pat Park", "magenta", 45)
    with pytest.raises(PermissionDenied, match="only an admin may change staff roles"):
        practice.update_staff(team.pat, team.pat_staff.id, roles={Role.ADMIN, Role.PRACTITIONER})
    with pytest.raises(PermissionDenied, match="only an admin may change other staff"):
        practice.update_staff(team.pat, team.quinn_staff.id, name="Someone Else")
    with pytest.raises(PermissionDenied, match="only an admin may change other staff"):
        practice.update_staff(team.sam, team.pat_staff.id, color="red")
    stored = {p.login: p for p in practice.list_staff(team.admin)}
    assert stored["pat"].roles == frozenset({Role.PRACTITIONER})
    assert stored["quinn"].name == "Quinn Q"


def test_admin_changes_roles_and_keeps_one_admin(team: Team) -> None:
    sam = practice.update_staff(team.admin, team.sam_staff.id, roles=["scheduler", "practitioner"])
    assert sam.roles == frozenset({Role.SCHEDULER, Role.PRACTITIONER})
    assert practice.find_practitioner(team.admin, "sam").id == sam.id
    with pytest.raises(ValidationError, match="at least one admin"):
        practice.update_staff(team.admin, team.admin.require_actor().id, roles={Role.PRACTITIONER})
    with pytest.raises(ValidationError, match="unknown role 'boss'"):
        practice.update_staff(team.admin, team.sam_staff.id, roles=["boss"])
    with pytest.raises(ValidationError, match="at least one role"):
        practice.update_staff(team.admin, team.sam_staff.id, roles=[])


def test_profile_input_is_checked(team: Team) -> None:
    with pytest.raises(ValidationError, match="cannot change 'login'"):
        practice.update_staff(team.pat, team.pat_staff.id, login="root")
    with pytest.raises(ValidationError, match="bad colour 'blurple'"):
        practice.update_staff(team.pat, team.pat_staff.id, color="blurple")
    with pytest.raises(ValidationError, match="5 to 1440"):
        practice.update_staff(team.pat, team.pat_staff.id, default_session_minutes=0)
    with pytest.raises(NotFoundError):
        practice.update_staff(team.admin, 999, name="Nobody")
    assert practice.update_staff(team.pat, team.pat_staff.id, color="#336699").color == "#336699"


def test_clients_and_locations_are_for_admins_and_schedulers(team: Team) -> None:
    c = practice.add_client(team.sam, "Ava", "Bennett", "C-1")
    with pytest.raises(PermissionDenied):
        practice.add_client(team.pat, "Liam", "Castillo")
    with pytest.raises(PermissionDenied):
        practice.update_client(team.pat, c.id, "Ava", "B", "C-1")
    loc = practice.add_location(team.sam, "Room 1")
    with pytest.raises(PermissionDenied):
        practice.update_location(team.pat, loc.id, name="Room One")
    assert [x.full_name for x in practice.list_clients(team.pat)] == ["Ava Bennett"]


def test_duplicate_internal_ids_are_refused_on_edit_too(team: Team) -> None:
    practice.add_client(team.admin, "Ava", "Bennett", "C-1")
    liam = practice.add_client(team.admin, "Liam", "Castillo", "C-2")
    with pytest.raises(ValidationError, match="internal ID 'C-1' is already used"):
        practice.update_client(team.admin, liam.id, "Liam", "Castillo", "C-1")
    assert practice.get_client(team.admin, liam.id).internal_id == "C-2"
    # Keeping one's own ID is not a duplicate.
    assert (
        practice.update_client(team.admin, liam.id, "Liam", "Castle", "C-2").last_name == "Castle"
    )


def test_archived_location_keeps_its_past_events(team: Team) -> None:
    loc = practice.add_location(team.admin, "Old Annex")
    client = practice.add_client(team.admin, "Ava", "Bennett")
    start = datetime(2026, 11, 2, 10, tzinfo=CHICAGO)
    scheduling.create_event(
        team.admin,
        scheduling.session_event(
            practitioner=team.pat_staff,
            client=client,
            start=start,
            minutes=50,
            tzid="America/Chicago",
            location=loc,
        ),
    )
    archived = practice.update_location(team.admin, loc.id, archived=True)
    assert archived.archived
    assert [x.name for x in practice.list_locations(team.admin, include_archived=False)] == []
    items = scheduling.agenda(
        team.admin, start - timedelta(hours=1), start + timedelta(hours=2), CHICAGO
    )
    assert [(i.title, i.location.name if i.location else None) for i in items] == [
        ("Ava Bennett", "Old Annex")
    ]
    renamed = practice.update_location(team.admin, loc.id, name="Annex (closed)")
    assert renamed.archived
    assert (
        scheduling.agenda(team.admin, start, start + timedelta(hours=1), CHICAGO)[0].location
        == renamed
    )


def test_settings_reject_unknown_keys_and_wrong_types(team: Team) -> None:
    with pytest.raises(ValidationError, match="unknown setting 'colour'"):
        practice.update_settings(team.admin, colour="blue")
    with pytest.raises(ValidationError, match="on or off"):
        practice.update_settings(team.admin, internal_ids="yes")
    with pytest.raises(PermissionDenied):
        practice.update_settings(team.sam, internal_ids=True)
    assert practice.update_settings(team.admin, internal_ids=True).internal_ids is True
    assert practice.get_settings(team.pat).internal_ids is True
