"""Leader hub share and centralisation: how much of the community runs through formal leaders."""

from __future__ import annotations

import random

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratios_ci, percentile_interval
from undertow.features.leaders import appointments, ever_leaders, reply_pairs
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["appointment_centralisation", "leader_centralisation", "leader_hub_share"]

HUB_COLUMNS = ("measure", "leader_share", "leader_share_lo", "leader_share_hi", "n", "n_people")


@metric(
    seeded=True,
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


def _pair_centralisation(u: np.ndarray, v: np.ndarray, n_nodes: int) -> tuple[float, int]:
    """:func:`degree_centralisation` of distinct pairs ``u < v`` (degrees by counting)."""
    degree = np.bincount(u, minlength=n_nodes) + np.bincount(v, minlength=n_nodes)
    degree = degree[degree > 0]
    n = int(degree.size)
    if n < 3:
        return (float("nan"), n)
    return (float((degree.max() - degree).sum() / ((n - 1) * (n - 2))), n)


@metric(
    seeded=True,
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
    is_leader = np.zeros(arrays.n_people, dtype=bool)
    is_leader[leaders] = True
    without = ~(is_leader[u] | is_leader[v])
    observed_all, n_all = _pair_centralisation(u, v, arrays.n_people)
    observed_without, n_without = _pair_centralisation(u[without], v[without], arrays.n_people)
    dependence = observed_all - observed_without
    null_without: list[float] = []
    if leaders.size and pairs.size >= 3:
        graph = ig.Graph(n=arrays.n_people, edges=list(zip(u.tolist(), v.tolist(), strict=True)))
        others = np.flatnonzero(~is_leader).tolist()
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
            int(np.count_nonzero(without)),
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
    "change_lo",
    "change_hi",
    "leader_degree_share_before",
    "leader_degree_share_after",
    "placebo_p_value",
    "n_placebo",
    "n",
)

#: Days before and after an appointment that are compared.
WINDOW_DAYS = 90
_DAY_US = 86_400 * 1_000_000
#: Placebo dates spread over the trace for the null distribution of changes.
N_PLACEBO = 80
# Groups of window starts with their own bound on each person's partner count.
_DEGREE_GROUPS = 64
# Degree look-ups tried on all-time hubs before falling back to per-group bounds.
_SETTLE_BUDGET = 2_000_000


class _Windows:
    """Exact reply-tie centralisation of every fixed-width window ``[s, s + w)`` at once.

    Degree centralisation of a window needs the number of people with a tie there
    (``n``), the number of distinct tied pairs (half the degree sum) and the largest
    number of distinct partners (``d_max``): ``(n d_max - 2 pairs) / ((n-1)(n-2))``.
    A pair (or a person) has a tie in ``[s, s + w)`` exactly when ``s`` lies in
    ``(t - w, t]`` for one of its tie times ``t``; merging those intervals per pair and
    per person turns the first two counts into interval stabbing counts (two binary
    searches per window). A person's distinct partners at ``s`` is the number of their
    pairs' merged intervals containing ``s``: a step function evaluated by binary search,
    for the people in decreasing order of its maximum until no other person could beat
    the best degree found. Work is O(ties log ties), independent of the number of windows.
    """

    def __init__(
        self, source: np.ndarray, target: np.ndarray, time: np.ndarray, width: int
    ) -> None:
        self.width = width
        n = time.size
        order = np.argsort(time, kind="stable")
        self.time = time[order]
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        del order
        low = np.minimum(source, target)
        high = np.maximum(source, target)
        n_nodes = int(high.max()) + 1 if high.size else 1
        # Person × time-rank keys of every tie: a person's ties in a window are a range.
        self.tie_key = np.sort(np.concatenate([low * n + rank, high * n + rank]))
        _, node_start, node_end = _runs(self.tie_key // n, self.time[self.tie_key % n], width)
        self.node_start, self.node_end = np.sort(node_start), np.sort(node_end)
        del node_start, node_end
        pair = low * n_nodes + high
        if n_nodes * n_nodes * max(n, 1) < 2**62:
            pair = np.sort(pair * n + rank)
            pair_key, pair_start, pair_end = _runs(pair // n, self.time[pair % n], width)
        else:
            by_pair = np.lexsort((time, pair))
            pair_key, pair_start, pair_end = _runs(pair[by_pair], time[by_pair], width)
        del pair, rank, low, high
        self.pair_start, self.pair_end = np.sort(pair_start), np.sort(pair_end)
        # Each person's number of distinct partners as a step function of s: +1 where
        # one of their pairs' intervals opens, -1 where it closes. Closes sort first at
        # equal times, so a person's running maximum is their true maximum.
        n_pairs = pair_key.size
        bounds = np.concatenate([pair_end, pair_start])
        by_time = np.argsort(bounds, kind="stable")
        self.step_times = bounds[by_time]
        opening = by_time >= n_pairs
        time_rank = np.empty(2 * n_pairs, dtype=np.int64)
        time_rank[by_time] = np.arange(2 * n_pairs)
        del bounds, by_time, pair_start, pair_end
        self.n_steps = 2 * n_pairs
        first, second = pair_key // n_nodes, pair_key % n_nodes
        closes, opens = time_rank[:n_pairs], time_rank[n_pairs:]
        self.step_key = np.sort(
            np.concatenate(
                [
                    first * self.n_steps + opens,
                    second * self.n_steps + opens,
                    first * self.n_steps + closes,
                    second * self.n_steps + closes,
                ]
            )
        )
        del first, second, closes, opens, time_rank, pair_key
        # Every step function returns to 0, so the running total over all people is
        # each person's own running total.
        self.level = np.cumsum(np.where(opening[self.step_key % self.n_steps], 1, -1))

    def bounds(self, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tie index ranges ``[lo, hi)`` of the windows starting at ``start``."""
        lo = np.searchsorted(self.time, start, side="left")
        hi = np.searchsorted(self.time, start + self.width, side="left")
        return lo, hi

    def centralisation(self, start: np.ndarray) -> np.ndarray:
        """Freeman degree centralisation of each window starting at ``start`` (NaN: < 3 people)."""
        start = np.asarray(start, dtype=np.int64)
        pairs = np.searchsorted(self.pair_start, start, side="right") - np.searchsorted(
            self.pair_end, start, side="right"
        )
        people = np.searchsorted(self.node_start, start, side="right") - np.searchsorted(
            self.node_end, start, side="right"
        )
        d_max = self._max_degree(start, people >= 3)
        out = np.full(start.size, np.nan)
        ok = people >= 3
        numerator = (people * d_max - 2 * pairs)[ok].astype(np.float64)
        out[ok] = numerator / ((people[ok] - 1) * (people[ok] - 2)).astype(np.float64)
        return out

    def _max_degree(self, start: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        best = np.zeros(start.size, dtype=np.int64)
        queries = np.flatnonzero(wanted)
        if not queries.size or not self.level.size:
            return best
        rank = np.searchsorted(self.step_times, start, side="right")
        # People in decreasing order of their all-time maximum: usually a few hubs settle
        # every window. Windows still open after a bounded effort get bounds per group
        # of window starts, so people busy only at other times are not tried.
        person = self.step_key // self.n_steps
        first = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        peak = np.maximum.reduceat(self.level, first)
        by_peak = np.argsort(-peak, kind="stable")
        pending = self._settle(
            best, rank, queries, person[first][by_peak], peak[by_peak], budget=_SETTLE_BUDGET
        )
        del person, first, peak, by_peak
        if not pending.size:
            return best
        ordered = np.sort(start[pending])
        n_groups = min(_DEGREE_GROUPS, ordered.size)
        edges = ordered[(np.arange(n_groups) * ordered.size) // n_groups]
        group = np.searchsorted(edges, start, side="right") - 1
        person_bound, group_bound, bound = self._group_bounds(edges)
        by_group = np.lexsort((-bound, group_bound))
        person_bound, group_bound, bound = (
            person_bound[by_group],
            group_bound[by_group],
            bound[by_group],
        )
        cut = np.searchsorted(group_bound, np.arange(n_groups + 1))
        for g in range(n_groups):
            self._settle(
                best,
                rank,
                pending[group[pending] == g],
                person_bound[cut[g] : cut[g + 1]],
                bound[cut[g] : cut[g + 1]],
            )
        return best

    def _settle(
        self,
        best: np.ndarray,
        rank: np.ndarray,
        pending: np.ndarray,
        candidates: np.ndarray,
        peaks: np.ndarray,
        budget: int | None = None,
    ) -> np.ndarray:
        """Raise ``best`` at the ``pending`` windows with the candidates' exact degrees.

        Candidates come in decreasing order of ``peaks``, a bound on their degree; a
        window is settled once no remaining candidate can beat its best. Returns the
        windows left open when ``budget`` (degree look-ups) runs out.
        """
        left = np.inf if budget is None else budget
        done = 0
        batch = 8
        while pending.size and done < candidates.size:
            pending = pending[best[pending] < peaks[done]]
            if not pending.size or left <= 0:
                break
            who = candidates[done : done + batch]
            key = who[:, None] * self.n_steps + rank[pending][None, :]
            at = np.searchsorted(self.step_key, key, side="left") - 1
            valid = at >= 0
            at = np.maximum(at, 0)
            same = valid & (self.step_key[at] // self.n_steps == who[:, None])
            value = np.where(same, self.level[at], 0).max(axis=0)
            best[pending] = np.maximum(best[pending], value)
            done += who.size
            left -= key.size
            batch = min(2 * batch, 1024)
        return pending if done < candidates.size else pending[:0]

    def _group_bounds(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (person, group of window starts): the person's largest partner count there.

        A step's level holds from its time until the person's next step; it bounds every
        group whose span ``[edges[g], edges[g + 1])`` that stretch meets. Of a person's
        steps starting in one group, only the last can reach later groups.
        """
        n_groups = edges.size
        person = self.step_key // self.n_steps
        rank = self.step_key % self.n_steps
        # Groups by time rank (step times are sorted): edges at or before / before each.
        at_or_before = np.cumsum(
            np.bincount(
                np.searchsorted(self.step_times, edges, side="left"), minlength=self.n_steps + 1
            )
        )[: self.n_steps].astype(np.int16)
        before = np.cumsum(
            np.bincount(
                np.searchsorted(self.step_times, edges, side="right"), minlength=self.n_steps + 1
            )
        )[: self.n_steps].astype(np.int16)
        same_next = np.r_[person[1:] == person[:-1], False]
        # A level holds until the person's next step: the last group it meets is the one
        # just before that step's time.
        high = np.where(same_next, before[np.r_[rank[1:], 0]] - 1, n_groups - 1)
        del same_next
        keep = (self.level > 0) & (high >= 0)
        person, rank, high, level = person[keep], rank[keep], high[keep], self.level[keep]
        del keep
        if not person.size:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        low = np.maximum(at_or_before[rank].astype(np.int64) - 1, 0)
        high = high.astype(np.int64)
        key = person * n_groups + low  # non-decreasing: steps are in (person, time) order
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        last = np.r_[first[1:], key.size] - 1
        own = np.maximum.reduceat(level, first)
        # The last step of each (person, group) carries its level into later groups.
        reach = high[last] - low[first]
        count = np.maximum(reach, 0)
        carried = np.repeat(key[first] + 1, count) + (
            np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        )
        all_keys = np.concatenate([key[first], carried])
        all_bounds = np.concatenate([own, np.repeat(level[last], count)])
        order = np.argsort(all_keys, kind="stable")
        all_keys, all_bounds = all_keys[order], all_bounds[order]
        starts = np.flatnonzero(np.r_[True, all_keys[1:] != all_keys[:-1]])
        bound = np.maximum.reduceat(all_bounds, starts)
        return all_keys[starts] // n_groups, all_keys[starts] % n_groups, bound

    def ties_of(self, person: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Ties involving ``person`` (code, -1 = none) with times in ``[start, stop)``."""
        base = np.maximum(person, 0) * self.time.size
        lo = np.searchsorted(self.tie_key, base + np.searchsorted(self.time, start, "left"))
        hi = np.searchsorted(self.tie_key, base + np.searchsorted(self.time, stop, "left"))
        return np.where(person >= 0, hi - lo, 0)


def _runs(
    key: np.ndarray, time: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per key, the merged intervals of window starts ``s`` whose window holds a tie.

    ``key`` and ``time`` are sorted by key, then time. Returns ``(key, open, close)``
    per interval: windows starting at ``s`` in ``[open, close)`` hold a tie of the key.
    """
    new = np.r_[True, (key[1:] != key[:-1]) | (time[1:] - time[:-1] > width)]
    last = np.r_[new[1:], True]
    return key[new], time[new] - width + 1, time[last] + 1


@metric(
    theme="leadership",
    columns=APPOINTMENT_COLUMNS,
    source="Centralisation before vs after appointment, against placebo dates",
    requires=("messages", "roles.valid_from"),
    observes=("appointments",),
)
def appointment_centralisation(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Change in network centralisation when someone is appointed to a formal role.

    For every dated appointment (first ``valid_from`` of a rank > 0 role) with 90 days
    of trace on both sides: Freeman degree centralisation of the reply ties in the 90
    days before vs after, and the appointee's share of those ties. ``placebo_p_value``
    compares the change with the changes around 80 dates spread evenly over the trace,
    leaving out those within 45 days of the appointment (add-one share of placebo
    changes at least as large). ``change_lo``/``change_hi`` is the placebo interval: the
    change minus the 97.5th and 2.5th percentiles of the usable placebo changes around
    their median (how far the change moves at dates where nothing was appointed).

    Returns
    -------
    pyarrow.Table
        ``person_id, appointed_at, centralisation_before, centralisation_after, change,
        change_lo, change_hi, leader_degree_share_before, leader_degree_share_after,
        placebo_p_value, n_placebo, n`` (``n`` = reply ties in the two windows,
        ``n_placebo`` = placebo dates compared).

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
        + [pa.field(c, pa.float64()) for c in APPOINTMENT_COLUMNS[2:10]]
        + [pa.field("n_placebo", pa.int64()), pa.field("n", pa.int64())]
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
    table = table.filter(pa.array(feasible))
    at = at[feasible]
    windows = _Windows(source, target, time, width)
    placebo_dates = np.linspace(first + width, last - width, N_PLACEBO).astype(np.int64)
    # Appointees sharing a date (one roster snapshot) share the computation.
    dates, which = np.unique(np.concatenate([at, placebo_dates]), return_inverse=True)
    before = windows.centralisation(dates - width)
    after = windows.centralisation(dates)
    c_before, c_after = before[which[: at.size]], after[which[: at.size]]
    placebo = (after - before)[which[at.size :]]
    change = c_after - c_before
    # A placebo date whose windows mostly overlap the appointment's would see the real
    # change itself.
    usable = (np.abs(placebo_dates[None, :] - at[:, None]) >= width // 2) & np.isfinite(placebo)
    size = usable.sum(axis=1)
    extreme = (usable & (placebo[None, :] >= change[:, None])).sum(axis=1)
    p_value = (extreme + 1) / (size + 1)
    spread_lo = np.full(at.size, np.nan)
    spread_hi = np.full(at.size, np.nan)
    for row in np.flatnonzero(size >= 2):
        # A few appointment dates, each against its own usable placebo dates.
        deviation = placebo[usable[row]] - np.median(placebo[usable[row]])
        spread_lo[row], spread_hi[row] = np.percentile(deviation, [2.5, 97.5])
    lo, mid = windows.bounds(at - width)
    _, hi = windows.bounds(at)
    person = np.asarray(
        pc.index_in(table.column("person_id"), value_set=arrays.people)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        s_before = np.where(mid > lo, windows.ties_of(person, at - width, at) / (mid - lo), np.nan)
        s_after = np.where(hi > mid, windows.ties_of(person, at, at + width) / (hi - mid), np.nan)
    return pa.table(
        {
            "person_id": table.column("person_id").combine_chunks(),
            "appointed_at": pa.array(at, pa.int64()).cast(timestamp),
            "centralisation_before": pa.array(c_before, pa.float64()),
            "centralisation_after": pa.array(c_after, pa.float64()),
            "change": pa.array(change, pa.float64()),
            "change_lo": pa.array(change - spread_hi, pa.float64()),
            "change_hi": pa.array(change - spread_lo, pa.float64()),
            "leader_degree_share_before": pa.array(s_before, pa.float64()),
            "leader_degree_share_after": pa.array(s_after, pa.float64()),
            "placebo_p_value": pa.array(
                p_value, pa.float64(), mask=(size == 0) | ~np.isfinite(change)
            ),
            "n_placebo": pa.array(size, pa.int64()),
            "n": pa.array(hi - lo, pa.int64()),
        },
        schema=schema,
    )
