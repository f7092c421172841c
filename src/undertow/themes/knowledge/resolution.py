"""Thread resolution: share of question and issue threads reaching an outcome, and time to it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ci, bootstrap_ratio_ci
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import MetricSkipped, metric

__all__ = ["RESOLUTION_KINDS", "thread_resolution", "thread_resolved"]

#: Outcome kinds that mean a thread's question or issue was resolved.
RESOLUTION_KINDS = ("accepted_answer", "merged", "applied", "resolved", "closed_fixed")

#: Thread-starting kinds that ask or raise something (not commits or bare patches).
QUESTION_KINDS = ("post",)

COLUMNS = (
    "resolved_share",
    "resolved_share_lo",
    "resolved_share_hi",
    "median_hours_to_outcome",
    "median_hours_lo",
    "median_hours_hi",
    "n_resolved",
    "n",
)

_HOUR_US = 3_600 * 1_000_000


def thread_resolved(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Per thread (codes of :func:`message_arrays`): resolved, and hours to the first outcome.

    Hours are NaN for unresolved threads or outcomes without a time.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> resolved, hours = thread_resolved(tiny_trace())
    >>> int(resolved.sum()), float(np.nanmax(hours))
    (2, 6.0)
    """
    arrays = message_arrays(trace)
    resolved = np.zeros(arrays.n_threads, dtype=bool)
    hours = np.full(arrays.n_threads, np.nan)
    outcomes = trace.arrow("outcomes")
    if arrays.n == 0 or outcomes.num_rows == 0:
        return resolved, hours
    outcomes = outcomes.filter(
        pc.is_in(outcomes.column("kind"), value_set=pa.array(RESOLUTION_KINDS))
    )
    code = pc.index_in(outcomes.column("thread_id"), value_set=arrays.thread_ids)
    valid = pc.is_valid(code)
    code_np = code.filter(valid).to_numpy(zero_copy_only=False).astype(np.int64)
    at = outcomes.column("created_at").filter(valid).cast(pa.int64()).to_numpy(zero_copy_only=False)
    at = np.asarray(at, dtype=np.float64)
    resolved[code_np] = True
    earliest = np.full(arrays.n_threads, np.inf)
    np.minimum.at(earliest, code_np, np.where(np.isnan(at), np.inf, at))
    start = arrays.created[arrays.thread_start].astype(np.float64)
    with np.errstate(invalid="ignore"):
        hours = np.where(np.isfinite(earliest), (earliest - start) / _HOUR_US, np.nan)
    # An outcome dated before the thread began (clock skew) counts as immediate.
    hours = np.where(hours < 0, 0.0, hours)
    return resolved, hours


@metric(
    seeded=True,
    theme="knowledge",
    columns=COLUMNS,
    source="Thread resolution (cf. Stack Exchange accepted answers; CHAOSS issue resolution)",
    requires=("messages", "outcomes"),
)
def thread_resolution(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of question/issue threads that reach an outcome, and the median time to it.

    Question/issue threads are threads started by a ``post``; an outcome is any
    outcome of a kind in :data:`RESOLUTION_KINDS` in the thread. CIs resample threads.

    Returns
    -------
    pyarrow.Table
        One row: ``resolved_share`` (+ ``_lo``/``_hi``), ``median_hours_to_outcome``
        (+ ``median_hours_lo``/``_hi``, resolved threads with a dated outcome),
        ``n_resolved``, ``n`` (question/issue threads).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> row = thread_resolution(tiny_trace()).to_pylist()[0]
    >>> row["n"], row["n_resolved"], row["median_hours_to_outcome"]
    (3, 1, 2.0)
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field(c, pa.float64()) for c in COLUMNS[:6]]
        + [pa.field("n_resolved", pa.int64()), pa.field("n", pa.int64())]
    )
    if arrays.n == 0:
        return schema.empty_table()
    resolved, hours = thread_resolved(trace)
    start_kind = arrays.kind.take(pa.array(arrays.thread_start))
    question = pc.is_in(start_kind, value_set=pa.array(QUESTION_KINDS)).to_numpy(
        zero_copy_only=False
    )
    question = np.asarray(question, dtype=bool)
    if not question.any():
        raise MetricSkipped(
            "the trace has no question or issue threads (threads started by a post)"
        )
    share, lo, hi = bootstrap_ratio_ci(
        resolved[question].astype(np.float64), np.ones(int(question.sum())), seed=seed
    )
    timed = hours[question & resolved & ~np.isnan(hours)]
    median, m_lo, m_hi = bootstrap_ci(timed, np.median, seed=seed) if timed.size else (np.nan,) * 3
    row = {
        "resolved_share": share,
        "resolved_share_lo": lo,
        "resolved_share_hi": hi,
        "median_hours_to_outcome": float(median),
        "median_hours_lo": float(m_lo),
        "median_hours_hi": float(m_hi),
        "n_resolved": int((question & resolved).sum()),
        "n": int(question.sum()),
    }
    return pa.Table.from_pylist([row], schema=schema)
