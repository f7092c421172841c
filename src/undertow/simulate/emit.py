"""Record what the simulated community does and emit it as canonical trace tables."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from undertow.model.schema import TABLES, TIMESTAMP, validate_table

__all__ = ["EPOCH_US", "START", "Recorder", "pseudonym", "to_datetime"]

#: Day 0 of every simulation (a Monday).
START = datetime(2024, 1, 1, tzinfo=UTC)
EPOCH_US = int(START.timestamp() * 1_000_000)


def pseudonym(seed: int, agent_id: int) -> str:
    """The pseudonym of a simulated agent: ``p_`` and 12 hex digits of a seeded hash.

    Simulated people are nobody, but their ids have the shape of ingested pseudonyms, so
    every metric and the output audit treat them alike.

    Examples
    --------
    >>> pseudonym(0, 1) == pseudonym(0, 1) != pseudonym(1, 1)
    True
    >>> len(pseudonym(0, 1))
    14
    """
    digest = hashlib.sha256(f"undertow-simulate:{seed}:{agent_id}".encode()).hexdigest()
    return f"p_{digest[:12]}"


def to_datetime(microseconds: int) -> datetime:
    """UTC datetime of a simulation time in microseconds since the epoch.

    Examples
    --------
    >>> to_datetime(EPOCH_US).isoformat()
    '2024-01-01T00:00:00+00:00'
    """
    return datetime.fromtimestamp(microseconds / 1_000_000, tz=UTC)


class Recorder:
    """Column buffers for the trace tables, filled as the model runs."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Any]] = {
            name: [] for name in ("message_id", "thread_id", "parent_id", "addressee_id")
        }
        for name in ("author_id", "created_at", "space_id", "kind", "text", "has_patch"):
            self.messages[name] = []
        self.roles: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.spaces: list[dict[str, Any]] = []

    def message(
        self,
        *,
        message_id: str,
        thread_id: str,
        parent_id: str | None,
        addressee_id: str | None,
        author_id: str,
        created_at: int,
        space_id: str,
        kind: str,
        text: str,
        has_patch: bool = False,
    ) -> None:
        """Append one message (``created_at`` in microseconds since the Unix epoch)."""
        columns = self.messages
        columns["message_id"].append(message_id)
        columns["thread_id"].append(thread_id)
        columns["parent_id"].append(parent_id)
        columns["addressee_id"].append(addressee_id)
        columns["author_id"].append(author_id)
        columns["created_at"].append(created_at)
        columns["space_id"].append(space_id)
        columns["kind"].append(kind)
        columns["text"].append(text)
        columns["has_patch"].append(has_patch)

    def tables(self) -> dict[str, pa.Table]:
        """The trace tables, validated against the schema, in a stable order."""
        columns = self.messages
        n = len(columns["message_id"])
        times = pa.array(np.asarray(columns["created_at"], dtype=np.int64), type=pa.int64())
        messages = pa.table(
            {
                **{name: pa.array(columns[name], type=pa.string()) for name in list(columns)[:4]},
                "author_id": pa.array(columns["author_id"], type=pa.string()),
                "created_at": times.cast(TIMESTAMP),
                "space_id": pa.array(columns["space_id"], type=pa.string()),
                "kind": pa.array(columns["kind"], type=pa.string()),
                "text": pa.array(columns["text"], type=pa.string()),
                "quoted_text": pa.nulls(n, type=pa.string()),
                "has_patch": pa.array(columns["has_patch"], type=pa.bool_()),
                "has_signature": pa.array(np.zeros(n, dtype=bool)),
                "source_ref": pa.array([f"simulated:{i}" for i in range(n)], type=pa.string()),
            }
        ).sort_by([("created_at", "ascending"), ("message_id", "ascending")])
        tables = {
            "messages": validate_table("messages", messages),
            "people": validate_table("people", _people(messages)),
        }
        for name, rows in (
            ("roles", self.roles),
            ("outcomes", self.outcomes),
            ("documents", self.documents),
            ("spaces", self.spaces),
        ):
            table = _rows(name, rows)
            if name == "outcomes":
                table = table.sort_by([("created_at", "ascending"), ("thread_id", "ascending")])
            tables[name] = validate_table(name, table)
        return tables


def _rows(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = TABLES[name].schema
    arrays = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if field.type == TIMESTAMP:
            arrays.append(pa.array(values, type=pa.int64()).cast(TIMESTAMP))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _people(messages: pa.Table) -> pa.Table:
    grouped = (
        messages.group_by("author_id", use_threads=False)
        .aggregate([("created_at", "min"), ("created_at", "max"), ("message_id", "count")])
        .sort_by("author_id")
    )
    n = grouped.num_rows
    return pa.table(
        {
            "person_id": grouped.column("author_id"),
            "first_seen_at": grouped.column("created_at_min"),
            "last_seen_at": grouped.column("created_at_max"),
            "n_messages": grouped.column("message_id_count").cast(pa.int64()),
            "is_deleted_account": pa.array(np.zeros(n, dtype=bool)),
            "is_bot": pa.array(np.zeros(n, dtype=bool)),
        }
    )
