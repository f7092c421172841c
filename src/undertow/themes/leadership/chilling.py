"""Chilling effect: fewer people joining or coming back once a formal leader posts."""

from __future__ import annotations

import pyarrow as pa

from undertow.features.entry import ENTRY_COLUMNS, entry_effects
from undertow.features.standing import message_standing
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["chilling_effect"]


@metric(
    seeded=True,
    theme="leadership",
    columns=ENTRY_COLUMNS,
    source="Within-thread before/after a leader's first message vs matched leaderless threads",
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

    Returns
    -------
    pyarrow.Table
        ``actor_id, measure, with_actor, without_actor, difference, difference_lo,
        difference_hi, relative_change, n_with, n_without, n``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> chilling_effect(tiny_trace()).num_rows  # no leaderless thread to compare with
    0
    """
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    return entry_effects(arrays, arrays.formal_rank > 0, standing.is_first_message, seed=seed)
