"""Messages as NumPy arrays in thread order: the fast path for thread-level power metrics.

Metrics about who speaks when in a thread (runs, last word, entry of a leader, replies
received) need the messages sorted by thread and time with integer codes for people
and threads. :func:`message_arrays` builds that once per trace (memoised) from Arrow,
so the metrics can stay vectorised in NumPy instead of looping over messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.status import message_status
from undertow.model.parallel import map_chunks
from undertow.model.schema import CONTRIBUTION_KINDS
from undertow.model.trace import Trace

__all__ = ["MessageArrays", "distinct", "message_arrays", "message_words"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class MessageArrays:
    """Messages sorted by ``(thread_id, created_at, message_id)`` as parallel arrays.

    Attributes
    ----------
    message_id
        Message ids in that order (Arrow).
    thread
        Thread code per message (``0..n_threads-1``, increasing along the order).
    thread_ids
        Thread id per thread code (Arrow).
    author
        Author code per message (index into ``people``).
    people
        Pseudonym per author code (Arrow).
    created
        Creation time in microseconds since the epoch (UTC).
    parent
        Row of the parent message in this order, or -1.
    parent_author
        Author code of the parent, or -1.
    position
        Position of the message in its thread (0 = thread start).
    thread_start
        Row of each thread's first message (per thread code).
    thread_size
        Messages per thread (per thread code).
    kind
        Message kind (Arrow).
    is_contribution
        Kind in ``CONTRIBUTION_KINDS`` or the message carries a patch.
    formal_rank
        The author's formal rank at the time (0 = none).
    formal_unit
        The author's formal unit at the time (Arrow, nullable).
    trace_row
        Row of each message in the trace's messages table.
    arrays_row
        The inverse: for each row of the trace's messages table, its position here
        (``arrays_row[trace_row] == arange(n)``).
    """

    message_id: pa.Array
    thread: IntArray
    thread_ids: pa.Array
    author: IntArray
    people: pa.Array
    created: IntArray
    parent: IntArray
    parent_author: IntArray
    position: IntArray
    thread_start: IntArray
    thread_size: IntArray
    kind: pa.Array
    is_contribution: BoolArray
    formal_rank: IntArray
    formal_unit: pa.Array
    trace_row: IntArray
    arrays_row: IntArray

    @property
    def n(self) -> int:
        """Number of messages."""
        return int(self.thread.size)

    @property
    def n_threads(self) -> int:
        """Number of threads."""
        return int(self.thread_size.size)

    @property
    def n_people(self) -> int:
        """Number of distinct authors."""
        return len(self.people)


def _codes(array: pa.ChunkedArray | pa.Array) -> tuple[IntArray, pa.Array]:
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary


def message_arrays(trace: Trace) -> MessageArrays:
    """The trace's messages as thread-ordered NumPy arrays (memoised on the trace).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> arrays = message_arrays(tiny_trace())
    >>> arrays.n, arrays.n_threads, arrays.thread_size.tolist()
    (9, 4, [2, 3, 1, 3])
    """

    def compute() -> MessageArrays:
        messages = trace.arrow("messages").select(
            ["message_id", "thread_id", "parent_id", "author_id", "created_at", "kind", "has_patch"]
        )
        order = pc.sort_indices(
            messages,
            sort_keys=[
                ("thread_id", "ascending"),
                ("created_at", "ascending"),
                ("message_id", "ascending"),
            ],
        )
        messages = messages.take(order)
        n = messages.num_rows
        trace_row = np.asarray(order.to_numpy(zero_copy_only=False), dtype=np.int64)
        arrays_row = np.empty(n, dtype=np.int64)
        arrays_row[trace_row] = np.arange(n, dtype=np.int64)
        thread, thread_ids = _codes(messages.column("thread_id"))
        author, people = _codes(messages.column("author_id"))
        created = (
            messages.column("created_at")
            .cast(pa.timestamp("us", tz="UTC"))
            .cast(pa.int64())
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        message_id = messages.column("message_id").combine_chunks()
        parent_index = pc.index_in(messages.column("parent_id"), value_set=message_id)
        parent = parent_index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        parent_author = np.where(parent >= 0, author[np.maximum(parent, 0)], -1)
        thread_size = np.bincount(thread, minlength=len(thread_ids)).astype(np.int64)
        thread_start = (np.cumsum(thread_size) - thread_size).astype(np.int64)
        position = np.arange(n, dtype=np.int64) - thread_start[thread] if n else thread.copy()
        kind = messages.column("kind").combine_chunks()
        is_contribution = (
            pc.or_(
                pc.is_in(kind, value_set=pa.array(CONTRIBUTION_KINDS)),
                messages.column("has_patch"),
            )
            .to_numpy(zero_copy_only=False)
            .astype(bool)
        )
        status = message_status(trace)
        row = pc.index_in(message_id, value_set=status.column("message_id"))
        row_np = row.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        rank = status.column("formal_rank").to_numpy(zero_copy_only=False).astype(np.int64)
        formal_rank = rank[row_np] if n else np.zeros(0, dtype=np.int64)
        formal_unit = status.column("formal_unit").combine_chunks().take(pa.array(row_np))
        return MessageArrays(
            message_id=message_id,
            thread=thread,
            thread_ids=thread_ids,
            author=author,
            people=people,
            created=created,
            parent=parent,
            parent_author=parent_author,
            position=position,
            thread_start=thread_start,
            thread_size=thread_size,
            kind=kind,
            is_contribution=is_contribution,
            formal_rank=formal_rank,
            formal_unit=formal_unit,
            trace_row=trace_row,
            arrays_row=arrays_row,
        )

    return trace.cached("message_arrays", compute)


def message_words(trace: Trace) -> IntArray:
    """Words in each message's own text, aligned with :func:`message_arrays` (memoised).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> int(message_words(trace).sum())
    35
    """

    def count(texts: pa.Array) -> pa.Table:
        counts = pc.list_value_length(pc.utf8_split_whitespace(texts))
        return pa.table({"words": counts.fill_null(0)})

    def compute() -> IntArray:
        arrays = message_arrays(trace)
        # Counted in trace order by row slices (the split words of one slice at a time),
        # then only the integer counts are put in thread order: no reordered text copy.
        per_row = map_chunks(count, trace.arrow("messages").column("text")).column("words")
        counts = np.asarray(per_row.to_numpy(zero_copy_only=False), dtype=np.int64)
        words: IntArray = counts[arrays.trace_row]
        return words

    return trace.cached("message_words", compute)


def distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique(values)`` for integers, by sorting.

    NumPy's hash-based ``unique`` (no ``return_*`` arguments) is ~50x slower on a
    million distinct integers than a sort.

    Examples
    --------
    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(np.asarray(values).ravel())
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    result: npt.NDArray[np.int64] = ordered[keep]
    return result
