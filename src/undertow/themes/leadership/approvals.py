"""Who actually approves: share of acks and reviews given by holders of each formal unit's roles."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["approval_share_by_unit"]

#: Message kinds that approve or evaluate someone else's contribution.
APPROVAL_KINDS = ("ack", "review")

COLUMNS = ("period", "unit", "approval_share", "n", "n_people")

ANY_ROLE = "(any formal role)"
NO_ROLE = "(no formal role)"


@metric(
    theme="leadership",
    columns=COLUMNS,
    source="Formal vs actual gatekeeping (who acks and reviews), per year",
    requires=("messages", "roles.unit"),
    chart=Chart(
        kind="line", x="period", y="approval_share", group="unit", title="Share of approvals"
    ),
)
def approval_share_by_unit(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Per year, the share of approvals (acks, reviews) given by holders of each unit's roles.

    An approval counts for a unit when its author held a role (rank > 0) in that unit
    at the time; one person can count for several units, so shares across units can
    sum to more than 1. Rows ``(any formal role)`` and ``(no formal role)`` split the
    approvals by whether the author held any rank > 0 role then.

    Returns
    -------
    pyarrow.Table
        ``period`` (year start, UTC), ``unit``, ``approval_share``, ``n`` (approvals
        that year), ``n_people`` (distinct approvers counted in the row).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> approval_share_by_unit(tiny_trace()).num_rows  # no acks or reviews
    0
    """
    timestamp = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [
            pa.field("period", timestamp),
            pa.field("unit", pa.string()),
            pa.field("approval_share", pa.float64()),
            pa.field("n", pa.int64()),
            pa.field("n_people", pa.int64()),
        ]
    )
    arrays = message_arrays(trace)
    is_approval = np.asarray(
        pc.is_in(arrays.kind, value_set=pa.array(APPROVAL_KINDS)).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    rows = np.flatnonzero(is_approval)
    if rows.size == 0:
        return schema.empty_table()
    author = arrays.author[rows]
    created = arrays.created[rows]
    year = pc.floor_temporal(pa.array(created, pa.int64()).cast(timestamp), unit="year").cast(
        pa.int64()
    )
    period = np.asarray(year.to_numpy(zero_copy_only=False), dtype=np.int64)
    roles = trace.arrow("roles")
    roles = roles.filter(
        pc.and_(pc.greater(roles.column("rank"), 0), pc.is_valid(roles.column("unit")))
    )
    holder = np.asarray(
        pc.index_in(roles.column("person_id"), value_set=arrays.people)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    units, unit_code = np.unique(
        np.asarray(roles.column("unit").to_numpy(zero_copy_only=False), dtype=object),
        return_inverse=True,
    )
    low = np.iinfo(np.int64).min
    high = np.iinfo(np.int64).max
    start = roles.column("valid_from").cast(pa.int64()).fill_null(low).to_numpy()
    end = roles.column("valid_to").cast(pa.int64()).fill_null(high).to_numpy()
    # Approvals sorted by author: each role row scans only its holder's approvals.
    order = np.argsort(author, kind="stable")
    sorted_author = author[order]
    pairs_approval: list[np.ndarray] = []
    pairs_unit: list[np.ndarray] = []
    for r in np.flatnonzero(holder >= 0):  # one step per role row, not per message
        lo = np.searchsorted(sorted_author, holder[r], side="left")
        hi = np.searchsorted(sorted_author, holder[r], side="right")
        mine = order[lo:hi]
        held = mine[(created[mine] >= start[r]) & (created[mine] < end[r])]
        pairs_approval.append(held)
        pairs_unit.append(np.full(held.size, unit_code[r], dtype=np.int64))
    approval = np.concatenate(pairs_approval) if pairs_approval else np.zeros(0, np.int64)
    unit = np.concatenate(pairs_unit) if pairs_unit else np.zeros(0, np.int64)
    n_units = units.size
    key = np.unique(approval * (n_units + 1) + unit)
    approval, unit = key // (n_units + 1), key % (n_units + 1)
    formal = np.zeros(rows.size, dtype=bool)
    formal[approval] = True
    # Add the two status rows as extra "units".
    labels = [*units.tolist(), ANY_ROLE, NO_ROLE]
    approval = np.concatenate([approval, np.flatnonzero(formal), np.flatnonzero(~formal)])
    unit = np.concatenate(
        [
            unit,
            np.full(int(formal.sum()), n_units),
            np.full(int((~formal).sum()), n_units + 1),
        ]
    )
    periods, period_code = np.unique(period, return_inverse=True)
    per_period = np.bincount(period_code, minlength=periods.size)
    cell = period_code[approval] * len(labels) + unit
    counts = np.bincount(cell, minlength=periods.size * len(labels))
    people_cells = np.unique(cell * (arrays.n_people + 1) + author[approval])
    people = np.bincount(people_cells // (arrays.n_people + 1), minlength=counts.size)
    present = np.flatnonzero(counts > 0)
    return pa.table(
        {
            "period": pa.array(periods[present // len(labels)], pa.int64()).cast(timestamp),
            "unit": pa.array([labels[i] for i in present % len(labels)], pa.string()),
            "approval_share": pa.array(
                counts[present] / per_period[present // len(labels)], pa.float64()
            ),
            "n": pa.array(per_period[present // len(labels)], pa.int64()),
            "n_people": pa.array(people[present], pa.int64()),
        },
        schema=schema,
    )
