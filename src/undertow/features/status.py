"""Formal status: the rank and role a person held when they wrote each message."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
        messages = trace.arrow("messages").select(["message_id", "author_id", "created_at"])
        messages = _sorted_by_id(messages)
        n = messages.num_rows
        best = np.full(n, -1, dtype=np.int64)
        roles = trace.arrow("roles") if trace.has("roles") else None
        if roles is not None and roles.num_rows and n:
            roles, best = _best_roles(messages, roles)
        chosen = pa.array(best, pa.int64(), mask=best < 0)
        if roles is not None and roles.num_rows:
            rank = roles.column("rank").cast(pa.int32()).take(chosen).fill_null(0)
            role = roles.column("role").cast(pa.string()).take(chosen)
            unit = roles.column("unit").cast(pa.string()).take(chosen)
        else:
            rank = pa.array(np.zeros(n, dtype=np.int32), pa.int32())
            role = pa.nulls(n, pa.string())
            unit = pa.nulls(n, pa.string())
        return pa.table(
            {
                "message_id": messages.column("message_id").cast(pa.string()),
                "author_id": messages.column("author_id").cast(pa.string()),
                "created_at": messages.column("created_at").cast(TIMESTAMP),
                "formal_rank": rank,
                "formal_role": role,
                "formal_unit": unit,
            }
        )

    return trace.cached("message_status", compute)


def _sorted_by_id(messages: pa.Table) -> pa.Table:
    ids = messages.column("message_id")
    if (
        messages.num_rows > 1
        and not pc.all(pc.less_equal(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py()
    ):
        messages = messages.take(pc.sort_indices(ids))
    return messages


def _best_roles(messages: pa.Table, roles: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """Roles in priority order, and per message the index of its author's best role then.

    A role is held at ``t`` when ``valid_from <= t < valid_to`` (null bounds open); the
    highest rank wins, ties broken by role and then unit name (nulls last, Arrow's
    default).
    """
    roles = roles.take(
        pc.sort_indices(
            roles,
            sort_keys=[
                ("person_id", "ascending"),
                ("rank", "descending"),
                ("role", "ascending"),
                ("unit", "ascending"),
            ],
        )
    )
    holders = roles.column("person_id").combine_chunks()
    first_role = np.flatnonzero(
        np.r_[True, pc.not_equal(holders[1:], holders[:-1]).to_numpy(zero_copy_only=False)]
    )
    n_roles = np.diff(np.r_[first_role, roles.num_rows])
    person = pc.index_in(messages.column("author_id"), value_set=holders.take(first_role))
    person_np = np.asarray(person.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    best = np.full(messages.num_rows, -1, dtype=np.int64)
    with_roles = np.flatnonzero(person_np >= 0)
    if not with_roles.size:
        return roles, best
    # Every (message, candidate role) pair, by message then role priority.
    count = n_roles[person_np[with_roles]]
    message = np.repeat(with_roles, count)
    offset = np.arange(message.size) - np.repeat(np.cumsum(count) - count, count)
    role = first_role[person_np[message]] + offset
    time = _micros(messages.column("created_at"))[message]
    start = _micros(roles.column("valid_from"), fill=np.iinfo(np.int64).min)[role]
    stop = _micros(roles.column("valid_to"), fill=np.iinfo(np.int64).max)[role]
    held = (start <= time) & (time < stop)
    message, role = message[held], role[held]
    first = np.r_[True, message[1:] != message[:-1]] if message.size else np.zeros(0, bool)
    best[message[first]] = role[first]
    return roles, best


def _micros(column: pa.ChunkedArray, fill: int = 0) -> np.ndarray:
    values = column.cast(TIMESTAMP).cast(pa.int64()).fill_null(fill)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)
