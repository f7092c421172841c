"""Reply-latency deference: how fast people answer formal leaders vs peers."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from undertow.features.bootstrap import bootstrap_weights, percentile_interval
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["reply_latency_deference", "weighted_medians"]

COLUMNS = (
    "median_hours_to_leaders",
    "median_hours_to_peers",
    "latency_ratio",
    "latency_ratio_lo",
    "latency_ratio_hi",
    "n_to_leaders",
    "n",
    "n_people",
)

_HOUR_US = 3_600 * 1_000_000
#: Replicates for the median ratio: each one re-sorts nothing but re-weights every reply,
#: so 200 (not the default 500) keeps a million-message trace within seconds.
N_BOOT = 200
# Replicates × replies per chunk when reweighting replies by thread.
_CELLS = 4_000_000


def weighted_medians(
    sorted_values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Lower weighted median of ascending values for each row of ``weights``.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_medians(np.array([1.0, 2.0, 10.0]), np.array([[1.0, 1.0, 1.0], [0, 0, 3.0]]))
    array([ 2., 10.])
    """
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1:]
    index = np.argmax(cum >= total / 2.0, axis=1)
    result: npt.NDArray[np.float64] = np.where(total[:, 0] > 0, sorted_values[index], np.nan)
    return result


def _lower_medians(
    sorted_values: npt.NDArray[np.float64], counts: npt.NDArray[Any]
) -> npt.NDArray[np.float64]:
    # weighted_medians for integer weights: exact integer sums, ``cum >= total / 2``
    # as ``cum >= ceil(total / 2)``.
    cum = np.cumsum(counts, axis=1, dtype=counts.dtype)
    total = cum[:, -1:]
    index = np.argmax(cum >= (total + 1) // 2, axis=1)
    result: npt.NDArray[np.float64] = np.where(total[:, 0] > 0, sorted_values[index], np.nan)
    return result


def _median_replicates(
    groups: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]],
    n_clusters: int,
    *,
    seed: int,
    n_boot: int,
) -> list[npt.NDArray[np.float64]]:
    """Bootstrap replicates of each group's weighted median, on the same cluster weights."""
    prepared = []
    for values, cluster in groups:
        order = np.argsort(values, kind="stable")
        prepared.append((values[order], cluster[order]))
    out: list[list[npt.NDArray[np.float64]]] = [[] for _ in groups]
    for weights in bootstrap_weights(n_clusters, n_boot=n_boot, seed=seed):
        # Resampling weights are counts: integer sums are exact, and int32 halves the
        # memory traffic when no cumulative sum can overflow.
        top = int(weights.max()) if weights.size else 0
        for k, (values, cluster) in enumerate(prepared):
            dtype = np.int32 if top * max(values.size, 1) < 2**31 else np.int64
            counts = weights.astype(dtype)
            step = max(1, _CELLS // max(values.size, 1))
            for begin in range(0, counts.shape[0], step):
                out[k].append(_lower_medians(values, counts[begin : begin + step][:, cluster]))
    return [np.concatenate(o) if o else np.full(n_boot, np.nan) for o in out]


@metric(
    seeded=True,
    theme="leadership",
    columns=COLUMNS,
    source="Reply-latency asymmetry toward formal leaders (deference gap, T2)",
    requires=("messages", "roles"),
)
def reply_latency_deference(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How fast non-leaders reply to formal leaders vs to peers (median ratio, < 1 = faster).

    Replies by people without a formal role at the time to someone else's message;
    the latency is the time since the message replied to. ``latency_ratio`` =
    median latency to leaders / median latency to peers, with a bootstrap CI
    resampling threads (the same thread weights for both medians).

    Returns
    -------
    pyarrow.Table
        One row: ``median_hours_to_leaders, median_hours_to_peers, latency_ratio``
        (+ ``_lo``/``_hi``), ``n_to_leaders``, ``n`` (replies), ``n_people`` (leaders
        replied to).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> reply_latency_deference(tiny_trace()).num_rows  # non-leaders only answered the leader
    0
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field(c, pa.float64()) for c in COLUMNS[:5]]
        + [pa.field(c, pa.int64()) for c in COLUMNS[5:]]
    )
    if arrays.n == 0:
        return schema.empty_table()
    parent = np.maximum(arrays.parent, 0)
    mask = (
        (arrays.parent >= 0) & (arrays.parent_author != arrays.author) & (arrays.formal_rank == 0)
    )
    to_leader = mask & (arrays.formal_rank[parent] > 0)
    to_peer = mask & (arrays.formal_rank[parent] == 0)
    if not to_leader.any() or not to_peer.any():
        return schema.empty_table()
    latency = np.maximum(arrays.created - arrays.created[parent], 0) / _HOUR_US
    # The same thread weights for both medians (one resampling pass).
    leaders_rep, peers_rep = _median_replicates(
        [
            (latency[to_leader], arrays.thread[to_leader]),
            (latency[to_peer], arrays.thread[to_peer]),
        ],
        arrays.n_threads,
        seed=seed,
        n_boot=N_BOOT,
    )
    to_leaders = float(np.median(latency[to_leader]))
    to_peers = float(np.median(latency[to_peer]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = to_leaders / to_peers if to_peers > 0 else float("nan")
        lo, hi = percentile_interval(np.where(peers_rep > 0, leaders_rep / peers_rep, np.nan))
    row = {
        "median_hours_to_leaders": to_leaders,
        "median_hours_to_peers": to_peers,
        "latency_ratio": ratio,
        "latency_ratio_lo": lo,
        "latency_ratio_hi": hi,
        "n_to_leaders": int(to_leader.sum()),
        "n": int(mask.sum()),
        "n_people": int(np.unique(arrays.parent_author[to_leader]).size),
    }
    return pa.Table.from_pylist([row], schema=schema)
