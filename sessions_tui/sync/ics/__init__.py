"""ICS in and out: RFC 5545 export of a practitioner's (or the practice's) calendar, and import.

Export
    One VEVENT per stored event, sorted by UID, with ZoneInfo starts in the event's own zone and
    a VTIMEZONE for every zone used (``add_missing_timezones``). A series is one VEVENT with
    RRULE and EXDATE (deleted occurrences); each overridden occurrence is a VEVENT with the
    *series'* UID and a RECURRENCE-ID (in the store an override has its own uid, e.g.
    ``<series uid>#<key>``). For a single practitioner's calendar, an override moved to another
    practitioner becomes an EXDATE, and an override of another practitioner's series moved to
    this one is a stand-alone event with its stored uid, so the export gives exactly the
    occurrences the window query gives for that practitioner. Events with no practitioner
    (practice-wide) are part of every practitioner's calendar, as in the window query.

    Privacy: a client session's SUMMARY is the chosen identifier and nothing else; no property
    carries any other part of the client's name, and notes are never exported.

Import
    Events become "other" events of one practitioner. Zones: IANA and Windows names in TZID
    (icalendar maps Windows names), VTIMEZONEs with custom names (matched to an equivalent IANA
    zone by their transitions), X-WR-TIMEZONE (Google, Apple) for floating times and the zone
    of UTC one-off events. Floating times, and times in an unknown TZID, are read in
    X-WR-TIMEZONE, else the practitioner's zone (their office hours' zone, else the practice
    display zone, else UTC). RDATE: each extra date is stored as a separate single event with
    uid ``<uid>#rdate-<key>`` (our store has no RDATE; consumers see the same occurrences).
    RECURRENCE-ID overrides become overrides of the series (RANGE=THISANDFUTURE splits the
    series there: docs/ICS.md). Re-importing updates by UID and adds nothing; events missing
    from a later file are left alone. One transaction: a malformed file changes nothing and is
    reported with its line; a malformed event is skipped and named in the report
    (:class:`ReadNotes`), or with ``strict`` refuses the file.

    Stored uids are namespaced by practitioner (``<uid>#p<id>``) because a uid is unique in the
    store and two practitioners may import the same holidays file; export strips the suffix,
    so export → import → export keeps UIDs.

Modules
    :mod:`.common` (PRODID, uid namespace, :class:`IcsError`), :mod:`.export` (the calendar
    text), :mod:`.fingerprint` (what a feed body depends on), :mod:`.zones` (IANA names for a
    file's zones), :mod:`.parse` (VEVENTs to validated items) and :mod:`.importer` (items
    written in one transaction). The content-line helpers they use are
    :mod:`sessions_tui.sync.ics_text`, :mod:`sessions_tui.sync.ics_read` and
    :mod:`sessions_tui.sync.ics_write`. Import the names below from this package.
"""

from sessions_tui.sync.ics.common import PRODID, IcsError, export_uid, import_uid
from sessions_tui.sync.ics.export import CalendarText, build_calendar, export_calendar
from sessions_tui.sync.ics.fingerprint import FeedState, feed_state
from sessions_tui.sync.ics.importer import ImportReport, import_calendar
from sessions_tui.sync.ics.parse import ReadNotes, iter_items, parse_calendar
from sessions_tui.sync.ics.zones import practitioner_zone

__all__ = [
    "PRODID",
    "CalendarText",
    "FeedState",
    "IcsError",
    "ImportReport",
    "ReadNotes",
    "build_calendar",
    "export_calendar",
    "export_uid",
    "feed_state",
    "import_calendar",
    "import_uid",
    "iter_items",
    "parse_calendar",
    "practitioner_zone",
]
