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
    seeded=True,
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
    messages = trace.arrow("messages")
    # Each message's row in the messages table, in the arrays' order.
    row = np.asarray(
        pc.index_in(arrays.message_id, value_set=messages.column("message_id"))
        .fill_null(0)
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    # Governance per space, then per message as a small code (0 official, 1 emergent).
    space = messages.column("space_id").combine_chunks().dictionary_encode()
    spaces = trace.arrow("spaces")
    where = pc.index_in(space.dictionary, value_set=spaces.column("space_id"))
    governance = spaces.column("governance").combine_chunks().take(where).fill_null("unknown")
    kind_of_space = np.full(len(space.dictionary) + 1, 2, dtype=np.int8)
    for code, kind in enumerate(("official", "emergent")):
        kind_of_space[:-1][pc.equal(governance, kind).to_numpy(zero_copy_only=False)] = code
    space_code = np.asarray(
        space.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    kinds = kind_of_space[space_code][row]
    present = {k for i, k in enumerate(("official", "emergent")) if (kinds == i).any()}
    if present != {"official", "emergent"}:
        raise MetricSkipped(
            "messages are not in both official and emergent spaces "
            f"(found: {', '.join(sorted(present)) or 'neither'})"
        )
    affect = message_affect(trace)
    if affect.num_rows == messages.num_rows and affect.column("message_id").equals(
        messages.column("message_id")
    ):
        where_affect = row  # one row per message, in the messages table's order
    else:
        where_affect = np.asarray(
            pc.index_in(arrays.message_id, value_set=affect.column("message_id"))
            .fill_null(0)
            .to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
    compound = np.asarray(
        affect.column("compound").to_numpy(zero_copy_only=False), dtype=np.float64
    )[where_affect]
    rows = []
    for code, kind in enumerate(("official", "emergent")):
        mask = kinds == code
        per_person = np.bincount(arrays.author[mask], minlength=arrays.n_people)
        per_person = per_person[per_person > 0]
        g, g_lo, g_hi = gini_ci(per_person, seed=seed)
        n_threads = int(np.count_nonzero(np.bincount(arrays.thread[mask])))
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
                "n_threads": n_threads,
                "messages_per_person": float(mask.sum() / per_person.size),
                "participation_gini": g,
                "participation_gini_lo": g_lo,
                "participation_gini_hi": g_hi,
                "mean_compound": tone,
                "mean_compound_lo": tone_lo,
                "mean_compound_hi": tone_hi,
                "negative_share": negative,
                "n": int(mask.sum()),
                "n_people": int(per_person.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
