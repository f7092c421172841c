"""Core and periphery over time, and each person's trajectory through them (Wenger 1998)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.core import core_membership, core_periphery_test
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, PeopleCount, metric

__all__ = [
    "LONG_TENURE_WINDOWS",
    "N_NULL",
    "TRAJECTORIES",
    "core_periphery",
    "trajectories",
    "trajectory_summary",
]

#: Configuration-model rewirings per window for the significance test.
N_NULL = 19

#: A person active across this many quarters (first to last) has a long tenure.
LONG_TENURE_WINDOWS = 4

#: Wenger's (1998) trajectories, as operationalised in :func:`trajectories`.
TRAJECTORIES = ("peripheral", "inbound", "insider", "boundary", "outbound")

_DAY_US = 86_400 * 1_000_000

CORE_PERIPHERY_COLUMNS = (
    "period",
    "n",
    "n_edges",
    "n_core",
    "max_coreness",
    "fit",
    "null_mean",
    "null_sd",
    "z",
    "p_value",
    "n_null",
)


@metric(
    seeded=True,
    theme="novices_masters",
    columns=CORE_PERIPHERY_COLUMNS,
    source="Borgatti & Everett 2000; Boyd, Fitzgerald & Beck 2006 (MINRES); k-core",
    chart=Chart(kind="line", x="period", y="fit", title="Core/periphery fit per quarter"),
    people=("n_core", PeopleCount("n", covers=("n_edges", "max_coreness", "fit", "z"))),
)
def core_periphery(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Per quarter: the size of the core, its fit, and whether it beats a configuration model.

    The core is the Borgatti–Everett best split of people ordered by their MINRES core
    score (:func:`undertow.features.core.core_membership`); ``fit`` is its correlation
    with the ideal core/periphery pattern, compared with ``N_NULL`` degree-preserving
    rewirings (``z``, one-sided ``p_value``). ``n`` = people active in the quarter.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> row = core_periphery(tiny_trace()).to_pylist()[0]
    >>> row["n"], row["max_coreness"]
    (5, 1)
    """
    test = core_periphery_test(trace, window="quarter", n_null=N_NULL, seed=seed)
    core = core_membership(trace, window="quarter")
    if test.num_rows == 0:
        fields = [pa.field("max_coreness", pa.int32())]
        schema = pa.schema([*test.schema][:4] + fields + [*test.schema][4:])
        return schema.empty_table()
    by_period = core.group_by("period").aggregate([("coreness", "max")])
    index = pc.index_in(test.column("period"), value_set=by_period.column("period"))
    max_coreness = by_period.column("coreness_max").take(index)
    return test.add_column(4, "max_coreness", max_coreness.cast(pa.int32()))


TRAJECTORY_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("trajectory", pa.string()),
        pa.field("first_period", TIMESTAMP),
        pa.field("last_period", TIMESTAMP),
        pa.field("n_windows", pa.int64()),
        pa.field("n_core_windows", pa.int64()),
        pa.field("first_core_period", TIMESTAMP),
        pa.field("days_to_core", pa.float64()),
        pa.field("long_tenured_peripheral", pa.bool_()),
        pa.field("n", pa.int64()),
    ]
)


def _spaces_per_person(trace: Trace, people: pa.Array) -> np.ndarray:
    messages = trace.arrow("messages")
    spaces = messages.group_by("author_id").aggregate([("space_id", "count_distinct")])
    index = pc.index_in(people, value_set=spaces.column("author_id"))
    counts = spaces.column("space_id_count_distinct").take(index).fill_null(0)
    return np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)


@metric(
    theme="novices_masters",
    columns=TRAJECTORY_SCHEMA.names,
    source="Wenger 1998 (trajectories of participation); Lave & Wenger 1991",
    chart=None,
)
def trajectories(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Each person's path through core and periphery across quarters.

    From the person's active quarters (:func:`~undertow.features.core.core_membership`):

    - ``insider``: core in the first active quarter and in the last;
    - ``inbound``: not core at first, core in the last active quarter;
    - ``outbound``: core at some point but not in the last active quarter, or core in
      the last active quarter and then silent for two or more quarters before the
      trace ends (moving out);
    - ``boundary``: never core, active in two or more spaces (linking communities);
    - ``peripheral``: never core, in one space.

    ``days_to_core`` runs from the first active quarter to the first core quarter;
    ``long_tenured_peripheral`` marks people never core whose first and last active
    quarters span at least ``LONG_TENURE_WINDOWS`` (4) quarters. ``n`` = active quarters.
    ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = trajectories(tiny_trace()).to_pylist()
    >>> [(r["person_id"], r["trajectory"]) for r in rows][:2]
    [('asker', 'peripheral'), ('dev', 'peripheral')]
    """
    core = core_membership(trace, window="quarter")
    if core.num_rows == 0:
        return TRAJECTORY_SCHEMA.empty_table()
    people, person = np.unique(
        np.asarray(core.column("person_id").to_pylist(), dtype=object), return_inverse=True
    )
    periods_all = core.column("period").cast(pa.int64()).to_numpy(zero_copy_only=False)
    period_values, period = np.unique(periods_all, return_inverse=True)
    is_core = core.column("is_core").to_numpy(zero_copy_only=False).astype(bool)
    n_people = people.size
    big = np.iinfo(np.int64).max
    first = np.full(n_people, big, dtype=np.int64)
    last = np.full(n_people, -1, dtype=np.int64)
    np.minimum.at(first, person, period)
    np.maximum.at(last, person, period)
    n_windows = np.bincount(person, minlength=n_people)
    n_core = np.bincount(person, weights=is_core, minlength=n_people).astype(np.int64)
    first_core = np.full(n_people, big, dtype=np.int64)
    np.minimum.at(first_core, person[is_core], period[is_core])
    last_core = np.full(n_people, -1, dtype=np.int64)
    np.maximum.at(last_core, person[is_core], period[is_core])
    core_at_first = first_core == first
    core_at_last = last_core == last
    ever_core = n_core > 0
    final = period_values.size - 1
    left_while_core = core_at_last & (final - last >= 2)
    spaces = _spaces_per_person(trace, pa.array(people.tolist(), pa.string()))
    trajectory = np.where(
        ~ever_core,
        np.where(spaces >= 2, "boundary", "peripheral"),
        np.where(
            ~core_at_last | left_while_core,
            "outbound",
            np.where(core_at_first, "insider", "inbound"),
        ),
    )
    has_core = first_core != big
    first_core_us = np.where(has_core, period_values[np.minimum(first_core, final)], 0)
    days = np.where(has_core, (first_core_us - period_values[first]) / _DAY_US, np.nan)
    long_tenure = ~ever_core & (last - first + 1 >= LONG_TENURE_WINDOWS)
    first_core_ts = pa.array(first_core_us, pa.int64(), mask=~has_core).cast(TIMESTAMP)
    return pa.table(
        {
            "person_id": pa.array(people.tolist(), pa.string()),
            "trajectory": pa.array(trajectory.tolist(), pa.string()),
            "first_period": pa.array(period_values[first]).cast(TIMESTAMP),
            "last_period": pa.array(period_values[last]).cast(TIMESTAMP),
            "n_windows": pa.array(n_windows, pa.int64()),
            "n_core_windows": pa.array(n_core, pa.int64()),
            "first_core_period": first_core_ts,
            "days_to_core": pa.array(days, pa.float64(), mask=np.isnan(days)),
            "long_tenured_peripheral": pa.array(long_tenure, pa.bool_()),
            "n": pa.array(n_windows, pa.int64()),
        },
        schema=TRAJECTORY_SCHEMA,
    )


SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("trajectory", pa.string()),
        pa.field("share", pa.float64()),
        pa.field("share_lo", pa.float64()),
        pa.field("share_hi", pa.float64()),
        pa.field("median_days_to_core", pa.float64()),
        pa.field("n_long_tenured_peripheral", pa.int64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    seeded=True,
    theme="novices_masters",
    columns=SUMMARY_SCHEMA.names,
    source="Wenger 1998 (trajectories of participation)",
    chart=Chart(
        kind="bar",
        x="trajectory",
        y="share",
        lo="share_lo",
        hi="share_hi",
        title="Trajectories of participation",
    ),
)
def trajectory_summary(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of people on each trajectory (bootstrap CI over people), and time to core.

    ``n`` = all people with a trajectory; ``n_people`` = people on this trajectory.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = trajectory_summary(tiny_trace()).to_pylist()
    >>> [(r["trajectory"], r["n_people"]) for r in rows if r["n_people"]]
    [('peripheral', 5)]
    """
    table = trajectories(trace)
    if table.num_rows == 0:
        return SUMMARY_SCHEMA.empty_table()
    labels = np.asarray(table.column("trajectory").to_pylist(), dtype=object)
    codes = np.asarray([TRAJECTORIES.index(label) for label in labels.tolist()])
    counts = np.bincount(codes, minlength=len(TRAJECTORIES)).astype(float)
    total = labels.size
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, counts / total, size=500) / total
    low = np.percentile(draws, 2.5, axis=0)
    high = np.percentile(draws, 97.5, axis=0)
    days = table.column("days_to_core").to_numpy(zero_copy_only=False)
    long_tenure = table.column("long_tenured_peripheral").to_numpy(zero_copy_only=False)
    rows = []
    for index, name in enumerate(TRAJECTORIES):
        mask = codes == index
        reached = days[mask & np.isfinite(days)]
        rows.append(
            {
                "trajectory": name,
                "share": counts[index] / total,
                "share_lo": float(low[index]),
                "share_hi": float(high[index]),
                "median_days_to_core": float(np.median(reached)) if reached.size else None,
                "n_long_tenured_peripheral": int(long_tenure[mask].sum()),
                "n_people": int(counts[index]),
                "n": int(total),
            }
        )
    return pa.Table.from_pylist(rows, schema=SUMMARY_SCHEMA)
