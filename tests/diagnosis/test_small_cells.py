"""Small cells stay small: no hidden value can be recovered from published rows and totals.

The property tests build tables with small cells whose rows add up to known totals, run
the output-boundary suppression, and check by linear algebra that every hidden cell is
undetermined: it is not a linear combination of the published totals' equations once
the visible cells are substituted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undertow.diagnosis.pipeline import coarsen_findings
from undertow.diagnosis.privacy import (
    OTHER_UNIT,
    coarsen_people_counts,
    coarsen_role_dates,
    coarsen_text_counts,
    merge_rare_roles,
    rare_units,
    suppress_small_cells,
)
from undertow.themes.registry import Finding, PeopleCount, RowSum

K = 5


def _determined(hidden: np.ndarray, groups: list[np.ndarray], size: int) -> list[int]:
    """Hidden cells whose value follows from the sums of ``groups`` (totals known).

    Each group gives one equation ``sum(cells) = total``; visible cells are known, so
    the equations restricted to the hidden cells constrain them. A hidden cell is
    determined iff its unit vector lies in the row space of that system.
    """
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return []
    rows = []
    for group in groups:
        row = np.zeros(size)
        row[group] = 1.0
        rows.append(row[unknown])
    system = np.array(rows) if rows else np.zeros((0, unknown.size))
    rank = np.linalg.matrix_rank(system) if rows else 0
    found = []
    for position, cell in enumerate(unknown.tolist()):
        unit = np.zeros(unknown.size)
        unit[position] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append(cell)
    return found


@st.composite
def grouped_tables(draw: st.DrawFn) -> tuple[pa.Table, list[np.ndarray]]:
    """Periods of 2 to 6 groups; people counts with many small ones; shares summing to 1."""
    periods = draw(st.integers(1, 4))
    period_col: list[datetime] = []
    group_col: list[str] = []
    people: list[int] = []
    share: list[float] = []
    groups: list[np.ndarray] = []
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for p in range(periods):
        m = draw(st.integers(2, 6))
        counts = draw(st.lists(st.integers(0, 30), min_size=m, max_size=m))
        total = max(1, sum(counts))
        first = len(people)
        for g, count in enumerate(counts):
            period_col.append(start + timedelta(days=31 * p))
            group_col.append(f"g{g}")
            people.append(count)
            share.append(count / total)
        groups.append(np.arange(first, len(people)))
    table = pa.table(
        {
            "period": pa.array(period_col, pa.timestamp("us", tz="UTC")),
            "group": group_col,
            "n_people": pa.array(people, pa.int64()),
            "share": share,
            "n": pa.array(people, pa.int64()),
        }
    )
    # The counts also add up over all periods (a total published elsewhere).
    groups.append(np.arange(len(people)))
    return table, groups


@settings(max_examples=300, deadline=None)
@given(grouped_tables())
def test_no_suppressed_group_row_can_be_recovered(case: tuple[pa.Table, list[np.ndarray]]) -> None:
    table, groups = case
    out = suppress_small_cells(table, K)
    hidden = np.array(out.column("suppressed").to_pylist())
    people = np.array(table.column("n_people").to_pylist())
    assert hidden[people < K].all(), "every group under k is hidden"
    visible = out.filter(pa.array(~hidden))
    assert all(v is None or v >= K for v in visible.column("n_people").to_pylist())
    assert _determined(hidden, groups, table.num_rows) == []
    for name in ("share", "n", "n_people"):
        assert all(v is None for v in out.filter(pa.array(hidden)).column(name).to_pylist())


@st.composite
def two_family_tables(draw: st.DrawFn) -> tuple[pa.Table, list[np.ndarray]]:
    """who_teaches's shape: core + periphery = 1 and formal + no_formal_role = 1."""
    core, periphery, formal, none = draw(st.lists(st.integers(0, 40), min_size=4, max_size=4))
    table = pa.table(
        {
            "group": ["core", "formal", "no_formal_role", "periphery"],
            "share": [0.3, 0.4, 0.6, 0.7],
            "n_people": pa.array([core, formal, none, periphery], pa.int64()),
            "n": pa.array([50, 50, 50, 50], pa.int64()),
        }
    )
    return table, [np.array([0, 3]), np.array([1, 2])]


WHO_TEACHES_SUMS = (
    RowSum("group", labels=("core", "periphery")),
    RowSum("group", labels=("formal", "no_formal_role")),
)


@settings(max_examples=200, deadline=None)
@given(two_family_tables())
def test_complements_follow_the_declared_sums(case: tuple[pa.Table, list[np.ndarray]]) -> None:
    table, groups = case
    out = suppress_small_cells(table, K, sums=WHO_TEACHES_SUMS)
    hidden = np.array(out.column("suppressed").to_pylist())
    assert _determined(hidden, groups, table.num_rows) == []


def test_the_complement_of_a_hidden_share_is_hidden() -> None:
    # A one-person formal cell: its complement (no_formal_role) must go, not the core cell.
    table = pa.table(
        {
            "group": ["core", "formal", "no_formal_role", "periphery"],
            "share": [0.632, 0.368, 0.632, 0.368],
            "n_people": pa.array([30, 1, 60, 40], pa.int64()),
            "n": pa.array([90, 90, 90, 90], pa.int64()),
        }
    )
    out = suppress_small_cells(table, K, sums=WHO_TEACHES_SUMS)
    assert out.column("suppressed").to_pylist() == [False, True, True, False]
    assert out.column("share").to_pylist() == [0.632, None, None, 0.368]


@st.composite
def weekly_tables(draw: st.DrawFn) -> tuple[pa.Table, list[np.ndarray]]:
    """Weekly newcomer counts (many 1-4) over whole quarters, beside another series."""
    quarters = draw(st.integers(1, 3))
    weeks: list[datetime] = []
    series: list[str] = []
    value: list[float] = []
    groups: list[np.ndarray] = []
    start = datetime(2021, 1, 4, tzinfo=UTC)
    newcomer_rows: list[int] = []
    for q in range(quarters):
        n_weeks = draw(st.integers(2, 8))
        counts = draw(st.lists(st.integers(0, 9), min_size=n_weeks, max_size=n_weeks))
        rows = []
        for w, count in enumerate(counts):
            week = start + timedelta(days=91 * q + 7 * w)
            weeks += [week, week]
            series += ["messages", "newcomers"]
            value += [float(10 * count + 3), float(count)]
            rows.append(len(value) - 1)
        groups.append(np.array(rows))
        newcomer_rows += rows
    groups.append(np.array(newcomer_rows))
    table = pa.table(
        {
            "week": pa.array(weeks, pa.timestamp("us", tz="UTC")),
            "series": series,
            "value": value,
            "value_lo": [v * 0.5 for v in value],
            "value_hi": [v * 2.0 for v in value],
            "n": pa.array([100] * len(value), pa.int64()),
        }
    )
    return table, groups


@settings(max_examples=300, deadline=None)
@given(weekly_tables())
def test_no_weekly_count_of_few_people_is_shown_or_recoverable(
    case: tuple[pa.Table, list[np.ndarray]],
) -> None:
    table, groups = case
    people = [PeopleCount("value", where=("series", ("newcomers",)))]
    sums = [RowSum("week", where=("series", ("newcomers",)))]
    out = coarsen_people_counts(table, K, people, sums=sums)
    hidden = np.array(out.column("value_hidden").to_pylist())
    newcomers = np.array(table.column("series").to_pylist()) == "newcomers"
    shown = out.column("value").to_pylist()
    for row, value in enumerate(shown):
        if newcomers[row] and value is not None:
            assert not 1 <= value < K
        if hidden[row]:
            assert value is None
            assert out.column("value_lo")[row].as_py() is None
            assert out.column("value_hi")[row].as_py() is None
    # Messages are not people: never hidden.
    assert not hidden[~newcomers].any()
    assert _determined(hidden, groups, table.num_rows) == []


def test_covered_statistics_are_hidden_with_their_count() -> None:
    table = pa.table({"n_carers": [2], "carers_support_share": [0.78], "n": [624]})
    out = coarsen_people_counts(
        table, K, [PeopleCount("n_carers", covers=("carers_support_share",))]
    )
    assert out.to_pylist() == [
        {"n_carers": None, "carers_support_share": None, "n": 624, "n_carers_hidden": True}
    ]


def test_role_dates_are_shown_to_the_month() -> None:
    at = datetime(2019, 4, 17, 23, 59, tzinfo=UTC)
    table = pa.table(
        {
            "person_id": ["p_1"],
            "appointed_at": pa.array([at], pa.timestamp("us", tz="UTC")),
            "ended_at": pa.array([at + timedelta(days=40)], pa.timestamp("us", tz="UTC")),
            "first_message_at": pa.array([at], pa.timestamp("us", tz="UTC")),
        }
    )
    out = coarsen_role_dates(table)
    assert out.column("appointed_at")[0].as_py() == datetime(2019, 4, 1, tzinfo=UTC)
    assert out.column("ended_at")[0].as_py() == datetime(2019, 5, 1, tzinfo=UTC)
    assert out.column("first_message_at")[0].as_py() == at, "undeclared: left exact"
    declared = coarsen_role_dates(table, ["first_message_at"])
    assert declared.column("first_message_at")[0].as_py() == datetime(2019, 4, 1, tzinfo=UTC)


def test_units_of_fewer_than_k_role_holders_are_merged() -> None:
    roles = pa.table(
        {
            "person_id": [f"p{i}" for i in range(7)],
            "role": ["maintainer"] * 7,
            "unit": ["EFI", "ARM", "ARM", "ARM", "ARM", "ARM", "ARGO"],
        }
    )
    rare = rare_units(roles, K)
    assert rare == {"EFI", "ARGO"}
    shown = merge_rare_roles(pa.table({"unit": ["EFI", "ARM", "ARGO"]}), set(), rare)
    assert shown.column("unit").to_pylist() == [OTHER_UNIT, "ARM", OTHER_UNIT]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 people carry most of it", "fewer than 5 people carry most of it"),
        ("2 of 624 repliers give 78%", "fewer than 5 of 624 repliers give 78%"),
        (
            "stewardship (from 2021-04-26, 2 active/week)",
            "stewardship (from 2021-04-26, fewer than 5 active/week)",
        ),
        ("1 newcomer left", "fewer than 5 newcomer left"),
        ("12 people and 4 threads", "12 people and 4 threads"),
        ("the next 4 most-replied people", "the next 4 most-replied people"),
        ("0 people", "0 people"),
        ("In 2 of 24 quarters", "In 2 of 24 quarters"),
    ],
)
def test_counts_of_few_people_leave_finding_text(text: str, expected: str) -> None:
    assert coarsen_text_counts(text, K) == expected


def test_findings_are_coarsened_in_every_text_field() -> None:
    finding = Finding(
        theme="emotion_work",
        kind="emotion_work_concentrated",
        title="2 people carry the support",
        statement="3 of 50 repliers give 80%.",
        severity="moderate",
        n=50,
        effect=1.0,
        confidence=0.9,
        evidence=(),
        caveat="Only 4 members were active.",
        null_model="against 1 carers at random",
    )
    (shown,) = coarsen_findings([finding], K)
    assert "fewer than 5 people" in shown.title
    assert shown.statement.startswith("fewer than 5 of 50 repliers")
    assert shown.caveat == "Only fewer than 5 members were active."
    assert shown.null_model == "against fewer than 5 carers at random"


def test_a_written_analysis_passes_the_small_cell_audit(tmp_path: Path) -> None:
    from undertow.diagnosis import analyze
    from undertow.diagnosis.audit import small_cell_audit
    from undertow.testing import tiny_trace

    trace = tiny_trace()
    analyze(trace, tmp_path / "out", progress=False)
    assert small_cell_audit(tmp_path / "out", K, trace.arrow("roles")) == []
