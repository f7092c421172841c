"""Official vs emergent spaces: activity, participation inequality and tone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.inequality import gini_ci
from undertow.features.threads import message_arrays
from undertow.features.tone import message_tone
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
    "mean_valence",
    "mean_valence_lo",
    "mean_valence_hi",
    "negative_share",
    "hostile_share",
    "mean_vader_compound",
    "n_with_tone",
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
    in ``unknown`` or unlisted spaces are left out). Tone is read from the message's
    prose by the label-validated measures of :func:`undertow.features.tone.message_tone`:
    mean valence (``p_positive - p_negative``) with a CI resampling threads, and the
    shares of messages labelled negative and hostile; messages without prose (logs,
    patches) have no tone and are left out of these. ``mean_vader_compound`` (VADER on
    the same prose) is kept for comparison only. Skipped unless both kinds of space
    carry messages.

    Returns
    -------
    pyarrow.Table
        One row per governance: ``n_messages, n_threads, messages_per_person,
        participation_gini`` (+ CI over people), ``mean_valence`` (+ CI),
        ``negative_share``, ``hostile_share``, ``mean_vader_compound``,
        ``n_with_tone`` (messages with prose), ``n`` (messages), ``n_people`` (authors).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> space_governance(tiny_trace()).num_rows  # no spaces: nothing to compare
    0
    """
    schema = pa.schema(
        [pa.field("governance", pa.string()), pa.field("n_messages", pa.int64())]
        + [pa.field("n_threads", pa.int64())]
        + [pa.field(c, pa.float64()) for c in COLUMNS[3:13]]
        + [pa.field(c, pa.int64()) for c in ("n_with_tone", "n", "n_people")]
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
    # Tone rows are in the messages table's order (one per message).
    tone = message_tone(trace)

    def tone_values(name: str) -> np.ndarray:
        values = pc.fill_null(pc.cast(tone.column(name), pa.float64()), np.nan)
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)[row]

    valence = tone_values("valence")
    negative_flag = tone_values("is_negative")
    hostile_flag = tone_values("is_hostile")
    vader = tone_values("vader_compound")
    rows = []
    for code, kind in enumerate(("official", "emergent")):
        mask = kinds == code
        per_person = np.bincount(arrays.author[mask], minlength=arrays.n_people)
        per_person = per_person[per_person > 0]
        g, g_lo, g_hi = gini_ci(per_person, seed=seed)
        n_threads = int(np.count_nonzero(np.bincount(arrays.thread[mask])))
        scored = mask & np.isfinite(valence)
        if scored.any():
            numerator = np.bincount(
                arrays.thread[scored], weights=valence[scored], minlength=arrays.n_threads
            )
            denominator = np.bincount(arrays.thread[scored], minlength=arrays.n_threads)
            used = denominator > 0
            tone_mean, tone_lo, tone_hi = bootstrap_ratio_ci(
                numerator[used], denominator[used].astype(np.float64), seed=seed
            )
            negative = float(negative_flag[scored].mean())
            hostile = float(hostile_flag[scored].mean())
            vader_mean = float(vader[scored].mean())
        else:
            tone_mean = tone_lo = tone_hi = negative = hostile = vader_mean = float("nan")
        rows.append(
            {
                "governance": kind,
                "n_messages": int(mask.sum()),
                "n_threads": n_threads,
                "messages_per_person": float(mask.sum() / per_person.size),
                "participation_gini": g,
                "participation_gini_lo": g_lo,
                "participation_gini_hi": g_hi,
                "mean_valence": tone_mean,
                "mean_valence_lo": tone_lo,
                "mean_valence_hi": tone_hi,
                "negative_share": negative,
                "hostile_share": hostile,
                "mean_vader_compound": vader_mean,
                "n_with_tone": int(scored.sum()),
                "n": int(mask.sum()),
                "n_people": int(per_person.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
