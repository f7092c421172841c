"""Who teaches: the share of replies to newcomers' first messages given by core and periphery."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.newcomers import first_messages
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.novices_masters.gatekeeping import is_core_at
from undertow.themes.registry import Chart, RowSum, metric

__all__ = ["who_teaches"]

WHO_TEACHES_SCHEMA = pa.schema(
    [
        pa.field("group", pa.string()),
        pa.field("share", pa.float64()),
        pa.field("share_lo", pa.float64()),
        pa.field("share_hi", pa.float64()),
        pa.field("n_replies", pa.int64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    seeded=True,
    theme="novices_masters",
    columns=WHO_TEACHES_SCHEMA.names,
    source="Lave & Wenger 1991 (legitimate peripheral participation)",
    chart=Chart(
        kind="bar",
        x="group",
        y="share",
        lo="share_lo",
        hi="share_hi",
        title="Who answers newcomers' first messages",
    ),
    sums=(
        RowSum("group", labels=("core", "periphery")),
        RowSum("group", labels=("formal", "no_formal_role")),
    ),
)
def who_teaches(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of the replies to newcomers' first messages given by each kind of member.

    Every direct reply (``parent_id``) by someone else to a person's first message
    counts; the replier is ``core`` or ``periphery`` by core membership in the reply's
    quarter, and ``formal`` or ``no_formal_role`` by their role at the time. Shares
    with 95% CIs bootstrapping newcomers (500 replicates, seeded); ``n`` = newcomers
    whose first message got a reply, ``n_people`` = distinct repliers in the group.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = who_teaches(tiny_trace()).to_pylist()
    >>> [(r["group"], r["share"]) for r in rows]
    [('core', 0.0), ('periphery', 1.0), ('formal', 0.75), ('no_formal_role', 0.25)]
    """
    arrays = message_arrays(trace)
    firsts = first_messages(trace)
    if arrays.n == 0 or firsts.num_rows == 0:
        return WHO_TEACHES_SCHEMA.empty_table()
    is_first = pc.is_in(arrays.message_id, value_set=firsts.column("message_id"))
    first_row = np.flatnonzero(is_first.to_numpy(zero_copy_only=False))
    parent = arrays.parent
    reply = (parent >= 0) & (arrays.parent_author != arrays.author)
    to_first = np.zeros(arrays.n, dtype=bool)
    to_first[reply] = np.isin(parent[reply], first_row)
    rows = np.flatnonzero(to_first)
    if rows.size == 0:
        return WHO_TEACHES_SCHEMA.empty_table()
    newcomers, cluster = np.unique(parent[rows], return_inverse=True)
    per_newcomer = np.bincount(cluster, minlength=newcomers.size).astype(float)
    core = is_core_at(trace, arrays)[rows]
    formal = arrays.formal_rank[rows] > 0
    result = []
    for name, mask in (
        ("core", core),
        ("periphery", ~core),
        ("formal", formal),
        ("no_formal_role", ~formal),
    ):
        hits = np.bincount(cluster, weights=mask.astype(float), minlength=newcomers.size)
        share, low, high = bootstrap_ratio_ci(hits, per_newcomer, seed=seed)
        result.append(
            {
                "group": name,
                "share": share,
                "share_lo": low,
                "share_hi": high,
                "n_replies": int(mask.sum()),
                "n_people": int(np.unique(arrays.author[rows][mask]).size),
                "n": int(newcomers.size),
            }
        )
    return pa.Table.from_pylist(result, schema=WHO_TEACHES_SCHEMA)
