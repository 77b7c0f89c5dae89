"""Read-only calendars: what the account may do in each, and undoing local changes there.

:class:`AccessMixin` asks Google for each synced calendar's ``accessRole`` and keeps it; local
changes to events of a calendar the account cannot write are undone before its pull (Google's
version is listed in again), never pushed into a ``403`` on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import delete, select
from sqlmodel import col

from sessions_tui.store.tables import READ_ONLY_ROLES, EventRow, SyncCalendarRow, SyncLinkRow
from sessions_tui.sync.google.local import LocalStore
from sessions_tui.sync.google.plan import _Op


class AccessMixin(LocalStore):
    """Learns the account's access to its calendars; restores Google's version where read-only."""

    def _learn_access(self) -> None:
        """Ask Google what the account may do in each synced calendar (``accessRole``), when not
        known yet or when the calendar is about to be listed in full (a sharing may change)."""
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        wanted = [
            c.calendar
            for c in self.calendars.values()
            if c.selected and (c.access_role is None or c.sync_token is None)
        ]
        learned: dict[str, str] = {}
        for cal_id in sorted(wanted):
            try:
                entry = self._execute(self._svc.calendarList().get(calendarId=cal_id))
            except HttpError:
                continue  # not in the account's list (yet): treated as writable
            role = entry.get("accessRole")
            if isinstance(role, str):
                learned[cal_id] = role
        if learned:
            self._set_access(learned)

    def _set_access(self, roles: Mapping[str, str]) -> None:
        with self.db.session() as s:
            for row in s.execute(
                select(SyncCalendarRow).where(
                    col(SyncCalendarRow.account_id) == self.account_id,
                    col(SyncCalendarRow.calendar).in_(list(roles)),  # type: ignore[attr-defined]
                )
            ).scalars():
                row.access_role = roles[row.calendar]
        for cal_id, role in roles.items():
            if role in READ_ONLY_ROLES:
                self.read_only.add(cal_id)
            else:
                self.read_only.discard(cal_id)

    def _restore(self, ops: list[_Op]) -> None:
        """Undo local changes to events of read-only calendars, before their pull.

        Google's version comes back: each changed series or event is dropped here with its
        links and the calendar is listed in full, which brings it in again as Google has it. A
        "this and following" continuation made here goes (Google's series comes back whole); a
        copy made here of such an event (no rule) stays, as a local event of the practitioner.
        Local events aimed at a read-only *default* calendar are only left unpushed.
        """
        if not ops:
            return
        undone: dict[str, int] = {}
        unpushed: dict[str, int] = {}
        with self.db.session() as s:
            roots: dict[int, str] = {}
            for op in ops:
                if op.origin != "remote":
                    unpushed[op.calendar_id] = unpushed.get(op.calendar_id, 0) + 1
                    continue
                if op.event_id is None:  # deleted here: its link goes, the listing restores it
                    link = s.get(SyncLinkRow, op.link_id) if op.link_id is not None else None
                    if link is not None:
                        s.delete(link)
                        undone[op.calendar_id] = undone.get(op.calendar_id, 0) + 1
                    continue
                loaded = self._load(s, op.event_id)
                if loaded is None:
                    continue
                row, ev = loaded
                if op.link_id is None and ev.series_id is None and ev.rrule is None:
                    # A copy made here: the practitioner's own event now.
                    self._save(s, row, replace(ev, source_calendar=None))
                    continue
                root = ev.series_id if ev.series_id is not None else ev.id
                assert root is not None
                roots[root] = op.calendar_id
            for root, cal_id in roots.items():
                mrow = s.get(EventRow, root)
                if mrow is None:
                    continue
                family = [
                    root,
                    *s.execute(
                        select(col(EventRow.id)).where(col(EventRow.series_id) == root)
                    ).scalars(),
                ]
                s.execute(
                    delete(SyncLinkRow).where(
                        col(SyncLinkRow.account_id) == self.account_id,
                        col(SyncLinkRow.event_id).in_(family),  # type: ignore[union-attr]
                    )
                )
                self._delete_local(s, mrow)
                undone[cal_id] = undone.get(cal_id, 0) + 1
        for cal_id, count in sorted(undone.items()):
            self._save_token(cal_id, None)
            self.report.messages.append(
                f"calendar {cal_id} is read-only for this account: {count} local change(s) "
                "undone, Google's version restored"
            )
        for cal_id, count in sorted(unpushed.items()):
            self.report.messages.append(
                f"calendar {cal_id} is read-only for this account: {count} local event(s) not "
                "pushed; connect a calendar you can write to (`google connect --calendar ID`)"
            )
