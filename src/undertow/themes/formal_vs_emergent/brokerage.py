"""Gould–Fernandez brokerage roles by formal unit, and whether brokers hold formal roles."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.leaders import ever_leaders, person_units, reply_pairs
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["BROKER_ROLES", "broker_formal_roles", "brokerage", "brokerage_scores"]

#: Gould & Fernandez (1989) roles, for a two-path a → b → c with broker b.
BROKER_ROLES = ("coordinator", "gatekeeper", "representative", "liaison", "itinerant")

#: Two-paths enumerated exactly up to this many; beyond, a seeded uniform sample
#: of this size is drawn and counts are scaled up.
MAX_TWO_PATHS = 5_000_000
# Two-paths materialised at once.
_CHUNK = 2_000_000


def brokerage_scores(trace: Trace, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per author code, counts of each brokerage role (columns of :data:`BROKER_ROLES`).

    Directed binary ties among people with a unit (a reply points from the replier to
    the person replied to). A two-path a → b → c counts when a ≠ c and there is no
    direct tie a → c. Vectorised over two-paths in chunks; graphs with more than
    :data:`MAX_TWO_PATHS` two-paths are sampled (seeded) and scaled.

    Returns
    -------
    tuple
        ``(scores, unit_of, sampled)``: scores of shape (people, 5), the unit code per
        person (-1 = none) and whether the counts are sampled estimates.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> scores, unit_of, sampled = brokerage_scores(tiny_trace())
    >>> scores.shape, sampled
    ((5, 5), False)
    """

    def compute() -> tuple[np.ndarray, np.ndarray, bool]:
        arrays = message_arrays(trace)
        unit_of, _ = person_units(trace, arrays)
        n = arrays.n_people
        scores = np.zeros((n, len(BROKER_ROLES)), dtype=np.float64)
        source, target, _ = reply_pairs(arrays)
        keep = (unit_of[source] >= 0) & (unit_of[target] >= 0)
        codes = np.unique(source[keep] * n + target[keep])
        if codes.size == 0:
            return scores, unit_of, False
        src, dst = codes // n, codes % n
        by_dst = np.argsort(dst, kind="stable")
        in_list = src[by_dst]  # a, grouped by broker b = dst
        in_deg = np.bincount(dst, minlength=n)
        in_off = np.cumsum(in_deg) - in_deg
        out_list = dst  # codes are sorted by source: c, grouped by broker b = src
        out_deg = np.bincount(src, minlength=n)
        out_off = np.cumsum(out_deg) - out_deg
        paths = in_deg.astype(np.float64) * out_deg
        total = float(paths.sum())
        rng = np.random.default_rng(seed)
        sampled = total > MAX_TWO_PATHS
        rate = MAX_TWO_PATHS / total if sampled else 1.0
        brokers = np.flatnonzero(paths > 0)
        if sampled:
            draws = rng.binomial(paths[brokers].astype(np.int64), rate)
        else:
            draws = paths[brokers].astype(np.int64)
        ends = np.cumsum(draws)
        begin = 0
        while begin < brokers.size:
            stop = int(np.searchsorted(ends, (ends[begin - 1] if begin else 0) + _CHUNK)) + 1
            stop = min(max(stop, begin + 1), brokers.size)
            b = np.repeat(brokers[begin:stop], draws[begin:stop])
            if sampled:
                position = (rng.random(b.size) * paths[b]).astype(np.int64)
            else:
                counts = draws[begin:stop]
                position = np.arange(b.size) - np.repeat(np.cumsum(counts) - counts, counts)
            a = in_list[in_off[b] + position // out_deg[b]]
            c = out_list[out_off[b] + position % out_deg[b]]
            closed = _member(codes, a * n + c)
            valid = (a != c) & ~closed
            a, b, c = a[valid], b[valid], c[valid]
            ga, gb, gc = unit_of[a], unit_of[b], unit_of[c]
            role = np.select(
                [
                    (ga == gb) & (gb == gc),
                    (ga != gb) & (gb == gc),
                    (ga == gb) & (gb != gc),
                    (ga != gb) & (gb != gc) & (ga != gc),
                ],
                [0, 1, 2, 3],
                default=4,
            )
            scores += np.bincount(
                b * len(BROKER_ROLES) + role, minlength=n * len(BROKER_ROLES)
            ).reshape(n, len(BROKER_ROLES))
            begin = stop
        return scores / rate, unit_of, sampled

    return trace.cached(f"brokerage_scores:{seed}", compute)


def _member(sorted_codes: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Whether each query is in ``sorted_codes``, searching the queries in sorted order."""
    order = np.argsort(queries)
    ordered = queries[order]
    found = np.searchsorted(sorted_codes, ordered)
    hit = sorted_codes[np.minimum(found, sorted_codes.size - 1)] == ordered
    out: np.ndarray = np.empty_like(hit)
    out[order] = hit
    return out


COLUMNS = ("unit", *BROKER_ROLES, "sampled", "n", "n_people")


@metric(
    seeded=True,
    theme="formal_vs_emergent",
    columns=COLUMNS,
    source="Gould & Fernandez 1989, brokerage roles",
    requires=("messages", "roles.unit"),
)
def brokerage(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Gould–Fernandez brokerage by the broker's formal unit.

    Coordinator (a, b, c in one unit), gatekeeper (b, c together, a outside),
    representative (a, b together, c outside), liaison (three units), itinerant (a, c
    together, b outside). Counts of open two-paths per unit, summed over its members.

    Returns
    -------
    pyarrow.Table
        ``unit`` and one column per role (two-paths), ``sampled`` (counts are scaled
        sample estimates), ``n`` (two-paths brokered), ``n_people`` (members).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> brokerage(tiny_trace()).num_rows
    0
    """
    schema = pa.schema(
        [pa.field("unit", pa.string())]
        + [pa.field(r, pa.float64()) for r in BROKER_ROLES]
        + [
            pa.field("sampled", pa.bool_()),
            pa.field("n", pa.int64()),
            pa.field("n_people", pa.int64()),
        ]
    )
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return schema.empty_table()
    scores, unit_of, sampled = brokerage_scores(trace, seed=seed)
    _, names = person_units(trace, arrays)
    rows = []
    for code in range(len(names)):
        members = unit_of == code
        totals = scores[members].sum(axis=0)
        if totals.sum() == 0:
            continue
        rows.append(
            {
                "unit": names[code].as_py(),
                **{role: float(totals[i]) for i, role in enumerate(BROKER_ROLES)},
                "sampled": sampled,
                "n": int(round(totals.sum())),
                "n_people": int(members.sum()),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)


FORMAL_COLUMNS = ("group", "formal_share", "mean_brokerage", "n", "n_people")


@metric(
    seeded=True,
    theme="formal_vs_emergent",
    columns=FORMAL_COLUMNS,
    source="Gould & Fernandez 1989; brokers vs formal roles",
    requires=("messages", "roles.unit"),
)
def broker_formal_roles(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Whether the people who broker between units hold formal roles.

    Brokers are the top decile (at least one person) of people with a unit by total
    brokerage (all roles except coordinator, which stays inside one unit); the rest
    of the people with a unit are ``others``. ``formal_share`` is the share who ever
    held a rank > 0 role.

    Returns
    -------
    pyarrow.Table
        ``group`` (``brokers``, ``others``), ``formal_share``, ``mean_brokerage``,
        ``n`` (people), ``n_people``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> broker_formal_roles(tiny_trace()).num_rows
    0
    """
    schema = pa.schema(
        [
            pa.field("group", pa.string()),
            pa.field("formal_share", pa.float64()),
            pa.field("mean_brokerage", pa.float64()),
            pa.field("n", pa.int64()),
            pa.field("n_people", pa.int64()),
        ]
    )
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return schema.empty_table()
    scores, unit_of, _ = brokerage_scores(trace, seed=seed)
    between = scores[:, 1:].sum(axis=1)
    members = np.flatnonzero(unit_of >= 0)
    if members.size == 0 or between[members].sum() == 0:
        return schema.empty_table()
    formal = ever_leaders(trace, arrays)
    order = members[np.lexsort((members, -between[members]))]
    top = max(1, int(np.ceil(0.1 * members.size)))
    top_set = order[:top][between[order[:top]] > 0]
    rest = np.setdiff1d(members, top_set)
    rows = []
    for group, people in (("brokers", top_set), ("others", rest)):
        if people.size == 0:
            continue
        rows.append(
            {
                "group": group,
                "formal_share": float(formal[people].mean()),
                "mean_brokerage": float(between[people].mean()),
                "n": int(people.size),
                "n_people": int(people.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
