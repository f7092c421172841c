"""Emergent vs appointed leaders: shadow leaders and paper leaders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.core import core_membership
from undertow.features.graph import interaction_graph, reply_edges
from undertow.features.leaders import ever_leaders
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["shadow_leaders"]

COLUMNS = (
    "person_id",
    "category",
    "pagerank",
    "pagerank_percentile",
    "in_degree",
    "is_core",
    "has_formal_role",
    "n",
)


@metric(
    theme="leadership",
    columns=COLUMNS,
    source="Emergent vs appointed leadership (informal centrality vs formal role)",
    requires=("messages", "roles"),
)
def shadow_leaders(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Shadow leaders (top-decile informal centrality, no formal role) and paper leaders.

    Informal centrality is PageRank on the directed, weighted reply network (a reply
    points at the person replied to, so being answered by central people counts);
    ``in_degree`` is the number of distinct people who replied to or addressed the
    person. Shadow leaders are in the top decile by PageRank and never held a rank > 0
    role; paper leaders held such a role but are neither in the top decile nor in the
    informal core (:func:`undertow.features.core.core_membership` over the whole trace);
    ``formal_and_central`` leaders are both.

    Returns
    -------
    pyarrow.Table
        ``person_id, category`` (``shadow_leader``, ``paper_leader``,
        ``formal_and_central``), ``pagerank, pagerank_percentile, in_degree, is_core,
        has_formal_role, n`` (people in the network), sorted by PageRank.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = shadow_leaders(tiny_trace()).to_pylist()
    >>> [(r["person_id"], r["category"]) for r in rows]
    [('lead', 'formal_and_central')]
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [
            pa.field("person_id", pa.string()),
            pa.field("category", pa.string()),
            pa.field("pagerank", pa.float64()),
            pa.field("pagerank_percentile", pa.float64()),
            pa.field("in_degree", pa.int64()),
            pa.field("is_core", pa.bool_()),
            pa.field("has_formal_role", pa.bool_()),
            pa.field("n", pa.int64()),
        ]
    )
    edges = reply_edges(trace)
    if arrays.n == 0 or edges.num_rows == 0:
        return schema.empty_table()
    graph = interaction_graph(edges, people=arrays.people.to_pylist())
    names = pa.array(graph.vs["name"], pa.string())
    # igraph's PRPACK solver differs between processes in the last bits; rounding keeps
    # outputs byte-identical run to run (12 decimals is far below any meaningful gap).
    pagerank = np.round(
        np.asarray(graph.pagerank(weights="weight", directed=True), dtype=np.float64), 12
    )
    in_degree = np.asarray(graph.indegree(), dtype=np.int64)
    n = pagerank.size
    # Percentile rank (ties share the lower rank): 1.0 = most central.
    sorted_pr = np.sort(pagerank)
    ranks = np.searchsorted(sorted_pr, pagerank, side="left") / max(n - 1, 1)
    top = ranks >= 0.9
    leader_code = ever_leaders(trace, arrays)
    # A node who is only ever addressed (never writes) has no author code: not a leader.
    code = np.asarray(
        pc.index_in(names, value_set=arrays.people).fill_null(-1).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    formal = np.where(code >= 0, leader_code[np.maximum(code, 0)], False)
    core = core_membership(trace, window=None)
    core_names = core.filter(core.column("is_core")).column("person_id")
    is_core = np.asarray(pc.is_in(names, value_set=core_names).to_numpy(zero_copy_only=False))
    category = np.full(n, "", dtype=object)
    category[top & ~formal] = "shadow_leader"
    category[formal & ~top & ~is_core] = "paper_leader"
    category[formal & (top | is_core)] = "formal_and_central"
    keep = np.flatnonzero(category != "")
    keep = keep[np.lexsort((keep, -pagerank[keep]))]
    return pa.table(
        {
            "person_id": names.take(pa.array(keep, pa.int64())),
            "category": pa.array(category[keep].tolist(), pa.string()),
            "pagerank": pa.array(pagerank[keep], pa.float64()),
            "pagerank_percentile": pa.array(ranks[keep], pa.float64()),
            "in_degree": pa.array(in_degree[keep], pa.int64()),
            "is_core": pa.array(is_core[keep], pa.bool_()),
            "has_formal_role": pa.array(formal[keep], pa.bool_()),
            "n": pa.array(np.full(keep.size, n), pa.int64()),
        },
        schema=schema,
    )
