"""Concentration of voice: Gini, top shares, onion core, bus and elephant factors, Lorenz curve."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.inequality import (
    gini_ci,
    lorenz,
    smallest_share_set,
    smallest_share_set_ci,
)
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, MetricSkipped, PeopleCount, metric

__all__ = ["concentration", "elephant_factor", "lorenz_curve"]

CONCENTRATION_COLUMNS = (
    "gini",
    "gini_lo",
    "gini_hi",
    "top1_share",
    "top10pct_share",
    "onion_core_size",
    "onion_core_size_lo",
    "onion_core_size_hi",
    "onion_core_share",
    "bus_factor",
    "n",
)


def messages_per_person(trace: Trace) -> np.ndarray:
    """Messages per author, sorted descending.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> messages_per_person(tiny_trace()).tolist()
    [3.0, 2.0, 2.0, 1.0, 1.0]
    """
    arrays = message_arrays(trace)
    counts = np.bincount(arrays.author, minlength=arrays.n_people).astype(np.float64)
    return np.sort(counts)[::-1]


@metric(
    seeded=True,
    theme="dominance",
    columns=CONCENTRATION_COLUMNS,
    source="Gini (standard mean-absolute-difference form); onion core (GrimoireLab); "
    "bus factor (CHAOSS)",
    people=(
        PeopleCount(
            "onion_core_size",
            covers=("onion_core_size_lo", "onion_core_size_hi", "onion_core_share"),
        ),
        "bus_factor",
    ),
)
def concentration(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How concentrated the voice is: Gini, top shares, onion core and bus factor.

    One row. The Gini is over messages per person (people who wrote at least one
    message) with a bootstrap CI resampling people; ``top1_share`` is the most active
    person's share of messages, ``top10pct_share`` the share of the most active 10 %
    (at least one person); the onion core is the smallest set of people writing 80 %
    of the messages (with CI), the bus factor the smallest writing 50 %.

    Returns
    -------
    pyarrow.Table
        ``gini, gini_lo, gini_hi, top1_share, top10pct_share, onion_core_size,
        onion_core_size_lo, onion_core_size_hi, onion_core_share, bus_factor, n``
        (``n`` = people).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> row = concentration(tiny_trace()).to_pylist()[0]
    >>> row["n"], row["onion_core_size"], row["bus_factor"]
    (5, 4.0, 2)
    """
    counts = messages_per_person(trace)
    if counts.size == 0:
        return pa.table({c: pa.array([], pa.float64()) for c in CONCENTRATION_COLUMNS}).cast(
            _schema()
        )
    total = counts.sum()
    g, g_lo, g_hi = gini_ci(counts, seed=seed)
    core, core_lo, core_hi = smallest_share_set_ci(counts, 0.8, seed=seed)
    top10 = max(1, int(np.ceil(0.1 * counts.size)))
    row = {
        "gini": g,
        "gini_lo": g_lo,
        "gini_hi": g_hi,
        "top1_share": float(counts[0] / total),
        "top10pct_share": float(counts[:top10].sum() / total),
        "onion_core_size": core,
        "onion_core_size_lo": core_lo,
        "onion_core_size_hi": core_hi,
        "onion_core_share": core / counts.size,
        "bus_factor": smallest_share_set(counts, 0.5),
        "n": counts.size,
    }
    return pa.Table.from_pylist([row], schema=_schema())


def _schema() -> pa.Schema:
    fields = [pa.field(c, pa.float64()) for c in CONCENTRATION_COLUMNS]
    fields[CONCENTRATION_COLUMNS.index("bus_factor")] = pa.field("bus_factor", pa.int64())
    fields[CONCENTRATION_COLUMNS.index("n")] = pa.field("n", pa.int64())
    return pa.schema(fields)


@metric(
    theme="dominance",
    columns=("x", "y", "n"),
    source="Lorenz curve of messages per person",
    chart=Chart(kind="lorenz", x="x", y="y", title="Lorenz curve of messages per person"),
)
def lorenz_curve(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Lorenz curve of messages per person, at most 200 points (for the report).

    Returns
    -------
    pyarrow.Table
        ``x`` (cumulative share of people, least active first), ``y`` (cumulative
        share of messages), ``n`` (people).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> table = lorenz_curve(tiny_trace())
    >>> table["x"][0].as_py(), table["y"][-1].as_py()
    (0.0, 1.0)
    """
    counts = messages_per_person(trace)
    x, y = lorenz(counts)
    if x.size > 200:
        keep = np.unique(np.linspace(0, x.size - 1, 200).round().astype(np.int64))
        x, y = x[keep], y[keep]
    return pa.table(
        {
            "x": pa.array(x, pa.float64()),
            "y": pa.array(y, pa.float64()),
            "n": pa.array(np.full(x.size, counts.size), pa.int64()),
        }
    )


@metric(
    theme="dominance",
    columns=("elephant_factor", "n_units", "unit_share_top", "n"),
    source="Elephant factor (CHAOSS)",
    requires=("messages", "roles.unit"),
)
def elephant_factor(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Smallest number of formal units whose members wrote 50 % of the unit-attributed messages.

    A message is attributed to the unit its author held at the time; messages by
    people without a unit are left out (``n`` counts the attributed messages).

    Returns
    -------
    pyarrow.Table
        One row: ``elephant_factor, n_units, unit_share_top, n``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> elephant_factor(tiny_trace()).to_pylist()[0]["elephant_factor"]
    1
    """
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return pa.table(
            {
                "elephant_factor": pa.array([], pa.int64()),
                "n_units": pa.array([], pa.int64()),
                "unit_share_top": pa.array([], pa.float64()),
                "n": pa.array([], pa.int64()),
            }
        )
    units = arrays.formal_unit.drop_null()
    if len(units) == 0:
        raise MetricSkipped("no message was written by someone with a formal unit")
    counts = pc.value_counts(units).field("counts").to_numpy().astype(np.float64)
    counts = np.sort(counts)[::-1]
    return pa.table(
        {
            "elephant_factor": pa.array([smallest_share_set(counts, 0.5)], pa.int64()),
            "n_units": pa.array([counts.size], pa.int64()),
            "unit_share_top": pa.array([float(counts[0] / counts.sum())]),
            "n": pa.array([int(counts.sum())], pa.int64()),
        }
    )
