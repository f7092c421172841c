"""Silencing: whether others go quiet after a dominant actor enters a thread."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.entry import ENTRY_COLUMNS, entry_effects
from undertow.features.standing import message_standing
from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["dominant_messages", "silencing"]


def dominant_messages(arrays: MessageArrays) -> np.ndarray:
    """Per message: written by a dominant actor.

    Dominant actors are the top 1 % of people by messages written (at least one
    person) and, message by message, holders of the highest formal rank in the trace.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> from undertow.features.threads import message_arrays
    >>> int(dominant_messages(message_arrays(tiny_trace())).sum())  # the leader's three
    3
    """
    if arrays.n == 0:
        return np.zeros(0, dtype=bool)
    counts = np.bincount(arrays.author, minlength=arrays.n_people)
    top = max(1, int(np.ceil(0.01 * arrays.n_people)))
    voices = np.lexsort((np.arange(counts.size), -counts))[:top]
    is_voice = np.zeros(arrays.n_people, dtype=bool)
    is_voice[voices] = True
    dominant = is_voice[arrays.author]
    highest = int(arrays.formal_rank.max())
    if highest > 0:
        dominant |= arrays.formal_rank == highest
    return dominant


@metric(
    seeded=True,
    theme="dominance",
    columns=ENTRY_COLUMNS,
    source="Silencing after a dominant actor's entry (within-thread before/after vs "
    "matched threads without them)",
    observes=("conversation",),
)
def silencing(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Change in others' participation after a dominant actor enters a thread.

    Dominant actors: top 1 % by voice, or the highest formal rank (see
    :func:`dominant_messages`). Threads they enter after the start are compared with
    threads they never wrote in, split at the same depth (:mod:`undertow.features.entry`):
    others' messages after the entry, new participants after it, the follow-up rate of
    those already present, and the return rate of newcomers. Negative differences
    mean silencing. CIs resample threads.

    Returns
    -------
    pyarrow.Table
        ``actor_id, measure, with_actor, without_actor, difference, difference_lo,
        difference_hi, relative_change, n_with, n_without, n`` (rows with a null
        ``actor_id`` pool all dominant actors).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> silencing(tiny_trace()).column_names[:2]
    ['actor_id', 'measure']
    """
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    return entry_effects(arrays, dominant_messages(arrays), standing.is_first_message, seed=seed)
