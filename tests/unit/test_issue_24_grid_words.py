"""Issue 24: the pure parts of the grid's changes: all-day rows that keep a multi-day event on
one row, and team headers shortened alike to fit."""

from __future__ import annotations

from typing import Any

from sessions_tui.widgets.grid_layout import stack_all_day
from sessions_tui.widgets.grid_text import fit_labels, name_forms


def test_issue_24_an_event_keeps_its_row_across_its_days() -> None:
    a, b, c, e = (object() for _ in range(4))  # events, by identity
    per_day: list[list[Any]] = [[c, a, b], [a, b], [a, e], [e]]
    rows = stack_all_day(per_day)
    for item in (a, b, e):
        seen = {r.index(item) for r in rows if item in r}
        assert len(seen) == 1, (rows, item)  # one row on every day it is on
    assert rows[0][0] is a  # the longest run takes the first row
    assert rows[3] == [None, e]  # the row under a bar that ended is left empty
    # Everything is still there, once per day.
    for day, items in zip(rows, per_day, strict=True):
        assert sorted(map(id, filter(None, day))) == sorted(map(id, items))


def test_issue_24_team_names_shorten_alike_and_never_cut_silently() -> None:
    assert name_forms("Dr. Alice Moreno") == [
        "Dr. Alice Moreno",
        "Dr. Alice M.",
        "Alice M.",
        "Alice",
    ]
    forms = [
        [f"B {f}" for f in name_forms("Ben Okafor")],
        ["A " + f for f in name_forms("Dr. Alice Moreno")],
    ]
    assert fit_labels(forms, [20, 20]) == ["B Ben Okafor", "A Dr. Alice Moreno"]
    assert fit_labels(forms, [17, 17]) == ["B Ben O.", "A Dr. Alice M."]  # the same level
    assert fit_labels(forms, [6, 6]) == ["B Ben", "A Ali…"]
