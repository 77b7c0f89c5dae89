"""A realistic demo practice, the same for the same "now" (seeded, no other randomness)."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.services.writer import Source
from sessions_tui.store.queries import recurrence_key
from sessions_tui.store.tables import EventRow, PracticeRow, StaffRow

DEMO_TZ = "America/Chicago"
SEED = 20_260_101
DEMO = Source.DEMO

FIRST = [
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zoe",
    "Ethan",
    "Isla",
    "Omar",
    "Priya",
    "Lucas",
    "Hana",
    "Mateo",
    "Chloe",
    "Jonah",
    "Amara",
    "Felix",
    "Nora",
    "Rafael",
    "Leah",
    "Kai",
    "Sofia",
    "Theo",
    "Imani",
    "Oscar",
    "Yara",
    "Elias",
    "Mina",
    "Arjun",
    "Clara",
    "Diego",
]
LAST = [
    "Bennett",
    "Castillo",
    "Nguyen",
    "Patel",
    "Kowalski",
    "Haddad",
    "Fischer",
    "Osei",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Alvarez",
    "Brennan",
    "Sato",
    "Mensah",
    "Novak",
    "Rossi",
    "Eriksen",
    "Adeyemi",
    "Park",
    "Dubois",
    "Quinn",
    "Herrera",
    "Abbott",
    "Varga",
    "Kim",
    "Murphy",
    "Silva",
    "Okoro",
    "Jensen",
]

STAFF = [
    ("alice", "Dr. Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}),
    ("ben", "Ben Okafor", {Role.PRACTITIONER}),
    ("carmen", "Carmen Liu", {Role.PRACTITIONER}),
    ("dev", "Devon Reyes", {Role.PRACTITIONER}),
    ("sam", "Sam Whitaker", {Role.SCHEDULER}),
]


def seed_demo(ctx: Context) -> bool:
    """Seed the demo practice around ``ctx.clock.now()``. Returns False if already seeded.

    All in one transaction: interrupted at any point, it leaves nothing, and runs again.

    Raises:
        ValidationError: the database already holds a practice that is not the demo.
    """
    with ctx.db.transaction():
        return _seed(ctx)


def _seed(ctx: Context) -> bool:
    with ctx.db.session() as s:
        row = s.get(PracticeRow, 1)
        if row is not None and row.demo_seeded_for:
            return False
        if s.execute(select(func.count()).select_from(StaffRow)).scalar_one():
            raise ValidationError(
                "this database already holds a practice; the demo only seeds an empty one"
            )
    rng = random.Random(SEED)
    tz = zone(DEMO_TZ)
    now = ctx.clock.now()
    today = now.astimezone(tz).date()
    empty = Context(ctx.db, ctx.clock, None)
    admin = practice.add_staff(empty, *STAFF[0][:2], STAFF[0][2], default_session_minutes=50)
    actx = Context(ctx.db, ctx.clock, admin)
    staff = [admin] + [
        practice.add_staff(actx, login, name, roles) for login, name, roles in STAFF[1:]
    ]
    practice.update_settings(
        actx, name="Riverside Therapy Collective", internal_ids=True, display_tz=DEMO_TZ
    )
    practice.update_staff(actx, staff[2].id, default_session_minutes=60)
    locations = [
        practice.add_location(actx, "Main St Clinic"),
        practice.add_location(actx, "Telehealth"),
    ]
    # Every client has an example.org address (a reserved domain: no mail reaches anyone);
    # every other one agreed to email reminders, which go 24 hours before a session (a client
    # may cancel from one until 12 hours before).
    clients = [
        practice.add_client(
            actx,
            FIRST[i],
            LAST[i],
            f"C-{1001 + i}",
            email=f"{FIRST[i].lower()}.{LAST[i].lower()}@example.org",
            reminders=i % 2 == 0,
        )
        for i in range(30)
    ]
    from sessions_tui.services import reminders

    reminders.update_settings(actx, hours="24", cancel_hours=12)
    pracs = [p for p in staff if p.is_practitioner]

    def uid() -> str:
        return f"{uuid.UUID(int=rng.getrandbits(128))}@sessions-tui-demo"

    # Office hours: a practice default, and Carmen's own (she works Tue–Sat, later).
    weekdays = tuple(WeeklyInterval(d, time(9), time(17)) for d in range(5))
    hours.set_hours(actx, WeeklyHours(DEMO_TZ, weekdays))
    carmen = pracs[2]
    hours.set_hours(
        actx,
        WeeklyHours(
            DEMO_TZ, tuple(WeeklyInterval(d, time(11), time(19)) for d in range(1, 6)), carmen.id
        ),
    )
    # Booking availability, with an out-of-office day for Ben.
    for p in pracs:
        spans = tuple(
            WeeklyInterval(d, a, b)
            for d in range(5)
            for a, b in ((time(9), time(12)), (time(13), time(17)))
        )
        hours.set_hours(actx, WeeklyHours(DEMO_TZ, spans, p.id), kind=hours.AVAILABILITY)
    hours.set_override(
        actx,
        pracs[1].id,
        today + timedelta(days=(4 - today.weekday()) % 7 + 7),
        (),
        kind=hours.AVAILABILITY,
    )
    # Online booking on for Ben, with a public link (/book/ben), so a newcomer can open a page.
    from sessions_tui.services import booking

    booking.update_settings(
        actx,
        pracs[1].id,
        services=[("Intake", 80), ("Session", 50)],
        enabled=True,
        public=True,
        buffer_minutes=10,
    )

    first_week = today - timedelta(days=(today.weekday() + 1) % 7) - timedelta(weeks=4)
    client_iter = iter(clients)
    for p in pracs:
        minutes = 60 if p.id == carmen.id else 50
        # Four weekly series per practitioner, started four weeks ago, eight occurrences.
        for n in range(4):
            c = next(client_iter)
            day = first_week + timedelta(days=1 + (n % 5))
            start = datetime.combine(
                day, time(9 + 2 * n + (1 if p.id == carmen.id else 0)), tzinfo=tz
            )
            series = scheduling.create_event(
                actx,
                scheduling.session_event(
                    practitioner=p,
                    client=c,
                    start=start,
                    minutes=minutes,
                    tzid=DEMO_TZ,
                    location=locations[n % 2],
                    rrule="FREQ=WEEKLY;COUNT=8",
                ),
                uid=uid(),
                source=DEMO,
            )
            assert series.id is not None
            # Past occurrences have their notes done; one was cancelled by the client.
            for week in range(4):
                occ_start = (start + timedelta(weeks=week)).astimezone(UTC)
                rid = datetime.combine(day + timedelta(weeks=week), start.timetz()).astimezone(UTC)
                if occ_start >= now:
                    break
                status = Status.CANCELLED if (n == 1 and week == 2) else Status.SCHEDULED
                override = replace(
                    series,
                    id=None,
                    rrule=None,
                    series_id=series.id,
                    recurrence_id=rid,
                    start=rid,
                    end=rid + series.duration,
                    notes_completed=status is Status.SCHEDULED,
                    status=status,
                    uid=series.uid,
                    exdates=frozenset(),
                )
                scheduling.create_event(
                    actx, override, uid=f"{series.uid}#{recurrence_key(rid)}", source=DEMO
                )
        # One-off sessions spread over the eight weeks.
        for _ in range(6):
            c = clients[rng.randrange(len(clients))]
            day = first_week + timedelta(days=rng.randrange(56))
            if day.weekday() >= 5:
                day -= timedelta(days=2)
            start = datetime.combine(
                day, time(rng.choice([8, 12, 15, 16, 17]), rng.choice([0, 30])), tzinfo=tz
            )
            past = start < now
            ev = scheduling.session_event(
                practitioner=p,
                client=c,
                start=start,
                minutes=minutes,
                tzid=DEMO_TZ,
                location=locations[rng.randrange(2)],
                notes_completed=past and rng.random() < 0.8,
                status=Status.CANCELLED if rng.random() < 0.15 else Status.SCHEDULED,
            )
            scheduling.create_event(actx, ev, uid=uid(), source=DEMO)
    # Other events: a weekly staff meeting, a conference (all-day busy), a free all-day event.
    meeting_start = datetime.combine(first_week + timedelta(days=3), time(12, 0), tzinfo=tz)
    scheduling.create_event(
        actx,
        Event(
            kind=EventKind.OTHER,
            title="Staff meeting",
            start=meeting_start,
            end=meeting_start + timedelta(minutes=45),
            tzid=DEMO_TZ,
            rrule="FREQ=WEEKLY;COUNT=8",
            location_id=locations[0].id,
        ),
        uid=uid(),
        source=DEMO,
    )
    conf = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    scheduling.create_event(
        actx,
        scheduling.all_day_event(
            "Trauma-informed care conference",
            conf,
            2,
            practitioner_id=pracs[1].id,
            busy=True,
            tzid=DEMO_TZ,
        ),
        uid=uid(),
        source=DEMO,
    )
    scheduling.create_event(
        actx,
        scheduling.all_day_event(
            "Practice potluck (optional)",
            today + timedelta(days=1),
            1,
            practitioner_id=None,
            busy=False,
            tzid=DEMO_TZ,
        ),
        uid=uid(),
        source=DEMO,
    )
    lunch = datetime.combine(today, time(12, 30), tzinfo=tz)
    scheduling.create_event(
        actx,
        Event(
            kind=EventKind.OTHER,
            title="Supervision",
            start=lunch,
            end=lunch + timedelta(hours=1),
            tzid=DEMO_TZ,
            practitioner_id=pracs[3].id,
            busy=True,
        ),
        uid=uid(),
        source=DEMO,
    )
    with ctx.db.session() as s:
        row = s.get(PracticeRow, 1)
        assert row is not None
        row.demo_seeded_for = now.isoformat()
    return True


def demo_event_count(ctx: Context) -> int:
    """How many event rows the database holds."""
    with ctx.db.session() as s:
        return int(s.execute(select(func.count()).select_from(EventRow)).scalar_one())
