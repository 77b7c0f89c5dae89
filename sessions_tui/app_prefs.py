"""The user's preferences on the App: the theme kept between runs, and the config's keymap.

The theme picked last time (``ui_state``) wins over the config's; every change made with
``ctrl+p`` → Theme is kept for the next run, once the picker settles on one
(:meth:`Preferences._theme_changed`: it previews each theme it passes over). The config's
``[keymap]`` maps binding ids to keys (``docs/keys.md``); an unknown id is said in one line
and ignored. :class:`Preferences` is mixed into :class:`~sessions_tui.app.SessionsApp`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sessions_tui.domain.errors import ValidationError

if TYPE_CHECKING:
    from textual.app import App

    from sessions_tui.config import Config

    _Base = App[None]
else:
    _Base = object

log = logging.getLogger("sessions_tui.app")


def validate_theme(name: str) -> None:
    """A :class:`ValidationError` naming ``theme`` unless ``name`` is one of Textual's themes.

    Called when the calendar opens (Textual is imported then anyway), not by the CLI's other
    commands, which have no theme and should not pay for importing it. Here, with the theme's
    other code, not in ``config``: the headless layers never import Textual."""
    from textual.theme import BUILTIN_THEMES

    if name not in BUILTIN_THEMES:
        known = ", ".join(sorted(BUILTIN_THEMES))
        raise ValidationError(f"bad config: theme {name!r} is not a Textual theme; one of: {known}")


class Preferences(_Base):
    """Applies and keeps the theme, and applies the keymap (see the module's docstring).

    The App provides ``config``.
    """

    config: Config | None
    _theme_timer: Any

    def _apply_theme(self) -> None:
        """The theme picked in the app last time (ui_state), else the config's; then every
        change (``ctrl+p`` → Theme) is remembered for the next run."""
        from sessions_tui.ui_state import remembered_theme

        configured = self.config.theme if self.config else None
        name = remembered_theme(configured)
        if name is not None and name in self.available_themes:
            self.theme = name
        elif name is not None:
            log.warning("theme %r is not available; using the default", name)
        self._theme_timer: Any = None
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        # The theme picker previews each theme it passes over: keep the one it settles on.
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(0.5, self._keep_theme)

    def _keep_theme(self) -> None:
        from sessions_tui.ui_state import remember_theme, state_path

        self._theme_timer = None
        try:
            remember_theme(self.theme, self.config.theme if self.config else None)
        except OSError as exc:
            self.notify(
                f"Could not keep the theme for next time ({state_path()}: {exc.strerror}).",
                severity="warning",
            )

    def _apply_keymap(self) -> None:
        """The config's ``[keymap]`` (binding id → keys); an unknown id gets one line."""
        keymap = dict(self.config.keymap) if self.config else {}
        if not keymap:
            return
        from sessions_tui.screens.help import cached_key_rows, textual_keymap

        keymap = textual_keymap(keymap)  # "." as well as "full_stop"
        known = {row.id for row in cached_key_rows()}
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(
                f"Config: keymap.{unknown[0]} is not a binding id (see docs/keys.md); ignored.",
                severity="error",
                timeout=8,
            )
        self.set_keymap({k: v for k, v in keymap.items() if k in known})
