"""Leader hub share and centralisation: how much of the community runs through formal leaders."""

from __future__ import annotations

import random

import igraph as ig
import numpy as np
import pyarrow as pa

from undertow.features.bootstrap import bootstrap_ratios_ci, percentile_interval
from undertow.features.leaders import appointments, degree_centralisation, ever_leaders, reply_pairs
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["appointment_centralisation", "leader_centralisation", "leader_hub_share"]

HUB_COLUMNS = ("measure", "leader_share", "leader_share_lo", "leader_share_hi", "n", "n_people")


@metric(
    theme="leadership",
    columns=HUB_COLUMNS,
    source="Facilitator-centric pattern (SNAPP; Dawson 2010)",
    requires=("messages", "roles"),
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="leader_share",
        lo="leader_share_lo",
        hi="leader_share_hi",
        title="Share of activity by formal leaders",
    ),
)
def leader_hub_share(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of messages, thread starts, replies given and replies received by formal leaders.

    A message is a leader's when its author held a role of rank > 0 at the time; a
    reply is received by a leader when the message replied to was a leader's. CIs
    resample threads.

    Returns
    -------
    pyarrow.Table
        ``measure`` (``messages``, ``thread_starts``, ``replies_given``,
        ``replies_received``), ``leader_share`` (+ ``_lo``/``_hi``), ``n`` (units),
        ``n_people`` (distinct leaders involved).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = {r["measure"]: r for r in leader_hub_share(tiny_trace()).to_pylist()}
    >>> rows["messages"]["leader_share"], rows["replies_received"]["leader_share"]
    (0.3333333333333333, 0.4)
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field("measure", pa.string())]
        + [pa.field(c, pa.float64()) for c in HUB_COLUMNS[1:4]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    if arrays.n == 0:
        return schema.empty_table()
    leader = arrays.formal_rank > 0
    reply = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    parent_leader = np.where(arrays.parent >= 0, leader[np.maximum(arrays.parent, 0)], False)
    start = np.zeros(arrays.n, dtype=bool)
    start[arrays.thread_start] = True
    measures = {
        "messages": (np.ones(arrays.n, dtype=bool), leader, leader),
        "thread_starts": (start, leader, leader),
        "replies_given": (reply, leader, leader),
        "replies_received": (reply, parent_leader, parent_leader),
    }
    present = [name for name, (units, _, _) in measures.items() if units.any()]
    numerators = (
        np.stack(
            [
                np.bincount(
                    arrays.thread[measures[name][0]],
                    weights=measures[name][1][measures[name][0]],
                    minlength=arrays.n_threads,
                )
                for name in present
            ]
        )
        if present
        else np.zeros((0, arrays.n_threads))
    )
    denominators = (
        np.stack(
            [
                np.bincount(arrays.thread[measures[name][0]], minlength=arrays.n_threads).astype(
                    np.float64
                )
                for name in present
            ]
        )
        if present
        else np.zeros((0, arrays.n_threads))
    )
    # One set of thread weights for every measure: paired replicates, one resampling pass.
    estimates = bootstrap_ratios_ci(numerators, denominators, seed=seed)
    rows = []
    for k, name in enumerate(present):
        units, _, who = measures[name]
        holders = (
            arrays.parent_author[units & who]
            if name == "replies_received"
            else arrays.author[units & who]
        )
        rows.append(
            {
                "measure": name,
                "leader_share": float(estimates[k, 0]),
                "leader_share_lo": float(estimates[k, 1]),
                "leader_share_hi": float(estimates[k, 2]),
                "n": int(units.sum()),
                "n_people": int(np.unique(holders).size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)


CENTRALISATION_COLUMNS = (
    "network",
    "centralisation",
    "null_mean",
    "null_lo",
    "null_hi",
    "p_value",
    "n",
    "n_people",
)

#: The null chain: burn-in swaps, then one sample every ``SWAPS_PER_STEP`` swaps (at most
#: one pass over the edges), ``NULL_STEPS`` samples. Bounded so a million-message trace
#: stays within seconds; a thinned chain gives dependent samples, so the p-value is
#: coarse (resolution 1/(NULL_STEPS+1)) but not anti-conservative in expectation.
BURN_IN_SWAPS = 200_000
SWAPS_PER_STEP = 25_000
NULL_STEPS = 39


def _centralisation_of_degrees(degree: np.ndarray) -> float:
    degree = degree[degree > 0]
    n = degree.size
    if n < 3:
        return float("nan")
    return float((degree.max() - degree).sum() / ((n - 1) * (n - 2)))


@metric(
    theme="leadership",
    columns=CENTRALISATION_COLUMNS,
    source="Freeman degree centralisation; degree-preserving rewiring null (Maslov & Sneppen 2002)",
    requires=("messages", "roles"),
)
def leader_centralisation(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Degree centralisation of the reply network with and without formal leaders.

    Rows: ``all`` (everyone), ``without_leaders`` (people who ever held a rank > 0
    role removed) and ``leader_dependence`` (all − without). The null model is a chain
    of degree-preserving rewirings of the whole network (igraph ``rewire``, 39 thinned
    samples after a burn-in): the leaders keep their degree but their partners are
    random. ``p_value`` is the share
    of null networks whose centralisation without leaders is at least as low as
    observed (for ``without_leaders``), or whose leader dependence is at least as high
    (for ``leader_dependence``). ``all`` has no null (rewiring keeps every degree).

    Returns
    -------
    pyarrow.Table
        ``network, centralisation, null_mean, null_lo, null_hi, p_value, n``
        (ties), ``n_people`` (people with ties in that network).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = leader_centralisation(tiny_trace()).to_pylist()
    >>> rows[0]["network"], round(rows[0]["centralisation"], 3)
    ('all', 1.0)
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field("network", pa.string())]
        + [pa.field(c, pa.float64()) for c in CENTRALISATION_COLUMNS[1:6]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    source, target, _ = reply_pairs(arrays)
    if source.size == 0:
        return schema.empty_table()
    leaders = np.flatnonzero(ever_leaders(trace, arrays))
    low = np.minimum(source, target)
    high = np.maximum(source, target)
    pairs = np.unique(low * arrays.n_people + high)
    u, v = pairs // arrays.n_people, pairs % arrays.n_people
    observed_all, n_all = degree_centralisation(u, v)
    observed_without, n_without = degree_centralisation(u, v, exclude=leaders)
    dependence = observed_all - observed_without
    null_without: list[float] = []
    if leaders.size and pairs.size >= 3:
        graph = ig.Graph(n=arrays.n_people, edges=list(zip(u.tolist(), v.tolist(), strict=True)))
        others = np.setdiff1d(np.arange(arrays.n_people), leaders).tolist()
        swaps = int(min(pairs.size, SWAPS_PER_STEP))
        previous = random.getstate()
        ig.set_random_number_generator(random.Random(seed))  # noqa: S311 - a null model
        try:
            graph.rewire(n=int(min(10 * pairs.size, BURN_IN_SWAPS)), allowed_edge_types="simple")
            for _ in range(NULL_STEPS):
                graph.rewire(n=swaps, allowed_edge_types="simple")
                degree = np.asarray(graph.induced_subgraph(others).degree(), dtype=np.float64)
                null_without.append(_centralisation_of_degrees(degree))
        finally:
            ig.set_random_number_generator(random)
            random.setstate(previous)
    null = np.asarray(null_without, dtype=np.float64)
    rows = [
        _row("all", observed_all, None, None, int(pairs.size), n_all),
        _row(
            "without_leaders",
            observed_without,
            null,
            _p_value(null, observed_without, lower=True),
            int(np.sum(~(np.isin(u, leaders) | np.isin(v, leaders)))),
            n_without,
        ),
        _row(
            "leader_dependence",
            dependence,
            observed_all - null if null.size else null,
            _p_value(observed_all - null, dependence, lower=False),
            int(pairs.size),
            n_all,
        ),
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def _p_value(null: np.ndarray | None, observed: float, *, lower: bool) -> float | None:
    if null is None or null.size == 0 or np.isnan(observed):
        return None
    finite = null[np.isfinite(null)]
    if finite.size == 0:
        return None
    extreme = finite <= observed if lower else finite >= observed
    # Add-one estimate: a permutation p-value is never exactly 0.
    return float((extreme.sum() + 1) / (finite.size + 1))


def _row(
    network: str,
    value: float,
    null: np.ndarray | None,
    p_value: float | None,
    n: int,
    n_people: int,
) -> dict[str, object]:
    has_null = null is not None and null.size > 0 and np.isfinite(null).any()
    lo, hi = percentile_interval(null) if has_null and null is not None else (None, None)
    return {
        "network": network,
        "centralisation": value,
        "null_mean": float(np.nanmean(null)) if has_null and null is not None else None,
        "null_lo": lo,
        "null_hi": hi,
        "p_value": p_value,
        "n": n,
        "n_people": n_people,
    }


APPOINTMENT_COLUMNS = (
    "person_id",
    "appointed_at",
    "centralisation_before",
    "centralisation_after",
    "change",
    "leader_degree_share_before",
    "leader_degree_share_after",
    "placebo_p_value",
    "n",
)

#: Days before and after an appointment that are compared.
WINDOW_DAYS = 90
_DAY_US = 86_400 * 1_000_000
#: Placebo dates spread over the trace for the null distribution of changes.
N_PLACEBO = 80


class _Windows:
    """Reply ties sorted by time, sliced into the windows around a date by binary search.

    Degree centralisation of a window needs each person's number of distinct partners
    there. A tie occurrence is the first of its pair inside ``[start, end)`` exactly when
    the pair's previous occurrence is before ``start``; so with each occurrence's
    previous time precomputed once, a window's degrees are two ``bincount`` calls over
    its slice, with no per-window ``unique``.
    """

    def __init__(self, source: np.ndarray, target: np.ndarray, time: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.source, self.target, self.time = source[order], target[order], time[order]
        self.low = np.minimum(self.source, self.target)
        self.high = np.maximum(self.source, self.target)
        width = int(self.high.max()) + 1 if self.high.size else 1
        self.n_nodes = width
        pair = self.low * width + self.high
        by_pair = np.lexsort((np.arange(pair.size), pair))
        previous = np.full(pair.size, np.iinfo(np.int64).min, dtype=np.int64)
        same = pair[by_pair][1:] == pair[by_pair][:-1]
        previous[by_pair[1:][same]] = self.time[by_pair[:-1][same]]
        self.previous = previous
        self._centralisation: dict[int, tuple[float, float]] = {}

    def bounds(self, at: int) -> tuple[int, int, int]:
        width = WINDOW_DAYS * _DAY_US
        lo, mid, hi = np.searchsorted(self.time, [at - width, at, at + width], side="left")
        return int(lo), int(mid), int(hi)

    def _window(self, a: int, b: int, start: int) -> float:
        first = self.previous[a:b] < start
        degree = np.bincount(self.low[a:b][first], minlength=self.n_nodes) + np.bincount(
            self.high[a:b][first], minlength=self.n_nodes
        )
        return _centralisation_of_degrees(degree.astype(np.float64))

    def centralisation(self, at: int) -> tuple[float, float]:
        # Appointees sharing a date (one roster snapshot) share the computation.
        if at not in self._centralisation:
            lo, mid, hi = self.bounds(at)
            width = WINDOW_DAYS * _DAY_US
            self._centralisation[at] = (
                self._window(lo, mid, at - width),
                self._window(mid, hi, at),
            )
        return self._centralisation[at]

    def share(self, at: int, person: int) -> tuple[float, float, int]:
        lo, mid, hi = self.bounds(at)

        def part(a: int, b: int) -> float:
            if b <= a:
                return float("nan")
            involved = (self.source[a:b] == person) | (self.target[a:b] == person)
            return float(np.count_nonzero(involved) / (b - a))

        return part(lo, mid), part(mid, hi), hi - lo


@metric(
    theme="leadership",
    columns=APPOINTMENT_COLUMNS,
    source="Centralisation before vs after appointment, against placebo dates",
    requires=("messages", "roles.valid_from"),
)
def appointment_centralisation(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Change in network centralisation when someone is appointed to a formal role.

    For every dated appointment (first ``valid_from`` of a rank > 0 role) with 90 days
    of trace on both sides: Freeman degree centralisation of the reply ties in the 90
    days before vs after, and the appointee's share of those ties. ``placebo_p_value``
    compares the change with the changes around 80 dates spread evenly over the trace,
    leaving out those within 45 days of the appointment (add-one share of placebo
    changes at least as large).

    Returns
    -------
    pyarrow.Table
        ``person_id, appointed_at, centralisation_before, centralisation_after, change,
        leader_degree_share_before, leader_degree_share_after, placebo_p_value, n``
        (reply ties in the two windows).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> appointment_centralisation(tiny_trace()).num_rows  # the trace is three days long
    0
    """
    arrays = message_arrays(trace)
    timestamp = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [pa.field("person_id", pa.string()), pa.field("appointed_at", timestamp)]
        + [pa.field(c, pa.float64()) for c in APPOINTMENT_COLUMNS[2:8]]
        + [pa.field("n", pa.int64())]
    )
    source, target, time = reply_pairs(arrays)
    if source.size == 0:
        return schema.empty_table()
    width = WINDOW_DAYS * _DAY_US
    first, last = int(arrays.created.min()), int(arrays.created.max())
    table = appointments(trace)
    at = table.column("appointed_at").cast(pa.int64()).to_numpy()
    feasible = (at >= first + width) & (at <= last - width)
    if not feasible.any():
        return schema.empty_table()
    windows = _Windows(source, target, time)
    placebo_dates = np.linspace(first + width, last - width, N_PLACEBO).astype(np.int64)
    placebo = np.array([np.subtract(*windows.centralisation(int(d))[::-1]) for d in placebo_dates])
    code = {name: i for i, name in enumerate(arrays.people.to_pylist())}
    rows = []
    for person, when in zip(
        np.asarray(table.column("person_id").to_pylist(), dtype=object)[feasible],
        at[feasible],
        strict=True,
    ):
        c_before, c_after = windows.centralisation(int(when))
        s_before, s_after, n = windows.share(int(when), code.get(str(person), -1))
        change = c_after - c_before
        # A placebo date whose windows mostly overlap the appointment's would see the real
        # change itself.
        distant = np.abs(placebo_dates - int(when)) >= width // 2
        null = placebo[distant & np.isfinite(placebo)]
        p_value = (
            float(((null >= change).sum() + 1) / (null.size + 1))
            if null.size and np.isfinite(change)
            else None
        )
        rows.append(
            {
                "person_id": str(person),
                "appointed_at": int(when),
                "centralisation_before": c_before,
                "centralisation_after": c_after,
                "change": change,
                "leader_degree_share_before": s_before,
                "leader_degree_share_after": s_after,
                "placebo_p_value": p_value,
                "n": n,
            }
        )
    result = pa.table(
        {
            "person_id": pa.array([r["person_id"] for r in rows], pa.string()),
            "appointed_at": pa.array([r["appointed_at"] for r in rows], pa.int64()).cast(timestamp),
            **{c: pa.array([r[c] for r in rows], pa.float64()) for c in APPOINTMENT_COLUMNS[2:8]},
            "n": pa.array([r["n"] for r in rows], pa.int64()),
        },
        schema=schema,
    )
    return result
