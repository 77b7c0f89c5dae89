# ruff: noqa: PT017  (a state machine judges each outcome: pytest.raises cannot say "either")
"""Issue 24: every action exact — the service layer against a plain model, as three colleagues.

A hypothesis ``RuleBasedStateMachine`` drives the appointments service as Alice (admin and
practitioner), Ben (practitioner) and Sam (scheduler) on one practice that forbids double
booking: create one-offs and daily series, move (by half an hour, an hour, a day), cancel,
relocate and delete with every scope, undo any number of steps, and save over a colleague's
change. Beside it runs a model that knows nothing of rows, overrides or exdates: a list of
occurrences, each with its series (split by "this and following"), its position in it, its
time, location and whether it is cancelled.

After every step it checks the promises, not the code:

- the calendar shows exactly the model's occurrences (time, practitioner, location, status);
- nobody is double booked, inside one series too; a change that would double book is refused,
  and one that would not is not;
- no lost update: saving over a colleague's change is refused, naming them;
- an undo restores exactly what that user's change touched and nothing else, or is refused
  naming a colleague who changed the same event since; it is never refused while nobody else
  touched the event, however many steps back; what a colleague deleted never comes back;
- the audit log gains entries for every change, each naming who made it, and none for a refusal;
- nothing raises but a refusal the UI shows in one line (a ``SessionsError``).

It runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pg_support import drop_database, new_database
from sqlalchemy import text

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ConflictError, PermissionDenied, SessionsError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice, scheduling
from sessions_tui.services.appointments import Change, OccurrenceRef, Scope
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 23)
SPAN = (
    datetime.combine(MONDAY - timedelta(days=7), time(0), tzinfo=CHI),
    datetime.combine(MONDAY + timedelta(days=21), time(0), tzinfo=CHI),
)
USERS = ("alice", "ben", "sam")
PRACTITIONERS = ("alice", "ben")
DELTAS = (
    timedelta(minutes=30),
    timedelta(minutes=-30),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=-1),
)


@dataclass(frozen=True)
class Occ:
    """One occurrence as a person sees it, with what the model needs to place a scope."""

    mid: int
    """The model's identity of this occurrence, kept through moves and forks."""
    lineage: int
    """The event it was created as (a fork stays in its lineage)."""
    group: int
    """The series it belongs to now (a fork starts a new group)."""
    ordinal: int
    """Its position in its series as created."""
    title: str
    practitioner: str
    start: datetime
    minutes: int
    location: int
    cancelled: bool = False

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    def shown(self) -> tuple[Any, ...]:
        """What the calendar shows of it."""
        return (
            self.title,
            self.practitioner,
            self.start,
            self.end,
            self.location,
            self.cancelled,
        )


@dataclass
class Done:
    """A change on a user's undo list, with what the model needs to judge its undo."""

    change: Change
    touched: frozenset[int]
    before: dict[int, Occ | None]
    after: dict[int, Occ | None]
    lineages: frozenset[int]
    others_since: set[int] = field(default_factory=set)
    """Occurrences other people changed since (mids)."""
    others_lineages: dict[int, set[str]] = field(default_factory=dict)
    """Lineage → the logins of other people who changed something in it since."""


def _overlaps(occs: dict[int, Occ]) -> bool:
    live = sorted(
        (o for o in occs.values() if not o.cancelled), key=lambda o: (o.practitioner, o.start)
    )
    return any(
        a.practitioner == b.practitioner and b.start < a.end for a, b in itertools.pairwise(live)
    )


class Practice:
    """The real system: one database, a context per member of staff."""

    def __init__(self, url: str) -> None:
        self.db = open_database(url)
        clock = FixedClock(NOW)
        if not practice.list_staff(Context(self.db, clock, None)):
            self._set_up(clock)
        staff = {m.login: m for m in practice.list_staff(Context(self.db, clock, None))}
        admin = Context(self.db.with_actor("alice"), clock, staff["alice"])
        self.client = practice.list_clients(admin)[0].id
        self.locations = sorted(loc.id for loc in practice.list_locations(admin))
        self.ids = {login: member.id for login, member in staff.items()}
        self.logins = {v: k for k, v in self.ids.items()}
        self.ctx = {
            login: Context(self.db.with_actor(login), clock, member)
            for login, member in staff.items()
        }

    def _set_up(self, clock: FixedClock) -> None:
        alice = practice.add_staff(
            Context(self.db.with_actor("alice"), clock, None),
            "alice",
            "Alice Moreno",
            {Role.ADMIN, Role.PRACTITIONER},
        )
        admin = Context(self.db.with_actor("alice"), clock, alice)
        practice.add_staff(admin, "ben", "Ben Okafor", {Role.PRACTITIONER})
        practice.add_staff(admin, "sam", "Sam Whitaker", {Role.SCHEDULER})
        practice.update_settings(admin, allow_double_booking=False)
        practice.add_client(admin, "Ava", "Bennett", None)
        practice.add_location(admin, "Main St")
        practice.add_location(admin, "Telehealth")

    def shown(self) -> list[tuple[Any, ...]]:
        occs = scheduling.occurrences_in(self.ctx["alice"], SPAN[0], SPAN[1], CHI)
        return [self._shown(o) for o in occs]

    def _shown(self, o: Any) -> tuple[Any, ...]:
        ev = o.event
        return (
            ev.title,
            self.logins[ev.practitioner_id],
            o.start.astimezone(UTC),
            o.end.astimezone(UTC),
            self.locations.index(ev.location_id),
            ev.status is Status.CANCELLED,
        )

    def occurrences(self) -> list[Any]:
        return scheduling.occurrences_in(self.ctx["alice"], SPAN[0], SPAN[1], CHI)

    def audit_since(self, last: int) -> list[tuple[int, str]]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, actor FROM audit_log WHERE id > :i ORDER BY id"), {"i": last}
            ).all()
        return [(int(i), str(a)) for i, a in rows]


class Schedule(RuleBasedStateMachine):
    """Three colleagues on one schedule, against the model (see the module docstring)."""

    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.p: Practice | None = None
        self.model: dict[int, Occ] = {}
        self.undo: dict[str, list[Done]] = {u: [] for u in USERS}
        self.ids = itertools.count(1)
        self.audit_mark = 0

    @initialize()
    def open_practice(self) -> None:
        self.p = Practice(self.url)
        self.audit_mark = self.p.audit_since(0)[-1][0]

    def teardown(self) -> None:
        if self.p is not None:
            self.p.db.dispose()

    # --- helpers ---------------------------------------------------------------------------

    @property
    def practice(self) -> Practice:
        assert self.p is not None
        return self.p

    def may(self, user: str, occ_practitioner: str) -> bool:
        return user != "ben" or occ_practitioner == "ben"

    def locate(self, occ: Occ) -> Any | None:
        """The real occurrence the model's ``occ`` is, or None when two look the same."""
        found = [o for o in self.practice.occurrences() if self.practice._shown(o) == occ.shown()]
        twins = [m for m in self.model.values() if m.shown() == occ.shown()]
        return found[0] if len(found) == 1 and len(twins) == 1 else None

    def scope_mids(self, occ: Occ, scope: Scope) -> list[int]:
        if scope is Scope.THIS:
            return [occ.mid]
        family = [m for m in self.model.values() if m.group == occ.group]
        if scope is Scope.ALL:
            return [m.mid for m in family]
        return [m.mid for m in family if m.ordinal >= occ.ordinal]

    def group_after(self, occ: Occ, scope: Scope) -> int:
        """The series ``occ``'s scope belongs to after the change: a new one when "this and
        following" splits it (occurrences before it stay), else its own."""
        split = scope is Scope.FOLLOWING and any(
            m.group == occ.group and m.ordinal < occ.ordinal for m in self.model.values()
        )
        return next(self.ids) if split else occ.group

    def series_mids(self, occ: Occ) -> frozenset[int]:
        """What a change to the series touches: every occurrence of it (its row changes)."""
        return frozenset(m.mid for m in self.model.values() if m.group == occ.group)

    def expect(
        self,
        user: str,
        action: Any,
        new_model: dict[int, Occ] | None,
        touched: frozenset[int],
        lineages: frozenset[int],
        scope: Iterable[int] = (),
    ) -> None:
        """Run ``action``; ``new_model`` is the model after it, ``None`` if it must be refused
        for permission. A double booking in ``new_model`` must be refused too. ``touched`` is
        what its undo puts back; ``scope`` the occurrences it wrote (changed or not)."""
        before = dict(self.model)
        clash = new_model is not None and _overlaps(new_model)
        try:
            change = action()
        except PermissionDenied as exc:
            assert new_model is None, f"{user} refused without reason: {exc}"
            self.check_refusal(exc)
            return
        except ConflictError as exc:
            assert clash, f"refused although nobody would be double booked: {exc}"
            self.check_refusal(exc)
            return
        assert new_model is not None, f"{user} was allowed what they may not do"
        assert not clash, "a double booking was accepted"
        self.model = new_model
        self.note_change(user, before, new_model, set(scope) | set(touched - set(before)))
        self.check_audit(user)
        self.undo[user].append(
            Done(
                change,
                touched,
                {m: before.get(m) for m in touched},
                {m: new_model.get(m) for m in touched},
                lineages,
            )
        )

    def note_change(
        self, user: str, before: dict[int, Occ], after: dict[int, Occ], written: set[int]
    ) -> None:
        # Written and unchanged counts as changed (cancelling what was cancelled moves its
        # version all the same).
        changed = written | {m for m in set(before) | set(after) if before.get(m) != after.get(m)}
        lineages = {o.lineage for m in changed for o in (before.get(m), after.get(m)) if o}
        for other, stack in self.undo.items():
            if other == user:
                continue
            for done in stack:
                done.others_since |= changed
                for lineage in lineages & done.lineages:
                    done.others_lineages.setdefault(lineage, set()).add(user)

    def check_refusal(self, exc: SessionsError) -> None:
        assert "\n" not in str(exc), f"a refusal in more than one line: {exc!r}"
        assert self.practice.audit_since(self.audit_mark) == [], "a refusal was audited"

    def check_audit(self, user: str) -> None:
        entries = self.practice.audit_since(self.audit_mark)
        assert entries, "a change left no trace in the audit log"
        assert {actor for _i, actor in entries} == {user}, f"audit names {entries}, not {user}"
        self.audit_mark = entries[-1][0]

    # --- rules -----------------------------------------------------------------------------

    @rule(
        user=st.sampled_from(USERS),
        whose=st.sampled_from(PRACTITIONERS),
        day=st.integers(0, 4),
        slot=st.integers(0, 6),
        minutes=st.sampled_from([30, 60]),
        count=st.sampled_from([1, 1, 2, 3, 4]),
        location=st.integers(0, 1),
    )
    def create(
        self, user: str, whose: str, day: int, slot: int, minutes: int, count: int, location: int
    ) -> None:
        p = self.practice
        wall = datetime.combine(MONDAY + timedelta(days=day), time(9), tzinfo=CHI)
        start = (wall + timedelta(minutes=30 * slot)).astimezone(UTC)
        lineage = next(self.ids)
        title = f"E{lineage}"
        event = Event(
            kind=EventKind.SESSION,
            title=title,
            start=start.astimezone(CHI),
            end=(start + timedelta(minutes=minutes)).astimezone(CHI),
            tzid="America/Chicago",
            practitioner_id=p.ids[whose],
            client_id=p.client,
            location_id=p.locations[location],
            rrule=f"FREQ=DAILY;COUNT={count}" if count > 1 else None,
        )
        made = {
            (mid := next(self.ids)): Occ(
                mid, lineage, lineage, k, title, whose, start + timedelta(days=k), minutes, location
            )
            for k in range(count)
        }
        new = {**self.model, **made} if self.may(user, whose) else None
        self.expect(
            user,
            lambda: ap.create(p.ctx[user], event),
            new,
            frozenset(made),
            frozenset({lineage}),
        )

    def _target(self, pick: int) -> tuple[Occ, Any] | None:
        if not self.model:
            return None
        occs = sorted(self.model.values(), key=lambda o: o.mid)
        occ = occs[pick % len(occs)]
        real = self.locate(occ)
        return None if real is None else (occ, real)

    def _ref(self, real: Any) -> OccurrenceRef:
        ev = real.event
        if ev.rrule is not None and ev.series_id is None:
            return OccurrenceRef(ev.id, real.recurrence_id)
        return OccurrenceRef(ev.id)

    def _scope(self, real: Any, scope: Scope) -> Scope:
        return scope if self._is_series(real) else Scope.THIS

    def _is_series(self, real: Any) -> bool:
        return real.event.rrule is not None or real.event.series_id is not None

    def _touched(self, occ: Occ, real: Any, scope: Scope) -> frozenset[int]:
        if scope is Scope.THIS or not self._is_series(real):
            return frozenset({occ.mid})
        return self.series_mids(occ)

    @precondition(lambda self: bool(self.model))
    @rule(
        user=st.sampled_from(USERS),
        pick=st.integers(0, 10_000),
        delta=st.sampled_from(DELTAS),
        scope=st.sampled_from(list(Scope)),
    )
    def move(self, user: str, pick: int, delta: timedelta, scope: Scope) -> None:
        found = self._target(pick)
        if found is None:
            return
        occ, real = found
        scope = self._scope(real, scope)
        mids = self.scope_mids(occ, scope)
        new = dict(self.model)
        group = self.group_after(occ, scope)
        for m in mids:
            o = new[m]
            new[m] = replace(o, start=o.start + delta, group=group)
        self.expect(
            user,
            lambda: ap.move(self.practice.ctx[user], self._ref(real), delta, scope),
            new if self.may(user, occ.practitioner) else None,
            self._touched(occ, real, scope),
            frozenset({occ.lineage}),
            self.scope_mids(occ, scope),
        )

    @precondition(lambda self: bool(self.model))
    @rule(
        user=st.sampled_from(USERS), pick=st.integers(0, 10_000), scope=st.sampled_from(list(Scope))
    )
    def cancel(self, user: str, pick: int, scope: Scope) -> None:
        found = self._target(pick)
        if found is None:
            return
        occ, real = found
        scope = self._scope(real, scope)
        new = dict(self.model)
        group = self.group_after(occ, scope)
        for m in self.scope_mids(occ, scope):
            new[m] = replace(new[m], cancelled=True, group=group)
        self.expect(
            user,
            lambda: ap.cancel(self.practice.ctx[user], self._ref(real), scope),
            new if self.may(user, occ.practitioner) else None,
            self._touched(occ, real, scope),
            frozenset({occ.lineage}),
            self.scope_mids(occ, scope),
        )

    @precondition(lambda self: bool(self.model))
    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 10_000))
    def relocate(self, user: str, pick: int) -> None:
        found = self._target(pick)
        if found is None:
            return
        occ, real = found
        new = dict(self.model)
        new[occ.mid] = replace(occ, location=1 - occ.location)
        loc = self.practice.locations[1 - occ.location]
        self.expect(
            user,
            lambda: ap.edit(self.practice.ctx[user], self._ref(real), Scope.THIS, location_id=loc),
            new if self.may(user, occ.practitioner) else None,
            frozenset({occ.mid}),
            frozenset({occ.lineage}),
            {occ.mid},
        )

    @precondition(lambda self: bool(self.model))
    @rule(
        user=st.sampled_from(USERS), pick=st.integers(0, 10_000), scope=st.sampled_from(list(Scope))
    )
    def delete(self, user: str, pick: int, scope: Scope) -> None:
        found = self._target(pick)
        if found is None:
            return
        occ, real = found
        scope = self._scope(real, scope)
        new = {m: o for m, o in self.model.items() if m not in self.scope_mids(occ, scope)}
        self.expect(
            user,
            lambda: ap.remove(self.practice.ctx[user], self._ref(real), scope),
            new if self.may(user, occ.practitioner) else None,
            self._touched(occ, real, scope),
            frozenset({occ.lineage}),
            self.scope_mids(occ, scope),
        )

    @precondition(lambda self: bool(self.model))
    @rule(
        user=st.sampled_from(USERS),
        colleague=st.sampled_from(USERS),
        pick=st.integers(0, 10_000),
    )
    def save_over_a_colleague(self, user: str, colleague: str, pick: int) -> None:
        """``user`` opens an event, ``colleague`` relocates it, ``user`` saves: refused."""
        found = self._target(pick)
        if found is None or user == colleague:
            return
        occ, real = found
        if not (self.may(user, occ.practitioner) and self.may(colleague, occ.practitioner)):
            return
        ref = self._ref(real)
        opened = scheduling.get_event(self.practice.ctx[user], ref.event_id)
        self.relocate(colleague, pick)
        if self.model[occ.mid] == occ:  # the colleague's change was refused: nothing to test
            return
        try:
            ap.edit(
                self.practice.ctx[user],
                ref,
                Scope.THIS,
                expected=opened,
                location_id=self.practice.locations[occ.location],
            )
        except ap.StaleEdit as exc:
            assert colleague in str(exc), f"the refusal does not name {colleague}: {exc}"
            self.check_refusal(exc)
        else:
            raise AssertionError(f"{user} saved over {colleague}'s change: a lost update")

    @precondition(lambda self: any(self.undo.values()))
    @rule(user=st.sampled_from(USERS))
    def undo_last(self, user: str) -> None:
        stack = self.undo[user]
        if not stack:
            return
        done = stack.pop()
        restored = dict(self.model)
        for m, occ in done.before.items():
            if occ is None:
                restored.pop(m, None)
            else:
                restored[m] = occ
        colleagues = set().union(*done.others_lineages.values()) if done.others_lineages else set()
        # Refused for sure when what it touched is not as it left it; when a colleague changed
        # it and put it back (their own undo), restoring is as exact as refusing.
        must_refuse = any(self.model.get(m) != done.after[m] for m in done.touched)
        must_succeed = not colleagues
        try:
            ap.undo(self.practice.ctx[user], done.change)
        except ConflictError as exc:
            self.check_refusal(exc)
            stack.clear()  # nothing under a change that cannot be undone can be
            if isinstance(exc, ap.StaleEdit):
                assert not must_succeed, f"undo refused although nobody else changed it: {exc}"
                named = {u for u in USERS if f"{u} " in str(exc)}
                assert named, f"names nobody: {exc}"
                assert user not in named, f"blames {user} for their own change: {exc}"
            else:
                assert _overlaps(restored), f"undo refused as a clash that is not one: {exc}"
            return
        assert not must_refuse, f"undo brought back over {sorted(colleagues)}'s change"
        assert not _overlaps(restored), "an undo double booked"
        before = self.model
        self.model = restored
        self.note_change(user, before, restored, set(done.touched))
        self.check_audit(user)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def calendar_is_the_model(self) -> None:
        if self.p is None:
            return
        shown = Counter(self.practice.shown())
        want = Counter(o.shown() for o in self.model.values())
        assert shown == want, f"calendar differs from the model: {shown - want} / {want - shown}"

    @invariant()
    def nobody_double_booked(self) -> None:
        if self.p is None:
            return
        live = sorted((s for s in self.practice.shown() if not s[5]), key=lambda s: (s[1], s[2]))
        for a, b in itertools.pairwise(live):
            assert not (a[1] == b[1] and b[2] < a[3]), f"double booked: {a} and {b}"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Callable[[], str]]]:
    """Makes a new, migrated database for each example (a file, or a copy of the template)."""
    counter = itertools.count()
    if request.param == "sqlite":
        # Migrated and staffed once; each example starts from a copy of the file.
        template = tmp_path / "template.db"
        Practice(f"sqlite:///{template}").db.dispose()

        def copy() -> str:
            target = tmp_path / f"model-{next(counter)}.db"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"

        yield "sqlite", copy
        return
    admin = request.getfixturevalue("pg_admin")
    made: list[str] = []

    def make() -> str:
        made.append(new_database(admin))
        return made[-1]

    yield "postgresql", make
    for db_url in made:
        drop_database(admin, db_url)


PHASES = (
    [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if os.environ.get("SESSIONS_TUI_MODEL_NO_SHRINK")
    else list(Phase)
)
"""Set ``SESSIONS_TUI_MODEL_NO_SHRINK=1`` to see a failure at once (shrinking takes minutes)."""

EXAMPLES = {"sqlite": 60, "postgresql": 20}
"""Examples per run: enough to find each of issue 24's bugs on the tree it was filed against."""


def test_issue_24_every_action_exact(fresh_url: tuple[str, Callable[[], str]]) -> None:
    kind, make = fresh_url

    class OnThisDatabase(Schedule):
        def __init__(self) -> None:
            type(self).url = make()
            super().__init__()

    run_state_machine_as_test(
        OnThisDatabase,
        settings=settings(
            phases=PHASES,
            max_examples=EXAMPLES[kind],
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
