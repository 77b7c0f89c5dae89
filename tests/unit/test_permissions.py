"""Permission rules by role, enforced by the services (so the CLI and the UI obey them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import NotFoundError, PermissionDenied
from sessions_tui.domain.events import Event, Status
from sessions_tui.domain.model import Role, Staff
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.context import Context, make_context, resolve_actor
from sessions_tui.store.db import Database

from ._helpers import cancel_event, delete_event, edit_event

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
NINE_TO_FIVE = (WeeklyInterval(0, time(9), time(17)),)


class Team:
    """An admin (who is not a practitioner), a scheduler, two practitioners, a client, events."""

    def __init__(self, db: Database, clock: FixedClock) -> None:
        self.admin = practice.add_staff(Context(db, clock, None), "boss", "Bo Boss", {Role.ADMIN})
        root = Context(db, clock, self.admin)
        self.sched = practice.add_staff(root, "sched", "Sky Scheduler", {Role.SCHEDULER})
        self.pat = practice.add_staff(root, "pat", "Pat P", {Role.PRACTITIONER})
        self.quinn = practice.add_staff(root, "quinn", "Quinn Q", {Role.PRACTITIONER})
        self.client = practice.add_client(root, "Cora", "Client")
        self.db, self.clock = db, clock
        self.pat_event = scheduling.create_event(self.as_(self.pat), self.session(self.pat))
        self.quinn_event = scheduling.create_event(self.as_(self.quinn), self.session(self.quinn))

    def as_(self, who: Staff) -> Context:
        return Context(self.db, self.clock, who)

    def session(self, who: Staff) -> Event:
        return scheduling.session_event(
            practitioner=who, client=self.client, start=T0, minutes=50, tzid="UTC"
        )


@pytest.fixture
def team(db: Database, clock: FixedClock) -> Team:
    return Team(db, clock)


def _id(ev: Event) -> int:
    assert ev.id is not None
    return ev.id


# --- events -----------------------------------------------------------------------------------


def test_practitioner_edits_own_events(team: Team) -> None:
    ctx = team.as_(team.pat)
    moved = edit_event(
        ctx, _id(team.pat_event), start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2)
    )
    assert moved.start == T0 + timedelta(hours=1)
    assert cancel_event(ctx, _id(team.pat_event)).status is Status.CANCELLED
    delete_event(ctx, _id(team.pat_event))


@pytest.mark.parametrize("action", ["update", "cancel", "delete"])
def test_practitioner_may_not_touch_others_events(team: Team, action: str) -> None:
    ctx = team.as_(team.pat)
    before = scheduling.get_event(ctx, _id(team.quinn_event))
    target = _id(team.quinn_event)
    calls: dict[str, Callable[[], object]] = {
        "update": lambda: edit_event(ctx, target, notes_completed=True),
        "cancel": lambda: cancel_event(ctx, target),
        "delete": lambda: delete_event(ctx, target),
    }
    with pytest.raises(
        PermissionDenied, match="pat is a practitioner and may only change their own"
    ):
        calls[action]()
    assert scheduling.get_event(ctx, _id(team.quinn_event)) == before


def test_practitioner_may_not_create_for_others_or_hand_over(team: Team) -> None:
    ctx = team.as_(team.pat)
    with pytest.raises(PermissionDenied):
        scheduling.create_event(ctx, team.session(team.quinn))
    with pytest.raises(PermissionDenied):
        edit_event(ctx, _id(team.pat_event), practitioner_id=team.quinn.id)
    assert scheduling.get_event(ctx, _id(team.pat_event)).practitioner_id == team.pat.id


@pytest.mark.parametrize("who", ["sched", "admin"])
def test_schedulers_and_admins_edit_every_event(team: Team, who: str) -> None:
    ctx = team.as_(team.sched if who == "sched" else team.admin)
    for ev in (team.pat_event, team.quinn_event):
        assert edit_event(ctx, _id(ev), notes_completed=True).notes_completed
    created = scheduling.create_event(ctx, team.session(team.quinn))
    delete_event(ctx, _id(created))


# --- office hours -----------------------------------------------------------------------------


def test_practitioner_sets_own_office_hours_only(team: Team) -> None:
    ctx = team.as_(team.pat)
    hours.set_hours(ctx, WeeklyHours("UTC", NINE_TO_FIVE, team.pat.id))
    got = hours.get_hours(ctx, team.pat.id, fallback=False)
    assert got is not None
    assert got.intervals == NINE_TO_FIVE
    with pytest.raises(PermissionDenied, match="pat may not change another practitioner's hours"):
        hours.set_hours(ctx, WeeklyHours("UTC", NINE_TO_FIVE, team.quinn.id))
    with pytest.raises(PermissionDenied, match="pat may not change the practice default hours"):
        hours.set_hours(ctx, WeeklyHours("UTC", NINE_TO_FIVE, None))
    assert hours.get_hours(ctx, team.quinn.id) is None


@pytest.mark.parametrize("who", ["sched", "admin"])
def test_schedulers_and_admins_set_any_hours(team: Team, who: str) -> None:
    ctx = team.as_(team.sched if who == "sched" else team.admin)
    hours.set_hours(ctx, WeeklyHours("UTC", NINE_TO_FIVE, None))
    hours.set_hours(ctx, WeeklyHours("UTC", NINE_TO_FIVE, team.quinn.id))
    assert hours.get_hours(ctx, team.pat.id) == WeeklyHours("UTC", NINE_TO_FIVE, None)


# --- roles and settings -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sched", "pat"])
def test_only_admins_change_roles_and_settings(team: Team, who: str) -> None:
    actor = team.sched if who == "sched" else team.pat
    ctx = team.as_(actor)
    with pytest.raises(PermissionDenied, match="only an admin may change practice settings"):
        practice.update_settings(ctx, internal_ids=True)
    with pytest.raises(PermissionDenied, match="only an admin may change staff roles"):
        practice.update_staff(ctx, actor.id, roles={Role.ADMIN})
    with pytest.raises(PermissionDenied, match="only an admin may add staff"):
        practice.add_staff(ctx, "newbie", "New Person", {Role.PRACTITIONER})
    assert practice.get_settings(ctx).internal_ids is False
    assert {p.login for p in practice.list_staff(ctx)} == {"boss", "sched", "pat", "quinn"}
    assert next(p for p in practice.list_staff(ctx) if p.id == actor.id).roles == actor.roles


def test_admin_changes_roles_and_settings(team: Team) -> None:
    ctx = team.as_(team.admin)
    assert practice.update_settings(ctx, internal_ids=True).internal_ids
    assert practice.get_settings(ctx).internal_ids
    changed = practice.update_staff(ctx, team.sched.id, roles={Role.SCHEDULER, Role.PRACTITIONER})
    assert changed.is_practitioner


def test_last_admin_cannot_drop_admin_role(team: Team) -> None:
    from sessions_tui.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="at least one admin"):
        practice.update_staff(team.as_(team.admin), team.admin.id, roles={Role.SCHEDULER})


def test_practitioner_changes_own_name_but_not_others(team: Team) -> None:
    ctx = team.as_(team.pat)
    assert practice.update_staff(ctx, team.pat.id, name="Pat Renamed").name == "Pat Renamed"
    with pytest.raises(PermissionDenied, match="only an admin may change other staff"):
        practice.update_staff(ctx, team.quinn.id, name="Hacked")


def test_practitioner_may_not_manage_clients_or_locations(team: Team) -> None:
    ctx = team.as_(team.pat)
    with pytest.raises(PermissionDenied, match="only an admin or scheduler may add clients"):
        practice.add_client(ctx, "X", "Y")
    with pytest.raises(PermissionDenied, match="only an admin or scheduler may add locations"):
        practice.add_location(ctx, "Room 9")
    assert practice.list_locations(ctx) == []


# --- who is acting ----------------------------------------------------------------------------


def test_unknown_login_error_says_how_to_add_one(team: Team) -> None:
    with pytest.raises(NotFoundError) as info:
        resolve_actor(team.db, "mallory")
    message = str(info.value)
    assert "unknown user 'mallory'" in message
    assert "sessions-tui staff add mallory --name NAME --role practitioner" in message
    assert "--user LOGIN" in message


def test_os_login_is_used_without_user(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "quinn")
    assert make_context(team.db, team.clock, None).actor == team.quinn
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "boss")  # an admin
    assert make_context(team.db, team.clock, "pat").actor == team.pat


def test_first_staff_on_empty_db_becomes_admin(db: Database, clock: FixedClock) -> None:
    assert resolve_actor(db, "anyone") is None  # an empty practice has nobody to be
    empty = Context(db, clock, None)
    first = practice.add_staff(empty, "first", "First Person", {Role.PRACTITIONER})
    assert first.roles == {Role.ADMIN, Role.PRACTITIONER}
    # From now on nobody anonymous may add staff.
    with pytest.raises(PermissionDenied, match="add the first admin"):
        practice.add_staff(empty, "second", "Second Person", {Role.PRACTITIONER})
    assert [p.login for p in practice.list_staff(Context(db, clock, first))] == ["first"]


def test_empty_practice_refuses_other_actions(db: Database, clock: FixedClock) -> None:
    empty = Context(db, clock, None)
    with pytest.raises(PermissionDenied, match="no staff yet"):
        practice.add_location(empty, "Room 1")
    with pytest.raises(PermissionDenied, match="no staff yet"):
        practice.update_settings(empty, internal_ids=True)
