"""Two-way CalDAV sync (Nextcloud, Fastmail, iCloud, Radicale): :class:`CalDavEngine`.

The provider-neutral rules are :mod:`sessions_tui.sync.engine`'s; this package is the CalDAV
protocol's side of them. One run, for one practitioner:

1. **Pull** (two-way only), per selected calendar, default first: ``sync-collection`` from the
   stored token (RFC 6578), or a full listing when there is none, the server forgot it, or it
   offers none (then ``PROPFIND`` of ETags). Only resources whose ETag differs from the linked
   one are fetched, by ``calendar-multiget``, a chunk at a time, one transaction per chunk; the
   token is saved only after the whole listing is applied, so a killed run lists again and
   skips what it already has. A resource this program made (its UID is the local uid) is
   recognised and linked, never duplicated.
2. **Push**: every local family (a one-off, or a series with its overrides: one resource)
   whose content differs from what both sides last agreed on (``sync_link.local_hash``) is
   ``PUT`` (``If-None-Match: *`` to create, at an href derived from the uid, so a retried
   create answers 412 and is adopted; ``If-Match`` to update, a 412 being a conflict resolved
   by the rule); every link whose family is gone is ``DELETE``\\ d.

Protected sessions (completed notes, cancelled) deleted on the server are written back; a
session's title edited on the server is written back (locked); recurring series carry their
overrides as RECURRENCE-ID components and their deleted occurrences as EXDATE, in the series'
own zone (DST-correct).

The package, part by part (each under :mod:`sessions_tui.sync.caldav`):

- ``dav``: the CalDAV protocol on the ``caldav`` library's client (discovery, sync-collection,
  multiget, conditional PUT and DELETE).
- ``ical``: resources to local families and back, and the hash both sides compare.
- ``secret``: where the password is kept (never in the database or a log).
- ``state``: the state the engine's parts share, and its client.
- ``local``: links and local families (written through the one Writer); href helpers.
- ``merge``: a changed resource onto its linked family (the conflict rule).
- ``pull``: listing a calendar's changes and bringing resources in.
- ``plan``: the push plan (what differs from what both sides last agreed on).
- ``push``: the writes, their follow-ups and stale-ETag resolution.
- ``engine``: :class:`CalDavEngine`, :func:`make_engine`, :func:`discover` and
  :func:`pending_changes`.

Import the engine from the package (``from sessions_tui.sync.caldav import CalDavEngine``);
``dav``, ``ical`` and ``secret`` are imported by their own module names.
"""

from __future__ import annotations

from sessions_tui.sync.caldav.engine import CalDavEngine, discover, make_engine, pending_changes
from sessions_tui.sync.caldav.local import href_key

__all__ = ["CalDavEngine", "discover", "href_key", "make_engine", "pending_changes"]
