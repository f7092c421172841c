"""Reading metric tables in finding rules: rows as dicts, and whether a row's cells are usable."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

__all__ = ["complete", "rows"]


def rows(table: pa.Table | None) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts; none for a skipped metric (``None``).

    Examples
    --------
    >>> rows(None), rows(pa.table({"n": [3]}))
    ([], [{'n': 3}])
    """
    return [] if table is None else table.to_pylist()


def complete(row: dict[str, Any] | None, *keys: str) -> bool:
    """Whether the row exists and none of ``keys`` is null or NaN (suppressed cells are null).

    Examples
    --------
    >>> complete({"share": 0.2, "n": None}, "share"), complete({"share": float("nan")}, "share")
    (True, False)
    """
    if row is None:
        return False
    for key in keys:
        value = row.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
    return True
