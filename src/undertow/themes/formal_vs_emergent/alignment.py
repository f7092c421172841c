"""Chart–network alignment: QAP correlation of same-unit membership with reply ties."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.leaders import person_units, reply_pairs
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["qap_correlation"]

COLUMNS = ("correlation", "null_mean", "null_lo", "null_hi", "p_value", "n", "n_people")

#: Node permutations for the QAP null (fewer on huge networks).
N_PERMUTATIONS = 1000
#: Upper bound on permutations × ties; at least MIN_PERMUTATIONS are always drawn.
MAX_PERMUTED_CELLS = 50_000_000
MIN_PERMUTATIONS = 100
_CELLS = 4_000_000


@metric(
    seeded=True,
    theme="formal_vs_emergent",
    columns=COLUMNS,
    source="Krackhardt 1988 (QAP); Krackhardt & Hanson 1993",
    requires=("messages", "roles.unit"),
)
def qap_correlation(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Correlation between the formal chart (same unit) and the reply network, with QAP.

    Over all unordered pairs of people who belong to a unit: Pearson correlation of
    ``same unit`` (0/1) with the number of replies between the two (both directions).
    QAP permutes the people of one matrix up to 1,000 times (seeded); because the same-unit
    matrix is determined by unit labels, this is a shuffle of the labels, and only the
    cross-product over tied pairs has to be recomputed. ``p_value`` is two-sided
    (add-one).

    Returns
    -------
    pyarrow.Table
        One row: ``correlation, null_mean, null_lo, null_hi, p_value, n`` (pairs),
        ``n_people``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> qap_correlation(tiny_trace()).num_rows
    0
    """
    schema = pa.schema(
        [pa.field(c, pa.float64()) for c in COLUMNS[:5]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    arrays = message_arrays(trace)
    unit_of, _ = person_units(trace, arrays)
    members = np.flatnonzero(unit_of >= 0)
    if arrays.n == 0 or members.size < 3:
        return schema.empty_table()
    compact = np.full(arrays.n_people, -1, dtype=np.int64)
    compact[members] = np.arange(members.size)
    source, target, _ = reply_pairs(arrays)
    keep = (compact[source] >= 0) & (compact[target] >= 0)
    low = np.minimum(compact[source[keep]], compact[target[keep]])
    high = np.maximum(compact[source[keep]], compact[target[keep]])
    width = members.size
    pairs, weight = np.unique(low * width + high, return_counts=True)
    u, v = pairs // width, pairs % width
    labels = unit_of[members]
    if u.size == 0 or np.unique(labels).size < 2:
        return schema.empty_table()
    n_people = members.size
    cells = n_people * (n_people - 1) / 2.0
    sizes = np.bincount(labels).astype(np.float64)
    sum_x = float((sizes * (sizes - 1) / 2.0).sum())
    w = weight.astype(np.float64)
    sum_y, sum_y2 = float(w.sum()), float((w * w).sum())
    denominator = np.sqrt((cells * sum_x - sum_x**2) * (cells * sum_y2 - sum_y**2))
    if denominator == 0:
        return schema.empty_table()

    def correlation(sum_xy: np.ndarray) -> np.ndarray:
        result: np.ndarray = (cells * sum_xy - sum_x * sum_y) / denominator
        return result

    observed = float(correlation(np.array([(w * (labels[u] == labels[v])).sum()]))[0])
    rng = np.random.default_rng(seed)
    chunk = max(1, min(N_PERMUTATIONS, _CELLS // max(u.size, n_people)))
    nulls = []
    done = 0
    permutations = int(
        min(N_PERMUTATIONS, max(MIN_PERMUTATIONS, MAX_PERMUTED_CELLS // max(u.size, 1)))
    )
    while done < permutations:
        size = min(chunk, permutations - done)
        permuted = rng.permuted(np.broadcast_to(labels, (size, n_people)), axis=1)
        nulls.append(correlation(((permuted[:, u] == permuted[:, v]) * w).sum(axis=1)))
        done += size
    null = np.concatenate(nulls)
    extreme = np.abs(null) >= abs(observed) - 1e-12
    row = {
        "correlation": observed,
        "null_mean": float(null.mean()),
        "null_lo": float(np.percentile(null, 2.5)),
        "null_hi": float(np.percentile(null, 97.5)),
        "p_value": float((extreme.sum() + 1) / (null.size + 1)),
        "n": int(cells),
        "n_people": int(n_people),
    }
    return pa.Table.from_pylist([row], schema=schema)
