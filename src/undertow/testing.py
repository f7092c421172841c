"""Builders for small traces, for tests and examples (mirrors ``polars.testing``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from undertow.engine import Engine
from undertow.model.schema import TABLES, TIMESTAMP
from undertow.model.trace import Trace

__all__ = ["derive_people", "make_trace", "placebo_roster", "tiny_trace", "truncated_trace"]

EPOCH = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return EPOCH + timedelta(hours=float(value))
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rows_to_table(name: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    schema = TABLES[name].schema
    columns: dict[str, list[Any]] = {field.name: [] for field in schema}
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"{name}: unknown column(s) {sorted(unknown)}")
        for field in schema:
            value = row.get(field.name)
            if value is not None and field.type == TIMESTAMP:
                value = _as_time(value)
            columns[field.name].append(value)
    return pa.table(columns, schema=schema)


def derive_people(messages: pa.Table) -> pa.Table:
    """Build the people table (first/last seen, message counts) from a messages table."""
    if messages.num_rows == 0:
        return TABLES["people"].schema.empty_table()
    grouped = messages.group_by("author_id", use_threads=False).aggregate(
        [("created_at", "min"), ("created_at", "max"), ("message_id", "count")]
    )
    grouped = grouped.sort_by("author_id")
    n = grouped.num_rows
    return pa.table(
        {
            "person_id": grouped.column("author_id"),
            "first_seen_at": grouped.column("created_at_min"),
            "last_seen_at": grouped.column("created_at_max"),
            "n_messages": grouped.column("message_id_count").cast(pa.int64()),
            "is_deleted_account": pa.array([False] * n),
            "is_bot": pa.array([False] * n),
        },
        schema=TABLES["people"].schema,
    )


def make_trace(
    messages: Sequence[Mapping[str, Any]],
    *,
    roles: Sequence[Mapping[str, Any]] = (),
    spaces: Sequence[Mapping[str, Any]] = (),
    outcomes: Sequence[Mapping[str, Any]] = (),
    documents: Sequence[Mapping[str, Any]] = (),
    engine: Engine = "duckdb",
) -> Trace:
    """Build a trace from plain rows, filling the columns a test does not care about.

    Each message needs ``message_id`` and ``author_id``; ``created_at`` may be a
    datetime, an ISO string, or a number of hours after 2020-01-06 (default: the
    row's position). ``thread_id`` defaults to the parent's thread (or the message
    itself), ``kind`` to ``post``/``reply``, ``text`` to empty.

    Examples
    --------
    >>> trace = make_trace([
    ...     {"message_id": "m1", "author_id": "a"},
    ...     {"message_id": "m2", "author_id": "b", "parent_id": "m1"},
    ... ])
    >>> trace.arrow("messages").column("thread_id").to_pylist()
    ['m1', 'm1']
    """
    thread_of: dict[str, str] = {}
    filled: list[dict[str, Any]] = []
    for position, row in enumerate(messages):
        message = dict(row)
        parent = message.get("parent_id")
        message.setdefault(
            "thread_id", thread_of.get(parent, parent) if parent else message["message_id"]
        )
        thread_of[message["message_id"]] = message["thread_id"]
        message.setdefault("created_at", position)
        message.setdefault("kind", "reply" if parent else "post")
        message.setdefault("text", "")
        message.setdefault("has_patch", False)
        message.setdefault("has_signature", False)
        filled.append(message)
    message_table = _rows_to_table("messages", filled)
    tables = {"messages": message_table, "people": derive_people(message_table)}
    for name, rows in (
        ("roles", roles),
        ("spaces", spaces),
        ("outcomes", outcomes),
        ("documents", documents),
    ):
        if rows:
            tables[name] = _rows_to_table(name, [_with_defaults(name, row) for row in rows])
    return Trace(tables, engine=engine)


def _with_defaults(name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    filled = dict(row)
    if name == "roles":
        filled.setdefault("rank", 1)
    if name == "spaces":
        filled.setdefault("governance", "unknown")
    return filled


def tiny_trace(engine: Engine = "duckdb") -> Trace:
    """A hand-built community of five people and three threads, one of them a leader.

    ``lead`` is a formal leader (rank 2, unit ``core``) from hour 0; ``lead`` answers most
    questions, ``newbie``'s question is ignored, one patch is applied.
    """
    messages = [
        {"message_id": "q1", "author_id": "asker", "created_at": 0, "text": "How do I set it up?"},
        {
            "message_id": "a1",
            "author_id": "lead",
            "parent_id": "q1",
            "created_at": 1,
            "text": "Use the default config, it works.",
            "kind": "answer",
        },
        {
            "message_id": "r1",
            "author_id": "asker",
            "parent_id": "a1",
            "created_at": 2,
            "text": "Thanks, that worked!",
        },
        {
            "message_id": "p1",
            "author_id": "dev",
            "created_at": 24,
            "kind": "patch",
            "text": "Fix the probe order.",
            "has_patch": True,
        },
        {
            "message_id": "p1r",
            "author_id": "lead",
            "parent_id": "p1",
            "created_at": 30,
            "text": "Applied, thank you.",
        },
        {
            "message_id": "q2",
            "author_id": "newbie",
            "created_at": 48,
            "text": "My camera is not detected, any idea?",
        },
        {"message_id": "q3", "author_id": "helper", "created_at": 72, "text": "Release plan?"},
        {
            "message_id": "q3r",
            "author_id": "lead",
            "parent_id": "q3",
            "created_at": 73,
            "text": "Next month.",
        },
        {
            "message_id": "q3r2",
            "author_id": "dev",
            "parent_id": "q3r",
            "created_at": 75,
            "text": "Sounds good.",
        },
    ]
    roles = [
        {"person_id": "lead", "role": "maintainer", "rank": 2, "unit": "core", "valid_from": 0}
    ]
    outcomes = [
        {"thread_id": "q1", "message_id": "a1", "kind": "resolved", "created_at": 2},
        {
            "thread_id": "p1",
            "message_id": "p1",
            "kind": "applied",
            "created_at": 30,
            "actor_id": "lead",
        },
    ]
    return make_trace(messages, roles=roles, outcomes=outcomes, engine=engine)


def _retraced(trace: Trace, tables: dict[str, pa.Table]) -> Trace:
    """A trace of ``tables`` whose observation model is recomputed from them.

    The facts the adapters declared (``rejections``, ``conversation``) are kept; coverage,
    reply links and role dates are measured again on the new tables.
    """
    from undertow.model.observation import observation_model
    from undertow.model.schema import validate_table

    tables = {name: validate_table(name, table) for name, table in tables.items()}
    declared = {
        fact: reason
        for fact, reason in trace.observation.unobservable.items()
        if fact in ("rejections", "conversation")
    }
    model = observation_model(tables, sources=trace.observation.sources, unobservable=declared)
    return Trace(tables, manifest={**trace.manifest, "observation": model.as_dict()})


def placebo_roster(trace: Trace, seed: int, *, n_people: int = 5, min_messages: int = 10) -> Trace:
    """The trace with a placebo roster: random active members appointed at random dates.

    ``n_people`` people with at least ``min_messages`` messages get a rank-2 role with an
    exact ``valid_from`` drawn uniformly from the middle 80 % of the coverage window. A
    diagnosis should find no leadership or timing effect of these appointments (a negative
    control).

    Examples
    --------
    >>> placebo_roster(tiny_trace(), seed=1, min_messages=1).arrow("roles").num_rows
    5
    """
    import numpy as np
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    people = trace.arrow("people")
    active = people.filter(pc.greater_equal(people.column("n_messages"), min_messages))
    chosen = rng.choice(active.num_rows, size=min(n_people, active.num_rows), replace=False)
    low = trace.observation.moment("sustained_from")
    high = trace.observation.moment("right_censored_at")
    if low is None or high is None:
        raise ValueError("placebo_roster needs a trace with messages")
    span = (high - low).total_seconds()
    offsets = rng.uniform(0.1, 0.9, chosen.size) * span
    roles = pa.table(
        {
            "person_id": active.column("person_id").take(pa.array(chosen)),
            "role": pa.array(["maintainer"] * chosen.size),
            "rank": pa.array([2] * chosen.size, pa.int32()),
            "valid_from": pa.array([low + timedelta(seconds=float(s)) for s in offsets], TIMESTAMP),
            "date_basis": pa.array(["exact"] * chosen.size),
        }
    )
    tables = {name: trace.arrow(name) for name in TABLES if trace.has(name)}
    tables["roles"] = roles
    return _retraced(trace, tables)


def truncated_trace(trace: Trace, at: datetime) -> Trace:
    """The trace cut at ``at``: later messages, and outcomes of threads no longer there, removed.

    Examples
    --------
    >>> trace = tiny_trace()
    >>> truncated_trace(trace, EPOCH + timedelta(hours=30)).n_messages < trace.n_messages
    True
    """
    import pyarrow.compute as pc

    tables = {name: trace.arrow(name) for name in TABLES if trace.has(name)}
    messages = tables["messages"]
    messages = messages.filter(pc.less(messages.column("created_at"), pa.scalar(at, TIMESTAMP)))
    tables["messages"] = messages
    if "outcomes" in tables:
        outcomes = tables["outcomes"]
        tables["outcomes"] = outcomes.filter(
            pc.is_in(outcomes.column("thread_id"), value_set=messages.column("thread_id"))
        )
    return _retraced(trace, tables)
