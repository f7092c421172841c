"""E-I index: do people talk across formal units or stay inside them (Krackhardt & Stern 1988)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.leaders import person_units, reply_pairs
from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["ei_index", "unit_dyads"]

COLUMNS = ("unit", "ei_index", "null_mean", "null_lo", "null_hi", "p_value", "n", "n_people")

#: Label permutations for the null model (fewer on huge networks, see _permutations).
N_PERMUTATIONS = 1000
#: Upper bound on permutations × ties, so a million-message trace stays within seconds;
#: at least MIN_PERMUTATIONS are always drawn (p-value resolution 1/101).
MAX_PERMUTED_CELLS = 50_000_000
MIN_PERMUTATIONS = 100
# Permutations × ties per chunk.
_CELLS = 4_000_000


def unit_dyads(trace: Trace, arrays: MessageArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected tied pairs among people with a unit: (u, v) compact codes, unit per code.

    Codes index the people with a unit; weights are not kept (a tie is a tie).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> u, v, labels = unit_dyads(trace, message_arrays(trace))
    >>> u.size, labels.tolist()  # one person has a unit, so no tie between two
    (0, [0])
    """
    unit_of, _ = person_units(trace, arrays)
    source, target, _ = reply_pairs(arrays)
    keep = (unit_of[source] >= 0) & (unit_of[target] >= 0)
    members = np.flatnonzero(unit_of >= 0)
    compact = np.full(arrays.n_people, -1, dtype=np.int64)
    compact[members] = np.arange(members.size)
    low = np.minimum(compact[source[keep]], compact[target[keep]])
    high = np.maximum(compact[source[keep]], compact[target[keep]])
    width = max(members.size, 1)
    pairs = np.unique(low * width + high)
    return pairs // width, pairs % width, unit_of[members]


def _ei_counts(
    labels: np.ndarray, u: np.ndarray, v: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """Internal and external tie counts (rows = label sets) in total and per unit.

    Returns arrays of shape (rows, n_units + 1): column 0 is the whole network. Only
    the internal ties are counted tie by tie: a unit's external ties are its members'
    tie ends (their degrees, summed per label) minus twice its internal ties.
    """
    rows = labels.shape[0]
    small = _label_dtype(n_units)
    labels = labels.astype(small, copy=False)
    lu, lv = labels[:, u], labels[:, v]
    same = lu == lv
    del lv
    cells = rows * n_units
    index = np.int32 if cells < 2**31 - 1 else np.int64
    key = lu.astype(index)
    del lu
    np.add(key, (np.arange(rows, dtype=index) * n_units)[:, None], out=key)
    key[~same] = cells
    internal_unit = np.bincount(key.ravel(), minlength=cells + 1)[:cells].reshape(rows, n_units)
    del key
    degree = np.bincount(u, minlength=labels.shape[1]) + np.bincount(v, minlength=labels.shape[1])
    member_key = labels.astype(np.int64) + (np.arange(rows, dtype=np.int64) * n_units)[:, None]
    ends = np.bincount(
        member_key.ravel(), weights=np.broadcast_to(degree, labels.shape).ravel(), minlength=cells
    )
    ends_unit = np.rint(ends).astype(np.int64).reshape(rows, n_units)
    external_unit = ends_unit - 2 * internal_unit
    n_internal = same.sum(axis=1)
    internal = np.column_stack([n_internal, internal_unit])
    external = np.column_stack([u.size - n_internal, external_unit])
    return internal.astype(np.float64), external.astype(np.float64)


def _label_dtype(n_units: int) -> type[np.signedinteger]:
    for dtype in (np.int8, np.int16, np.int32):
        if n_units <= np.iinfo(dtype).max:
            return dtype
    return np.int64


@metric(
    seeded=True,
    theme="formal_vs_emergent",
    columns=COLUMNS,
    source="Krackhardt & Stern 1988, E-I index; label-permutation null",
    requires=("messages", "roles.unit"),
    chart=Chart(
        kind="errorbar",
        x="unit",
        y="ei_index",
        lo="null_lo",
        hi="null_hi",
        title="E-I index by unit (bars: 95% range under random unit labels)",
    ),
)
def ei_index(trace: Trace, *, seed: int = 0) -> pa.Table:
    """E-I index of reply ties across formal units, overall and per unit, with a null model.

    ``(external − internal) / (external + internal)`` over undirected reply ties
    between people who both belong to a unit: −1 = all ties inside units, +1 = all
    across. The null model shuffles unit labels among those people up to 1,000 times
    (seeded); ``p_value`` is two-sided (add-one). The overall row has ``unit`` null.

    Returns
    -------
    pyarrow.Table
        ``unit, ei_index, null_mean, null_lo, null_hi, p_value, n`` (ties),
        ``n_people`` (people with a unit in the network or the unit).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> ei_index(tiny_trace()).num_rows  # one person has a unit: no ties between units
    0
    """
    schema = pa.schema(
        [pa.field("unit", pa.string())]
        + [pa.field(c, pa.float64()) for c in COLUMNS[1:6]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return schema.empty_table()
    u, v, labels = unit_dyads(trace, arrays)
    if u.size == 0:
        return schema.empty_table()
    _, names = person_units(trace, arrays)
    n_units = len(names)
    internal, external = _ei_counts(labels[None, :], u, v, n_units)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = ((external - internal) / (external + internal))[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(N_PERMUTATIONS, _CELLS // max(u.size, labels.size)))
    nulls = []
    done = 0
    permutations = int(
        min(N_PERMUTATIONS, max(MIN_PERMUTATIONS, MAX_PERMUTED_CELLS // max(u.size, 1)))
    )
    while done < permutations:
        size = min(chunk, permutations - done)
        permuted = rng.permuted(np.broadcast_to(labels, (size, labels.size)), axis=1)
        i_null, e_null = _ei_counts(permuted, u, v, n_units)
        with np.errstate(divide="ignore", invalid="ignore"):
            nulls.append((e_null - i_null) / (e_null + i_null))
        done += size
    null = np.concatenate(nulls)
    ties_unit = (internal + external)[0]
    people_unit = np.bincount(labels, minlength=n_units)
    rows = []
    for column in range(n_units + 1):
        if ties_unit[column] == 0:
            continue
        values = null[:, column]
        values = values[np.isfinite(values)]
        centre = values.mean() if values.size else np.nan
        extreme = np.abs(values - centre) >= abs(observed[column] - centre) - 1e-12
        rows.append(
            {
                "unit": None if column == 0 else names[column - 1].as_py(),
                "ei_index": float(observed[column]),
                "null_mean": float(centre),
                "null_lo": float(np.percentile(values, 2.5)) if values.size else None,
                "null_hi": float(np.percentile(values, 97.5)) if values.size else None,
                "p_value": float((extreme.sum() + 1) / (values.size + 1)),
                "n": int(ties_unit[column]),
                "n_people": int(labels.size if column == 0 else people_unit[column - 1]),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
