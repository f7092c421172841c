"""Newcomers' first messages and how the community received them (Joyce & Kraut 2006).

A person's *first message* is the earliest message they wrote in the trace (ties
broken by ``message_id``). It was *replied* when someone else wrote a message whose
``parent_id`` is that first message. The catch-all deleted account and bots are not
newcomers and get no row (they may still be repliers).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.threads import MessageArrays, message_arrays
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace

__all__ = ["FIRST_MESSAGE_SCHEMA", "first_messages"]

IntArray = npt.NDArray[np.int64]

FIRST_MESSAGE_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("message_id", pa.string()),
        pa.field("thread_id", pa.string()),
        pa.field("created_at", TIMESTAMP),
        pa.field("is_thread_start", pa.bool_()),
        pa.field("replied", pa.bool_()),
        pa.field("first_reply_id", pa.string()),
        pa.field("first_reply_at", TIMESTAMP),
        pa.field("first_replier_id", pa.string()),
    ]
)


def first_messages(trace: Trace) -> pa.Table:
    """Each person's first message and the first reply it received from someone else.

    Parameters
    ----------
    trace
        The trace.

    Returns
    -------
    pyarrow.Table
        ``person_id, message_id, thread_id, created_at, is_thread_start, replied,
        first_reply_id, first_reply_at, first_replier_id``; one row per person
        (deleted accounts and bots excluded), sorted by ``person_id``.
        ``is_thread_start`` is true when the message opened its thread
        (``message_id == thread_id``); the ``first_reply_*`` columns are null when
        nobody else replied.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> firsts = first_messages(tiny_trace())
    >>> dict(zip(firsts["person_id"].to_pylist(), firsts["replied"].to_pylist()))
    {'asker': True, 'dev': True, 'helper': True, 'lead': True, 'newbie': False}
    """

    def compute() -> pa.Table:
        arrays = message_arrays(trace)
        if arrays.n == 0:
            return FIRST_MESSAGE_SCHEMA.empty_table()
        author, created = arrays.author, arrays.created
        # Each author's first message: earliest time, ties to the smallest message id.
        first = _first_per_group(arrays, np.arange(arrays.n, dtype=np.int64), author)
        people = trace.arrow("people")
        excluded_ids = people.filter(
            pc.fill_null(
                pc.or_(people.column("is_deleted_account"), people.column("is_bot")), False
            )
        ).column("person_id")
        excluded = np.asarray(
            pc.is_in(arrays.people, value_set=excluded_ids).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        person = np.flatnonzero((first >= 0) & ~excluded)
        first = first[person]
        # Replies to a first message by someone else; the first of them per message.
        is_first = np.zeros(arrays.n, dtype=bool)
        is_first[first] = True
        parent = arrays.parent
        replies = np.flatnonzero(
            (parent >= 0) & is_first[np.maximum(parent, 0)] & (author != arrays.parent_author)
        )
        earliest = _first_per_group(arrays, replies, parent[replies], size=arrays.n)
        reply = earliest[first]
        replied = reply >= 0
        reply_rows = pa.array(np.where(replied, reply, 0))
        unreplied = pa.array(~replied)
        message_id = arrays.message_id.take(pa.array(first))
        thread_id = arrays.thread_ids.take(pa.array(arrays.thread[first]))
        at = pa.array(created, pa.int64()).cast(TIMESTAMP)
        table = pa.table(
            {
                "person_id": arrays.people.take(pa.array(person)),
                "message_id": message_id,
                "thread_id": thread_id,
                "created_at": at.take(pa.array(first)),
                "is_thread_start": pc.equal(message_id, thread_id),
                "replied": pa.array(replied),
                "first_reply_id": pc.if_else(
                    unreplied, pa.scalar(None, pa.string()), arrays.message_id.take(reply_rows)
                ),
                "first_reply_at": pc.if_else(
                    unreplied, pa.scalar(None, TIMESTAMP), at.take(reply_rows)
                ),
                "first_replier_id": pc.if_else(
                    unreplied,
                    pa.scalar(None, pa.string()),
                    arrays.people.take(pa.array(author[np.where(replied, reply, 0)])),
                ),
            }
        )
        table = table.take(pc.sort_indices(table.column("person_id")))
        return table.cast(FIRST_MESSAGE_SCHEMA)

    return trace.cached("first_messages", compute)


def _first_per_group(
    arrays: MessageArrays, rows: IntArray, group: IntArray, size: int | None = None
) -> IntArray:
    """Per group code, the row among ``rows`` written first (ties: smallest message id).

    Returns one row per group code (``size`` codes, default the number of people), -1
    for groups without rows.
    """
    n_groups = arrays.n_people if size is None else size
    chosen = np.full(n_groups, -1, dtype=np.int64)
    if rows.size == 0:
        return chosen
    created = arrays.created[rows]
    earliest = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, group, created)
    tied = created == earliest[group]
    candidates, groups = rows[tied], group[tied]
    # Usually one candidate per group; ties in time go to the smallest message id.
    ordered = pa.table(
        {"group": groups, "id": arrays.message_id.take(pa.array(candidates)), "row": candidates}
    ).sort_by([("group", "ascending"), ("id", "ascending")])
    sorted_group = ordered.column("group").to_numpy()
    sorted_row = ordered.column("row").to_numpy()
    head = np.ones(sorted_group.size, dtype=bool)
    head[1:] = sorted_group[1:] != sorted_group[:-1]
    chosen[sorted_group[head]] = sorted_row[head]
    return chosen
