"""The CalDAV protocol, as the CalDAV provider uses it, on the ``caldav`` library's client.

The library does discovery (RFC 6764 well-known URLs, the principal, its calendar home set and
calendars) and the HTTP session (authentication negotiation, TLS). The requests whose semantics
the sync depends on are made here, explicitly, so each is one HTTP request and its status is
seen as the server sent it:

- ``REPORT sync-collection`` (RFC 6578) for what changed since a token, with ETags only;
  ``PROPFIND Depth: 1`` of ETags where the server offers no sync-collection;
- ``REPORT calendar-multiget`` (RFC 4791 §7.9) for the data of many resources at once;
- ``PUT`` with ``If-None-Match: *`` (create: a second create of the same href answers 412, so
  a retried create is never a duplicate) or ``If-Match: <etag>`` (update: 412 when the server's
  copy moved on, a conflict); ``DELETE`` with ``If-Match``.

Every HTTP request is counted (:attr:`DavClient.requests`), for the report and the benchmark.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree as ET

from sessions_tui.sync.errors import (
    CalendarGone,
    SyncAuthError,
    SyncError,
    SyncTransientError,
)

log = logging.getLogger(__name__)

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"
ICS_TYPE = "text/calendar; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


class TokenInvalid(SyncError):
    """The server no longer knows the sync token (RFC 6578 §3.2): list in full."""


class NotSupported(SyncError):
    """The server offers no sync-collection on this calendar: use ETags."""


@dataclass(frozen=True)
class RemoteCalendar:
    """A calendar collection found by discovery."""

    url: str
    name: str
    read_only: bool = False


@dataclass(frozen=True)
class Listing:
    """What a listing said: resources with their ETags, and hrefs reported deleted.

    ``complete`` is true for a full listing (no token): anything linked that is not in it was
    deleted on the server.
    """

    etags: dict[str, str | None]
    deleted: set[str] = field(default_factory=set)
    token: str | None = None
    complete: bool = False


@dataclass(frozen=True)
class Response:
    """What the server answered to a write: the HTTP status and the new ETag, if any."""

    status: int
    etag: str | None = None
    text: str = ""


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (plain http is allowed only there)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


def check_url(url: str) -> str:
    """A CalDAV URL we may talk to: https, or http on a loopback host (a local test server).

    Raises:
        SyncError: anything else (a password must not cross the network in the clear).
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback(url):
        return url
    raise SyncError(
        f"CalDAV URL {url!r} is refused: use https:// (plain http only for a server on this "
        "machine, such as http://127.0.0.1:5232/)"
    )


def _client_class() -> Any:
    from caldav.davclient import DAVClient

    class CountingClient(DAVClient):
        """Counts every HTTP request, authentication retries included."""

        requests = 0

        def _sync_request(self, *args: Any, **kwargs: Any) -> Any:
            self.requests += 1
            return super()._sync_request(*args, **kwargs)

    return CountingClient


class DavClient:
    """One account's connection (not thread-safe: one per sync run).

    Args:
        url: The server, principal or calendar URL the user gave.
        username, password: The account's credentials (an app-specific password for iCloud
            and Fastmail).
        timeout: Seconds for each request.
    """

    def __init__(self, url: str, username: str, password: str, *, timeout: int = 60) -> None:
        self.url = check_url(url)
        cls = _client_class()
        self._client = cls(
            url=self.url,
            username=username,
            password=password,
            timeout=timeout,
            require_tls=not is_loopback(self.url),
            # RFC 6764 (DNS SRV and /.well-known/caldav) finds a provider's server from its
            # domain; a local server is named exactly, and the look-ups only cost time.
            enable_rfc6764=not is_loopback(self.url),
        )

    @property
    def requests(self) -> int:
        """How many HTTP requests this connection has made."""
        return int(self._client.requests)

    def close(self) -> None:
        """Close the HTTP connection; errors on closing are ignored."""
        with contextlib.suppress(Exception):
            self._client.close()

    # --- discovery -----------------------------------------------------------------------

    def discover(self) -> list[RemoteCalendar]:
        """The principal's calendars (those that hold events).

        Raises:
            SyncAuthError: the server refused the username or password.
            SyncTransientError: the server is unreachable or failing.
        """
        try:
            principal = self._client.principal()
            found = []
            for cal in principal.calendars():
                name = ""
                with contextlib.suppress(Exception):
                    name = cal.get_display_name() or ""
                url = str(cal.url)
                found.append(RemoteCalendar(url, name or url.rstrip("/").rsplit("/", 1)[-1]))
            return found
        except Exception as exc:
            raise self._translate(exc, "discover the calendars") from None

    # --- listing -------------------------------------------------------------------------

    def sync_collection(self, cal_url: str, token: str | None) -> Listing:
        """Changes since ``token`` (everything when ``None``), ETags only.

        Raises:
            TokenInvalid: the server forgot the token; NotSupported: no sync-collection here.
        """
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<d:sync-collection xmlns:d="DAV:">'
            + (f"<d:sync-token>{_xml_text(token)}</d:sync-token>" if token else "<d:sync-token/>")
            + "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
        )
        try:
            r = self._request(cal_url, "REPORT", body, {"Depth": "1", "Content-Type": XML_TYPE})
        except _dav_error() as exc:
            status = getattr(exc, "status", None)
            pre = " ".join(getattr(exc, "preconditions", None) or [])
            if token and ("valid-sync-token" in pre or status in (403, 409, 412)):
                raise TokenInvalid("sync token expired") from None
            if status == 401:
                raise self._translate(exc, "list the calendar") from None
            raise NotSupported(f"sync-collection refused (HTTP {status})") from None
        if r.status in (403, 409, 412) and token:
            raise TokenInvalid("sync token expired")
        if r.status != 207:
            raise NotSupported(f"sync-collection answered HTTP {r.status}")
        root = _parse_xml(r.text)
        etags: dict[str, str | None] = {}
        deleted: set[str] = set()
        for resp in root.iter(f"{DAV}response"):
            href = _href(resp)
            if href is None or _same_path(href, cal_url):
                continue
            status = resp.findtext(f"{DAV}status") or ""
            if " 404" in status:
                deleted.add(href)
                continue
            etags[href] = _etag_of(resp)
        new_token = root.findtext(f"{DAV}sync-token")
        return Listing(etags, deleted, new_token or None, complete=token is None)

    def list_etags(self, cal_url: str) -> Listing:
        """Every resource of the calendar with its ETag (``PROPFIND Depth: 1``)."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop>'
            "</d:propfind>"
        )
        try:
            r = self._request(cal_url, "PROPFIND", body, {"Depth": "1", "Content-Type": XML_TYPE})
        except Exception as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise CalendarGone(cal_url) from None
            raise self._translate(exc, "list the calendar") from None
        if r.status in (404, 410):
            raise CalendarGone(cal_url)
        if r.status != 207:
            raise self._status_error(r.status, "list the calendar")
        etags: dict[str, str | None] = {}
        for resp in _parse_xml(r.text).iter(f"{DAV}response"):
            href = _href(resp)
            if href is None or _same_path(href, cal_url) or href.endswith("/"):
                continue
            etags[href] = _etag_of(resp)
        return Listing(etags, complete=True)

    def multiget(self, cal_url: str, hrefs: Iterable[str]) -> dict[str, Response]:
        """The data and ETag of each href (missing ones left out)."""
        wanted = list(hrefs)
        if not wanted:
            return {}
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
            + "".join(f"<d:href>{_xml_text(h)}</d:href>" for h in wanted)
            + "</c:calendar-multiget>"
        )
        try:
            r = self._request(cal_url, "REPORT", body, {"Depth": "1", "Content-Type": XML_TYPE})
        except Exception as exc:
            raise self._translate(exc, "read events") from None
        if r.status != 207:
            raise self._status_error(r.status, "read events")
        out: dict[str, Response] = {}
        for resp in _parse_xml(r.text).iter(f"{DAV}response"):
            href = _href(resp)
            data = None
            for el in resp.iter(f"{CAL}calendar-data"):
                data = el.text
            if href is None or not data:
                continue
            out[href] = Response(200, _etag_of(resp), data)
        return out

    def get(self, href: str) -> Response:
        """One resource (404 when it is gone)."""
        try:
            r = self._request(href, "GET", "", {})
        except Exception as exc:
            raise self._translate(exc, "read an event") from None
        return Response(r.status, _header(r, "etag"), r.text if r.status == 200 else "")

    # --- writes --------------------------------------------------------------------------

    def put(self, href: str, text: str, *, etag: str | None, create: bool) -> Response:
        """Create (``If-None-Match: *``) or update (``If-Match``) one resource.

        Returns the response (412: a conflict, for the caller to resolve); raises
        SyncAuthError on 401, SyncTransientError on 5xx/429/no network.
        """
        headers = {"Content-Type": ICS_TYPE}
        if create:
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        try:
            r = self._request(href, "PUT", text, headers)
        except Exception as exc:
            status = getattr(exc, "status", None)
            if status == 403:
                return Response(403)
            raise self._translate(exc, "write an event") from None
        if r.status >= 500:
            raise self._status_error(r.status, "write an event")
        return Response(r.status, _header(r, "etag"))

    def delete_resource(self, href: str, *, etag: str | None) -> Response:
        """DELETE ``href``, with If-Match when ``etag`` is given."""
        headers = {"If-Match": etag} if etag else {}
        try:
            r = self._request(href, "DELETE", "", headers)
        except Exception as exc:
            status = getattr(exc, "status", None)
            if status == 403:
                return Response(403)
            raise self._translate(exc, "delete an event") from None
        if r.status >= 500:
            raise self._status_error(r.status, "delete an event")
        return Response(r.status)

    # --- plumbing ------------------------------------------------------------------------

    def absolute(self, href: str) -> str:
        """``href`` resolved against the server's URL."""
        return urljoin(self.url, href)

    def _request(self, href: str, method: str, body: str, headers: dict[str, str]) -> _Raw:
        try:
            r = self._client.request(self.absolute(href), method, body, headers)
        except _dav_error():
            raise  # the server answered: each caller reads its status
        except Exception as exc:  # no answer (refused, timed out, TLS): try again later
            raise SyncTransientError(
                f"cannot reach the CalDAV server ({exc.__class__.__name__}); will retry later"
            ) from None
        raw = getattr(r, "_raw", b"")
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        return _Raw(int(r.status), text, dict(r.headers or {}))

    def _status_error(self, status: int, what: str) -> SyncError:
        if status in (429, 500, 502, 503, 504):
            return SyncTransientError(
                f"the CalDAV server is busy or failing (HTTP {status}); will retry later",
                quota=status == 429,
            )
        if status == 401:
            return SyncAuthError(_AUTH_MESSAGE)
        return SyncError(f"the CalDAV server refused to {what} (HTTP {status})")

    def _translate(self, exc: Exception, what: str) -> SyncError:
        if isinstance(exc, SyncError):
            return exc
        status = getattr(exc, "status", None)
        if isinstance(status, int):
            return self._status_error(status, what)
        name = exc.__class__.__name__
        if isinstance(exc, OSError) or "Connection" in name or "Timeout" in name:
            return SyncTransientError(f"cannot reach the CalDAV server ({name}); will retry later")
        if isinstance(exc, _dav_error()):
            return SyncTransientError(f"the CalDAV server failed to {what} ({name}); will retry")
        return SyncTransientError(f"cannot reach the CalDAV server ({name}); will retry later")


_AUTH_MESSAGE = (
    "the CalDAV server refused the username or password: run `sessions-tui caldav connect` "
    "again (iCloud and Fastmail need an app-specific password)"
)


@dataclass(frozen=True)
class _Raw:
    status: int
    text: str
    headers: dict[str, str]


def _dav_error() -> type[Exception]:
    from caldav.lib import error

    return error.DAVError  # type: ignore[no-any-return]


def _header(r: _Raw, name: str) -> str | None:
    for key, value in r.headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse_xml(text: str) -> ET.Element:
    try:
        return ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise SyncError(f"the CalDAV server sent unreadable XML ({exc})") from None


def _href(resp: ET.Element) -> str | None:
    href = resp.findtext(f"{DAV}href")
    return href.strip() if href else None


def _etag_of(resp: ET.Element) -> str | None:
    for el in resp.iter(f"{DAV}getetag"):
        if el.text:
            return el.text.strip()
    return None


def _same_path(href: str, url: str) -> bool:
    return urlsplit(href).path.rstrip("/") == urlsplit(url).path.rstrip("/")
