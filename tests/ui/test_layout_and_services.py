"""Pure pieces behind the views: overlap layout, periods, titles, filters, search, keys doc."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Status
from sessions_tui.domain.model import Role, Staff
from sessions_tui.domain.periods import (
    add_months,
    parse_user_date,
    period_range,
    period_title,
    shift_period,
)
from sessions_tui.services.calendar import Filters, practitioner_markers
from sessions_tui.widgets.time_grid import block_text, overlap_columns, split_width


def test_overlap_columns_separate_spans_get_full_width() -> None:
    assert overlap_columns([(0, 2), (2, 4), (5, 6)]) == [(0, 1), (0, 1), (0, 1)]


def test_overlap_columns_side_by_side_and_reuse() -> None:
    # 12:00-12:45, 12:30-13:30, three at 13:00: one cluster, three columns, column 0 reused.
    spans = [(24, 26), (25, 27), (26, 28), (26, 28), (26, 28)]
    cols = overlap_columns(spans)
    assert [c for c, _n in cols] == [0, 1, 0, 2, 3]
    assert {n for _c, n in cols} == {4}


def test_overlap_columns_input_order_kept_and_empty_span() -> None:
    cols = overlap_columns([(10, 12), (4, 4), (11, 13)])
    assert cols[1] == (0, 1)  # a zero-length span counts as one slot
    assert cols[0] == (0, 2)
    assert cols[2] == (1, 2)
    assert overlap_columns([]) == []


def test_split_width() -> None:
    assert split_width(10, 3) == [4, 3, 3]
    assert sum(split_width(73, 7)) == 73
    assert split_width(2, 4) == [1, 1, 0, 0]


@pytest.mark.parametrize(
    ("view", "day", "monday", "expected"),
    [
        ("week", date(2026, 11, 25), False, (date(2026, 11, 22), 7)),
        ("week", date(2026, 11, 25), True, (date(2026, 11, 23), 7)),
        ("day", date(2026, 11, 25), False, (date(2026, 11, 25), 1)),
        ("agenda", date(2026, 11, 25), False, (date(2026, 11, 25), 7)),
        ("month", date(2026, 11, 25), False, (date(2026, 11, 1), 35)),
        ("month", date(2027, 2, 10), False, (date(2027, 1, 31), 35)),
        ("month", date(2026, 8, 10), False, (date(2026, 7, 26), 42)),
        ("month", date(2021, 2, 1), False, (date(2021, 1, 31), 35)),
    ],
)
def test_period_range(view: str, day: date, monday: bool, expected: tuple[date, int]) -> None:
    assert period_range(view, day, monday) == expected


@pytest.mark.parametrize(
    ("view", "day", "expected"),
    [
        ("month", date(2026, 11, 25), "November 2026"),
        ("week", date(2026, 11, 25), "Nov 22 – 28, 2026"),
        ("week", date(2026, 12, 1), "Nov 29 – Dec 5, 2026"),
        ("week", date(2026, 12, 29), "Dec 27, 2026 – Jan 2, 2027"),
        ("day", date(2026, 11, 25), "Wednesday, Nov 25, 2026"),
    ],
)
def test_period_title(view: str, day: date, expected: str) -> None:
    assert period_title(view, day, False) == expected


def test_shift_period_and_month_clamp() -> None:
    assert shift_period("month", date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 12, 15), -12) == date(2025, 12, 15)
    assert shift_period("week", date(2026, 11, 25), -1) == date(2026, 11, 18)
    assert shift_period("day", date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_parse_user_date() -> None:
    today = date(2026, 11, 25)
    assert parse_user_date("2027-01-02", today) == date(2027, 1, 2)
    assert parse_user_date(" Tomorrow ", today) == date(2026, 11, 26)
    assert parse_user_date("-7", today) == date(2026, 11, 18)
    for bad, words in (
        ("2026-02-30", "bad date '2026-02-30'"),
        ("", "type a date"),
        ("next tuesday", "expected YYYY-MM-DD"),
        ("0999-01-01", "year must be"),
    ):
        with pytest.raises(ValidationError, match=words):
            parse_user_date(bad, today)


def test_filters_round_trip_and_bad_json() -> None:
    f = Filters(frozenset({3, 1}), frozenset({2}), frozenset({Status.CANCELLED}), False)
    assert Filters.from_json(f.to_json()) == f
    assert Filters.from_json({"practitioners": ["x"], "statuses": ["nope"]}) == Filters()
    assert Filters.from_json("garbage") == Filters()
    assert not Filters().active
    assert f.active


def test_practitioner_markers_are_unique() -> None:
    people = [
        Staff(1, "ann", "Ann A", frozenset({Role.PRACTITIONER})),
        Staff(2, "amy", "Amy B", frozenset({Role.PRACTITIONER})),
        Staff(3, "al", "Al C", frozenset({Role.PRACTITIONER})),
    ]
    marks = practitioner_markers(people)
    assert marks == {1: "A", 2: "M", 3: "L"}


def test_block_text_wraps_and_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    event = SimpleNamespace(is_cancelled=True, busy=True, source_calendar=None)
    item = SimpleNamespace(event=event, start=date(2026, 1, 1), location=None, hold=None)
    lines = block_text(item, "C", "Hana Tanaka", ZoneInfo("UTC"), 9, 3)  # type: ignore[arg-type]
    assert lines == ["C✗ Hana", "Tanaka", "┊"]


def test_binding_ids_unique_and_keys_doc_current() -> None:
    from sessions_tui.screens.help import key_rows, keys_markdown

    rows = key_rows()
    ids = [r.id for r in rows]
    assert all(ids), "every binding has an id"
    assert len(ids) == len(set(ids))
    assert all(r.description for r in rows)
    assert all(r.tooltip for r in rows)
    doc = Path(__file__).resolve().parents[2] / "docs" / "keys.md"
    assert doc.read_text(encoding="utf-8") == keys_markdown(), (
        "docs/keys.md is stale: python -m sessions_tui.screens.help > docs/keys.md"
    )
