"""The local side of a sync: links, local events, their titles and hashes.

:class:`LocalStore` reads and writes ``sync_link`` rows (the page's links are prefetched in
one query), loads local events, and writes them through the one
:class:`~sessions_tui.services.writer.Writer`, so the booking and permission rules hold for a
sync as for a person. It also makes the body and hash a local event is pushed with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.events import Event
from sessions_tui.store.tables import EventRow, SyncLinkRow
from sessions_tui.sync.engine import pushed_title
from sessions_tui.sync.google.items import body_for, content_hash
from sessions_tui.sync.google.state import EngineState


class LocalStore(EngineState):
    """Links, sync tokens and local events as the sync reads and writes them."""

    def _save_token(self, cal_id: str, token: str | None) -> None:
        self._save_cursor(cal_id, token)

    def _prefetch(self, s: Session, cal_id: str, gids: list[str]) -> None:
        """Load the links of a page in one query; :meth:`_link` uses each one once."""
        self._prefetched = {}
        for i in range(0, len(gids), 500):
            for link in s.execute(
                select(SyncLinkRow).where(
                    col(SyncLinkRow.account_id) == self.account_id,
                    col(SyncLinkRow.calendar) == cal_id,
                    col(SyncLinkRow.remote_id).in_(gids[i : i + 500]),
                )
            ).scalars():  # type: ignore[attr-defined]
                self._prefetched[(cal_id, link.remote_id)] = link
        self._prefetched_ids = {(cal_id, g) for g in gids}

    def _forget_prefetch(self) -> None:
        # Prefetched rows belong to one session; never let them leak into the next.
        self._prefetched, self._prefetched_ids = {}, set()

    def _link(self, s: Session, cal_id: str, gid: str) -> SyncLinkRow | None:
        key = (cal_id, gid)
        if key in self._prefetched_ids:
            # Known from the page's one query; used once, as later steps may change it.
            self._prefetched_ids.discard(key)
            return self._prefetched.pop(key, None)
        return self._find_link(s, cal_id, gid)

    def _new_link(
        self,
        s: Session,
        cal_id: str,
        gid: str,
        event_id: int | None,
        origin: str,
        item: Mapping[str, Any],
        default_tz: str,
    ) -> SyncLinkRow:
        return self._add_link(
            s,
            cal_id,
            gid,
            event_id,
            origin,
            etag=item.get("etag"),
            local_hash=content_hash(item, default_tz),
        )

    def _insert(self, s: Session, ev: Event, *, uid: str) -> EventRow:
        return self._writer(s).insert(ev, uid=uid)

    def _save(self, s: Session, row: EventRow, ev: Event) -> None:
        self._writer(s).update(row, ev, add_exdates=True)

    def _delete_local(self, s: Session, row: EventRow) -> None:
        writer = self._writer(s)
        writer.delete(row)
        if writer.detached:
            # Protected sessions a whole-series delete kept as one-off events: unlinked from
            # the gone Google instances, the push makes them anew in Google.
            s.execute(delete(SyncLinkRow).where(col(SyncLinkRow.event_id).in_(writer.detached)))

    # --- titles and hashes ---------------------------------------------------------------

    def _title(self, ev: Event, labels: Mapping[int, str]) -> str:
        return pushed_title(ev, labels)

    def _body(self, ev: Event, labels: Mapping[int, str], origin: str) -> dict[str, Any]:
        return body_for(ev, self._title(ev, labels), mine=origin == "local")

    def _local_hash(self, s: Session, row: EventRow, default_tz: str) -> str:
        loaded = self._load(s, row.id)
        assert loaded is not None
        ev = loaded[1]
        origin = (
            s.execute(
                select(col(SyncLinkRow.origin)).where(
                    col(SyncLinkRow.account_id) == self.account_id,
                    col(SyncLinkRow.event_id) == row.id,
                )
            )
            .scalars()
            .first()
            or "local"
        )
        return content_hash(self._body(ev, self._titles(s, [ev]), origin), default_tz)
