"""How one changed Google item merges into a linked event or an occurrence of a series.

:class:`MergeMixin` holds the product's rules for a pulled change: a client session keeps its
title and, once it has completed notes or is cancelled, cannot be deleted from Google; when
both sides changed, sessions keep the local version and other events the latest change (each
conflict counted). A change this program cannot hold, or one to a practice-wide event, is
pushed back over Google's. Occurrences map to overrides, EXDATEs or instance restores.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.events import Event, Instant, validate_event
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, ExdateRow, SyncLinkRow
from sessions_tui.sync.engine import keep_local as _keep_local
from sessions_tui.sync.google.items import content_hash, event_from_item, parse_when
from sessions_tui.sync.google.local import LocalStore
from sessions_tui.sync.google.plan import _Op

log = logging.getLogger("sessions_tui.sync.google")  # one logger for the whole package

PRACTICE_WIDE = SessionsError("a practice-wide event changes in the practice calendar only")
"""Why a Google change of a practice-wide event is pushed back (one per practitioner's copy)."""


class MergeMixin(LocalStore):
    """Applies a Google item to what it is linked to (the conflict rule, push-backs)."""

    _restores: list[_Op]
    """Instances of practice-wide series to write back over Google's (pushed last)."""

    def _apply_linked(
        self,
        s: Session,
        cal_id: str,
        item: dict[str, Any],
        link: SyncLinkRow,
        row: EventRow,
        ev: Event,
        default_tz: str,
    ) -> None:
        if item.get("etag") == link.etag:
            return  # our own write coming back
        cancelled = item.get("status") == "cancelled"
        local_hash = self._local_hash(s, row, default_tz)
        remote_hash = content_hash(item, default_tz)
        if ev.practitioner_id is None and (cancelled or remote_hash != local_hash):
            self._push_back(link, item, ev.id, PRACTICE_WIDE)
            return
        if cancelled:
            if ev.is_session and (ev.notes_completed or ev.is_cancelled):
                # The product rule: such a session cannot be deleted from Google; push it back.
                link.etag, link.local_hash = item.get("etag"), None
                self.report.messages.append(f"kept event {ev.id}: deleted in Google, pushed back")
                return
            self._delete_local(s, row)
            s.delete(link)
            self.report.deleted += 1
            return
        if remote_hash == local_hash:
            link.etag, link.local_hash = item.get("etag"), local_hash
            return
        if local_hash != link.local_hash and link.local_hash is not None:
            self.report.conflicts += 1
            keep_local = _keep_local(ev, row.updated_at, item.get("updated"))
            log.info(
                "conflict on event %s (Google %s): keeping the %s version",
                ev.id,
                item["id"],
                "local" if keep_local else "Google",
            )
            if keep_local:
                link.etag = item.get("etag")  # the push overwrites Google with If-Match
                return
        try:
            new = event_from_item(
                item,
                calendar_id=cal_id,
                practitioner_id=self.practitioner_id,
                default_tz=default_tz,
                base=ev,
            )
        except ValidationError as exc:
            self._push_back(link, item, ev.id, exc)
            return
        self._save(s, row, new)
        link.etag = item.get("etag")
        # A session's edited title differs from ours: the hash differs, so it is pushed back.
        link.local_hash = remote_hash if ev.is_session else self._local_hash(s, row, default_tz)
        self.report.pulled += 1

    def _push_back(
        self, link: SyncLinkRow, item: Mapping[str, Any], event_id: int | None, exc: Exception
    ) -> None:
        """Google's version cannot be held here (a client session made all-day, a rule we
        refuse): the local version wins and the push writes it over Google's (If-Match on the
        etag just seen), so the two sides converge instead of disagreeing for ever."""
        self.report.conflicts += 1
        reason = exc.message if isinstance(exc, SessionsError) else str(exc)
        if exc is PRACTICE_WIDE:
            what = "it is practice-wide and changes here only; the practice's version"
        else:
            what = f"Google's change cannot be stored here ({reason}); the local version"
        self.report.messages.append(f"kept event {event_id}: {what} was pushed back")
        log.info("conflict on event %s (Google %s): %s", event_id, item.get("id"), reason)
        link.etag, link.local_hash = item.get("etag"), None

    def _restore_instance(
        self,
        cal_id: str,
        item: Mapping[str, Any],
        master_link: SyncLinkRow,
        master: Event,
        rid: Instant,
        default_tz: str,
    ) -> None:
        """Queue a write of the series' own version of an instance over Google's, unless
        Google's already is that (our own restore coming back)."""
        own = replace(
            master,
            id=None,
            uid=None,
            rrule=None,
            series_id=master.id,
            recurrence_id=rid,
            start=rid,
            end=rid + master.duration,  # type: ignore[operator]
            exdates=frozenset(),
        )
        body = self._body(own, {}, master_link.origin)
        if item.get("status") != "cancelled" and content_hash(body, own.tzid) == content_hash(
            item, default_tz
        ):
            return
        self.report.conflicts += 1
        self.report.messages.append(
            f"kept an occurrence of event {master.id}: it is practice-wide and changes here "
            "only; the practice's version was pushed back"
        )
        self._restores.append(
            _Op("patch", cal_id, item["id"], body, None, None, None, None, "restore")
        )

    def _keep_occurrence(
        self,
        s: Session,
        cal_id: str,
        item: Mapping[str, Any],
        master_link: SyncLinkRow,
        master: Event,
        rid: Instant,
        reason: Exception,
    ) -> None:
        """Keep the series' own version of an occurrence Google changed (as a linked override)
        and push it back over Google's."""
        own = validate_event(
            replace(
                master,
                id=None,
                uid=None,
                rrule=None,
                series_id=master.id,
                recurrence_id=rid,
                start=rid,
                end=rid + master.duration,  # type: ignore[operator]
                exdates=frozenset(),
                sequence=0,
                version=1,
            )
        )
        row = self._insert(s, own, uid=f"{master.uid}#{queries.recurrence_key(rid)}")
        new = self._new_link(s, cal_id, item["id"], row.id, master_link.origin, item, "UTC")
        self._push_back(new, item, row.id, reason)

    def _apply_exception(
        self,
        s: Session,
        cal_id: str,
        item: dict[str, Any],
        link: SyncLinkRow | None,
        default_tz: str,
        *,
        final: bool,
    ) -> bool:
        master_link = self._link(s, cal_id, item["recurringEventId"])
        loaded_master = self._load(s, master_link.event_id) if master_link else None
        if loaded_master is None:
            return final  # defer until the whole listing is in; then give up quietly
        mrow, master = loaded_master
        assert master_link is not None
        assert mrow.id is not None
        cancelled = item.get("status") == "cancelled"
        rid = parse_when(item["originalStartTime"])
        key = queries.recurrence_key(rid)
        if link is None and master.practitioner_id is None:
            existing = s.execute(
                select(EventRow).where(
                    col(EventRow.series_id) == mrow.id, col(EventRow.recurrence_key) == key
                )
            ).scalar_one_or_none()
            if existing is None:
                # An occurrence of a practice-wide series changed or deleted in one
                # practitioner's Google: the practice's own occurrence is written back there,
                # and nothing changes here (a sync writes only its practitioner's events).
                self._restore_instance(cal_id, item, master_link, master, rid, default_tz)
                return True
        if link is not None:
            loaded = self._load(s, link.event_id)
            if loaded is None:
                if cancelled:
                    s.delete(link)
                return True
            row, ev = loaded
            if (
                cancelled
                and item.get("etag") != link.etag
                and ev.practitioner_id is not None  # practice-wide: pushed back below
                and not (ev.is_session and (ev.notes_completed or ev.is_cancelled))
            ):
                self._cancel_occurrence(s, mrow.id, key, row)
                s.delete(link)
                self.report.deleted += 1
                return True
            self._apply_linked(s, cal_id, item, link, row, ev, default_tz)
            return True
        override = s.execute(
            select(EventRow).where(
                col(EventRow.series_id) == mrow.id,
                col(EventRow.recurrence_key) == key,
            )
        ).scalar_one_or_none()
        if cancelled:
            if override is not None:
                oev = queries.row_to_event(override)
                if oev.is_session and (oev.notes_completed or oev.is_cancelled):
                    return True  # kept; the push restores the instance
            exists = s.execute(
                select(ExdateRow).where(
                    col(ExdateRow.series_id) == mrow.id, col(ExdateRow.recurrence_key) == key
                )
            ).first()
            if exists is None or override is not None:
                self._cancel_occurrence(s, mrow.id, key, override)
                self.report.deleted += 1
            return True
        if override is not None:
            self._new_link(s, cal_id, item["id"], override.id, master_link.origin, item, default_tz)
            return True
        base = replace(
            master,
            id=None,
            uid=None,
            rrule=None,
            series_id=master.id,
            recurrence_id=rid,
            exdates=frozenset(),
            sequence=0,
            version=1,
        )
        try:
            ev = event_from_item(
                item,
                calendar_id=cal_id,
                practitioner_id=self.practitioner_id,
                default_tz=default_tz,
                base=base,
            )
        except ValidationError as exc:
            if not master.is_session:
                raise
            # An occurrence of a session series changed in Google into something a session
            # cannot be: keep the series' own version of it (as an override, so it is linked)
            # and push that back over Google's.
            self._keep_occurrence(s, cal_id, item, master_link, master, rid, exc)
            return True
        ev = replace(
            ev,
            series_id=master.id,
            recurrence_id=rid,
            rrule=None,
            source_calendar=master.source_calendar,
        )
        row = self._insert(s, ev, uid=f"{master.uid}#{key}")
        new = self._new_link(s, cal_id, item["id"], row.id, master_link.origin, item, default_tz)
        if master.is_session:
            new.local_hash = content_hash(item, default_tz)
        else:
            new.local_hash = self._local_hash(s, row, default_tz)
        self.report.pulled += 1
        return True

    def _cancel_occurrence(
        self, s: Session, master_id: int, key: str, override: EventRow | None
    ) -> None:
        self._writer(s).delete_occurrence(master_id, key, override)
