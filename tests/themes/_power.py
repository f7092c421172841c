"""Shared helpers for the power-structure theme tests: a results stand-in and the contract."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pandas import testing as pd_testing

from undertow.model.trace import Trace
from undertow.testing import make_trace
from undertow.themes.registry import REGISTRY, MetricSkipped


class FakeResults:
    """Computes registered metrics on demand, like the pipeline's results."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._tables: dict[str, pa.Table] = {}

    def get(self, name: str) -> pa.Table | None:
        if name not in self._tables:
            try:
                self._tables[name] = REGISTRY[name](self.trace, seed=0)
            except MetricSkipped:
                return None
        return self._tables.get(name)


def assert_same_rows(left: pa.Table, right: pa.Table) -> None:
    """Equal up to row order (NaN equals NaN)."""
    keys = [c for c in left.column_names if c != "n"]
    frames = [t.to_pandas().sort_values(keys).reset_index(drop=True) for t in (left, right)]
    pd_testing.assert_frame_equal(frames[0], frames[1])


def check_contract(name: str, trace: Trace) -> None:
    """Empty trace, declared columns, determinism under a seed, row order irrelevant."""
    spec = REGISTRY[name]
    empty = spec(make_trace([]), seed=0)
    assert empty.num_rows == 0
    assert set(spec.columns) <= set(empty.column_names)
    if spec.missing(trace) is not None:
        return
    before = {name: trace.arrow(name) for name in ("messages", "roles", "outcomes")}
    try:
        first = spec(trace, seed=5)
    except MetricSkipped:
        return
    assert all(trace.arrow(name).equals(table) for name, table in before.items())
    assert_same_rows(first, spec(trace, seed=5))
    shuffled = {
        name: table.take(pa.array(np.random.default_rng(0).permutation(table.num_rows)))
        for name in ("messages", "people", "roles", "outcomes", "spaces")
        if (table := trace.arrow(name)).num_rows
    }
    assert_same_rows(first, spec(Trace(shuffled), seed=5))


#: Metric modules owned by the power-structure work (other modules share the themes).
OTHER_MODULES = ("undertow.themes.dominance.coordination",)


def power_metrics(theme: str) -> list[str]:
    """Names of this work's registered metrics in ``theme``."""
    return sorted(
        name
        for name, spec in REGISTRY.items()
        if spec.theme == theme and spec.func.__module__ not in OTHER_MODULES
    )


class SuppressedResults(FakeResults):
    """Results as the pipeline hands them to rules: small cells (n_people < 5) nulled."""

    def get(self, name: str) -> pa.Table | None:
        from undertow.diagnosis.privacy import suppress_small_cells

        table = super().get(name)
        return None if table is None else suppress_small_cells(table, 5)
