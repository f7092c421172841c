"""Reply capture and neglect: who receives the replies, and whose thread starts get none."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse, stats

from undertow.features.bootstrap import bootstrap_ratio_ci, bootstrap_weights, percentile_interval
from undertow.features.standing import message_standing
from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["ignored_rate", "reply_capture", "thread_replied"]

#: People whose capture share gets a bootstrap CI (the top of the ranking).
CI_TOP = 50

#: Recipients ranked just below the top whose mean share stands for what a busy member
#: receives: the null the top recipient is tested against. Four keep the comparison
#: stable when two or three people share the answering.
RUNNERS_UP = 4

CAPTURE_COLUMNS = (
    "person_id",
    "rank",
    "replies_received",
    "reply_share",
    "reply_share_lo",
    "reply_share_hi",
    "excess_share",
    "excess_share_lo",
    "excess_share_hi",
    "excess_p_value",
    "n",
)


def _is_reply_to_other(arrays: MessageArrays) -> np.ndarray:
    replies: np.ndarray = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    return replies


@metric(
    seeded=True,
    theme="dominance",
    columns=CAPTURE_COLUMNS,
    source="Reply capture (share of replies received), cf. Joyce & Kraut 2006",
    chart=Chart(kind="bar", x="person_id", y="reply_share", title="Share of all replies received"),
)
def reply_capture(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of all replies (to someone else) that each person receives, ranked.

    A reply counts for the author of the message it answers; self-replies are left
    out. The top :data:`CI_TOP` people get a bootstrap CI resampling threads.

    The top recipient is tested against the null that they receive no more than the
    people ranked just below them (the mean share of the next :data:`RUNNERS_UP`): their
    *excess share* (own share minus that mean) gets a thread-bootstrap CI and a
    one-sided p-value from the bootstrap standard error (the same replicates as the
    shares, so the identities stay fixed and ranking does not inflate the excess).

    Returns
    -------
    pyarrow.Table
        ``person_id, rank, replies_received, reply_share, reply_share_lo,
        reply_share_hi, excess_share, excess_share_lo, excess_share_hi,
        excess_p_value, n`` (``n`` = all replies), people who received at least one
        reply; the ``excess_*`` columns only on rank 1 (null elsewhere, and when fewer
        than two people received replies).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = reply_capture(tiny_trace()).to_pylist()
    >>> rows[0]["person_id"], rows[0]["replies_received"], rows[0]["n"]
    ('lead', 2, 5)
    """
    arrays = message_arrays(trace)
    replies = _is_reply_to_other(arrays)
    target = arrays.parent_author[replies]
    received = np.bincount(target, minlength=arrays.n_people)
    total = int(target.size)
    people = np.flatnonzero(received > 0)
    order = people[np.lexsort((people, -received[people]))]
    share = received[order] / total if total else np.zeros(order.size)
    lo = np.full(order.size, np.nan)
    hi = np.full(order.size, np.nan)
    excess = np.full((4, order.size), np.nan)
    top = order[:CI_TOP]
    if top.size:
        # Threads × top-people matrix of replies received; each replicate reweights threads.
        # Messages are in thread order, so the kept replies' threads are already sorted
        # and the CSR rows come straight from counts (repeated entries are summed).
        column = np.full(arrays.n_people, -1, dtype=np.int32)
        column[top] = np.arange(top.size, dtype=np.int32)
        col = column[target]
        del target
        keep = col >= 0
        kept = replies.copy()
        kept[replies] = keep
        indices = col[keep]
        del col, keep
        row_counts = np.bincount(arrays.thread[kept], minlength=arrays.n_threads)
        del kept
        indptr = np.zeros(arrays.n_threads + 1, dtype=np.int64)
        np.cumsum(row_counts, out=indptr[1:])
        matrix = sparse.csr_matrix(
            (np.ones(indices.size), indices, indptr), shape=(arrays.n_threads, top.size)
        )
        matrix.sum_duplicates()  # fewer stored entries for the 500 replicate products
        per_thread = np.add.reduceat(replies, arrays.thread_start, dtype=np.int64).astype(
            np.float64
        )
        replicates = []
        for weights in bootstrap_weights(arrays.n_threads, seed=seed):
            numerator = np.asarray((matrix.T @ weights.T).T)
            denominator = weights @ per_thread
            replicates.append(numerator / np.where(denominator > 0, denominator, np.nan)[:, None])
        stacked = np.concatenate(replicates)
        for j in range(top.size):
            lo[j], hi[j] = percentile_interval(stacked[:, j])
        if top.size >= 2:
            excess[:, 0] = _excess_over_runners_up(share[: top.size], stacked)
    return pa.table(
        {
            "person_id": arrays.people.take(pa.array(order, pa.int64())),
            "rank": pa.array(np.arange(1, order.size + 1), pa.int64()),
            "replies_received": pa.array(received[order], pa.int64()),
            "reply_share": pa.array(share, pa.float64()),
            "reply_share_lo": pa.array(lo, pa.float64()),
            "reply_share_hi": pa.array(hi, pa.float64()),
            "excess_share": pa.array(excess[0], pa.float64(), from_pandas=True),
            "excess_share_lo": pa.array(excess[1], pa.float64(), from_pandas=True),
            "excess_share_hi": pa.array(excess[2], pa.float64(), from_pandas=True),
            "excess_p_value": pa.array(excess[3], pa.float64(), from_pandas=True),
            "n": pa.array(np.full(order.size, total), pa.int64()),
        }
    )


def _excess_over_runners_up(share: np.ndarray, replicates: np.ndarray) -> np.ndarray:
    """The top share minus the runners-up's mean: estimate, CI, one-sided p (bootstrap SE).

    ``share`` holds the ranked shares, ``replicates`` their bootstrap replicates (one
    column per ranked person).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reps = np.column_stack([rng.normal(0.3, 0.01, 500), rng.normal(0.05, 0.01, 500)])
    >>> out = _excess_over_runners_up(np.array([0.3, 0.05]), reps)
    >>> round(float(out[0]), 2), bool(out[1] <= out[0] <= out[2]), bool(out[3] < 0.001)
    (0.25, True, True)
    """
    others = slice(1, 1 + RUNNERS_UP)
    estimate = float(share[0] - share[others].mean())
    draws = replicates[:, 0] - replicates[:, others].mean(axis=1)
    low, high = percentile_interval(draws)
    # The percentile interval of a difference of shares can miss the plug-in estimate
    # when the replicates are skewed; the reported interval always contains it.
    low, high = min(low, estimate), max(high, estimate)
    spread = float(np.nanstd(draws, ddof=1))
    p_value = float(stats.norm.sf(estimate / spread)) if spread > 0 else float("nan")
    return np.array([estimate, low, high, p_value])


def thread_replied(arrays: MessageArrays) -> np.ndarray:
    """Per thread: whether someone other than the starter wrote in it.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> thread_replied(message_arrays(tiny_trace())).tolist()  # p1, q1, q2, q3
    [True, True, False, True]
    """
    replied = np.zeros(arrays.n_threads, dtype=bool)
    if arrays.n:
        # Someone other than the starter wrote exactly when the author changes inside
        # the thread (messages are in thread order).
        inside = arrays.thread[1:] == arrays.thread[:-1]
        inside &= arrays.author[1:] != arrays.author[:-1]
        replied[arrays.thread[1:][inside]] = True
    return replied


IGNORED_COLUMNS = (
    "dimension",
    "group",
    "ignored_rate",
    "ignored_rate_lo",
    "ignored_rate_hi",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="dominance",
    columns=IGNORED_COLUMNS,
    source="Ignored rate of thread starts by status (Joyce & Kraut 2006; Arguello et al. 2006)",
    chart=Chart(
        kind="errorbar",
        x="group",
        y="ignored_rate",
        lo="ignored_rate_lo",
        hi="ignored_rate_hi",
        group="dimension",
        title="Share of thread starts that get no reply, by the starter's status",
    ),
    observes=("conversation", "reply_links"),
)
def ignored_rate(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of thread-starting messages that get no reply from anyone else, by status.

    Dimensions: ``formal`` (``leader`` = formal rank > 0 at the time, ``none``),
    ``core`` (``core``/``periphery`` in the quarter's interaction network),
    ``tenure`` (``first_message`` = the starter's first message in the trace,
    ``under_90_days``, ``90_days_plus``) and ``all``. CIs resample starters.

    Returns
    -------
    pyarrow.Table
        ``dimension, group, ignored_rate, ignored_rate_lo, ignored_rate_hi, n, n_people``
        (``n`` = thread starts).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = ignored_rate(tiny_trace()).to_pylist()
    >>> [(r["group"], r["ignored_rate"]) for r in rows if r["dimension"] == "tenure"][0]
    ('first_message', 0.25)
    """
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    starts = arrays.thread_start
    ignored = ~thread_replied(arrays)
    starter = arrays.author[starts] if arrays.n else arrays.author
    tenure = standing.tenure_days[starts] if arrays.n else standing.tenure_days
    first = standing.is_first_message[starts] if arrays.n else standing.is_first_message
    groups = {
        "all": {"all": np.ones(starts.size, dtype=bool)},
        "formal": {
            "leader": standing.is_formal[starts] if arrays.n else standing.is_formal,
            "none": ~standing.is_formal[starts] if arrays.n else standing.is_formal,
        },
        "core": {
            "core": standing.is_core[starts] if arrays.n else standing.is_core,
            "periphery": ~standing.is_core[starts] if arrays.n else standing.is_core,
        },
        "tenure": {
            "first_message": first,
            "under_90_days": ~first & (tenure < 90),
            "90_days_plus": ~first & (tenure >= 90),
        },
    }
    rows = []
    for dimension, members in groups.items():
        for group, mask in members.items():
            if not mask.any():
                continue
            people, inverse = np.unique(starter[mask], return_inverse=True)
            numerator = np.bincount(inverse, weights=ignored[mask].astype(np.float64))
            denominator = np.bincount(inverse).astype(np.float64)
            rate, lo, hi = bootstrap_ratio_ci(numerator, denominator, seed=seed)
            rows.append(
                {
                    "dimension": dimension,
                    "group": group,
                    "ignored_rate": rate,
                    "ignored_rate_lo": lo,
                    "ignored_rate_hi": hi,
                    "n": int(mask.sum()),
                    "n_people": int(people.size),
                }
            )
    return pa.Table.from_pylist(rows, schema=_ignored_schema())


def _ignored_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("dimension", pa.string()),
            pa.field("group", pa.string()),
            pa.field("ignored_rate", pa.float64()),
            pa.field("ignored_rate_lo", pa.float64()),
            pa.field("ignored_rate_hi", pa.float64()),
            pa.field("n", pa.int64()),
            pa.field("n_people", pa.int64()),
        ]
    )
