"""Official vs emergent spaces: activity, participation inequality and tone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.affect import message_affect
from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.inequality import gini_ci
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import MetricSkipped, metric

__all__ = ["space_governance"]

COLUMNS = (
    "governance",
    "n_messages",
    "n_threads",
    "messages_per_person",
    "participation_gini",
    "participation_gini_lo",
    "participation_gini_hi",
    "mean_compound",
    "mean_compound_lo",
    "mean_compound_hi",
    "negative_share",
    "n",
    "n_people",
)


@metric(
    theme="formal_vs_emergent",
    columns=COLUMNS,
    source="Official vs emergent spaces (Brown & Duguid 1991; Wenger 1998)",
    requires=("messages", "spaces.governance"),
)
def space_governance(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Activity, participation Gini and tone in official vs emergent spaces.

    A message belongs to its space's governance (``official``/``emergent``; messages
    in ``unknown`` or unlisted spaces are left out). Tone is the VADER-compatible
    compound score of the message's own words
    (:func:`undertow.features.affect.message_affect`), with a CI resampling threads.
    Skipped unless both kinds of space carry messages.

    Returns
    -------
    pyarrow.Table
        One row per governance: ``n_messages, n_threads, messages_per_person,
        participation_gini`` (+ CI over people), ``mean_compound`` (+ CI),
        ``negative_share``, ``n`` (messages), ``n_people`` (authors).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> space_governance(tiny_trace()).num_rows  # no spaces: nothing to compare
    0
    """
    schema = pa.schema(
        [pa.field("governance", pa.string()), pa.field("n_messages", pa.int64())]
        + [pa.field("n_threads", pa.int64())]
        + [pa.field(c, pa.float64()) for c in COLUMNS[3:11]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    arrays = message_arrays(trace)
    if arrays.n == 0 or not trace.has("spaces"):
        return schema.empty_table()
    messages = trace.arrow("messages").select(["message_id", "space_id"])
    row = pc.index_in(arrays.message_id, value_set=messages.column("message_id"))
    space = messages.column("space_id").combine_chunks().take(row)
    spaces = trace.arrow("spaces")
    where = pc.index_in(space, value_set=spaces.column("space_id"))
    governance = spaces.column("governance").combine_chunks().take(where)
    kinds = np.asarray(governance.fill_null("unknown").to_numpy(zero_copy_only=False), object)
    present = {k for k in ("official", "emergent") if (kinds == k).any()}
    if present != {"official", "emergent"}:
        raise MetricSkipped(
            "messages are not in both official and emergent spaces "
            f"(found: {', '.join(sorted(present)) or 'neither'})"
        )
    affect = message_affect(trace)
    where_affect = pc.index_in(arrays.message_id, value_set=affect.column("message_id"))
    compound = np.asarray(
        affect.column("compound")
        .combine_chunks()
        .take(where_affect)
        .to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    rows = []
    for kind in ("official", "emergent"):
        mask = kinds == kind
        people, per_person = np.unique(arrays.author[mask], return_counts=True)
        g, g_lo, g_hi = gini_ci(per_person, seed=seed)
        threads = arrays.thread[mask]
        scored = mask & np.isfinite(compound)
        if scored.any():
            numerator = np.bincount(
                arrays.thread[scored], weights=compound[scored], minlength=arrays.n_threads
            )
            denominator = np.bincount(arrays.thread[scored], minlength=arrays.n_threads)
            used = denominator > 0
            tone, tone_lo, tone_hi = bootstrap_ratio_ci(
                numerator[used], denominator[used].astype(np.float64), seed=seed
            )
            negative = float((compound[scored] <= -0.05).mean())
        else:
            tone = tone_lo = tone_hi = negative = float("nan")
        rows.append(
            {
                "governance": kind,
                "n_messages": int(mask.sum()),
                "n_threads": int(np.unique(threads).size),
                "messages_per_person": float(mask.sum() / people.size),
                "participation_gini": g,
                "participation_gini_lo": g_lo,
                "participation_gini_hi": g_hi,
                "mean_compound": tone,
                "mean_compound_lo": tone_lo,
                "mean_compound_hi": tone_hi,
                "negative_share": negative,
                "n": int(mask.sum()),
                "n_people": int(people.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
