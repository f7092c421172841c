"""The interaction graph: who replied to or addressed whom, built in the engine, analysed in igraph.

Edges run from the person who speaks to the person spoken to: the author of a
reply to the author of its parent (``parent_id``), and the author of a message to
its explicit addressee (``addressee_id``). Self-replies are dropped. Edge lists are
aggregated in the engine (DuckDB or Spark), so they stay small even for huge
communities; only the aggregated list reaches igraph on the driver.
"""

from __future__ import annotations

from typing import Any, Literal

import ibis
import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.trace import Trace

__all__ = [
    "EDGE_COLUMNS",
    "Window",
    "interaction_events",
    "interaction_graph",
    "reply_edges",
    "window_start",
]

Window = Literal["week", "month", "quarter", "year"]

EDGE_COLUMNS = ("source_id", "target_id", "weight", "first_at", "last_at")


def window_start(column: Any, window: Window) -> Any:
    """Truncate an Ibis timestamp expression to the start of its ``window`` (UTC)."""
    unit = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}[window]
    return column.truncate(unit)


def interaction_events(trace: Trace) -> Any:
    """One row per directed interaction (an Ibis table, lazily evaluated).

    Columns: ``message_id``, ``thread_id``, ``source_id`` (speaker), ``target_id``
    (the person replied to or addressed), ``created_at``, ``via`` (``reply`` or
    ``address``). A reply that also names its parent's author as addressee counts once
    (as ``reply``); self-replies and self-addresses are dropped.
    """
    messages = trace.table("messages")
    parents = messages.select(parent_key=messages.message_id, parent_author=messages.author_id)
    # One pass: each message with its parent's author (null without a known parent).
    joined = messages.left_join(parents, messages.parent_id == parents.parent_key)
    replies = joined.filter(
        joined.parent_author.notnull() & (joined.author_id != joined.parent_author)
    )
    by_reply = replies.select(
        message_id=replies.message_id,
        thread_id=replies.thread_id,
        source_id=replies.author_id,
        target_id=replies.parent_author,
        created_at=replies.created_at,
        via=ibis.literal("reply"),
    )
    # A reply that also names its parent's author as addressee is already a reply event.
    addressed = joined.filter(
        joined.addressee_id.notnull()
        & (joined.author_id != joined.addressee_id)
        & (joined.parent_author.isnull() | (joined.parent_author != joined.addressee_id))
    )
    by_address = addressed.select(
        message_id=addressed.message_id,
        thread_id=addressed.thread_id,
        source_id=addressed.author_id,
        target_id=addressed.addressee_id,
        created_at=addressed.created_at,
        via=ibis.literal("address"),
    )
    return by_reply.union(by_address, distinct=False)


def reply_edges(trace: Trace, *, window: Window | None = None) -> pa.Table:
    """Weighted person → person edges, over the whole trace or per time window.

    Parameters
    ----------
    trace
        The trace.
    window
        If given, edges are counted per ``week``/``month``/``quarter``/``year`` and
        the table gains a ``period`` column (the window's start, UTC).

    Returns
    -------
    pyarrow.Table
        ``[period,] source_id, target_id, weight, first_at, last_at``, sorted.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> edges = reply_edges(tiny_trace())
    >>> edges.num_rows, sorted(edges.column("weight").to_pylist())
    (5, [1, 1, 1, 1, 1])
    """
    key = f"reply_edges:{window}"
    if window is None:
        return trace.cached(key, lambda: _whole_trace_edges(reply_edges(trace, window="quarter")))

    def compute() -> pa.Table:
        events = interaction_events(trace)
        keys = ["source_id", "target_id"]
        if window is not None:
            events = events.mutate(period=window_start(events.created_at, window))
            keys = ["period", *keys]
        edges = events.group_by(keys).aggregate(
            weight=events.count(),
            first_at=events.created_at.min(),
            last_at=events.created_at.max(),
        )
        table: pa.Table = edges.order_by(keys).to_pyarrow()
        return table.cast(_edge_schema(window is not None))

    return trace.cached(key, compute)


def _whole_trace_edges(by_period: pa.Table) -> pa.Table:
    """The whole-trace edge list from a per-window one (the windows partition the events).

    Summing weights and taking the earliest ``first_at`` and latest ``last_at`` gives the
    table the engine would build, without a second pass over the messages (the metrics
    need both lists). Arrow sorts strings by their UTF-8 bytes, as the engine does.
    """
    edges = by_period.group_by(["source_id", "target_id"], use_threads=False).aggregate(
        [("weight", "sum"), ("first_at", "min"), ("last_at", "max")]
    )
    edges = edges.select(["source_id", "target_id", "weight_sum", "first_at_min", "last_at_max"])
    edges = edges.rename_columns(list(EDGE_COLUMNS))
    edges = edges.sort_by([("source_id", "ascending"), ("target_id", "ascending")])
    return edges.cast(_edge_schema(False))


def _edge_schema(with_period: bool) -> pa.Schema:
    timestamp = pa.timestamp("us", tz="UTC")
    fields = [
        pa.field("source_id", pa.string()),
        pa.field("target_id", pa.string()),
        pa.field("weight", pa.int64()),
        pa.field("first_at", timestamp),
        pa.field("last_at", timestamp),
    ]
    if with_period:
        fields.insert(0, pa.field("period", timestamp))
    return pa.schema(fields)


def interaction_graph(
    edges: pa.Table, *, people: list[str] | None = None, directed: bool = True
) -> ig.Graph:
    """Build an igraph graph from an edge table (``source_id``, ``target_id``, ``weight``).

    Vertices carry a ``name`` attribute (the pseudonym); ``people`` adds isolated
    vertices (people who never interacted) so that shares and ranks count everyone.
    Edges carry ``weight``. Undirected graphs sum the weights of both directions.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> g = interaction_graph(reply_edges(trace))
    >>> g.vcount(), g.ecount()
    (4, 5)
    """
    sources = edges.column("source_id").cast(pa.string())
    targets = edges.column("target_id").cast(pa.string())
    columns = [sources, targets]
    if people:
        columns.append(pa.chunked_array([pa.array(people, pa.string())]))
    # Arrow sorts strings by UTF-8 bytes, which is code-point order: ``sorted`` order.
    chunks = [chunk for part in columns for chunk in part.chunks]
    names = pc.unique(pa.chunked_array(chunks, type=pa.string())).sort()
    graph = ig.Graph(n=len(names), directed=True)
    graph.vs["name"] = names.to_pylist()
    pairs = np.column_stack(
        [
            np.asarray(pc.index_in(sources, value_set=names).to_numpy(), dtype=np.int64),
            np.asarray(pc.index_in(targets, value_set=names).to_numpy(), dtype=np.int64),
        ]
    )
    graph.add_edges(pairs)
    graph.es["weight"] = edges.column("weight").to_pylist()
    if not directed:
        graph.to_undirected(mode="collapse", combine_edges={"weight": "sum"})
    return graph
