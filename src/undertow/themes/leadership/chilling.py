"""Chilling effect: fewer people joining or coming back once a formal leader posts.

A leader's threads can lose participants after their first message for reasons that
have nothing to do with their role: some people answer late in a thread, when the
question is settled, or write the closing patch. So each leader is also compared with
members of the same community who never held a role and entered about as many threads
(**activity-matched non-holders**): the same before/after measure is computed with them
as the actors, and the leader's difference is read against the spread of theirs. A
leader who differs from leaderless threads exactly as much as members of similar
activity do shows the behaviour of an active member, not an effect of the role.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from undertow.features.entry import ENTRY_COLUMNS, entry_effects
from undertow.features.standing import message_standing
from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["MATCHED_PEOPLE", "MATCHED_COLUMNS", "chilling_effect", "matched_non_holders"]

#: Non-holders matched to each leader (nearest in threads entered).
MATCHED_PEOPLE = 20

#: Columns added to the entry table: the matched non-holders' differences on the same
#: measure (mean, standard deviation, how many).
MATCHED_COLUMNS = (
    "matched_difference",
    "matched_sd",
    "n_matched",
    "self_difference",
    "self_difference_lo",
    "self_difference_hi",
    "n_self",
)

#: A person needs this many entered threads for a difference of their own (as in
#: :func:`~undertow.features.entry.entry_effects`).
_MIN_THREADS = 5


def _entered_threads(arrays: MessageArrays) -> npt.NDArray[np.int64]:
    """Per author code: threads they entered after the start (first message at position ≥ 1)."""
    n_people = max(arrays.n_people, 1)
    pair = arrays.thread.astype(np.int64) * n_people + arrays.author
    _, first = np.unique(pair, return_index=True)
    entered = first[arrays.position[first] >= 1]
    return np.bincount(arrays.author[entered], minlength=arrays.n_people).astype(np.int64)


def matched_non_holders(
    arrays: MessageArrays, leaders: dict[str, int], k: int = MATCHED_PEOPLE
) -> dict[str, npt.NDArray[np.int64]]:
    """For each leader, the ``k`` non-holders closest in threads entered (author codes).

    ``leaders`` maps a leader's pseudonym to the threads they entered as a leader;
    non-holders are authors who never wrote with a formal rank and entered at least
    five threads; closeness is on the log scale (ties in code order).
    """
    holder = np.zeros(arrays.n_people, dtype=bool)
    holder[arrays.author[arrays.formal_rank > 0]] = True
    entered = _entered_threads(arrays)
    pool = np.flatnonzero(~holder & (entered >= _MIN_THREADS))
    out: dict[str, npt.NDArray[np.int64]] = {}
    if pool.size == 0:
        return out
    log_pool = np.log(entered[pool].astype(np.float64))
    for person, n_threads in leaders.items():
        distance = np.abs(log_pool - np.log(max(n_threads, 1)))
        out[person] = pool[np.argsort(distance, kind="stable")[:k]]
    return out


@metric(
    seeded=True,
    theme="leadership",
    columns=(*ENTRY_COLUMNS, *MATCHED_COLUMNS),
    source="Within-thread before/after a leader's first message vs matched leaderless threads; "
    "the same design with activity-matched non-holders as the actors as the null",
    requires=("messages", "roles"),
    observes=("conversation",),
)
def chilling_effect(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Change in non-leader participation after a formal leader's first message in a thread.

    Leaders are authors holding a rank > 0 role when they wrote. Threads a leader
    joins after the start are compared with threads without any leader message,
    split at the same depth (:mod:`undertow.features.entry`): new non-leader
    participants after the split, the follow-up rate of non-leaders already present,
    non-leaders' further messages, and newcomers' return. Negative differences mean a
    chilling effect. Per-leader rows for leaders who joined at least five threads.

    Each per-leader row also carries the null of members of similar activity: the
    :data:`MATCHED_PEOPLE` non-holders nearest to the leader in threads entered
    (:func:`matched_non_holders`) are made the actors of the same design, and
    ``matched_difference``, ``matched_sd`` and ``n_matched`` are the mean, standard
    deviation and number of their own differences on that measure. The pooled rows
    (``actor_id`` null) compare all leaders with all their matched non-holders pooled
    (``n_matched`` = 1: one pooled difference, ``matched_sd`` = its bootstrap standard
    error).

    Returns
    -------
    pyarrow.Table
        ``actor_id, measure, with_actor, without_actor, difference, difference_lo,
        difference_hi, relative_change, n_with, n_without, n, matched_difference,
        matched_sd, n_matched``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> chilling_effect(tiny_trace()).num_rows  # no leaderless thread to compare with
    0
    """
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    table = entry_effects(arrays, arrays.formal_rank > 0, standing.is_first_message, seed=seed)
    empty = {
        name: pa.nulls(table.num_rows, pa.int64() if name.startswith("n_") else pa.float64())
        for name in MATCHED_COLUMNS
    }
    if table.num_rows == 0:
        return _with_columns(table, empty)
    rows = table.to_pylist()
    leaders = {
        str(r["actor_id"]): int(r["n_with"])
        for r in rows
        if r["actor_id"] is not None and r["n_with"] is not None
    }
    pooled = [r for r in rows if r["actor_id"] is None]
    if not leaders and pooled:
        # No leader with threads of their own: match the pooled leaders' thread count
        # per leader who entered any (the pooled row stands for all of them).
        leader_codes = np.unique(arrays.author[arrays.formal_rank > 0])
        entered = _entered_threads(arrays)
        leaders = {str(arrays.people[int(c)].as_py()): int(entered[c]) for c in leader_codes}
    matched = matched_non_holders(arrays, leaders)
    if not matched:
        return _with_columns(table, empty)
    union = np.unique(np.concatenate(list(matched.values())))
    actor = np.isin(arrays.author, union) & (arrays.formal_rank == 0)
    null = entry_effects(arrays, actor, standing.is_first_message, seed=seed + 7)
    own: dict[tuple[str | None, str], float] = {}
    spread: dict[str, float] = {}
    for r in null.to_pylist():
        own[(r["actor_id"], r["measure"])] = float(r["difference"])
        if r["actor_id"] is None:
            spread[r["measure"]] = (float(r["difference_hi"]) - float(r["difference_lo"])) / (
                2 * 1.959963984540054
            )
    names = {code: str(arrays.people[int(code)].as_py()) for code in union.tolist()}
    mean, sd, count = [], [], []
    for r in rows:
        measure = r["measure"]
        if r["actor_id"] is None:
            value = own.get((None, measure))
            mean.append(value)
            sd.append(spread.get(measure) if value is not None else None)
            count.append(1 if value is not None else None)
            continue
        codes = matched.get(str(r["actor_id"]), np.zeros(0, dtype=np.int64))
        values = np.array(
            [own[(names[c], measure)] for c in codes.tolist() if (names[c], measure) in own],
            dtype=np.float64,
        )
        values = values[np.isfinite(values)]
        mean.append(float(values.mean()) if values.size else None)
        sd.append(float(values.std(ddof=1)) if values.size > 1 else None)
        count.append(int(values.size))
    # The same people before they held a role: their messages written with rank 0 made
    # the actors of the same design (a person's habits, such as entering threads when
    # they are settled, are there before the appointment too).
    leader_codes = np.unique(arrays.author[arrays.formal_rank > 0])
    before = np.isin(arrays.author, leader_codes) & (arrays.formal_rank == 0)
    own_before = entry_effects(arrays, before, standing.is_first_message, seed=seed + 11)
    self_rows = {(r["actor_id"], r["measure"]): r for r in own_before.to_pylist()}
    self_value: list[float | None] = []
    self_lo: list[float | None] = []
    self_hi: list[float | None] = []
    self_n: list[int | None] = []
    for r in rows:
        found = self_rows.get((r["actor_id"], r["measure"]))
        self_value.append(None if found is None else float(found["difference"]))
        self_lo.append(None if found is None else float(found["difference_lo"]))
        self_hi.append(None if found is None else float(found["difference_hi"]))
        self_n.append(None if found is None else int(found["n_with"]))
    return _with_columns(
        table,
        {
            "matched_difference": pa.array(mean, pa.float64()),
            "matched_sd": pa.array(sd, pa.float64()),
            "n_matched": pa.array(count, pa.int64()),
            "self_difference": pa.array(self_value, pa.float64()),
            "self_difference_lo": pa.array(self_lo, pa.float64()),
            "self_difference_hi": pa.array(self_hi, pa.float64()),
            "n_self": pa.array(self_n, pa.int64()),
        },
    )


def _with_columns(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    for name in MATCHED_COLUMNS:
        table = table.append_column(name, columns[name])
    return table
