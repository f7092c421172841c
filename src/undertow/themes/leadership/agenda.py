"""Agenda setting: reply odds of threads started by formal leaders vs others."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.bootstrap import bootstrap_weights, percentile_interval
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.dominance.replies import thread_replied
from undertow.themes.registry import metric

__all__ = ["agenda_setting", "odds_ratio"]

COLUMNS = (
    "odds_ratio",
    "odds_ratio_lo",
    "odds_ratio_hi",
    "reply_rate_leaders",
    "reply_rate_others",
    "n_leader_threads",
    "n",
    "n_people",
)


def odds_ratio(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Odds ratio ``(a/b)/(c/d)`` with the Haldane–Anscombe 0.5 correction on zero cells.

    Examples
    --------
    >>> import numpy as np
    >>> float(odds_ratio(np.array(8.0), np.array(2.0), np.array(5.0), np.array(5.0)))
    4.0
    """
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    shift = np.where(zero, 0.5, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: np.ndarray = ((a + shift) * (d + shift)) / ((b + shift) * (c + shift))
    return result


@metric(
    seeded=True,
    theme="leadership",
    columns=COLUMNS,
    source="Agenda setting: reply odds by the starter's formal status",
    requires=("messages", "roles"),
    observes=("conversation", "reply_links"),
)
def agenda_setting(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Odds ratio that a thread gets at least one reply when a formal leader started it.

    A thread is replied to when someone other than the starter writes in it; the
    starter is a leader when they held a rank > 0 role at the time. The CI resamples
    starters (each starter's threads stay together).

    Returns
    -------
    pyarrow.Table
        One row: ``odds_ratio`` (+ ``_lo``/``_hi``), ``reply_rate_leaders``,
        ``reply_rate_others``, ``n_leader_threads``, ``n`` (threads), ``n_people``
        (leaders who started threads).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> agenda_setting(tiny_trace()).num_rows  # the leader started no thread
    0
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field(c, pa.float64()) for c in COLUMNS[:5]]
        + [pa.field(c, pa.int64()) for c in COLUMNS[5:]]
    )
    if arrays.n == 0:
        return schema.empty_table()
    replied = thread_replied(arrays).astype(np.float64)
    leader = arrays.formal_rank[arrays.thread_start] > 0
    if not leader.any() or leader.all():
        return schema.empty_table()
    people, starter = np.unique(arrays.author[arrays.thread_start], return_inverse=True)
    cells = [
        np.bincount(
            starter, weights=(leader & (replied == 1)).astype(float), minlength=people.size
        ),
        np.bincount(
            starter, weights=(leader & (replied == 0)).astype(float), minlength=people.size
        ),
        np.bincount(
            starter, weights=(~leader & (replied == 1)).astype(float), minlength=people.size
        ),
        np.bincount(
            starter, weights=(~leader & (replied == 0)).astype(float), minlength=people.size
        ),
    ]
    matrix = np.stack(cells)
    total = matrix.sum(axis=1)
    estimate = float(odds_ratio(*total))
    replicates = []
    for weights in bootstrap_weights(people.size, seed=seed):
        a, b, c, d = (weights @ matrix.T).T
        # A replicate that drew no leader thread (or no other thread) has no odds ratio.
        replicates.append(np.where((a + b > 0) & (c + d > 0), odds_ratio(a, b, c, d), np.nan))
    lo, hi = percentile_interval(np.concatenate(replicates))
    row = {
        "odds_ratio": estimate,
        "odds_ratio_lo": lo,
        "odds_ratio_hi": hi,
        "reply_rate_leaders": float(total[0] / (total[0] + total[1])),
        "reply_rate_others": float(total[2] / (total[2] + total[3])),
        "n_leader_threads": int(leader.sum()),
        "n": int(leader.size),
        "n_people": int(np.unique(starter[leader]).size),
    }
    return pa.Table.from_pylist([row], schema=schema)
