"""Knowledge artefacts per month: accepted answers, merged and applied work, commits, docs."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["knowledge_artefacts"]

#: Outcome kinds that leave a lasting artefact.
ARTEFACT_KINDS = ("accepted_answer", "merged", "applied", "artefact", "closed_fixed", "resolved")


@metric(
    theme="knowledge",
    columns=("period", "kind", "n_artefacts", "n"),
    source="Knowledge artefacts per period (CHAOSS-style activity counts)",
    chart=Chart(
        kind="line",
        x="period",
        y="n_artefacts",
        group="kind",
        title="Knowledge artefacts per month",
    ),
)
def knowledge_artefacts(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Artefacts created per month, by kind: outcomes (accepted, merged, ...) and commits.

    Outcomes without a date are dated by their thread's first message; commits are
    messages of kind ``commit``.

    Returns
    -------
    pyarrow.Table
        ``period`` (month start, UTC), ``kind``, ``n_artefacts``, ``n`` (= ``n_artefacts``).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> table = knowledge_artefacts(tiny_trace())
    >>> sorted(zip(table["kind"].to_pylist(), table["n_artefacts"].to_pylist()))
    [('applied', 1), ('resolved', 1)]
    """
    timestamp = pa.timestamp("us", tz="UTC")
    messages = trace.arrow("messages").select(["message_id", "thread_id", "created_at", "kind"])
    parts = []
    outcomes = trace.arrow("outcomes")
    if outcomes.num_rows:
        outcomes = outcomes.filter(
            pc.is_in(outcomes.column("kind"), value_set=pa.array(ARTEFACT_KINDS))
        )
        # Undated outcomes take the time their thread started.
        row = pc.index_in(outcomes.column("thread_id"), value_set=messages.column("message_id"))
        fallback = messages.column("created_at").combine_chunks().take(row)
        at = pc.coalesce(outcomes.column("created_at").cast(timestamp), fallback.cast(timestamp))
        parts.append(pa.table({"at": at, "kind": outcomes.column("kind")}))
    commits = messages.filter(pc.equal(messages.column("kind"), "commit"))
    if commits.num_rows:
        parts.append(
            pa.table(
                {"at": commits.column("created_at").cast(timestamp), "kind": commits.column("kind")}
            )
        )
    schema = pa.schema(
        [
            pa.field("period", timestamp),
            pa.field("kind", pa.string()),
            pa.field("n_artefacts", pa.int64()),
            pa.field("n", pa.int64()),
        ]
    )
    if not parts:
        return schema.empty_table()
    events = pa.concat_tables(parts)
    events = events.filter(pc.is_valid(events.column("at")))
    events = events.append_column("period", pc.floor_temporal(events.column("at"), unit="month"))
    counts = events.group_by(["period", "kind"], use_threads=False).aggregate([("at", "count")])
    counts = counts.sort_by([("period", "ascending"), ("kind", "ascending")])
    return pa.table(
        {
            "period": counts.column("period").cast(timestamp),
            "kind": counts.column("kind"),
            "n_artefacts": counts.column("at_count").cast(pa.int64()),
            "n": counts.column("at_count").cast(pa.int64()),
        },
        schema=schema,
    )
