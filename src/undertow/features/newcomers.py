"""Newcomers' first messages and how the community received them (Joyce & Kraut 2006).

A person's *first message* is the earliest message they wrote in the trace (ties
broken by ``message_id``). It was *replied* when someone else wrote a message whose
``parent_id`` is that first message. The catch-all deleted account and bots are not
newcomers and get no row (they may still be repliers).
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace

__all__ = ["FIRST_MESSAGE_SCHEMA", "first_messages"]

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
        messages = trace.table("messages")
        people = trace.table("people")
        excluded = people.filter(people.is_deleted_account | people.is_bot).select(
            excluded_id=people.person_id
        )
        ranked = messages.mutate(
            position=ibis.row_number().over(
                group_by=messages.author_id,
                order_by=[messages.created_at, messages.message_id],
            )
        )
        first = ranked.filter(ranked.position == 0)
        first = first.anti_join(excluded, first.author_id == excluded.excluded_id)
        first = first.select(
            person_id=first.author_id,
            message_id=first.message_id,
            thread_id=first.thread_id,
            created_at=first.created_at,
            is_thread_start=first.message_id == first.thread_id,
        )
        replies = messages.filter(messages.parent_id.notnull()).select(
            reply_id=messages.message_id,
            reply_parent=messages.parent_id,
            reply_author=messages.author_id,
            reply_at=messages.created_at,
        )
        answered = first.inner_join(
            replies,
            [
                first.message_id == replies.reply_parent,
                first.person_id != replies.reply_author,
            ],
        )
        answered = answered.mutate(
            reply_rank=ibis.row_number().over(
                group_by=answered.message_id,
                order_by=[answered.reply_at, answered.reply_id],
            )
        )
        earliest = answered.filter(answered.reply_rank == 0).select(
            answered_id=answered.message_id,
            first_reply_id=answered.reply_id,
            first_reply_at=answered.reply_at,
            first_replier_id=answered.reply_author,
        )
        joined = first.left_join(earliest, first.message_id == earliest.answered_id)
        result = joined.select(
            "person_id",
            "message_id",
            "thread_id",
            "created_at",
            "is_thread_start",
            replied=joined.first_reply_id.notnull(),
            first_reply_id=joined.first_reply_id,
            first_reply_at=joined.first_reply_at,
            first_replier_id=joined.first_replier_id,
        ).order_by("person_id")
        table: pa.Table = result.to_pyarrow()
        return table.cast(FIRST_MESSAGE_SCHEMA)

    return trace.cached("first_messages", compute)
