"""``undertow analyze --engine spark`` gives the same metric tables as DuckDB.

Counts must be equal, floats equal within 1e-9 relative. Runs a local Spark session
(``local[2]``); CI installs pyspark and Java so that it runs there.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from undertow.diagnosis.pipeline import analyze
from undertow.model.writer import write_trace
from undertow.synthetic import synthetic_tables

pytestmark = pytest.mark.spark


def _same_value(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) and math.isnan(right):
            return True
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return left == right


def _assert_same_table(name: str, left: pa.Table, right: pa.Table) -> None:
    assert left.schema.equals(right.schema), f"{name}: schemas differ"
    assert left.num_rows == right.num_rows, f"{name}: row counts differ"
    for column in left.column_names:
        for i, (a, b) in enumerate(
            zip(left[column].to_pylist(), right[column].to_pylist(), strict=True)
        ):
            assert _same_value(a, b), f"{name}.{column}[{i}]: {a!r} (duckdb) != {b!r} (spark)"


def test_spark_and_duckdb_give_the_same_metric_tables(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "trace", synthetic_tables(2_000, seed=5))
    duck = analyze(trace, tmp_path / "duckdb", engine="duckdb", progress=False)
    spark = analyze(trace, tmp_path / "spark", engine="spark", progress=False)
    assert duck.ok and spark.ok, (duck.rule_failures, spark.rule_failures)
    duck_files = sorted(
        p.relative_to(tmp_path / "duckdb") for p in (tmp_path / "duckdb").rglob("*.parquet")
    )
    spark_files = sorted(
        p.relative_to(tmp_path / "spark") for p in (tmp_path / "spark").rglob("*.parquet")
    )
    assert duck_files == spark_files
    assert len(duck_files) >= 30
    for relative in duck_files:
        _assert_same_table(
            str(relative),
            pq.read_table(tmp_path / "duckdb" / relative),
            pq.read_table(tmp_path / "spark" / relative),
        )
    duck_findings = (tmp_path / "duckdb" / "findings.json").read_text("utf-8")
    spark_findings = (tmp_path / "spark" / "findings.json").read_text("utf-8")
    assert duck_findings == spark_findings
