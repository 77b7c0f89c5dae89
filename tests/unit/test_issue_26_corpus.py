"""Issue 26: real producers' calendars (tests/data/realworld, licences in LICENSES.md) read the
way they mean.

Each file is imported into a fresh practice: its occurrences over its span equal
recurring-ical-events' (UTC starts, all-day dates, titles), its export's occurrences equal the
original's, and re-importing the export changes nothing (:mod:`tests.unit.realworld_diff`).
A file the import refuses must be refused with one line and nothing written, and be listed in
:data:`REFUSED` with the reason; a file that still disagrees is listed in :data:`KNOWN` (a
strict xfail: it fails the day it starts to agree, so the list is kept honest).
"""

from __future__ import annotations

import warnings

import pytest

from sessions_tui.services.context import Context

from .realworld_diff import CORPUS, compare

REFUSED: dict[str, str] = {}
"""Files refused whole, and why (each is refused with one line, nothing written)."""

_STALE_OVERRIDE = (
    "an override older (lower SEQUENCE) than a later version of its series that excludes or "
    "no longer has that occurrence is kept; recurring-ical-events drops it"
)
KNOWN: dict[str, str] = {
    "khal__event_dt_multi_uid.ics": (
        "the same UID twice with equal SEQUENCE: the import keeps the later one (the rule for "
        "imports and subscriptions), recurring-ical-events the earlier"
    ),
    "rie__issue_148_exdate_and_rdate_updated.ics": _STALE_OVERRIDE,
    "rie__issue_163_deleted_modification.ics": _STALE_OVERRIDE,
    "rie__issue_253_additional_recurrence_id.ics": _STALE_OVERRIDE,
    "rie__issue_201_mixed_datetime_and_date.ics": (
        "DTSTART a date-time and DTEND a date: the event is skipped with a line naming it"
    ),
    "rie__multiple_rrule.ics": (
        "two different RRULEs in one event: the store keeps one rule per series, so the event "
        "is skipped with a line naming it"
    ),
    "rie__issue_75_range_parameter.ics": (
        "an RDATE after a RANGE=THISANDFUTURE override keeps the series' original time and "
        "title (the override's shift is applied to the RRULE's occurrences only)"
    ),
}
"""Files that still disagree with recurring-ical-events, and why."""

FILES = sorted(p.name for p in CORPUS.glob("*.ics"))


def test_issue_26_corpus_is_real_and_licensed() -> None:
    licences = (CORPUS / "LICENSES.md").read_text()
    assert 40 <= len(FILES) <= 80
    assert sum(p.stat().st_size for p in CORPUS.glob("*.ics")) < 2_000_000
    for name in FILES:
        assert name in licences, f"{name} has no licence line"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True)) if n in KNOWN else n
        for n in FILES
    ],
)
def test_issue_26_corpus_file(admin_ctx: Context, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = compare(admin_ctx, CORPUS / name)
    if name in REFUSED:
        assert outcome.status == "refused", outcome.detail
        return
    assert outcome.status == "agree", f"{outcome.status}: {outcome.detail}"
