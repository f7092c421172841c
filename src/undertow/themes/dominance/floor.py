"""Floor dominance: who holds the floor (words), for how long (runs), who closes threads."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.threads import message_arrays, message_words
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["floor_dominance"]

COLUMNS = (
    "person_id",
    "rank",
    "word_share",
    "longest_run",
    "last_word_share",
    "n_last_words",
    "n",
)


@metric(
    theme="dominance",
    columns=COLUMNS,
    source="Talk-time share, runs and last word (conversation-analytic floor measures)",
)
def floor_dominance(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Who holds the floor: share of all words, longest run, share of last words.

    ``word_share`` is the person's share of all words written (own text, quotes and
    patches excluded); ``longest_run`` the longest sequence of consecutive messages
    by the person in one thread; ``last_word_share`` the share of multi-person
    threads whose last message is theirs. Rows are people, ranked by word share.

    Returns
    -------
    pyarrow.Table
        ``person_id, rank, word_share, longest_run, last_word_share, n_last_words, n``
        (``n`` = the person's messages).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = floor_dominance(tiny_trace()).to_pylist()
    >>> rows[0]["person_id"], rows[0]["n_last_words"]
    ('lead', 1)
    """
    arrays = message_arrays(trace)
    words = message_words(trace)
    n_people = arrays.n_people
    n_messages = np.bincount(arrays.author, minlength=n_people)
    # Integer word counts sum exactly in int64 (and bincount weights them as floats).
    total_words = float(words.sum())
    word_share = (
        np.bincount(arrays.author, weights=words, minlength=n_people) / total_words
        if total_words > 0
        else np.zeros(n_people)
    )
    longest = np.zeros(n_people, dtype=np.int64)
    multi = np.zeros(arrays.n_threads, dtype=bool)
    if arrays.n:
        # A run breaks when the thread or the author changes; a thread has two or more
        # distinct authors exactly when its author changes somewhere inside it.
        same_thread = arrays.thread[1:] == arrays.thread[:-1]
        author_change = arrays.author[1:] != arrays.author[:-1]
        inside = author_change & same_thread
        run_start = np.flatnonzero(np.r_[True, ~same_thread | author_change])
        del same_thread, author_change
        inside = np.flatnonzero(inside)
        multi[arrays.thread[inside]] = True
        del inside
        run_length = np.diff(run_start, append=arrays.n)
        np.maximum.at(longest, arrays.author[run_start], run_length)
        del run_start, run_length
    # Last words count only in threads with at least two distinct authors.
    last_rows = (arrays.thread_start + arrays.thread_size - 1)[multi]
    n_last = np.bincount(arrays.author[last_rows], minlength=n_people)
    n_multi = int(multi.sum())
    last_share = n_last / n_multi if n_multi else np.zeros(n_people)
    order = np.lexsort((np.arange(n_people), -word_share))
    return pa.table(
        {
            "person_id": arrays.people.take(pa.array(order, pa.int64())),
            "rank": pa.array(np.arange(1, n_people + 1), pa.int64()),
            "word_share": pa.array(word_share[order], pa.float64()),
            "longest_run": pa.array(longest[order], pa.int64()),
            "last_word_share": pa.array(np.asarray(last_share, np.float64)[order], pa.float64()),
            "n_last_words": pa.array(n_last[order], pa.int64()),
            "n": pa.array(n_messages[order], pa.int64()),
        }
    )
