"""S · The power structure at a glance: a sociogram of the core with formal roles marked."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.core import core_membership
from undertow.features.graph import reply_edges
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = ["MAX_PEOPLE", "core_sociogram"]

#: People drawn at most: the core members with the most messages.
MAX_PEOPLE = 60

SCHEMA = pa.schema(
    [
        pa.field("source_id", pa.string()),
        pa.field("target_id", pa.string()),
        pa.field("role", pa.string()),
        pa.field("is_core", pa.bool_()),
        pa.field("n", pa.int64()),
    ]
)


def _highest_roles(trace: Trace) -> dict[str, str]:
    """Each role holder's highest-ranked formal role over the trace (ties: role name)."""
    roles = trace.arrow("roles")
    if roles.num_rows == 0:
        return {}
    held = roles.filter(pc.greater(roles.column("rank"), 0))
    ordered = held.sort_by(
        [("person_id", "ascending"), ("rank", "descending"), ("role", "ascending")]
    )
    best: dict[str, str] = {}
    for person, role in zip(
        ordered.column("person_id").to_pylist(), ordered.column("role").to_pylist(), strict=True
    ):
        best.setdefault(str(person), str(role))
    return best


@metric(
    theme="synthesis",
    columns=["source_id", "target_id", "role", "is_core", "n"],
    source="k-core of the reply network per quarter (Borgatti & Everett 1999; "
    "Wenger 1998, core and periphery); formal roles from the roster",
    chart=Chart(
        kind="network",
        x="source_id",
        y="target_id",
        group="role",
        title="Who replies to whom among the core; colour and a dark ring mark a formal role",
    ),
)
def core_sociogram(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Sociogram of the core: core members, their formal roles, and the replies between them.

    A person is in the core if they were in the core (``is_core``) of the reply network
    in at least one quarter (:func:`undertow.features.core.core_membership`); the
    :data:`MAX_PEOPLE` core members who wrote most are kept.

    Parameters
    ----------
    trace
        The community trace.
    seed
        Unused (deterministic); accepted for the metric contract.

    Returns
    -------
    pyarrow.Table
        Node rows (``target_id`` null): ``source_id`` the person, ``role`` their highest
        formal role (null if none), ``is_core``, ``n`` messages written. Edge rows:
        ``source_id`` replied to ``target_id`` ``n`` times (``role`` null).

    Raises
    ------
    MetricSkipped
        If no quarter has a core.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> core_sociogram(make_trace([])).column_names
    ['source_id', 'target_id', 'role', 'is_core', 'n']
    """
    if trace.n_messages == 0:
        return SCHEMA.empty_table()
    core = core_membership(trace, window="quarter")
    members = set(core.filter(core.column("is_core")).column("person_id").unique().to_pylist())
    if not members:
        raise MetricSkipped("no quarter's reply network has a core")
    counts = trace.arrow("messages").group_by("author_id").aggregate([("message_id", "count")])
    written = dict(
        zip(
            counts.column("author_id").to_pylist(),
            counts.column("message_id_count").to_pylist(),
            strict=True,
        )
    )
    kept = sorted(members, key=lambda person: (-written.get(person, 0), person))[:MAX_PEOPLE]
    kept_set = pa.array(sorted(kept), type=pa.string())
    roles = _highest_roles(trace)
    edges = reply_edges(trace)
    inside = pc.and_(
        pc.is_in(edges.column("source_id"), value_set=kept_set),
        pc.is_in(edges.column("target_id"), value_set=kept_set),
    )
    edges = edges.filter(inside)
    nodes = sorted(kept)
    node_rows = pa.table(
        {
            "source_id": pa.array(nodes, pa.string()),
            "target_id": pa.nulls(len(nodes), pa.string()),
            "role": pa.array([roles.get(p) for p in nodes], pa.string()),
            "is_core": pa.array(np.ones(len(nodes), dtype=bool)),
            "n": pa.array([int(written.get(p, 0)) for p in nodes], pa.int64()),
        },
        schema=SCHEMA,
    )
    edge_rows = pa.table(
        {
            "source_id": edges.column("source_id"),
            "target_id": edges.column("target_id"),
            "role": pa.nulls(edges.num_rows, pa.string()),
            "is_core": pa.nulls(edges.num_rows, pa.bool_()),
            "n": edges.column("weight").cast(pa.int64()),
        },
        schema=SCHEMA,
    )
    return pa.concat_tables([node_rows, edge_rows])
