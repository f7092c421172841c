"""Small-cell suppression, secondary suppression and rare-role merging."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from undertow.diagnosis.pipeline import publish_table
from undertow.diagnosis.privacy import (
    OTHER_ROLE,
    merge_rare_roles,
    rare_roles,
    suppress_small_cells,
)


def test_tables_without_group_rows_are_untouched() -> None:
    table = pa.table({"person_id": ["p1"], "n": [3]})
    assert suppress_small_cells(table, 5) is table


def test_secondary_suppression_is_per_period() -> None:
    jan, feb = datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC)
    table = pa.table(
        {
            "period": [jan, jan, jan, feb, feb],
            "group": ["a", "b", "c", "a", "b"],
            "n_people": [3, 8, 20, 9, 10],
            "rate": [0.1, 0.2, 0.3, 0.4, 0.5],
        }
    )
    out = suppress_small_cells(table, 5)
    assert out.column("suppressed").to_pylist() == [True, True, False, False, False]
    assert out.column("rate").to_pylist() == [None, None, 0.3, 0.4, 0.5]
    # Labels stay so the reader sees which cell is hidden.
    assert out.column("group").to_pylist() == ["a", "b", "c", "a", "b"]


def test_two_primary_cells_need_no_complement() -> None:
    table = pa.table({"group": ["a", "b", "c"], "n_people": [2, 3, 50], "x": [1.0, 2.0, 3.0]})
    assert suppress_small_cells(table, 5).column("suppressed").to_pylist() == [True, True, False]


def test_one_primary_cell_alone_cannot_be_complemented() -> None:
    table = pa.table({"group": ["a"], "n_people": [2], "x": [1.0]})
    assert suppress_small_cells(table, 5).column("x").to_pylist() == [None]


def test_rare_roles_are_merged() -> None:
    roles = pa.table(
        {
            "person_id": ["p1", "p2", "p2", "p3", "p4", "p5", "p6"],
            "role": ["treasurer", "member", "member", "member", "member", "member", "chair"],
        }
    )
    rare = rare_roles(roles, 4)  # member: 4 people
    assert rare == {"treasurer", "chair"}
    shown = merge_rare_roles(
        pa.table({"person_id": ["p1", "p2"], "role": ["treasurer", "member"]}), rare
    )
    assert shown.column("role").to_pylist() == [OTHER_ROLE, "member"]


def test_publish_sorts_rows_so_engine_order_does_not_matter() -> None:
    a = pa.table({"g": ["b", "a", "c"], "n": [1, 2, 3]})
    b = pa.table({"g": ["c", "b", "a"], "n": [3, 1, 2]})
    assert publish_table(a, k=5).equals(publish_table(b, k=5))


def test_secondary_suppression_is_per_dimension() -> None:
    table = pa.table(
        {
            "dimension": ["all", "formal", "formal", "tenure", "tenure", "tenure"],
            "group": ["all", "leader", "none", "new", "mid", "old"],
            "n_people": [100, 3, 97, 40, 30, 30],
            "rate": [0.5, 0.9, 0.4, 0.6, 0.5, 0.4],
        }
    )
    out = suppress_small_cells(table, 5)
    # "all" minus "formal:none" would reveal "formal:leader": both are hidden; the
    # other dimensions are untouched.
    assert out.column("suppressed").to_pylist() == [False, True, True, False, False, False]
