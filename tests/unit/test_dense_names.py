"""A crowded cluster's names: styling only the first ``most_names`` of a huge cluster draws
exactly what styling all of them drew (a dense day at 100k events is one cluster of hundreds)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_tui.widgets.grid_text import fit_names, most_names

NAMES = st.lists(
    st.tuples(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzé✗✔", min_size=1, max_size=12),
        st.integers(0, 3),
    ),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(names=NAMES, inner=st.integers(1, 40), rows=st.integers(1, 30))
def test_the_first_most_names_draw_the_same_cells_as_all_of_them(
    names: list[tuple[str, int]], inner: int, rows: int
) -> None:
    everyone = fit_names(names, inner, rows, -1)
    first = fit_names(names[: most_names(inner, rows)], inner, rows, -1, total=len(names))
    assert first == everyone
    assert all(len(row) == inner for row in everyone)
    assert len(everyone) == rows


def test_a_cluster_of_hundreds_counts_all_of_them() -> None:
    names = [(f"n{k}", 0) for k in range(500)]
    rows = fit_names(names[: most_names(10, 2)], 10, 2, -1, total=500)
    text = "".join(ch for row in rows for ch, _style in row)
    assert text.startswith("500:")
    assert "+" in text  # what did not fit is counted, not dropped
