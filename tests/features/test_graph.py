"""Tests for the interaction edge lists and the igraph interaction graph."""

from __future__ import annotations

import pyarrow as pa

from undertow.features.graph import (
    _edge_schema,
    interaction_events,
    interaction_graph,
    reply_edges,
)
from undertow.model.trace import Trace
from undertow.testing import make_trace


def _trace() -> Trace:
    """Repeated pairs across quarters, replies that also address, a self-reply, an orphan."""
    return make_trace(
        [
            {"message_id": "a", "author_id": "x", "created_at": "2020-01-02"},
            {"message_id": "b", "author_id": "y", "parent_id": "a", "created_at": "2020-01-03"},
            {
                "message_id": "c",
                "author_id": "x",
                "parent_id": "b",
                "addressee_id": "y",
                "created_at": "2020-02-01",
            },
            {"message_id": "d", "author_id": "y", "parent_id": "c", "created_at": "2020-05-01"},
            {"message_id": "e", "author_id": "y", "parent_id": "d", "created_at": "2020-05-02"},
            {"message_id": "f", "author_id": "é", "addressee_id": "x", "created_at": "2020-08-01"},
            {"message_id": "g", "author_id": "Z", "parent_id": "f", "created_at": "2021-01-01"},
            {
                "message_id": "h",
                "author_id": "Z",
                "parent_id": "a",
                "addressee_id": "y",
                "created_at": "2021-01-02",
            },
            {"message_id": "i", "author_id": "x", "parent_id": "zz", "created_at": "2021-01-03"},
        ]
    )


def test_whole_trace_edges_match_the_engine_aggregation() -> None:
    trace = _trace()
    events = interaction_events(trace)
    keys = ["source_id", "target_id"]
    expected = (
        events.group_by(keys)
        .aggregate(
            weight=events.count(),
            first_at=events.created_at.min(),
            last_at=events.created_at.max(),
        )
        .order_by(keys)
        .to_pyarrow()
        .cast(_edge_schema(False))
    )
    edges = reply_edges(trace)
    assert edges.equals(expected)
    pairs = list(zip(edges["source_id"].to_pylist(), edges["target_id"].to_pylist(), strict=True))
    # c replies to y and addresses y: once; h replies to x and addresses y: twice.
    assert pairs == [("Z", "x"), ("Z", "y"), ("Z", "é"), ("x", "y"), ("y", "x"), ("é", "x")]
    assert edges.column("weight").to_pylist() == [1, 1, 1, 1, 2, 1]
    via = interaction_events(trace).to_pyarrow()
    assert sorted(via.column("via").to_pylist()) == ["address", "address"] + ["reply"] * 5
    by_quarter = reply_edges(trace, window="quarter")
    assert by_quarter.num_rows == 7
    assert sum(by_quarter.column("weight").to_pylist()) == 7


def test_interaction_graph_orders_names_like_sorted() -> None:
    edges = pa.table(
        {
            "source_id": ["é", "z", "a", "z"],
            "target_id": ["a", "é", "Z", "a"],
            "weight": [1, 2, 3, 4],
        }
    )
    graph = interaction_graph(edges, people=["b", "a"])
    assert graph.vs["name"] == sorted({"é", "z", "a", "Z", "b"})
    names = graph.vs["name"]
    pairs = [(names[s], names[t]) for s, t in graph.get_edgelist()]
    assert pairs == [("é", "a"), ("z", "é"), ("a", "Z"), ("z", "a")]
    assert graph.es["weight"] == [1, 2, 3, 4]
    undirected = interaction_graph(edges, directed=False)
    assert undirected.ecount() == 4 and sorted(undirected.es["weight"]) == [1, 2, 3, 4]
    empty = interaction_graph(edges.slice(0, 0), people=["b"])
    assert empty.vs["name"] == ["b"] and empty.ecount() == 0
