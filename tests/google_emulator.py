"""A local emulator of the Google Calendar v3 API, for tests and the benchmark.

It speaks enough of the real protocol for the real google-api-python-client (built from its
bundled discovery document with ``client_options={"api_endpoint": emulator.endpoint}``) to
drive it:

- ``calendarList.list`` (paged) and ``get``, each entry with its ``accessRole``;
  ``calendars.insert`` (adds to the calendar list);
- ``accessRole``: writes to a calendar shared ``reader`` or ``freeBusyReader`` answer ``403
  requiredAccessLevel``, as Google does;
- ``events.list`` with ``maxResults``/``pageToken`` paging, ``syncToken``/``nextSyncToken``
  incremental listing (deleted items come back with ``status: cancelled``), ``410 GONE`` for an
  invalidated token, ``showDeleted`` and ``privateExtendedProperty`` filters;
- ``events.insert`` (client-chosen ids, ``409`` on a duplicate), ``get``, ``update``,
  ``patch``, ``delete``, each with etags and ``If-Match`` (``412 conditionNotMet``);
- recurring events: ``recurrence`` lines, and instances addressed as ``{id}_{20261125T160000Z}``
  whose update or delete becomes an exception (``recurringEventId``, ``originalStartTime``);
- the batch endpoint (``POST /batch/calendar/v3``, multipart/mixed);
- a fake OAuth token endpoint (``POST /token``) for the sign-in tests;
- the web UI's own edits: "this and following" (:meth:`EmulatorState.split_series`: the old
  series gets an ``UNTIL``, a new series ``<id>_R<local start>`` continues it), tombstones
  purged (:meth:`EmulatorState.purge_deleted`: deleted events forgotten, old sync tokens
  ``410``), a calendar deleted (:meth:`EmulatorState.delete_calendar`: ``404`` on its listing);
- fault injection: error bursts (429, 403 ``rateLimitExceeded``, 503) per request or per
  operation, dropped connections, latency, and a hook called after the N-th call;
- counters: ``calls`` (HTTP requests), ``ops`` (API operations, batch parts included).

Run it with ``with CalendarEmulator() as emu: ...`` (a thread on 127.0.0.1, port 0).
"""

from __future__ import annotations

import base64
import copy
import email.parser
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

_ID_OK = re.compile(r"^[a-v0-9]{5,1024}$")
_INSTANCE = re.compile(r"^(?P<base>.+)_(?P<rid>\d{8}(T\d{6}Z)?)$")


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.status = status
        self.reason = reason
        self.message = message or reason

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [{"domain": "global", "reason": self.reason, "message": self.message}],
            }
        }


@dataclass
class Fault:
    status: int
    reason: str
    remaining: int
    scope: str  # "http" (whole request) or "op" (one operation, batch parts too)


@dataclass
class Calendar:
    id: str
    summary: str
    access_role: str = "owner"
    primary: bool = False
    time_zone: str = "America/Chicago"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


class EmulatorState:
    """Everything the emulator knows; guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calendars: dict[str, Calendar] = {}
        self.seq = 0
        self.token_generation = 0
        self.faults: list[Fault] = []
        self.drop_next = 0
        self.latency = 0.0
        self.calls = 0
        self.ops = 0
        self.ops_by_method: Counter[str] = Counter()
        self.after_call: dict[int, Callable[[], None]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.add_calendar("primary@example.com", "Ada's calendar", primary=True)

    # --- setup helpers -----------------------------------------------------------------------

    def add_calendar(
        self,
        cal_id: str,
        summary: str,
        *,
        primary: bool = False,
        access_role: str = "owner",
        time_zone: str = "America/Chicago",
    ) -> Calendar:
        with self.lock:
            cal = Calendar(cal_id, summary, access_role, primary, time_zone)
            self.calendars[cal_id] = cal
            return cal

    def _now_iso(self) -> str:
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _bump(self, ev: dict[str, Any]) -> None:
        self.seq += 1
        ev["_seq"] = self.seq
        ev["etag"] = f'"{self.seq:020d}"'
        ev["updated"] = self._now_iso()

    def calendar(self, cal_id: str) -> Calendar:
        cal = self.calendars.get(cal_id)
        if cal is None:
            raise ApiError(404, "notFound", f"calendar {cal_id} not found")
        return cal

    # --- events ------------------------------------------------------------------------------

    def _public(self, ev: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in ev.items() if not k.startswith("_")}
        out["kind"] = "calendar#event"
        return out

    def _find(self, cal: Calendar, event_id: str, *, create_instance: bool) -> dict[str, Any]:
        ev = cal.events.get(event_id)
        if ev is not None:
            return ev
        m = _INSTANCE.match(event_id)
        if m and m.group("base") in cal.events:
            base = cal.events[m.group("base")]
            if base.get("recurrence") and base.get("status") != "cancelled":
                inst = self._instance_of(base, event_id, m.group("rid"))
                if create_instance:
                    cal.events[event_id] = inst
                return inst
        raise ApiError(404, "notFound", f"event {event_id} not found")

    def _instance_of(self, base: dict[str, Any], event_id: str, rid: str) -> dict[str, Any]:
        inst = copy.deepcopy({k: v for k, v in base.items() if k != "recurrence"})
        inst["id"] = event_id
        inst["recurringEventId"] = base["id"]
        if "T" in rid:
            at = datetime.strptime(rid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            tz = base["start"].get("timeZone") or "UTC"
            local = at.astimezone(ZoneInfo(tz))
            inst["originalStartTime"] = {"dateTime": local.isoformat(), "timeZone": tz}
            start = datetime.fromisoformat(base["start"]["dateTime"])
            end = datetime.fromisoformat(base["end"]["dateTime"])
            inst["start"] = {"dateTime": local.isoformat(), "timeZone": tz}
            inst["end"] = {"dateTime": (local + (end - start)).isoformat(), "timeZone": tz}
        else:
            day = f"{rid[:4]}-{rid[4:6]}-{rid[6:]}"
            inst["originalStartTime"] = {"date": day}
        return inst

    def _check_match(self, ev: dict[str, Any], if_match: str | None) -> None:
        if if_match and if_match != "*" and if_match != ev.get("etag"):
            raise ApiError(412, "conditionNotMet", "Precondition Failed")

    def _cancel_exceptions(self, cal: Calendar, base_id: str) -> None:
        for other in cal.events.values():
            if other.get("recurringEventId") == base_id and other.get("status") != "cancelled":
                other["status"] = "cancelled"
                self._bump(other)

    def insert(self, cal_id: str, body: dict[str, Any]) -> dict[str, Any]:
        cal = self.calendar(cal_id)
        ev_id = body.get("id") or uuid.uuid4().hex
        if not _ID_OK.match(ev_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if ev_id in cal.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        if "start" not in body or "end" not in body:
            raise ApiError(400, "required", "Missing start or end.")
        ev = copy.deepcopy(body)
        ev["id"] = ev_id
        ev.setdefault("status", "confirmed")
        ev["created"] = self._now_iso()
        ev["iCalUID"] = f"{ev_id}@google.com"
        ev["_created_seq"] = self.seq + 1
        self._bump(ev)
        cal.events[ev_id] = ev
        return self._public(ev)

    def get(self, cal_id: str, event_id: str) -> dict[str, Any]:
        cal = self.calendar(cal_id)
        return self._public(self._find(cal, event_id, create_instance=False))

    def update(
        self, cal_id: str, event_id: str, body: dict[str, Any], if_match: str | None, *, patch: bool
    ) -> dict[str, Any]:
        cal = self.calendar(cal_id)
        ev = self._find(cal, event_id, create_instance=False)
        self._check_match(ev, if_match)
        if event_id not in cal.events:
            cal.events[event_id] = ev
            ev["_created_seq"] = self.seq + 1
        keep = {
            k: ev[k]
            for k in (
                "id",
                "created",
                "iCalUID",
                "recurringEventId",
                "originalStartTime",
                "_created_seq",
            )
            if k in ev
        }
        if patch:
            new = copy.deepcopy(ev)
            new.update(copy.deepcopy(body))
        else:
            new = copy.deepcopy(body)
        new.update(keep)
        if not patch or "status" not in body:
            new["status"] = body.get("status", "confirmed")
        ev.clear()
        ev.update(new)
        self._bump(ev)
        if ev["status"] == "cancelled" and ev.get("recurrence"):
            self._cancel_exceptions(cal, ev["id"])
        return self._public(ev)

    def delete(self, cal_id: str, event_id: str, if_match: str | None) -> None:
        cal = self.calendar(cal_id)
        ev = self._find(cal, event_id, create_instance=True)
        if ev.get("status") == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        self._check_match(ev, if_match)
        ev.setdefault("_created_seq", self.seq + 1)
        ev["status"] = "cancelled"
        self._bump(ev)
        if ev.get("recurrence"):
            self._cancel_exceptions(cal, ev["id"])

    def _token(self, cal_id: str, seq: int) -> str:
        raw = json.dumps([cal_id, seq, self.token_generation]).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def invalidate_sync_tokens(self) -> None:
        """Every sync token handed out so far now gets 410 GONE."""
        with self.lock:
            self.token_generation += 1

    def list_events(self, cal_id: str, q: dict[str, list[str]]) -> dict[str, Any]:
        cal = self.calendar(cal_id)
        max_results = min(int(q.get("maxResults", ["250"])[0]), 2500)
        page_token = q.get("pageToken", [None])[0]
        sync_token = q.get("syncToken", [None])[0]
        show_deleted = q.get("showDeleted", ["false"])[0] == "true"
        props = q.get("privateExtendedProperty", [])
        if sync_token and props:
            raise ApiError(400, "invalid", "syncToken cannot be combined with filters")
        if page_token:
            state = json.loads(base64.urlsafe_b64decode(page_token.encode()))
            since, snapshot, offset = state["since"], state["snapshot"], state["offset"]
        else:
            snapshot, offset, since = self.seq, 0, None
            if sync_token:
                try:
                    tok_cal, since, gen = json.loads(base64.urlsafe_b64decode(sync_token.encode()))
                except (ValueError, TypeError):
                    raise ApiError(400, "invalid", "Invalid sync token value.") from None
                if gen != self.token_generation or tok_cal != cal_id:
                    raise ApiError(
                        410,
                        "fullSyncRequired",
                        "Sync token is no longer valid, a full sync is required.",
                    )
        items = []
        for ev in cal.events.values():
            if since is not None:
                if ev["_seq"] <= since:
                    continue  # deleted items are always reported in incremental results
            elif ev.get("status") == "cancelled" and not show_deleted:
                continue
            if props:
                private = (ev.get("extendedProperties") or {}).get("private") or {}
                if not all(private.get(k) == v for k, _, v in (p.partition("=") for p in props)):
                    continue
            items.append(ev)
        # Masters before their exceptions helps clients, but is not promised by Google.
        items.sort(key=lambda e: (e.get("_created_seq", 0), e["id"]))
        page = items[offset : offset + max_results]
        out: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": cal.summary,
            "timeZone": cal.time_zone,
            "items": [self._public(e) for e in page],
        }
        if offset + max_results < len(items):
            out["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps(
                    {"since": since, "snapshot": snapshot, "offset": offset + max_results}
                ).encode()
            ).decode()
        else:
            out["nextSyncToken"] = self._token(cal_id, snapshot)
        return out

    def _require_writer(self, cal_id: str) -> None:
        """Google answers 403 ``requiredAccessLevel`` to writes in a calendar shared read-only."""
        if self.calendar(cal_id).access_role in ("reader", "freeBusyReader"):
            raise ApiError(
                403, "requiredAccessLevel", "You need to have writer access to this calendar."
            )

    def calendar_list_entry(self, cal_id: str) -> dict[str, Any]:
        c = self.calendar(cal_id)
        return {
            "kind": "calendar#calendarListEntry",
            "id": c.id,
            "summary": c.summary,
            "accessRole": c.access_role,
            "primary": c.primary,
            "timeZone": c.time_zone,
        }

    def calendar_list(self, q: dict[str, list[str]]) -> dict[str, Any]:
        max_results = min(int(q.get("maxResults", ["100"])[0]), 250)
        offset = int(q.get("pageToken", ["0"])[0])
        cals = sorted(self.calendars.values(), key=lambda c: (not c.primary, c.id))
        page = cals[offset : offset + max_results]
        out: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "items": [
                {
                    "kind": "calendar#calendarListEntry",
                    "id": c.id,
                    "summary": c.summary,
                    "accessRole": c.access_role,
                    "primary": c.primary,
                    "timeZone": c.time_zone,
                }
                for c in page
            ],
        }
        if offset + max_results < len(cals):
            out["nextPageToken"] = str(offset + max_results)
        return out

    def insert_calendar(self, body: dict[str, Any]) -> dict[str, Any]:
        cal_id = f"{uuid.uuid4().hex[:16]}@group.calendar.google.com"
        cal = self.add_calendar(
            cal_id, body.get("summary", ""), time_zone=body.get("timeZone", "UTC")
        )
        return {
            "kind": "calendar#calendar",
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
        }

    # --- fault injection -----------------------------------------------------------------------

    def fail_next(
        self, count: int, status: int = 503, reason: str = "backendError", *, scope: str = "op"
    ) -> None:
        """The next ``count`` requests (``scope="http"``) or operations (``"op"``) fail."""
        with self.lock:
            self.faults.append(Fault(status, reason, count, scope))

    def take_fault(self, scope: str) -> Fault | None:
        for f in self.faults:
            if f.scope == scope and f.remaining > 0:
                f.remaining -= 1
                return f
        return None

    # --- dispatch ----------------------------------------------------------------------------

    def dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, Any] | None]:
        """Run one API operation; returns (status, JSON body or None)."""
        with self.lock:
            self.ops += 1
            fault = self.take_fault("op")
        if fault is not None:
            return fault.status, ApiError(fault.status, fault.reason).body()
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return 400, ApiError(400, "parseError", "Parse Error").body()
        parts = [unquote(p) for p in path.split("/") if p]
        if parts[:2] != ["calendar", "v3"]:
            return 404, ApiError(404, "notFound", path).body()
        parts = parts[2:]
        if_match = headers.get("if-match")
        with self.lock:
            try:
                return self._route(method, parts, query, data, if_match)
            except ApiError as exc:
                return exc.status, exc.body()

    def _route(
        self,
        method: str,
        parts: list[str],
        query: dict[str, list[str]],
        data: dict[str, Any],
        if_match: str | None,
    ) -> tuple[int, dict[str, Any] | None]:
        name = f"{method} {'/'.join(p if i % 2 == 0 else '*' for i, p in enumerate(parts))}"
        if parts == ["users", "me", "calendarList"] and method == "GET":
            self.ops_by_method["calendarList.list"] += 1
            return 200, self.calendar_list(query)
        if len(parts) == 4 and parts[:3] == ["users", "me", "calendarList"] and method == "GET":
            self.ops_by_method["calendarList.get"] += 1
            return 200, self.calendar_list_entry(parts[3])
        if parts == ["calendars"] and method == "POST":
            self.ops_by_method["calendars.insert"] += 1
            return 200, self.insert_calendar(data)
        if method != "GET" and len(parts) >= 3 and parts[0] == "calendars":
            self._require_writer(parts[1])
        if len(parts) == 3 and parts[0] == "calendars" and parts[2] == "events":
            if method == "GET":
                self.ops_by_method["events.list"] += 1
                return 200, self.list_events(parts[1], query)
            if method == "POST":
                self.ops_by_method["events.insert"] += 1
                return 200, self.insert(parts[1], data)
        if len(parts) == 4 and parts[0] == "calendars" and parts[2] == "events":
            cal_id, ev_id = parts[1], parts[3]
            if method == "GET":
                self.ops_by_method["events.get"] += 1
                return 200, self.get(cal_id, ev_id)
            if method in ("PUT", "PATCH"):
                self.ops_by_method[f"events.{'update' if method == 'PUT' else 'patch'}"] += 1
                return 200, self.update(cal_id, ev_id, data, if_match, patch=method == "PATCH")
            if method == "DELETE":
                self.ops_by_method["events.delete"] += 1
                self.delete(cal_id, ev_id, if_match)
                return 204, None
        return 404, ApiError(404, "notFound", f"no route {name}").body()

    # --- inspection --------------------------------------------------------------------------

    def live_events(self, cal_id: str) -> list[dict[str, Any]]:
        """Events (and exceptions) that are not cancelled, as the API shows them."""
        with self.lock:
            return [
                self._public(e)
                for e in self.calendar(cal_id).events.values()
                if e.get("status") != "cancelled"
            ]

    def all_events(self, cal_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [self._public(e) for e in self.calendar(cal_id).events.values()]

    def edit(self, cal_id: str, event_id: str, **changes: Any) -> dict[str, Any]:
        """Change an event as a Google user would (new etag, shows in incremental lists)."""
        with self.lock:
            return self.update(cal_id, event_id, changes, None, patch=True)

    def remove(self, cal_id: str, event_id: str) -> None:
        """Delete an event as a Google user would."""
        with self.lock:
            self.delete(cal_id, event_id, None)

    def create(self, cal_id: str, **body: Any) -> dict[str, Any]:
        with self.lock:
            return self.insert(cal_id, body)

    def split_series(
        self,
        cal_id: str,
        event_id: str,
        at: datetime,
        *,
        shift: timedelta = timedelta(0),
        copy_private: bool = False,
    ) -> dict[str, Any]:
        """ "This and following events" edited in Google's web UI on the occurrence starting
        ``at`` (moved by ``shift``): the old series ends with an ``UNTIL`` before it (its
        exceptions from there on are dropped) and a new recurring event, id
        ``<old id>_R<local start>`` and a new ``iCalUID``, continues it. Whether Google copies
        the private extended properties is not documented: ``copy_private`` chooses. On the first
        occurrence the old event is deleted and the new one carries the whole series."""
        from dateutil.rrule import rrulestr

        with self.lock:
            cal = self.calendar(cal_id)
            old = cal.events[event_id]
            tz = ZoneInfo(old["start"].get("timeZone") or "UTC")
            start = datetime.fromisoformat(old["start"]["dateTime"]).astimezone(tz)
            length = datetime.fromisoformat(old["end"]["dateTime"]) - start
            rule = next(x[6:] for x in old["recurrence"] if x.startswith("RRULE:"))
            done = sum(1 for s in rrulestr(rule, dtstart=start) if s < at)
            parts = dict(p.split("=", 1) for p in rule.split(";"))
            count = parts.pop("COUNT", None)
            parts.pop("UNTIL", None)
            base = ";".join(f"{k}={v}" for k, v in parts.items())
            until = (at - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            extra = [x for x in old["recurrence"] if not x.startswith("RRULE:")]
            new_start = (at + shift).astimezone(tz)
            local = at.astimezone(tz).strftime("%Y%m%dT%H%M%S")
            body = {
                k: copy.deepcopy(v)
                for k, v in old.items()
                if not k.startswith("_")
                and k not in ("id", "etag", "iCalUID", "created", "updated", "recurrence")
                and (copy_private or k != "extendedProperties")
            }
            body["start"] = {"dateTime": new_start.isoformat(), "timeZone": tz.key}
            body["end"] = {"dateTime": (new_start + length).isoformat(), "timeZone": tz.key}
            body["recurrence"] = [
                "RRULE:" + base + (f";COUNT={int(count) - done}" if count else ""),
                *extra,
            ]
            new_id = f"{event_id}_R{local}"
            body["id"] = new_id
            body["status"] = "confirmed"
            body["created"] = self._now_iso()
            body["iCalUID"] = f"{uuid.uuid4().hex}@google.com"
            body["_created_seq"] = self.seq + 1
            self._bump(body)
            for other in cal.events.values():
                if other.get("recurringEventId") != event_id:
                    continue
                rid = datetime.fromisoformat(other["originalStartTime"]["dateTime"])
                if rid >= at and other.get("status") != "cancelled":
                    other["status"] = "cancelled"
                    self._bump(other)
            if done == 0:  # on the first occurrence: the whole series moves to the new id
                old["status"] = "cancelled"
            else:
                old["recurrence"] = ["RRULE:" + base + f";UNTIL={until}", *extra]
            self._bump(old)
            cal.events[new_id] = body
            return self._public(body)

    def purge_deleted(self) -> None:
        """Google drops deleted events after a while; sync tokens older than that answer
        ``410 GONE`` ("Sync token is no longer valid, a full sync is required"), and the full
        listing no longer shows the deleted events, even with ``showDeleted``."""
        with self.lock:
            for cal in self.calendars.values():
                for key in [k for k, e in cal.events.items() if e.get("status") == "cancelled"]:
                    del cal.events[key]
            self.token_generation += 1

    def delete_calendar(self, cal_id: str) -> None:
        """The owner deletes a calendar: it leaves the calendar list and every request on it
        answers ``404 notFound``."""
        with self.lock:
            self.calendars.pop(cal_id)


def _http_response(status: int, payload: dict[str, Any] | None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode() if payload is not None else b""
    return body, "application/json; charset=UTF-8"


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # silence
        return

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with state.lock:
            state.calls += 1
            call_no = state.calls
            drop = state.drop_next > 0
            if drop:
                state.drop_next -= 1
            fault = None if drop else state.take_fault("http")
            hook = state.after_call.pop(call_no, None)
            latency = state.latency
        if latency:
            time.sleep(latency)
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if fault is not None:
            status, payload = fault.status, ApiError(fault.status, fault.reason).body()
            self._send(status, *_http_response(status, payload))
        elif url.path == "/token" and self.command == "POST":
            self._token(body)
        elif url.path.startswith("/batch/") and self.command == "POST":
            self._batch(body)
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = state.dispatch(self.command, url.path, query, headers, body)  # type: ignore[assignment]
            self._send(status, *_http_response(status, payload))
        if hook is not None:
            hook()

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status, _REASONS.get(status, "Status"))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _token(self, body: bytes) -> None:
        form = parse_qs(body.decode())
        self.server.state.token_requests.append(form)
        payload = {
            "access_token": "emulated-access",
            "refresh_token": "emulated-refresh",
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/calendar",
        }
        self._send(200, json.dumps(payload).encode(), "application/json")

    def _batch(self, body: bytes) -> None:
        state = self.server.state
        ctype = self.headers.get("Content-Type", "")
        msg = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        boundary = f"batch_{uuid.uuid4().hex}"
        out: list[str] = []
        for part in msg.get_payload():
            content_id = part["Content-ID"] or ""  # type: ignore[index]
            raw = part.get_payload()
            request_line, _, rest = raw.partition("\n")
            method, target, _ = request_line.strip().split(" ", 2)
            head, _, inner_body = rest.replace("\r\n", "\n").partition("\n\n")
            headers = {}
            for line in head.split("\n"):
                k, sep, v = line.partition(":")
                if sep:
                    headers[k.strip().lower()] = v.strip()
            url = urlsplit(target)
            status, payload = state.dispatch(
                method, url.path, parse_qs(url.query), headers, inner_body.encode()
            )
            data = json.dumps(payload) if payload is not None else ""
            cid = content_id.strip("<>")
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{cid}>\r\n\r\n"
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n"
                f"Content-Length: {len(data.encode())}\r\n\r\n{data}\r\n"
            )
        text = "".join(out) + f"--{boundary}--\r\n"
        self._send(200, text.encode(), f"multipart/mixed; boundary={boundary}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: EmulatorState


class CalendarEmulator:
    """The emulator server in a background thread on 127.0.0.1 (port 0 = any free port)."""

    def __init__(self, port: int = 0) -> None:
        self.state = EmulatorState()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The API root to set as ``SESSIONS_TUI_GOOGLE_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}/calendar/v3/"

    def start(self) -> CalendarEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CalendarEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # pragma: no cover - manual use: python tests/google_emulator.py
    import sys

    emu = CalendarEmulator(int(sys.argv[1]) if len(sys.argv) > 1 else 8765).start()
    print(emu.endpoint, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emu.stop()
