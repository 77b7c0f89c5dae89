"""``sessions-tui settings show|set``: the practice's account settings (admins change them).

Registered on the main group at the bottom of :mod:`sessions_tui.cli`.
"""

from __future__ import annotations

import json
from typing import Any

import click

from sessions_tui.cli import options as _cli
from sessions_tui.domain.errors import ValidationError

KEYS: dict[str, str] = {
    "name": "name",
    "internal-ids": "internal_ids",
    "double-booking": "allow_double_booking",
    "display-tz": "display_tz",
    "week-starts-monday": "week_starts_monday",
}
"""Command-line key → field of :class:`~sessions_tui.domain.model.PracticeSettings`."""

REMINDER_KEYS: dict[str, str] = {
    "reminders.hours": "hours",
    "reminders.subject": "subject",
    "reminders.body": "body",
    "reminders.cancel-hours": "cancel_hours",
    "reminders.link-base": "base_url",
    "feeds.alarm-minutes": "feed_alarm_minutes",
}
"""Command-line key → field of :class:`~sessions_tui.services.reminders.ReminderSettings`
(issue 20): when reminders go, their template, the online cancel cutoff, the address their
links start with, and the VALARM of practitioners' feeds."""

PROFILE_KEYS: dict[str, str] = {
    "profile.phone": "phone",
    "profile.address": "address",
    "profile.note": "note",
    "profile.privacy-url": "privacy_url",
}
"""Command-line key → field of :class:`~sessions_tui.domain.profile.PracticeProfile` (issue
27): shown on every booking page and in every email to clients; ``none`` clears one."""

_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}


def _parse(key: str, value: str) -> tuple[str, Any]:
    wanted = key.strip().lower().replace("_", "-")
    if wanted == "allow-double-booking":
        wanted = "double-booking"
    if wanted not in KEYS:
        names = ", ".join([*KEYS, *PROFILE_KEYS, *REMINDER_KEYS])
        raise ValidationError(f"unknown setting {key!r} (settings: {names})")
    field = KEYS[wanted]
    if field == "name":
        return field, value
    if field == "display_tz":
        return field, None if value.strip().lower() in ("", "none", "local") else value.strip()
    flag = value.strip().lower()
    if flag in _TRUE:
        return field, True
    if flag in _FALSE:
        return field, False
    raise ValidationError(f"bad value {value!r} for {wanted} (expected on or off)")


def _parse_reminder(key: str, value: str) -> tuple[str, Any] | None:
    wanted = key.strip().lower().replace("_", "-")
    if wanted not in REMINDER_KEYS:
        return None
    field = REMINDER_KEYS[wanted]
    if field in ("cancel_hours", "feed_alarm_minutes"):
        text = value.strip().lower()
        if text in ("", "off", "none", "no"):
            return field, None
        if not text.isdigit():
            raise ValidationError(f"bad value {value!r} for {wanted} (a whole number, or off)")
        return field, int(text)
    if field == "body":
        # Typed on one command line: "\n" stands for a new line.
        return field, value.replace("\\n", "\n")
    return field, value


def _shown_reminders(r: Any) -> dict[str, Any]:
    return {
        "reminders.hours": r.hours or "off",
        "reminders.subject": r.subject,
        "reminders.body": r.body,
        "reminders.cancel-hours": r.cancel_hours,
        "reminders.link-base": r.base_url,
        "feeds.alarm-minutes": r.feed_alarm_minutes,
    }


def _shown_profile(p: Any) -> dict[str, Any]:
    return {key: getattr(p, field) for key, field in PROFILE_KEYS.items()}


def _template(text: str, default: str) -> str:
    if text == default:
        return "(default)"
    return text if len(text) <= 60 else text[:59] + "…"


def _shown(settings: Any) -> dict[str, Any]:
    return {
        "name": settings.name,
        "internal-ids": settings.internal_ids,
        "double-booking": settings.allow_double_booking,
        "display-tz": settings.display_tz,
        "week-starts-monday": settings.week_starts_monday,
    }


@click.group("settings")
@_cli.global_options
def settings() -> None:
    """Practice settings: name, Internal IDs, double booking, display zone, the public profile,
    reminders (admins change them)."""


@settings.command("show")
@_cli.global_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def settings_show(fmt: str) -> None:
    """Print the practice settings."""
    from sessions_tui.domain import reminders as rules
    from sessions_tui.services import reminders
    from sessions_tui.services.practice import get_profile, get_settings

    ctx = _cli.opts().context()
    ctx.require_actor()
    r = reminders.get_settings(ctx)
    shown = _shown(get_settings(ctx)) | _shown_profile(get_profile(ctx)) | _shown_reminders(r)
    if fmt == "json":
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    if all(shown[key] is None for key in PROFILE_KEYS):
        # No profile yet: like reminders below, its keys would only be noise (docs/WEB.md).
        shown = {k: v for k, v in shown.items() if k not in PROFILE_KEYS}
    if not r.offsets and r == type(r)():
        # Reminders never set up: their keys would only be noise (docs/REMINDERS.md).
        shown = {k: v for k, v in shown.items() if k not in REMINDER_KEYS}
    else:
        shown["reminders.subject"] = _template(r.subject, rules.DEFAULT_SUBJECT)
        shown["reminders.body"] = _template(r.body, rules.DEFAULT_BODY)
        for key in ("reminders.cancel-hours", "feeds.alarm-minutes"):
            shown[key] = "off" if shown[key] is None else shown[key]
    for key, value in shown.items():
        if isinstance(value, bool):
            text = "on" if value else "off"
        else:
            text = "(not set)" if value is None else str(value).replace("\n", "\\n")
        click.echo(f"{key:<20} {text}")


@settings.command("set")
@_cli.global_options
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    """Change one setting (admins only): name, internal-ids, double-booking, display-tz,
    week-starts-monday, reminders.hours (48,24 or off), reminders.subject, reminders.body
    (\\n for a new line), reminders.cancel-hours (hours or off), reminders.link-base,
    feeds.alarm-minutes (minutes or off), profile.phone, profile.address, profile.note,
    profile.privacy-url (shown to clients on booking pages and in emails; none clears one).
    On/off settings take on|off; display-tz takes an IANA zone or none."""
    from sessions_tui.services.practice import update_profile, update_settings

    wanted = key.strip().lower().replace("_", "-")
    if wanted in PROFILE_KEYS:
        field = PROFILE_KEYS[wanted]
        new_p = update_profile(_cli.opts().context(), **{field: value})
        shown_p = getattr(new_p, field)
        click.echo(f"Set {wanted} to {shown_p if shown_p is not None else '(not set)'}.")
        return

    reminder = _parse_reminder(key, value)
    if reminder is not None:
        from sessions_tui.services import reminders

        field, parsed = reminder
        new_r = reminders.update_settings(_cli.opts().context(), **{field: parsed})
        label = next(k for k, f in REMINDER_KEYS.items() if f == field)
        shown_r = _shown_reminders(new_r)[label]
        click.echo(f"Set {label} to {'off' if shown_r is None else shown_r}.")
        return
    field, parsed = _parse(key, value)
    new = update_settings(_cli.opts().context(), **{field: parsed})
    label = next(k for k, f in KEYS.items() if f == field)
    shown = _shown(new)[label]
    if isinstance(shown, bool):
        shown = "on" if shown else "off"
    click.echo(f"Set {label} to {shown if shown is not None else '(not set)'}.")
