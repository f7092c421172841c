"""Turn published metric tables into what the report shows: chart payloads and table previews.

The report never computes statistics; it only selects, thins and formats rows of the
tables the pipeline published (already small-cell suppressed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from undertow.themes.registry import Chart

__all__ = [
    "MAX_CHART_ROWS",
    "MAX_NETWORK_EDGES",
    "MAX_NETWORK_NODES",
    "chart_payload",
    "format_value",
    "table_preview",
]

#: Rows a chart may carry (per series for lines and curves); more are thinned evenly.
MAX_CHART_ROWS = 600
MAX_NETWORK_NODES = 80
MAX_NETWORK_EDGES = 320
PREVIEW_ROWS = 6
PREVIEW_COLUMNS = 9


def _column_type(field: pa.Field) -> str:
    if pa.types.is_temporal(field.type):
        return "time"
    if pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
        return "number"
    if pa.types.is_boolean(field.type):
        return "bool"
    return "string"


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _thin(indices: list[int], limit: int) -> list[int]:
    """Keep ``limit`` evenly spaced indices, always including the first and the last."""
    if len(indices) <= limit:
        return indices
    step = (len(indices) - 1) / (limit - 1)
    return [indices[round(position * step)] for position in range(limit)]


def _rows_for_chart(table: pa.Table, chart: Chart) -> list[int]:
    rows = list(range(table.num_rows))
    if chart.kind in {"line", "timeline", "survival", "lorenz"}:
        groups: dict[Any, list[int]] = {}
        keys = table.column(chart.group).to_pylist() if chart.group in table.column_names else None
        for row in rows:
            groups.setdefault(keys[row] if keys else None, []).append(row)
        limit = max(40, MAX_CHART_ROWS // max(1, len(groups)))
        kept: list[int] = []
        for members in groups.values():
            kept.extend(_thin(members, limit))
        return sorted(kept)
    if chart.kind in {"bar", "errorbar"} and chart.y in table.column_names:
        values = table.column(chart.y).to_pylist()
        numeric = [v if isinstance(v, int | float) else None for v in values]
        ranked = sorted(rows, key=lambda row: (numeric[row] is None, -(numeric[row] or 0), row))
        # Bars read best largest first; a forest plot keeps the table's order of terms.
        return ranked[:40] if chart.kind == "bar" else sorted(ranked[:40])
    if chart.kind == "network":
        return _network_rows(table, chart)
    return _thin(rows, MAX_CHART_ROWS)


def _network_rows(table: pa.Table, chart: Chart) -> list[int]:
    """The strongest nodes (by ``n`` or degree) and the heaviest edges among them."""
    sources = table.column(chart.x).to_pylist()
    targets = (
        table.column(chart.y).to_pylist()
        if chart.y in table.column_names
        else [None] * len(sources)
    )
    weights = table.column("n").to_pylist() if "n" in table.column_names else [1] * len(sources)
    strength: dict[str, float] = {}
    for source, target, weight in zip(sources, targets, weights, strict=True):
        value = float(weight or 0)
        if source is not None:
            strength[source] = strength.get(source, 0.0) + value
        if target is not None:
            strength[target] = strength.get(target, 0.0) + value
    top = {
        node
        for node, _ in sorted(strength.items(), key=lambda item: (-item[1], item[0]))[
            :MAX_NETWORK_NODES
        ]
    }
    node_rows = [
        row for row, target in enumerate(targets) if target is None and sources[row] in top
    ]
    edge_rows = [
        row
        for row, target in enumerate(targets)
        if target is not None and sources[row] in top and target in top
    ]
    edge_rows = sorted(edge_rows, key=lambda row: (-float(weights[row] or 0), row))
    return sorted(node_rows + edge_rows[:MAX_NETWORK_EDGES])


def chart_payload(
    table: pa.Table, chart: Chart, marks: Mapping[str, pa.Table | None]
) -> dict[str, Any]:
    """The JSON a chart is drawn from: its spec, the columns it uses, and vertical marks.

    Examples
    --------
    >>> t = pa.table({"x": [0.0, 0.5, 1.0], "y": [0.0, 0.1, 1.0], "n": [3, 3, 3]})
    >>> payload = chart_payload(t, Chart(kind="lorenz", x="x", y="y"), {})
    >>> payload["kind"], payload["columns"]["y"], payload["types"]["x"]
    ('lorenz', [0.0, 0.1, 1.0], 'number')
    """
    wanted = [
        name
        for name in dict.fromkeys(
            [chart.x, chart.y, chart.group, chart.lo, chart.hi, "n", "suppressed", "label"]
        )
        if name and name in table.column_names
    ]
    if chart.kind == "network":
        wanted += [
            name
            for name in ("role", "formal_role", "is_core", "core_score", "unit")
            if name in table.column_names and name not in wanted
        ]
    rows = _rows_for_chart(table, chart)
    subset = table.take(pa.array(rows, type=pa.int64())) if rows else table.slice(0, 0)
    payload: dict[str, Any] = {
        "kind": chart.kind,
        "x": chart.x,
        "y": chart.y,
        "group": chart.group,
        "lo": chart.lo,
        "hi": chart.hi,
        "title": chart.title,
        "columns": {
            name: [_json_value(value) for value in subset.column(name).to_pylist()]
            for name in wanted
        },
        "types": {name: _column_type(table.schema.field(name)) for name in wanted},
        "total_rows": table.num_rows,
        "marks": [],
    }
    for mark in chart.marks:
        metric, _, column = mark.partition(":")
        source = marks.get(metric)
        if source is None or column not in source.column_names:
            continue
        values = source.column(column)
        if not pa.types.is_temporal(values.type) and not pa.types.is_floating(values.type):
            continue
        label_column = next(
            (c for c in ("label", "stage", "phase", "role", "kind") if c in source.column_names),
            None,
        )
        labels = source.column(label_column).to_pylist() if label_column else [None] * len(values)
        kept = [
            (_json_value(value), None if label is None else str(label))
            for value, label in zip(values.to_pylist(), labels, strict=True)
            if value is not None
        ]
        kept = sorted(set(kept), key=lambda item: (str(item[0]), item[1] or ""))[:60]
        payload["marks"].append(
            {
                "metric": metric,
                "column": column,
                "values": [value for value, _ in kept],
                "labels": [label for _, label in kept],
                "phases": label_column in {"stage", "phase"},
            }
        )
    return payload


def format_value(value: Any) -> str:
    """A cell as shown in a table preview.

    Examples
    --------
    >>> format_value(0.123456), format_value(1234567.0), format_value(None), format_value(True)
    ('0.123', '1.23e+06', '–', 'yes')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        if value == 0:
            return "0"
        if abs(value) >= 1e5 or abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 48 else text[:47] + "…"


def table_preview(table: pa.Table, chart: Chart | None = None) -> dict[str, Any]:
    """The first rows of a table, formatted, with at most a few columns.

    Rows are ordered by ``rank`` when the table has one; by time when it has a time
    column (the first periods); by the charted value for bar charts (largest first);
    otherwise by ``n`` (the rows resting on the most evidence first).
    """
    columns = table.column_names[:PREVIEW_COLUMNS]
    if "suppressed" in table.column_names and "suppressed" not in columns:
        columns = [*columns[: PREVIEW_COLUMNS - 1], "suppressed"]
    ordered = table
    temporal = [f.name for f in table.schema if pa.types.is_temporal(f.type)]
    key: tuple[str, str] | None = None
    if "rank" in table.column_names:
        key = ("rank", "ascending")
    elif temporal:
        key = None
    elif chart is not None and chart.kind == "bar" and chart.y in table.column_names:
        key = (chart.y, "descending")
    elif "n" in table.column_names:
        key = ("n", "descending")
    if key is not None and table.num_rows > 1:
        index = pc.sort_indices(
            table.append_column("_row", pa.array(range(table.num_rows), type=pa.int64())),
            sort_keys=[key, ("_row", "ascending")],
        )
        ordered = table.take(index)
    head = ordered.slice(0, PREVIEW_ROWS).select(columns)
    rows = [[format_value(value) for value in row.values()] for row in head.to_pylist()]
    return {"columns": columns, "rows": rows, "total": table.num_rows}
