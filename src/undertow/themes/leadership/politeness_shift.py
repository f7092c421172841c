"""Politeness shift on appointment: politeness before vs after gaining a role."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.leaders import appointments
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import MetricSkipped, metric

__all__ = ["politeness_shift"]

COLUMNS = (
    "person_id",
    "appointed_at",
    "politeness_before",
    "politeness_after",
    "change",
    "change_lo",
    "change_hi",
    "n",
    "n_people",
)

#: Messages needed on each side of the appointment for a person to count.
MIN_MESSAGES = 5


@metric(
    seeded=True,
    theme="leadership",
    columns=COLUMNS,
    source="Danescu-Niculescu-Mizil et al. 2013, 'A computational approach to politeness'",
    requires=("messages", "roles.valid_from"),
    observes=("appointments",),
)
def politeness_shift(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Mean politeness of a person's messages before vs after their first appointment.

    Per appointed person with at least five messages on each side, and a pooled row
    (``person_id`` null) with the mean change across them and a CI resampling people.
    Scores come from :func:`undertow.features.politeness.message_politeness`; the
    metric is skipped when that feature is not available.

    Returns
    -------
    pyarrow.Table
        ``person_id, appointed_at, politeness_before, politeness_after, change,
        change_lo, change_hi, n`` (messages), ``n_people`` (pooled people; null on person rows).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> politeness_shift(tiny_trace()).num_rows  # too few messages around the appointment
    0
    """
    try:
        from undertow.features.politeness import message_politeness
    except ImportError as exc:  # the language feature is optional for this metric
        raise MetricSkipped("politeness scores are not available") from exc
    timestamp = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [pa.field("person_id", pa.string()), pa.field("appointed_at", timestamp)]
        + [pa.field(c, pa.float64()) for c in COLUMNS[2:7]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    arrays = message_arrays(trace)
    table = appointments(trace)
    if arrays.n == 0 or table.num_rows == 0:
        return schema.empty_table()
    from undertow.themes.emotion_work.episodes import trace_rows

    # The scores are in trace order: one shared look-up puts them in thread order.
    scores = message_politeness(trace)
    politeness = scores.column("politeness").to_numpy().astype(np.float64)[trace_rows(trace)]
    code = pc.index_in(table.column("person_id"), value_set=arrays.people)
    appointed_code = np.asarray(code.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    at = table.column("appointed_at").cast(pa.int64()).to_numpy()
    when = np.full(arrays.n_people, np.iinfo(np.int64).max, dtype=np.int64)
    valid = appointed_code >= 0
    when[appointed_code[valid]] = at[valid]
    appointed = when[arrays.author] < np.iinfo(np.int64).max
    after = appointed & (arrays.created >= when[arrays.author])
    before = appointed & ~after
    finite = np.isfinite(politeness)
    n_before = np.bincount(arrays.author[before & finite], minlength=arrays.n_people)
    n_after = np.bincount(arrays.author[after & finite], minlength=arrays.n_people)
    sum_before = np.bincount(
        arrays.author[before & finite],
        weights=politeness[before & finite],
        minlength=arrays.n_people,
    )
    sum_after = np.bincount(
        arrays.author[after & finite], weights=politeness[after & finite], minlength=arrays.n_people
    )
    people = np.flatnonzero((n_before >= MIN_MESSAGES) & (n_after >= MIN_MESSAGES))
    if people.size == 0:
        return schema.empty_table()
    mean_before = sum_before[people] / n_before[people]
    mean_after = sum_after[people] / n_after[people]
    change = mean_after - mean_before
    pooled, lo, hi = bootstrap_ratio_ci(change, np.ones(people.size), seed=seed)
    rows = [
        {
            "person_id": arrays.people[int(p)].as_py(),
            "appointed_at": int(when[p]),
            "politeness_before": float(mean_before[i]),
            "politeness_after": float(mean_after[i]),
            "change": float(change[i]),
            "change_lo": None,
            "change_hi": None,
            "n": int(n_before[p] + n_after[p]),
            # Person rows are not group rows: no small-cell count.
            "n_people": None,
        }
        for i, p in enumerate(people)
    ]
    rows.append(
        {
            "person_id": None,
            "appointed_at": None,
            "politeness_before": float(mean_before.mean()),
            "politeness_after": float(mean_after.mean()),
            "change": pooled,
            "change_lo": lo,
            "change_hi": hi,
            "n": int((n_before[people] + n_after[people]).sum()),
            "n_people": int(people.size),
        }
    )
    return pa.table(
        {
            "person_id": pa.array([r["person_id"] for r in rows], pa.string()),
            "appointed_at": pa.array([r["appointed_at"] for r in rows], pa.int64()).cast(timestamp),
            **{c: pa.array([r[c] for r in rows], pa.float64()) for c in COLUMNS[2:7]},
            "n": pa.array([r["n"] for r in rows], pa.int64()),
            "n_people": pa.array([r["n_people"] for r in rows], pa.int64()),
        },
        schema=schema,
    )
