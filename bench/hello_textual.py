"""Minimal Textual app: the floor for any Textual app's first paint.

python hello_textual.py               Textual only
python hello_textual.py --with-stack  also imports sqlmodel, icalendar and
                                      recurring_ical_events before run()
                                      (the floor if the store is imported eagerly)
"""

import sys

if "--with-stack" in sys.argv:
    import icalendar  # noqa: F401
    import recurring_ical_events  # noqa: F401
    import sqlmodel  # noqa: F401

from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App):
    def compose(self) -> ComposeResult:
        yield Static("Hello sessions-tui")


if __name__ == "__main__":
    Hello().run()
