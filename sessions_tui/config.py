"""User configuration: a TOML file in platformdirs' config dir; env ``SESSIONS_TUI_*`` wins.

```toml
# ~/.config/sessions-tui/config.toml
tz = "Europe/London"          # display zone (else the practice default, else the local zone)
week_start = "monday"         # any day; else the practice setting (Sunday by default)
clock_hours = 12              # 12 ("2:30pm") or 24 ("14:30", the default)
first_hour = 8                # the hour the week and day views open on (default 7)
theme = "nord"                # a Textual theme; one picked in the app (ctrl+p) is kept too
refresh_seconds = 2           # how often open clients look for others' changes
alerts = [10, 60]             # alert me N minutes before each of my events ([] = none)
alert_escape = "osc777"       # also as a desktop notification: "off" (default), osc9, osc777

[keymap]                      # binding id (see docs/keys.md) = keys, comma-separated
preset = "vim"                # optional: h j k l move the calendar's cursor, q quits
"calendar.team" = "ctrl+t"
"calendar.next" = "n,right_square_bracket"
[smtp]                        # online booking's emails (sessions-tui web serve sends them)
host = "smtp.example.org"
port = 587
security = "starttls"         # none | starttls | tls
username = "bookings@example.org"
password_file = "/etc/sessions-tui/smtp-password"   # or env SESSIONS_TUI_SMTP_PASSWORD
from = "Riverside Therapy <bookings@example.org>"
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sessions_tui.domain.bounded import read_bounded
from sessions_tui.domain.errors import ValidationError


def config_dir() -> Path:
    """The folder of the config file: the platformdirs user config dir."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("sessions-tui", appauthor=False))


SMTP_SECURITY = ("none", "starttls", "tls")

KEYMAP_PRESETS = ("vim",)
"""The ``[keymap]`` table's ``preset`` values (see ``screens/calendar_moves.action_vim_key``)."""

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Day names in ``date.weekday()`` order (Monday is 0)."""


def weekday_number(name: str) -> int:
    """``"Sunday"`` → 6, ``"wed"`` → 2: a day's full name or its first three letters, any
    case; anything else is a :class:`ValidationError` naming the key."""
    text = name.strip().casefold() if isinstance(name, str) else ""
    for n, day in enumerate(DAYS):
        if text in (day, day[:3]):
            return n
    raise ValidationError(
        f"week_start {name!r} is not a day of the week (monday, tuesday, … sunday)"
    )


@dataclass(frozen=True)
class SmtpSettings:
    """How the mail worker reaches the practice's mail server (the ``[smtp]`` table).

    Attributes:
        host: The server's name.
        port: Its port (587 for starttls, 465 for tls, 25 for none by convention).
        security: ``none``, ``starttls`` or ``tls``.
        username: Log in as this user (no login when empty).
        password_file: A file holding the password; env ``SESSIONS_TUI_SMTP_PASSWORD`` wins.
        sender: The From address (the table's ``from`` key).
    """

    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_file: str | None = None
    sender: str = ""

    def password(self) -> str | None:
        """The password from the environment or the password file (never stored here)."""
        env = os.environ.get("SESSIONS_TUI_SMTP_PASSWORD")
        if env:
            return env
        if self.password_file:
            try:
                raw = read_bounded(Path(self.password_file), CONFIG_MAX_BYTES, "a password file")
                return raw.decode("utf-8").strip()
            except OSError as exc:
                raise ValidationError(
                    f"cannot read smtp password_file {self.password_file!r}: {exc.strerror}"
                ) from None
        return None


def parse_smtp(data: Any) -> SmtpSettings:
    """The ``[smtp]`` table, checked; a clear error names a bad key or value."""
    if not isinstance(data, dict):
        raise ValidationError("bad config: [smtp] must be a table")
    known = {"host", "port", "security", "username", "password_file", "from"}
    unknown = set(data) - known
    if unknown:
        raise ValidationError(f"bad config: unknown [smtp] key {sorted(unknown)[0]!r}")
    host = data.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ValidationError("bad config: [smtp] needs a host")
    security = data.get("security", "starttls")
    if security not in SMTP_SECURITY:
        raise ValidationError(f"bad config: [smtp] security {security!r} (none|starttls|tls)")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    port = data.get("port", default_port)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValidationError(f"bad config: [smtp] port {port!r}")
    sender = data.get("from", "")
    if not isinstance(sender, str) or "@" not in sender:
        raise ValidationError("bad config: [smtp] needs a from address")
    return SmtpSettings(
        host=host.strip(),
        port=port,
        security=security,
        username=data.get("username") or None,
        password_file=data.get("password_file") or None,
        sender=sender,
    )


ALERT_ESCAPES = ("off", "osc9", "osc777")
ALERT_MAX_MINUTES = 7 * 24 * 60


def parse_alerts(data: Any) -> tuple[int, ...]:
    """``alerts``: minutes before an event (one number or a list), largest first, no repeats.

    An empty list turns the alerts off; anything but whole minutes from 1 to a week is an
    error naming the value.
    """
    values = [data] if isinstance(data, int) and not isinstance(data, bool) else data
    if not isinstance(values, list):
        raise ValidationError("alerts must be minutes, e.g. alerts = [10, 60]")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"alerts value {value!r} is not whole minutes")
        if not 1 <= value <= ALERT_MAX_MINUTES:
            raise ValidationError(f"alerts value {value} (minutes from 1 to {ALERT_MAX_MINUTES})")
    return tuple(sorted(set(values), reverse=True))


def parse_alert_escape(data: Any) -> str:
    """``alert_escape``: ``off``, ``osc9`` or ``osc777`` (``false`` means ``off``)."""
    if data is False:
        return "off"
    if data not in ALERT_ESCAPES:
        raise ValidationError(f"alert_escape {data!r} (off|osc9|osc777)")
    return str(data)


@dataclass(frozen=True)
class Config:
    """Settings of one user on one machine.

    Attributes:
        tz: Display zone (IANA name); ``None`` uses the practice default, then tzlocal.
        week_start: The first day of the week (``"sunday"``, ``"wednesday"``…, or the first
            three letters); ``None`` follows ``week_starts_monday``, then the practice setting.
        week_starts_monday: The older switch (``true`` is ``week_start = "monday"``, ``false``
            is Sunday); ``None`` follows the practice setting.
        clock_hours: ``24`` (``14:30``) or ``12`` (``2:30pm``): the time grid's labels, the
            event form, the agenda, search and the event details.
        first_hour: The hour (0-23) the week, day and team views open on.
        theme: A Textual theme (``textual-dark``, ``nord``…); a theme picked in the app is
            remembered in the state file and wins until this value is changed.
        refresh_seconds: Interval of the live-refresh check.
        keymap: Binding id → keys (comma-separated), applied with ``App.set_keymap``; the ids
            are the last column of docs/keys.md.
        keymap_preset: ``"vim"`` (the ``[keymap]`` table's ``preset``): in the calendar
            ``h j k l`` move the cursor and ``q`` quits; ``None``: the default keys.
        smtp: The ``[smtp]`` table (online booking's emails); ``None`` when absent.
        alerts: Minutes before each of the user's events at which the calendar alerts them
            (largest first); empty: no alerts. See docs/ALERTS.md.
        alert_escape: Also send each alert to the terminal as a desktop-notification escape:
            ``off``, ``osc9`` or ``osc777``.
    """

    tz: str | None = None
    week_start: str | None = None
    week_starts_monday: bool | None = None
    clock_hours: int = 24
    first_hour: int = 7
    theme: str | None = None
    refresh_seconds: float = 2.0
    keymap: dict[str, str] = field(default_factory=dict)
    keymap_preset: str | None = None
    smtp: SmtpSettings | None = None
    alerts: tuple[int, ...] = (10,)
    alert_escape: str = "off"

    def __post_init__(self) -> None:
        """Every personal setting checked, so that a bad one stops the start with one line
        naming its key (never a calendar half set up)."""
        if self.week_start is not None:
            weekday_number(self.week_start)
        if self.week_starts_monday is not None and not isinstance(self.week_starts_monday, bool):
            raise ValidationError(
                f"week_starts_monday {self.week_starts_monday!r} must be true or false"
            )
        if self.clock_hours not in (12, 24) or isinstance(self.clock_hours, bool):
            raise ValidationError(f"clock_hours {self.clock_hours!r} must be 12 or 24")
        if (
            not isinstance(self.first_hour, int)
            or isinstance(self.first_hour, bool)
            or not 0 <= self.first_hour <= 23
        ):
            raise ValidationError(f"first_hour {self.first_hour!r} must be an hour, 0 to 23")
        if self.theme is not None and (not isinstance(self.theme, str) or not self.theme.strip()):
            raise ValidationError(f"theme {self.theme!r} must be a theme's name")
        if not isinstance(self.refresh_seconds, int | float) or self.refresh_seconds <= 0:
            raise ValidationError(
                f"refresh_seconds {self.refresh_seconds!r} must be a number of seconds"
            )

    @property
    def first_weekday(self) -> int | None:
        """The first day of the week (0 = Monday … 6 = Sunday); ``None`` follows the
        practice setting."""
        if self.week_start is not None:
            return weekday_number(self.week_start)
        if self.week_starts_monday is not None:
            return 0 if self.week_starts_monday else 6
        return None

    @property
    def hours12(self) -> bool:
        """Times on a 12-hour clock (``2:30pm``)."""
        return self.clock_hours == 12


CONFIG_MAX_BYTES = 1024 * 1024
"""The largest config (or password) file read: 1 MB, far past any real one."""


def load_config(path: Path | None = None) -> Config:
    """Read the config file (missing is fine; malformed is a clear error)."""
    path = path or Path(os.environ.get("SESSIONS_TUI_CONFIG") or config_dir() / "config.toml")
    data: dict[str, Any] = {}
    if path.exists():
        import tomllib  # here: most runs have no config file (issue 18: ~4 ms of start-up)

        try:
            raw = read_bounded(path, CONFIG_MAX_BYTES, "a config file")
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"bad config file {str(path)!r}: {exc}") from None
    known = {f.name for f in fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ValidationError(f"bad config file {str(path)!r}: unknown key {sorted(unknown)[0]!r}")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ValidationError(f"bad config file {str(path)!r}: keymap must be a table")
    if "preset" in keymap:  # [keymap] preset = "vim", or keymap_preset = "vim" at the top
        keymap = dict(keymap)
        data["keymap"], data["keymap_preset"] = keymap, keymap.pop("preset")
    preset = data.get("keymap_preset")
    if preset is not None and preset not in KEYMAP_PRESETS:
        raise ValidationError(
            f"bad config file {str(path)!r}: keymap preset {preset!r} is not a preset "
            '(the one preset is "vim")'
        )
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ValidationError(
                f"bad config file {str(path)!r}: keymap.{binding_id} must be keys "
                'as text, e.g. "ctrl+t" or "n,right"'
            )
    if "smtp" in data:
        data["smtp"] = parse_smtp(data["smtp"])
    try:
        if "alerts" in data:
            data["alerts"] = parse_alerts(data["alerts"])
        if "alert_escape" in data:
            data["alert_escape"] = parse_alert_escape(data["alert_escape"])
    except ValidationError as exc:
        raise ValidationError(f"bad config file {str(path)!r}: {exc.message}") from None
    if os.environ.get("SESSIONS_TUI_TZ"):
        data["tz"] = os.environ["SESSIONS_TUI_TZ"]
    try:
        return Config(**data)
    except ValidationError as exc:
        raise ValidationError(f"bad config file {str(path)!r}: {exc.message}") from None
