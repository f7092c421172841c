"""Containment of emotional episodes, time to containment, and the link to thread resolution."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import DEFAULT_N_BOOT, bootstrap_ratio_ci, percentile_interval
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.decision import permutation_p
from undertow.themes.emotion_work.episodes import (
    CONTAINMENT_HOURS,
    CONTAINMENT_MESSAGES,
    message_emotion,
)
from undertow.themes.registry import Chart, metric

__all__ = [
    "containment_and_resolution",
    "containment_by_month",
    "containment_contrast",
    "containment_rate",
]

#: Containment is a *reply* to an episode: a source must record whom its messages answer
#: (an IRC log's time-gap conversations interleave several exchanges, so the next lines
#: after a distressed one are mostly answers to someone else).
_OBSERVES = ("conversation", "reply_links")

#: Within-thread permutations of the contrast test.
N_PERMUTATIONS = 1999

_RATE_COLUMNS = (
    "measure",
    "containment_rate",
    "containment_rate_lo",
    "containment_rate_hi",
    "support_rate",
    "median_hours_to_containment",
    "n",
    "n_threads",
)

_SOURCE = (
    "Emotional containment (Pemberton, Mavin & Stalker 2007, T5); episodes by VADER "
    "(Hutto & Gilbert 2014) and distress markers; support markers after Sharma et al. 2020"
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_RATE_COLUMNS,
    source=_SOURCE,
    observes=_OBSERVES,
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="containment_rate",
        lo="containment_rate_lo",
        hi="containment_rate_hi",
        title="Share of emotional episodes contained (95% CI over threads)",
    ),
)
def containment_rate(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of emotional episodes contained by a supportive reply and a recovery of valence.

    Support must come from someone else within ``CONTAINMENT_MESSAGES`` (5) messages and
    ``CONTAINMENT_HOURS`` (72) hours in the same thread (see
    :mod:`undertow.themes.emotion_work.episodes`). The CI resamples threads.

    Returns
    -------
    pyarrow.Table
        One row: ``measure`` (the forest-plot label), ``containment_rate`` (with
        ``_lo``/``_hi``), ``support_rate`` (share of
        episodes that got a supportive reply at all), ``median_hours_to_containment``,
        ``n`` (episodes), ``n_threads`` (threads with an episode). Empty without episodes.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> containment_rate(tiny_trace()).column_names[:2]
    ['measure', 'containment_rate']
    """
    emotion = message_emotion(trace)
    arrays = message_arrays(trace)
    rows = np.flatnonzero(emotion.episode)
    if rows.size == 0:
        return _empty(_RATE_COLUMNS, ints=("n", "n_threads"))
    threads, inverse = np.unique(arrays.thread[rows], return_inverse=True)
    contained = np.bincount(inverse, weights=emotion.contained[rows].astype(np.float64))
    total = np.bincount(inverse).astype(np.float64)
    rate, lo, hi = bootstrap_ratio_ci(contained, total, seed=seed)
    supported = _got_support(trace, rows)
    hours = emotion.hours_to_containment[rows]
    hours = hours[~np.isnan(hours)]
    row = {
        "measure": "episodes contained",
        "containment_rate": rate,
        "containment_rate_lo": lo,
        "containment_rate_hi": hi,
        "support_rate": float(supported.mean()),
        "median_hours_to_containment": float(np.median(hours)) if hours.size else float("nan"),
        "n": int(rows.size),
        "n_threads": int(threads.size),
    }
    return pa.Table.from_pylist([row], schema=_schema(_RATE_COLUMNS, ints=("n", "n_threads")))


def _got_support(trace: Trace, rows: np.ndarray) -> np.ndarray:
    """Whether each episode got any supportive reply from someone else within the window."""
    emotion = message_emotion(trace)
    arrays = message_arrays(trace)
    end = (arrays.thread_start + arrays.thread_size)[arrays.thread[rows]]
    got = np.zeros(rows.size, dtype=bool)
    for offset in range(1, CONTAINMENT_MESSAGES + 1):
        candidate = np.minimum(rows + offset, arrays.n - 1)
        hours = (arrays.created[candidate] - arrays.created[rows]) / 3.6e9
        got |= (
            (rows + offset < end)
            & (hours <= CONTAINMENT_HOURS)
            & emotion.supportive[candidate]
            & (arrays.author[candidate] != arrays.author[rows])
        )
    return got


@metric(
    theme="emotion_work",
    columns=("period", "containment_rate", "n", "n_threads"),
    source=_SOURCE,
    observes=_OBSERVES,
    chart=Chart(
        kind="line",
        x="period",
        y="containment_rate",
        title="Share of emotional episodes contained, per month",
    ),
)
def containment_by_month(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Containment rate of the emotional episodes of each calendar month.

    Returns
    -------
    pyarrow.Table
        ``period`` (month start, UTC), ``containment_rate``, ``n`` (episodes),
        ``n_threads``; months without episodes are left out.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> containment_by_month(tiny_trace()).column_names
    ['period', 'containment_rate', 'n', 'n_threads']
    """
    schema = pa.schema(
        [
            ("period", pa.timestamp("us", tz="UTC")),
            ("containment_rate", pa.float64()),
            ("n", pa.int64()),
            ("n_threads", pa.int64()),
        ]
    )
    emotion = message_emotion(trace)
    arrays = message_arrays(trace)
    rows = np.flatnonzero(emotion.episode)
    if rows.size == 0:
        return schema.empty_table()
    created = pa.array(arrays.created[rows], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    month = pc.floor_temporal(created, unit="month").cast(pa.int64()).to_numpy(zero_copy_only=False)
    months, inverse = np.unique(month, return_inverse=True)
    contained = np.bincount(inverse, weights=emotion.contained[rows].astype(np.float64))
    episodes = np.bincount(inverse)
    pairs = np.unique(inverse * (int(arrays.thread.max()) + 1) + arrays.thread[rows])
    threads = np.bincount(pairs // (int(arrays.thread.max()) + 1), minlength=months.size)
    table = pa.table(
        {
            "period": pa.array(months, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "containment_rate": pa.array(contained / episodes, pa.float64()),
            "n": pa.array(episodes.astype(np.int64)),
            "n_threads": pa.array(threads.astype(np.int64)),
        }
    )
    return table.cast(schema)


_CONTRAST_COLUMNS = (
    "measure",
    "difference",
    "difference_lo",
    "difference_hi",
    "p_value",
    "rate_episodes",
    "rate_others",
    "n_episodes",
    "n_others",
    "n_contained",
    "n_threads",
    "n",
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_CONTRAST_COLUMNS,
    source=_SOURCE,
    observes=_OBSERVES,
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="difference",
        lo="difference_lo",
        hi="difference_hi",
        title="Containment after other messages minus after episodes (95% CI over threads)",
    ),
)
def containment_contrast(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How much less often episodes get the containing response than other messages do.

    Compares the containment rate of emotional episodes with the rate at which the same
    response (a supportive message from someone else within the window, and a recovery
    of valence; :mod:`undertow.themes.emotion_work.episodes`) follows the other messages
    with prose *of the same threads*. Only threads with at least one episode and one
    other message with prose take part. ``difference`` is the others' rate minus the
    episodes' rate: positive when distress is met with containment less often than
    ordinary messages are; zero when support is unrelated to distress; negative when
    the community answers distress specifically. The CI resamples threads; the p-value
    (one-sided, greater) comes from permuting which messages of each thread are
    episodes, which keeps every thread's number of messages, episodes and contained
    responses (the episodes' contained count is then a sum of independent
    hypergeometric draws, one per thread), so differences between threads (a busy
    help thread, a quiet announcement) cannot make the contrast.

    Returns
    -------
    pyarrow.Table
        One row: ``measure``, ``difference`` (``_lo``/``_hi``), ``p_value``,
        ``rate_episodes``, ``rate_others``, ``n_episodes``, ``n_others`` (comparable
        messages), ``n_contained`` (messages of either kind followed by containment),
        ``n_threads``, ``n`` (episodes). Empty without a thread holding both.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> containment_contrast(tiny_trace()).column_names[:2]
    ['measure', 'difference']
    """
    ints = ("n_episodes", "n_others", "n_contained", "n_threads", "n")
    emotion = message_emotion(trace)
    arrays = message_arrays(trace)
    rows = np.flatnonzero(emotion.has_tone)
    if rows.size == 0:
        return _empty(_CONTRAST_COLUMNS, ints=ints)
    threads, inverse = np.unique(arrays.thread[rows], return_inverse=True)
    size = np.bincount(inverse).astype(np.int64)
    episodes = np.bincount(inverse, weights=emotion.episode[rows]).astype(np.int64)
    answered = np.bincount(inverse, weights=emotion.answered[rows]).astype(np.int64)
    both = np.bincount(inverse, weights=(emotion.episode & emotion.answered)[rows])
    keep = (episodes > 0) & (episodes < size)
    if not keep.any():
        return _empty(_CONTRAST_COLUMNS, ints=ints)
    size, episodes, answered = size[keep], episodes[keep], answered[keep]
    both = both[keep].astype(np.int64)
    others = size - episodes
    difference = _contrast(both, answered, episodes, others, np.ones((1, size.size)))[0]
    lo, hi = _contrast_ci(both, answered, episodes, others, seed=seed)
    drawn = _permuted_contained(answered, size, episodes, seed=seed + 1)
    total_answered, total_episodes, total_others = answered.sum(), episodes.sum(), others.sum()
    null = (total_answered - drawn) / total_others - drawn / total_episodes
    row = {
        "measure": "contained: other messages minus episodes",
        "difference": float(difference),
        "difference_lo": lo,
        "difference_hi": hi,
        "p_value": permutation_p(float(difference), null, alternative="greater"),
        "rate_episodes": float(both.sum() / total_episodes),
        "rate_others": float((total_answered - both.sum()) / total_others),
        "n_episodes": int(total_episodes),
        "n_others": int(total_others),
        "n_contained": int(total_answered),
        "n_threads": int(size.size),
        "n": int(total_episodes),
    }
    return pa.Table.from_pylist([row], schema=_schema(_CONTRAST_COLUMNS, ints=ints))


def _permuted_contained(
    answered: np.ndarray, size: np.ndarray, episodes: np.ndarray, *, seed: int
) -> np.ndarray:
    """Contained episodes in each within-thread permutation of the episode labels.

    Under the null each thread's contained responses fall on its messages at random, so
    the episodes' count of them is hypergeometric, independently per thread. Drawn in
    chunks of permutations to bound memory on traces with many threads.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(size.size, 1))
    totals = []
    for start in range(0, N_PERMUTATIONS, chunk):
        count = min(chunk, N_PERMUTATIONS - start)
        draws = rng.hypergeometric(answered, size - answered, episodes, size=(count, size.size))
        totals.append(draws.sum(axis=1))
    result: np.ndarray = np.concatenate(totals)
    return result


def _contrast(
    both: np.ndarray,
    answered: np.ndarray,
    episodes: np.ndarray,
    others: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Others' minus episodes' containment rate for rows of thread ``weights``."""
    sums = weights @ np.column_stack([both, answered - both, episodes, others]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: np.ndarray = sums[:, 1] / sums[:, 3] - sums[:, 0] / sums[:, 2]
    return result


def _contrast_ci(
    both: np.ndarray, answered: np.ndarray, episodes: np.ndarray, others: np.ndarray, *, seed: int
) -> tuple[float, float]:
    """Percentile interval of the contrast, resampling threads (chunked like the odds ratio)."""
    n = both.size
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    replicates = []
    for start in range(0, DEFAULT_N_BOOT, chunk):
        count = min(chunk, DEFAULT_N_BOOT - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=count)
        replicates.append(_contrast(both, answered, episodes, others, weights))
    draws = np.concatenate(replicates)
    return percentile_interval(draws[np.isfinite(draws)])


_RESOLUTION_COLUMNS = (
    "measure",
    "odds_ratio",
    "odds_ratio_lo",
    "odds_ratio_hi",
    "resolved_share_contained",
    "resolved_share_uncontained",
    "n_contained",
    "n_uncontained",
    "n",
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_RESOLUTION_COLUMNS,
    source=_SOURCE + "; resolution as knowledge creation (K)",
    requires=("messages", "outcomes"),
    observes=_OBSERVES,
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="odds_ratio",
        lo="odds_ratio_lo",
        hi="odds_ratio_hi",
        title="Odds of resolution, threads with a contained vs an uncontained episode (95% CI)",
    ),
)
def containment_and_resolution(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Odds that a thread with an emotional episode is resolved, contained vs uncontained.

    A thread counts as contained when its first episode was contained. Resolution is
    any outcome recorded for the thread (accepted answer, merge, resolution, ...). The
    odds ratio (contained / uncontained, with 0.5 added to every cell) has a bootstrap
    CI resampling threads. An odds ratio above 1 means containment goes with knowledge
    being created; it is NaN when every episode thread is on one side.

    Returns
    -------
    pyarrow.Table
        One row: ``measure`` (the forest-plot label), ``odds_ratio`` (``_lo``/``_hi``),
        ``resolved_share_contained``,
        ``resolved_share_uncontained``, ``n_contained``, ``n_uncontained``, ``n``
        (threads with an episode).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> containment_and_resolution(tiny_trace()).column_names[:2]
    ['measure', 'odds_ratio']
    """
    emotion = message_emotion(trace)
    arrays = message_arrays(trace)
    rows = np.flatnonzero(emotion.episode)
    ints = ("n_contained", "n_uncontained", "n")
    if rows.size == 0:
        return _empty(_RESOLUTION_COLUMNS, ints=ints)
    # rows are in thread order, so the first row per thread is its first episode.
    threads, first = np.unique(arrays.thread[rows], return_index=True)
    contained = emotion.contained[rows[first]]
    outcome_threads = trace.arrow("outcomes").column("thread_id").combine_chunks()
    resolved_all = pc.is_in(arrays.thread_ids, value_set=pc.unique(outcome_threads))
    resolved = resolved_all.to_numpy(zero_copy_only=False).astype(bool)[threads]
    if contained.all() or not contained.any():
        # With one side empty there is nothing to compare: the corrected odds ratio
        # would only echo the 0.5 added to the empty cells.
        odds, lo, hi = float("nan"), float("nan"), float("nan")
    else:
        odds, lo, hi = _odds_ratio_ci(contained, resolved, seed=seed)
    row = {
        "measure": "resolved: contained vs uncontained",
        "odds_ratio": odds,
        "odds_ratio_lo": lo,
        "odds_ratio_hi": hi,
        "resolved_share_contained": _share(resolved[contained]),
        "resolved_share_uncontained": _share(resolved[~contained]),
        "n_contained": int(contained.sum()),
        "n_uncontained": int((~contained).sum()),
        "n": int(threads.size),
    }
    return pa.Table.from_pylist([row], schema=_schema(_RESOLUTION_COLUMNS, ints=ints))


def _share(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _odds_ratio(group: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Odds ratios (Haldane-corrected) for rows of resampling ``weights``."""
    # The four cells of every replicate in one product; integer counts, so the sums
    # are exact whatever the order of summation.
    cells = np.column_stack(
        [group & outcome, group & ~outcome, ~group & outcome, ~group & ~outcome]
    ).astype(weights.dtype)
    counts = (weights @ cells).astype(np.float64) + 0.5
    a, b, c, d = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    result: np.ndarray = (a * d) / (b * c)
    return result


# Replicates drawn at a time: bounds the weight matrix to ~this many counts.
_CELLS_PER_CHUNK = 4_000_000


def _odds_ratio_ci(
    group: np.ndarray, outcome: np.ndarray, *, seed: int
) -> tuple[float, float, float]:
    n = group.size
    estimate = float(_odds_ratio(group, outcome, np.ones((1, n), dtype=np.int64))[0])
    rng = np.random.default_rng(seed)
    # Drawing the replicates in chunks of rows consumes the generator's stream in the
    # same order as one draw of all of them: the same weights, in bounded memory.
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    replicates = []
    for start in range(0, DEFAULT_N_BOOT, chunk):
        size = min(chunk, DEFAULT_N_BOOT - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        replicates.append(_odds_ratio(group, outcome, weights))
    lo, hi = percentile_interval(np.concatenate(replicates))
    return estimate, lo, hi


def _schema(columns: tuple[str, ...], *, ints: tuple[str, ...]) -> pa.Schema:
    def kind(column: str) -> pa.DataType:
        if column == "measure":
            return pa.string()
        return pa.int64() if column in ints else pa.float64()

    return pa.schema([(c, kind(c)) for c in columns])


def _empty(columns: tuple[str, ...], *, ints: tuple[str, ...]) -> pa.Table:
    return _schema(columns, ints=ints).empty_table()
