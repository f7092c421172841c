"""Gatekeeping: whether novices meet more silence, hostility and rejection than masters.

Halfaker et al. (2013) showed how quality control deters newcomers. Here a *novice*
message is one of its author's first :data:`NOVICE_MESSAGES` messages in the trace; a
*master* message is written by someone in the core of that quarter's interaction
network or holding a formal role at the time (and past their novice messages).
Comparable contributions are compared within strata of message kind × year.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse, stats

from undertow.features.bootstrap import bootstrap_weights, percentile_interval
from undertow.features.standing import message_standing
from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.trace import Trace
from undertow.themes.novices_masters._intervals import newcombe_interval
from undertow.themes.novices_masters.reception import _affect, newcomer_table
from undertow.themes.registry import Chart, metric

__all__ = ["MIN_FIRST_REPLIES", "NOVICE_MESSAGES", "gatekeepers", "gatekeeping", "is_core_at"]

#: An author's first this-many messages are novice messages.
NOVICE_MESSAGES = 3

#: A replier needs at least this many first replies to newcomers to be assessed.
MIN_FIRST_REPLIES = 5

_TAKEN_UP = ("accepted_answer", "merged", "applied")


def is_core_at(trace: Trace, arrays: MessageArrays) -> npt.NDArray[np.bool_]:
    """Whether each message's author was in the core in the message's quarter."""
    if arrays.n == 0:
        return np.zeros(0, dtype=bool)
    return message_standing(trace).is_core


def _author_order(trace: Trace) -> npt.NDArray[np.int64]:
    """0-based position of each message among its author's messages (by time)."""
    return message_standing(trace).author_position


GATEKEEPING_SCHEMA = pa.schema(
    [
        pa.field("outcome", pa.string()),
        pa.field("novice_rate", pa.float64()),
        pa.field("master_rate", pa.float64()),
        pa.field("odds_ratio", pa.float64()),
        pa.field("odds_ratio_lo", pa.float64()),
        pa.field("odds_ratio_hi", pa.float64()),
        pa.field("p_value", pa.float64()),
        pa.field("n_strata", pa.int64()),
        pa.field("n_novice", pa.int64()),
        pa.field("n_master", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


def _mantel_haenszel(cells: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Mantel–Haenszel odds ratio from ``(..., strata, 4)`` cells.

    The cells are novice yes, novice no, master yes, master no.
    """
    a, b, c, d = (cells[..., i] for i in range(4))
    total = cells.sum(axis=-1)
    safe = np.where(total > 0, total, 1.0)
    top = (a * d / safe).sum(axis=-1)
    bottom = (b * c / safe).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: npt.NDArray[np.float64] = np.where(bottom > 0, top / bottom, np.nan)
    return result


def _compare(
    outcome: str,
    eligible: npt.NDArray[np.bool_],
    hit: npt.NDArray[np.bool_],
    group: npt.NDArray[np.int64],
    stratum: npt.NDArray[np.int64],
    author: npt.NDArray[np.int64],
    seed: int,
) -> dict[str, object] | None:
    """One outcome's novice-vs-master comparison, bootstrap over authors."""
    keep = eligible & (group >= 0)
    if not keep.any():
        return None
    strata, stratum_code = np.unique(stratum[keep], return_inverse=True)
    cell = stratum_code * 4 + group[keep] * 2 + (~hit[keep]).astype(np.int64)
    authors, author_code = np.unique(author[keep], return_inverse=True)
    by_author = sparse.csr_matrix(
        (np.ones(cell.size), (author_code, cell)), shape=(authors.size, strata.size * 4)
    )
    observed = np.asarray(by_author.sum(axis=0)).reshape(strata.size, 4)
    odds = float(_mantel_haenszel(observed))
    replicates = [
        _mantel_haenszel(np.asarray(weights @ by_author).reshape(-1, strata.size, 4))
        for weights in bootstrap_weights(authors.size, n_boot=500, seed=seed)
    ]
    low, high = percentile_interval(np.concatenate(replicates))
    reps = np.concatenate(replicates)
    log_reps = np.log(reps[np.isfinite(reps) & (reps > 0)])
    # Two-sided bootstrap p-value for log OR = 0 (normal approximation to the replicates).
    sd = float(log_reps.std(ddof=1)) if log_reps.size > 1 else float("nan")
    p_value = (
        float(2 * stats.norm.sf(abs(np.log(odds)) / sd))
        if np.isfinite(odds) and odds > 0 and sd > 0
        else float("nan")
    )
    totals = observed.sum(axis=0)
    return {
        "outcome": outcome,
        "novice_rate": totals[0] / max(totals[0] + totals[1], 1),
        "master_rate": totals[2] / max(totals[2] + totals[3], 1),
        "odds_ratio": odds,
        "odds_ratio_lo": low,
        "odds_ratio_hi": high,
        "p_value": p_value,
        "n_strata": int(strata.size),
        "n_novice": int(totals[0] + totals[1]),
        "n_master": int(totals[2] + totals[3]),
        "n": int(keep.sum()),
    }


@metric(
    seeded=True,
    theme="novices_masters",
    columns=GATEKEEPING_SCHEMA.names,
    source="Halfaker, Geiger, Morgan & Riedl 2013 (quality control deters newcomers)",
    chart=Chart(
        kind="errorbar",
        x="outcome",
        y="odds_ratio",
        lo="odds_ratio_lo",
        hi="odds_ratio_hi",
        title="Odds that novices' messages meet each outcome, relative to masters'",
    ),
    observes=("rejections", "reply_links"),
)
def gatekeeping(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Silence, hostility and rejection received by novices vs masters, like for like.

    Outcomes: ``ignored`` (a thread start that nobody else answers), ``hostile_reply``
    (the first reply from someone else is negative, VADER compound ≤ −0.05; only
    when the affect feature is available), ``not_taken_up`` (a contribution — answer,
    patch, commit — with no accepted/merged/applied outcome; only when the trace has
    outcomes). The odds ratio (novice vs master) is Mantel–Haenszel over strata of
    message kind × year, so novices are compared with masters making the same kind of
    contribution in the same year; 95% CIs and the p-value come from 500 bootstrap
    resamples of authors (seeded). ``odds_ratio > 1``: novices fare worse.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> gatekeeping(tiny_trace()).column_names[:3]
    ['outcome', 'novice_rate', 'master_rate']
    """
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return GATEKEEPING_SCHEMA.empty_table()
    position = _author_order(trace)
    novice = position < NOVICE_MESSAGES
    master = ~novice & (is_core_at(trace, arrays) | (arrays.formal_rank > 0))
    group = np.where(novice, 0, np.where(master, 1, -1)).astype(np.int64)
    kind_code = pc.dictionary_encode(arrays.kind).indices.to_numpy(zero_copy_only=False)
    year = arrays.created // int(365.2425 * 86_400 * 1e6)
    stratum = kind_code.astype(np.int64) * 10_000 + year
    # Others' replies: a message in the thread after the start by someone else.
    other = arrays.author != arrays.author[arrays.thread_start[arrays.thread]]
    answered_thread = np.bincount(arrays.thread[other], minlength=arrays.n_threads) > 0
    is_start = arrays.position == 0
    ignored = is_start & ~answered_thread[arrays.thread]
    rows: list[dict[str, object]] = []
    row = _compare("ignored", is_start, ignored, group, stratum, arrays.author, seed)
    if row:
        rows.append(row)
    affect = _affect(trace)
    if affect is not None:
        index = pc.index_in(arrays.message_id, value_set=affect.column("message_id"))
        negative = (
            affect.column("is_negative")
            .combine_chunks()
            .take(index)
            .fill_null(False)
            .to_numpy(zero_copy_only=False)
            .astype(bool)
        )
        is_reply = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
        replies = np.flatnonzero(is_reply)
        # The first reply to each message: replies are in thread-time order already.
        parents, first = np.unique(arrays.parent[replies], return_index=True)
        got_reply = np.zeros(arrays.n, dtype=bool)
        got_reply[parents] = True
        hostile = np.zeros(arrays.n, dtype=bool)
        hostile[parents] = negative[replies[first]]
        row = _compare("hostile_reply", got_reply, hostile, group, stratum, arrays.author, seed)
        if row:
            rows.append(row)
    if trace.has("outcomes"):
        outcomes = trace.arrow("outcomes")
        taken = outcomes.filter(pc.is_in(outcomes.column("kind"), pa.array(_TAKEN_UP)))
        up = pc.is_in(arrays.message_id, value_set=taken.column("message_id").drop_null())
        not_up = ~up.to_numpy(zero_copy_only=False).astype(bool)
        row = _compare(
            "not_taken_up", arrays.is_contribution, not_up, group, stratum, arrays.author, seed
        )
        if row:
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=GATEKEEPING_SCHEMA)


def _flags(values: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.bool_]:
    """A boolean column as NumPy, null as false."""
    flags: npt.NDArray[np.bool_] = np.asarray(
        pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool
    )
    return flags


GATEKEEPERS_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("is_master", pa.bool_()),
        pa.field("hostile_share", pa.float64()),
        pa.field("hostile_share_others", pa.float64()),
        pa.field("hostile_p_value", pa.float64()),
        pa.field("return_rate", pa.float64()),
        pa.field("return_rate_others", pa.float64()),
        pa.field("return_gap", pa.float64()),
        pa.field("return_gap_lo", pa.float64()),
        pa.field("return_gap_hi", pa.float64()),
        pa.field("n_followed", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    theme="novices_masters",
    columns=GATEKEEPERS_SCHEMA.names,
    source="Halfaker et al. 2013; Joyce & Kraut 2006",
    chart=None,
    observes=("rejections", "reply_links"),
)
def gatekeepers(trace: Trace, *, seed: int = 0) -> pa.Table:
    """People who answer newcomers' first messages, how harshly, and whether those newcomers return.

    One row per first replier with at least :data:`MIN_FIRST_REPLIES` first replies to
    newcomers (``n``): the share of those replies that were hostile vs everyone else's
    (one-sided Fisher exact p-value), and the return rate of the newcomers they answered
    vs newcomers answered by others (``return_gap`` = others − theirs, 95% Newcombe
    interval; ``n_followed`` = their newcomers with a full follow-up). ``is_master``:
    the replier was core or held a formal role when replying, for most of these replies.
    Hostility needs the affect feature (NaN otherwise); ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> gatekeepers(tiny_trace()).num_rows
    0
    """
    table = newcomer_table(trace)
    replied = table.filter(table.column("replied"))
    if replied.num_rows == 0:
        return GATEKEEPERS_SCHEMA.empty_table()
    # Repliers sorted by pseudonym (UTF-8 byte order is code point order).
    replier = replied.column("replier_id")
    distinct_repliers = pc.unique(replier)
    distinct_repliers = distinct_repliers.take(pc.array_sort_indices(distinct_repliers))
    repliers = np.asarray(distinct_repliers.to_pylist(), dtype=object)
    who = np.asarray(
        pc.index_in(replier, value_set=distinct_repliers).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    counts = np.bincount(who, minlength=repliers.size)
    tone = replied.column("reply_tone")
    has_tone = _flags(pc.is_valid(tone))
    hostile = _flags(pc.equal(tone, "hostile"))
    followed = _flags(pc.is_valid(replied.column("returned")))
    returned = _flags(replied.column("returned"))
    formal = _flags(replied.column("replier_is_formal"))
    core = _flags(replied.column("replier_is_core"))
    masterly = np.bincount(who, weights=(formal | core), minlength=repliers.size)
    n_hostile = np.bincount(who, weights=hostile, minlength=repliers.size)
    n_tone = np.bincount(who, weights=has_tone, minlength=repliers.size)
    n_follow = np.bincount(who, weights=followed, minlength=repliers.size)
    n_return = np.bincount(who, weights=returned & followed, minlength=repliers.size)
    total_hostile, total_tone = n_hostile.sum(), n_tone.sum()
    total_follow, total_return = n_follow.sum(), n_return.sum()
    assessed = np.flatnonzero(counts >= MIN_FIRST_REPLIES)
    rows = []
    for r in assessed.tolist():
        other_tone = total_tone - n_tone[r]
        other_hostile = total_hostile - n_hostile[r]
        hostile_share = n_hostile[r] / n_tone[r] if n_tone[r] else float("nan")
        others_share = other_hostile / other_tone if other_tone else float("nan")
        p_value = (
            float(
                stats.fisher_exact(
                    [
                        [n_hostile[r], n_tone[r] - n_hostile[r]],
                        [other_hostile, other_tone - other_hostile],
                    ],
                    alternative="greater",
                ).pvalue
            )
            if n_tone[r] and other_tone
            else float("nan")
        )
        other_follow = total_follow - n_follow[r]
        rate = n_return[r] / n_follow[r] if n_follow[r] else float("nan")
        rate_others = (total_return - n_return[r]) / other_follow if other_follow else float("nan")
        gap, low, high = newcombe_interval(
            total_return - n_return[r], other_follow, n_return[r], n_follow[r]
        )
        rows.append(
            {
                "person_id": str(repliers[r]),
                "is_master": bool(masterly[r] * 2 > counts[r]),
                "hostile_share": hostile_share,
                "hostile_share_others": others_share,
                "hostile_p_value": p_value,
                "return_rate": rate,
                "return_rate_others": rate_others,
                "return_gap": gap,
                "return_gap_lo": low,
                "return_gap_hi": high,
                "n_followed": int(n_follow[r]),
                "n": int(counts[r]),
            }
        )
    return pa.Table.from_pylist(rows, schema=GATEKEEPERS_SCHEMA)
