"""SQLModel tables, one module per area (``practice``, ``events``, ``sync``, ``booking``); every
table is importable from here. Every instant is UTC (``UTCDateTime``); all-day items keep dates.

Schema changes go through Alembic (``store/migrations``); a test proves the migrations from an
empty database give exactly these tables.
"""

from sessions_tui.store.tables.booking import (
    BookingRequestRow,
    BookingServiceRow,
    BookingSettingsRow,
    ClientContactRow,
    OutboxRow,
    ReminderLogRow,
    ReminderSettingsRow,
)
from sessions_tui.store.tables.events import (
    EventRow,
    ExdateRow,
)
from sessions_tui.store.tables.practice import (
    AuditRow,
    ClientRow,
    DateOverrideRow,
    HoursIntervalRow,
    HoursRow,
    LocationRow,
    LockRow,
    PracticeRow,
    PreferenceRow,
    StaffRow,
)
from sessions_tui.store.tables.sync import (
    READ_ONLY_ROLES,
    FeedRow,
    SubscriptionRow,
    SyncAccountRow,
    SyncCalendarRow,
    SyncLinkRow,
)

__all__ = [
    "READ_ONLY_ROLES",
    "AuditRow",
    "BookingRequestRow",
    "BookingServiceRow",
    "BookingSettingsRow",
    "ClientContactRow",
    "ClientRow",
    "DateOverrideRow",
    "EventRow",
    "ExdateRow",
    "FeedRow",
    "HoursIntervalRow",
    "HoursRow",
    "LocationRow",
    "LockRow",
    "OutboxRow",
    "PracticeRow",
    "PreferenceRow",
    "ReminderLogRow",
    "ReminderSettingsRow",
    "StaffRow",
    "SubscriptionRow",
    "SyncAccountRow",
    "SyncCalendarRow",
    "SyncLinkRow",
]
