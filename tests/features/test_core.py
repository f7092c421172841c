"""Tests for k-core, continuous core score, core membership and the configuration-model test."""

from __future__ import annotations

import numpy as np

from undertow.features.core import (
    CORE_SCHEMA,
    core_fit,
    core_membership,
    core_periphery_test,
    core_scores,
    graph_core_periphery_test,
)
from undertow.features.graph import reply_edges, window_start
from undertow.model.trace import Trace
from undertow.testing import make_trace


def _planted(n_core: int = 8, n_periphery: int = 40, seed: int = 1) -> Trace:
    """A complete core; each periphery member replies once to one core member."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    hour = 0
    for i in range(n_core):
        rows.append({"message_id": f"c{i}", "author_id": f"core{i}", "created_at": hour})
        hour += 1
    for i in range(n_core):
        for j in range(n_core):
            if i != j:
                rows.append(
                    {
                        "message_id": f"c{i}-{j}",
                        "author_id": f"core{j}",
                        "parent_id": f"c{i}",
                        "created_at": hour,
                    }
                )
                hour += 1
    for p in range(n_periphery):
        target = int(rng.integers(n_core))
        rows.append(
            {
                "message_id": f"p{p}",
                "author_id": f"per{p:02d}",
                "parent_id": f"c{target}",
                "created_at": hour,
            }
        )
        hour += 1
    return make_trace(rows)


def test_planted_core_is_recovered() -> None:
    table = core_membership(_planted(), window=None)
    assert table.schema == CORE_SCHEMA
    rows = {r["person_id"]: r for r in table.to_pylist()}
    core = {p for p, r in rows.items() if r["is_core"]}
    assert core == {f"core{i}" for i in range(8)}
    assert all(rows[f"core{i}"]["coreness"] == 7 for i in range(8))
    assert all(rows[f"per{p:02d}"]["coreness"] == 1 for p in range(40))
    lowest_core = min(rows[f"core{i}"]["core_score"] for i in range(8))
    highest_periphery = max(rows[f"per{p:02d}"]["core_score"] for p in range(40))
    assert lowest_core > 2 * highest_periphery


def _block_graph(seed: int) -> tuple[int, np.ndarray, np.ndarray]:
    """15 core people (p=0.6), 150 periphery (p=0.05 to the core, 0.01 among them)."""
    rng = np.random.default_rng(seed)
    n_core, n = 15, 165
    i, j = np.triu_indices(n, k=1)
    both_core = (i < n_core) & (j < n_core)
    mixed = (i < n_core) & (j >= n_core)
    p = np.where(both_core, 0.6, np.where(mixed, 0.05, 0.01))
    tied = rng.random(i.size) < p
    return n, i[tied], j[tied]


def test_planted_core_beats_configuration_model() -> None:
    n, low, high = _block_graph(seed=2)
    observed, null = graph_core_periphery_test(n, low, high, n_null=19, seed=3)
    assert observed.is_core[:15].mean() > 0.8
    assert observed.is_core[15:].mean() < 0.05
    assert observed.fit > null.max()


def test_saturated_core_is_explained_by_degrees() -> None:
    # A complete core with degree-1 periphery is the only simple graph with its degree
    # sequence, so the configuration model reproduces it: p = 1, by design.
    row = core_periphery_test(_planted(), window=None, n_null=9, seed=3).to_pylist()[0]
    assert row["n"] == 48 and row["n_core"] == 8 and row["n_null"] == 9
    assert row["fit"] == row["null_mean"] == 1.0
    assert row["p_value"] == 1.0


def test_random_graph_has_no_significant_core() -> None:
    rng = np.random.default_rng(7)
    n = 60
    pairs = rng.integers(0, n, size=(150, 2))
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    keep = low != high
    codes = np.unique(low[keep] * n + high[keep])
    low, high = codes // n, codes % n
    observed, null = graph_core_periphery_test(n, low, high, n_null=39, seed=0)
    p_value = (1 + np.sum(null >= observed.fit)) / 40
    assert p_value > 0.05


def test_seeded_test_is_deterministic() -> None:
    n, low, high = _block_graph(seed=4)
    _, first = graph_core_periphery_test(n, low, high, n_null=5, seed=5)
    _, second = graph_core_periphery_test(n, low, high, n_null=5, seed=5)
    _, other = graph_core_periphery_test(n, low, high, n_null=5, seed=6)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_windows_split_people_by_quarter() -> None:
    trace = make_trace(
        [
            {"message_id": "a", "author_id": "x", "created_at": "2020-01-02"},
            {"message_id": "b", "author_id": "y", "parent_id": "a", "created_at": "2020-01-03"},
            {"message_id": "c", "author_id": "z", "created_at": "2020-05-01"},
        ]
    )
    table = core_membership(trace)
    periods = [p.month for p in table["period"].to_pylist()]
    assert periods == [1, 1, 4]
    assert table["person_id"].to_pylist() == ["x", "y", "z"]
    assert table["coreness"].to_pylist() == [1, 1, 0]


def test_scores_without_edges_and_fit_on_tiny_graphs() -> None:
    assert core_scores(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [
        0.0,
        0.0,
        0.0,
    ]
    fit = core_fit(2, np.array([0]), np.array([1]), np.array([1.0, 1.0]))
    assert not fit.is_core.any() and np.isnan(fit.fit)
    assert core_membership(make_trace([])).num_rows == 0


def test_active_people_use_the_engine_windows() -> None:
    """Authors are windowed in Arrow, edges in the engine: the windows must agree."""
    stamps = ["2020-03-29T23:30:00", "2020-03-30T00:10:00", "2020-12-31T23:59:59", "2021-01-01"]
    rows: list[dict[str, object]] = [
        {"message_id": f"m{i}", "author_id": f"p{i % 3}", "created_at": stamp}
        for i, stamp in enumerate(stamps)
    ]
    rows.append({"message_id": "r", "author_id": "p9", "parent_id": "m0", "created_at": stamps[1]})
    trace = make_trace(rows)
    for window in ("week", "month", "quarter", "year"):
        messages = trace.table("messages")
        expected = (
            messages.select(
                period=window_start(messages.created_at, window), person_id=messages.author_id
            )
            .distinct()
            .to_pyarrow()
        )
        want = {
            (p.replace(tzinfo=None), person)
            for p, person in zip(
                expected["period"].to_pylist(), expected["person_id"].to_pylist(), strict=True
            )
        }
        table = core_membership(trace, window=window)
        got = {
            (p.replace(tzinfo=None), person)
            for p, person in zip(
                table["period"].to_pylist(), table["person_id"].to_pylist(), strict=True
            )
        }
        edges = reply_edges(trace, window=window)
        for column in ("source_id", "target_id"):
            want |= {
                (p.replace(tzinfo=None), person)
                for p, person in zip(
                    edges["period"].to_pylist(), edges[column].to_pylist(), strict=True
                )
            }
        assert got == want, window
