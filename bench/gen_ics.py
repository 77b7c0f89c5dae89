#!/usr/bin/env python3
"""Deterministic synthetic health-practice calendar as ONE .ics file.

Usage:  python gen_ics.py N OUT.ics [--seed 42]

Shape (same seed + N -> byte-identical file, DTSTAMP is fixed):
  * N VEVENTs spread over the 12 months starting 2026-01-01 (weekdays only
    for sessions), 8 practitioners (P1..P8).
  * Client sessions: 50 minutes, start on a 10-minute grid between 08:00 and
    17:10 local time, TZID=America/Chicago (a VTIMEZONE is embedded).
  * ~5% of VEVENTs are weekly recurring: RRULE:FREQ=WEEKLY;COUNT=4..12.
  * ~2% are all-day events (VALUE=DATE; leave, training, practice closed).
  * Practitioner is carried in ORGANIZER (mailto) and in CATEGORIES, the
    room in LOCATION.
At 100k the sessions overlap heavily per practitioner (there are only ~250
working days x ~55 start slots); that is intended: it is a load set.
Needs: icalendar (>= 6), python-dateutil is not needed.
"""

import argparse
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vRecur

TZ = ZoneInfo("America/Chicago")
START = date(2026, 1, 1)
DAYS = 365
PRACTITIONERS = [
    ("P1", "Dr. Ada Moreno"),
    ("P2", "Dr. Ben Okafor"),
    ("P3", "Cleo Hart, LPC"),
    ("P4", "Dev Patel, PT"),
    ("P5", "Eva Lindqvist, RD"),
    ("P6", "Farid Haddad, LCSW"),
    ("P7", "Gina Russo, OT"),
    ("P8", "Hugo Brandt, DC"),
]
ROOMS = ["Room 1", "Room 2", "Room 3", "Room 4", "Telehealth"]
ALLDAY_KINDS = ["Annual leave", "CPD training", "Practice closed", "Conference", "Sick leave"]
SESSION_KINDS = ["Initial assessment", "Follow-up", "Review", "Treatment", "Consultation"]
DTSTAMP = datetime(2025, 12, 1, 12, 0, 0, tzinfo=ZoneInfo("UTC"))

WORKDAYS = [START + timedelta(d) for d in range(DAYS) if (START + timedelta(d)).weekday() < 5]
SLOTS = [time(8 + m // 60, m % 60) for m in range(0, 9 * 60 + 11, 10)]  # 08:00 .. 17:10


def build(n: int, seed: int) -> Calendar:
    rnd = random.Random(seed)
    cal = Calendar()
    cal.add("prodid", "-//sessions-tui//synthetic bench//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Practice synthetic {n}")
    cal.add("x-wr-timezone", "America/Chicago")
    for i in range(n):
        code, name = PRACTITIONERS[rnd.randrange(len(PRACTITIONERS))]
        ev = Event()
        ev.add("uid", f"bench-{n}-{i:06d}@sessions-tui.invalid")
        ev.add("dtstamp", DTSTAMP)
        org = vCalAddress(f"mailto:{code.lower()}@practice.invalid")
        org.params["cn"] = name
        ev.add("organizer", org)
        ev.add("categories", [code])
        r = rnd.random()
        if r < 0.02:  # all-day
            d = START + timedelta(rnd.randrange(DAYS))
            ev.add("summary", f"{rnd.choice(ALLDAY_KINDS)} - {name}")
            ev.add("dtstart", d)
            ev.add("dtend", d + timedelta(days=rnd.choice([1, 1, 1, 2, 5])))
            ev.add("transp", "TRANSPARENT")
        else:
            d = rnd.choice(WORKDAYS)
            t = rnd.choice(SLOTS)
            start = datetime.combine(d, t, tzinfo=TZ)
            ev.add(
                "summary",
                f"{rnd.choice(SESSION_KINDS)}: client C{rnd.randrange(1, 4000):04d} with {code}",
            )
            ev.add("dtstart", start)
            ev.add("dtend", start + timedelta(minutes=50))
            ev.add("location", rnd.choice(ROOMS))
            ev.add("description", f"Synthetic session #{i}. Practitioner {name}.")
            if r < 0.07:  # ~5% weekly recurring
                ev.add("rrule", vRecur(freq="WEEKLY", count=rnd.randint(4, 12)))
        cal.add_component(ev)
    # embed VTIMEZONE for every TZID used (icalendar >= 6)
    cal.add_missing_timezones()
    return cal


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    cal = build(a.n, a.seed)
    with open(a.out, "wb") as f:
        f.write(cal.to_ical())


if __name__ == "__main__":
    main()
