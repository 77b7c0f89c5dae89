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

_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}


def _parse(key: str, value: str) -> tuple[str, Any]:
    wanted = key.strip().lower().replace("_", "-")
    if wanted == "allow-double-booking":
        wanted = "double-booking"
    if wanted not in KEYS:
        raise ValidationError(f"unknown setting {key!r} (settings: {', '.join(KEYS)})")
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
    """Practice settings: name, Internal IDs, double booking, display zone (admins change them)."""


@settings.command("show")
@_cli.global_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def settings_show(fmt: str) -> None:
    """Print the practice settings."""
    from sessions_tui.services.practice import get_settings

    ctx = _cli.opts().context()
    ctx.require_actor()
    shown = _shown(get_settings(ctx))
    if fmt == "json":
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    for key, value in shown.items():
        if isinstance(value, bool):
            text = "on" if value else "off"
        else:
            text = "(not set)" if value is None else str(value)
        click.echo(f"{key:<20} {text}")


@settings.command("set")
@_cli.global_options
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    """Change one setting (admins only): name, internal-ids, double-booking, display-tz,
    week-starts-monday. On/off settings take on|off; display-tz takes an IANA zone or none."""
    from sessions_tui.services.practice import update_settings

    field, parsed = _parse(key, value)
    new = update_settings(_cli.opts().context(), **{field: parsed})
    label = next(k for k, f in KEYS.items() if f == field)
    shown = _shown(new)[label]
    if isinstance(shown, bool):
        shown = "on" if shown else "off"
    click.echo(f"Set {label} to {shown if shown is not None else '(not set)'}.")
