"""A message author's standing when they wrote it: formal role, core membership, tenure.

Aligned with :func:`undertow.features.threads.message_arrays`, so power metrics can
split any message-level quantity by the author's status without a join per metric.
Core membership comes from :func:`undertow.features.core.core_membership` (per
quarter); tenure is the time since the author's first message in the trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.core import core_membership
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace

__all__ = ["Standing", "message_standing"]

_DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class Standing:
    """Per-message standing of the author, in :func:`message_arrays` order.

    Attributes
    ----------
    is_formal
        The author held a formal role (rank > 0) at the time.
    is_core
        The author was in the core of the interaction network that quarter.
    tenure_days
        Days since the author's first message (0 for the first message).
    is_first_message
        The message is the author's first in the trace.
    author_position
        0-based position of the message among its author's messages, by time (ties
        by thread order); 0 exactly for the first message.
    """

    is_formal: npt.NDArray[np.bool_]
    is_core: npt.NDArray[np.bool_]
    tenure_days: npt.NDArray[np.float64]
    is_first_message: npt.NDArray[np.bool_]
    author_position: npt.NDArray[np.int64]


def message_standing(trace: Trace) -> Standing:
    """The standing of each message's author at the time (memoised on the trace).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> standing = message_standing(tiny_trace())
    >>> int(standing.is_formal.sum()), int(standing.is_first_message.sum())
    (3, 5)
    """

    def compute() -> Standing:
        arrays = message_arrays(trace)
        n = arrays.n
        first_seen = np.full(max(arrays.n_people, 1), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_seen, arrays.author, arrays.created)
        tenure = (arrays.created - first_seen[arrays.author]) / _DAY_US if n else np.zeros(0)
        # The earliest message of each author (ties broken by thread order) is the first.
        # Stable sorts by time, then by author: the order of
        # ``np.lexsort((arange, created, author))`` (ties by thread order).
        by_time = np.argsort(arrays.created, kind="stable")
        order = by_time[np.argsort(arrays.author[by_time], kind="stable")]
        first = np.zeros(n, dtype=bool)
        position = np.zeros(n, dtype=np.int64)
        if n:
            sorted_author = arrays.author[order]
            starts = np.r_[True, sorted_author[1:] != sorted_author[:-1]]
            first[order[starts]] = True
            start_index = np.flatnonzero(starts)
            lengths = np.diff(np.r_[start_index, n])
            position[order] = np.arange(n) - np.repeat(start_index, lengths)
        return Standing(
            is_formal=arrays.formal_rank > 0,
            is_core=_core_at_time(trace),
            tenure_days=np.asarray(tenure, dtype=np.float64),
            is_first_message=first,
            author_position=position,
        )

    return trace.cached("message_standing", compute)


def _core_at_time(trace: Trace) -> npt.NDArray[np.bool_]:
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return np.zeros(0, dtype=bool)
    core = core_membership(trace, window="quarter")
    created = pa.array(arrays.created, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    period = np.asarray(
        pc.floor_temporal(created, unit="quarter").cast(pa.int64()).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    members = core.filter(pc.fill_null(core.column("is_core"), False))
    # A (quarter, person) table of core membership, looked up by integer codes.
    member_period = np.asarray(
        members.column("period")
        .cast(pa.timestamp("us", tz="UTC"))
        .cast(pa.int64())
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    member_person = np.asarray(
        pc.index_in(members.column("person_id"), value_set=arrays.people)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    known = member_person >= 0
    quarters = np.unique(member_period[known])
    table = np.zeros((quarters.size + 1, max(arrays.n_people, 1)), dtype=bool)
    table[np.searchsorted(quarters, member_period[known]), member_person[known]] = True
    # The row of each message's quarter, or the all-false last row.
    slot = np.searchsorted(quarters, period)
    found = np.zeros(period.size, dtype=bool)
    if quarters.size:
        found = (slot < quarters.size) & (quarters[np.minimum(slot, quarters.size - 1)] == period)
    slot = np.where(found, slot, quarters.size)
    is_core: npt.NDArray[np.bool_] = table[slot, arrays.author]
    return is_core
