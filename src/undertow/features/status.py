"""Formal status: the rank and role a person held when they wrote each message."""

from __future__ import annotations

import ibis
import pyarrow as pa

from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace

__all__ = ["message_status"]


def message_status(trace: Trace) -> pa.Table:
    """The author's formal rank and role at the time of each message.

    Roles are time-varying (``valid_from``/``valid_to``; null bounds are open). When a
    person holds several roles at once the highest rank wins; people without a role
    have rank 0 and a null role.

    Returns
    -------
    pyarrow.Table
        ``message_id, author_id, created_at, formal_rank, formal_role, formal_unit``,
        one row per message, sorted by ``message_id``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> status = message_status(tiny_trace())
    >>> dict(zip(status["message_id"].to_pylist(), status["formal_rank"].to_pylist()))["a1"]
    2
    """

    def compute() -> pa.Table:
        messages = trace.table("messages").select("message_id", "author_id", "created_at")
        if not trace.has("roles"):
            table = messages.mutate(
                formal_rank=ibis.literal(0, "int32"),
                formal_role=ibis.null("string"),
                formal_unit=ibis.null("string"),
            )
        else:
            roles = trace.table("roles")
            held = messages.inner_join(
                roles,
                [
                    messages.author_id == roles.person_id,
                    roles.valid_from.isnull() | (roles.valid_from <= messages.created_at),
                    roles.valid_to.isnull() | (messages.created_at < roles.valid_to),
                ],
            )
            # Highest rank wins; ties broken by role and unit name for determinism.
            ordered = held.mutate(
                position=ibis.row_number().over(
                    group_by=held.message_id,
                    order_by=[ibis.desc(held.rank), held.role, held.unit],
                )
            )
            best = ordered.filter(ordered.position == 0).select(
                best_message_id=ordered.message_id,
                formal_rank=ordered.rank.cast("int32"),
                formal_role=ordered.role,
                formal_unit=ordered.unit,
            )
            joined = messages.left_join(best, messages.message_id == best.best_message_id)
            table = joined.select(
                "message_id",
                "author_id",
                "created_at",
                formal_rank=joined.formal_rank.fill_null(0),
                formal_role=joined.formal_role,
                formal_unit=joined.formal_unit,
            )
        result: pa.Table = table.order_by("message_id").to_pyarrow()
        # Spark returns naive timestamps; the trace's times are UTC.
        return result.set_column(
            result.schema.get_field_index("created_at"),
            "created_at",
            result["created_at"].cast(TIMESTAMP),
        )

    return trace.cached("message_status", compute)
