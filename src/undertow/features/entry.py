"""What happens in a thread after a powerful actor enters it: a matched before/after design.

Used by silencing (a dominant actor enters, T4) and the chilling effect (a formal
leader enters, T2). A thread is **treated** when an actor's first message in it is
not the thread start (position ``p >= 1``); the entry message splits the thread into
before and after. **Control** threads contain no actor message; each gets a split
position ``p`` drawn (seeded) from the treated entry positions it is long enough for,
so treated and control threads are compared at the same depth, conditional on having
reached it.

Measures, over non-actor participants:

- ``others_messages_after``: messages by non-actors after the split.
- ``new_participants_after``: non-actors who first write in the thread after the split.
- ``follow_up_rate``: share of non-actors present before the split who write again after it.
- ``newcomer_return_rate``: share of newcomers (people whose first message in the whole
  trace is in the thread, before the split) who write again anywhere after the split.

Each measure is a ratio of sums over threads; the difference treated − control gets a
bootstrap CI resampling threads (treated and control independently).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from undertow.features.bootstrap import DEFAULT_N_BOOT, bootstrap_weights, percentile_interval
from undertow.features.threads import MessageArrays

__all__ = ["ENTRY_COLUMNS", "ENTRY_MEASURES", "entry_effects"]

ENTRY_MEASURES = (
    "others_messages_after",
    "new_participants_after",
    "follow_up_rate",
    "newcomer_return_rate",
)

ENTRY_COLUMNS = (
    "actor_id",
    "measure",
    "with_actor",
    "without_actor",
    "difference",
    "difference_lo",
    "difference_hi",
    "relative_change",
    "n_with",
    "n_without",
    "n",
)

FloatArray = npt.NDArray[np.float64]


def _entry_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("actor_id", pa.string()),
            pa.field("measure", pa.string()),
            pa.field("with_actor", pa.float64()),
            pa.field("without_actor", pa.float64()),
            pa.field("difference", pa.float64()),
            pa.field("difference_lo", pa.float64()),
            pa.field("difference_hi", pa.float64()),
            pa.field("relative_change", pa.float64()),
            pa.field("n_with", pa.int64()),
            pa.field("n_without", pa.int64()),
            pa.field("n", pa.int64()),
        ]
    )


def _ratio_replicates(
    numerators: FloatArray, denominators: FloatArray, *, seed: int, n_boot: int
) -> FloatArray:
    """Bootstrap replicates (n_boot × measures) of ratio-of-sums over clusters (columns)."""
    if numerators.shape[1] == 0:
        return np.full((n_boot, numerators.shape[0]), np.nan)
    out = []
    for weights in bootstrap_weights(numerators.shape[1], n_boot=n_boot, seed=seed):
        top = weights @ numerators.T
        bottom = weights @ denominators.T
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan))
    return np.concatenate(out)


def entry_effects(
    arrays: MessageArrays,
    actor_message: npt.NDArray[np.bool_],
    standing_first_message: npt.NDArray[np.bool_] | None = None,
    *,
    seed: int = 0,
    per_actor_min_threads: int = 5,
    n_boot: int = DEFAULT_N_BOOT,
) -> pa.Table:
    """Before/after effect of an actor's entry into threads, treated vs matched controls.

    Parameters
    ----------
    arrays
        Messages in thread order.
    actor_message
        Per message: written by an actor (a dominant person, a formal leader).
    standing_first_message
        Per message: the author's first message in the trace (for newcomer return);
        when ``None`` the newcomer measure is left out.
    seed
        Seed for the control split positions and the bootstrap.
    per_actor_min_threads
        Actors who entered at least this many threads get their own rows.
    n_boot
        Bootstrap replicates.

    Returns
    -------
    pyarrow.Table
        :data:`ENTRY_COLUMNS`: one row per measure for all actors (``actor_id`` null)
        and per actor with enough threads (``n`` = treated + control threads).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> from undertow.features.threads import message_arrays
    >>> rows = []
    >>> for i in range(4):
    ...     rows += [{"message_id": f"t{i}", "author_id": "a"},
    ...              {"message_id": f"t{i}r", "author_id": "b", "parent_id": f"t{i}"},
    ...              {"message_id": f"t{i}rr", "author_id": "boss" if i < 2 else "c",
    ...               "parent_id": f"t{i}r"},
    ...              {"message_id": f"t{i}x", "author_id": "d", "parent_id": f"t{i}rr"}]
    >>> arrays = message_arrays(make_trace(rows))
    >>> boss = (arrays.people.take(arrays.author).to_numpy(zero_copy_only=False) == "boss")
    >>> table = entry_effects(arrays, boss, seed=0)
    >>> row = [r for r in table.to_pylist() if r["measure"] == "others_messages_after"][0]
    >>> row["with_actor"], row["without_actor"], row["n_with"], row["n_without"]
    (1.0, 1.0, 2, 2)
    """
    rows: list[dict[str, object]] = []
    if arrays.n == 0 or not actor_message.any():
        return pa.Table.from_pylist(rows, schema=_entry_schema())
    n_threads = arrays.n_threads
    thread = arrays.thread
    position = arrays.position
    big = np.iinfo(np.int64).max
    entry = np.full(n_threads, big, dtype=np.int64)
    np.minimum.at(entry, thread[actor_message], position[actor_message])
    has_actor = entry < big
    treated = has_actor & (entry >= 1)
    control = ~has_actor
    split = np.where(treated, entry, -1)
    rng = np.random.default_rng(seed)
    treated_positions = np.sort(entry[treated])
    if treated_positions.size == 0:
        return pa.Table.from_pylist(rows, schema=_entry_schema())
    # A control thread is usable at depth p when it has a message at position p.
    eligible = np.searchsorted(treated_positions, arrays.thread_size, side="left")
    usable = control & (eligible > 0)
    draws = (rng.random(n_threads) * np.maximum(eligible, 1)).astype(np.int64)
    split = np.where(
        usable, treated_positions[np.minimum(draws, treated_positions.size - 1)], split
    )
    in_design = treated | usable
    split_of = split[thread]
    entry_time = np.zeros(n_threads, dtype=np.int64)
    split_rows = arrays.thread_start + np.maximum(split, 0)
    entry_time[in_design] = arrays.created[split_rows[in_design]]
    non_actor = ~actor_message
    before = (position < split_of) & non_actor
    after = (position > split_of) & non_actor
    others_after = np.bincount(thread[after], minlength=n_threads).astype(np.float64)
    # (thread, author) pairs: first and last positions of non-actors.
    n_people = max(arrays.n_people, 1)
    mask = non_actor & in_design[thread]
    pair_m = thread[mask].astype(np.int64) * n_people + arrays.author[mask]
    pos_m = position[mask]
    # Rows are in thread order with positions increasing inside a thread, so a stable
    # sort on the pair alone orders each pair's rows by position (as a lexsort on
    # (pair, position) would) without a second key or full-length pair codes.
    order = np.argsort(pair_m, kind="stable")
    pair_sorted = pair_m[order]
    pos_sorted = pos_m[order]
    starts = np.r_[True, pair_sorted[1:] != pair_sorted[:-1]] if pair_sorted.size else pair_sorted
    ends = np.r_[starts[1:], True] if pair_sorted.size else pair_sorted
    pair_thread = pair_sorted[starts] // n_people
    first_pos = pos_sorted[starts]
    last_pos = pos_sorted[ends]
    pair_split = split[pair_thread]
    present_before = first_pos < pair_split
    new_after = first_pos > pair_split
    followed = present_before & (last_pos > pair_split)
    n_before = np.bincount(pair_thread[present_before], minlength=n_threads).astype(np.float64)
    n_new = np.bincount(pair_thread[new_after], minlength=n_threads).astype(np.float64)
    n_followed = np.bincount(pair_thread[followed], minlength=n_threads).astype(np.float64)
    measures: dict[str, tuple[FloatArray, FloatArray]] = {
        "others_messages_after": (others_after, np.ones(n_threads)),
        "new_participants_after": (n_new, np.ones(n_threads)),
        "follow_up_rate": (n_followed, n_before),
    }
    if standing_first_message is not None:
        last_seen = np.zeros(n_people, dtype=np.int64)
        np.maximum.at(last_seen, arrays.author, arrays.created)
        newcomer = standing_first_message & before
        returned = newcomer & (last_seen[arrays.author] > entry_time[thread])
        measures["newcomer_return_rate"] = (
            np.bincount(thread[returned], minlength=n_threads).astype(np.float64),
            np.bincount(thread[newcomer], minlength=n_threads).astype(np.float64),
        )
    # Which actor entered each treated thread: the author of its entry message.
    entry_author = np.full(n_threads, -1, dtype=np.int64)
    entry_author[treated] = arrays.author[arrays.thread_start[treated] + entry[treated]]
    # Each group's threads as ascending indices (the columns a boolean mask would select,
    # in the same order): one stable sort by actor, no thread-length mask per actor.
    treated_threads = np.flatnonzero(treated)
    by_actor = np.argsort(entry_author[treated_threads], kind="stable")
    grouped = treated_threads[by_actor]
    counts = np.bincount(entry_author[treated_threads], minlength=arrays.n_people)
    ends = np.cumsum(counts)
    groups: list[tuple[str | None, npt.NDArray[np.int64]]] = [(None, treated_threads)]
    for actor in np.flatnonzero(counts >= per_actor_min_threads):
        chosen = grouped[ends[actor] - counts[actor] : ends[actor]]
        groups.append((str(arrays.people[int(actor)].as_py()), chosen))
    names = list(measures)
    numerators = np.stack([measures[m][0] for m in names])
    denominators = np.stack([measures[m][1] for m in names])
    c_num, c_den = numerators[:, usable], denominators[:, usable]
    control_reps = _ratio_replicates(c_num, c_den, seed=seed + 1, n_boot=n_boot)
    for actor_id, treated_group in groups:
        t_num, t_den = numerators[:, treated_group], denominators[:, treated_group]
        n_with = int(treated_group.size)
        treated_reps = _ratio_replicates(t_num, t_den, seed=seed, n_boot=n_boot)
        for k, name in enumerate(names):
            if t_den[k].sum() == 0 or c_den[k].sum() == 0:
                continue
            with_actor = float(t_num[k].sum() / t_den[k].sum())
            without_actor = float(c_num[k].sum() / c_den[k].sum())
            lo, hi = percentile_interval(treated_reps[:, k] - control_reps[:, k])
            rows.append(
                {
                    "actor_id": actor_id,
                    "measure": name,
                    "with_actor": with_actor,
                    "without_actor": without_actor,
                    "difference": with_actor - without_actor,
                    "difference_lo": lo,
                    "difference_hi": hi,
                    "relative_change": (
                        with_actor / without_actor - 1.0 if without_actor > 0 else float("nan")
                    ),
                    "n_with": n_with,
                    "n_without": int(usable.sum()),
                    "n": n_with + int(usable.sum()),
                }
            )
    return pa.Table.from_pylist(rows, schema=_entry_schema())
