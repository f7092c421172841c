"""Opening a trace folder: lazy, schema-checked, and the same as the tables in memory."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from undertow.features.graph import reply_edges
from undertow.model.trace import Trace
from undertow.model.writer import write_trace
from undertow.synthetic import synthetic_tables


def _write(folder: Path, tables: dict[str, pa.Table]) -> None:
    write_trace(folder, tables)


def test_open_reads_the_same_trace_as_in_memory(tmp_path: Path) -> None:
    tables = synthetic_tables(3_000, seed=4)
    _write(tmp_path, tables)
    opened = Trace.open(tmp_path)
    in_memory = Trace(tables)
    assert opened.n_messages == 3_000
    assert opened.arrow("messages").equals(in_memory.arrow("messages"))
    assert reply_edges(opened).equals(reply_edges(in_memory))
    assert opened.has("roles", "unit")
    assert not opened.has("documents")
    assert opened.missing("outcomes.actor_id") == "the trace's outcomes carry no actor_id"


def test_open_refuses_a_folder_without_messages(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a trace folder"):
        Trace.open(tmp_path)


def test_open_refuses_an_interrupted_write(tmp_path: Path) -> None:
    _write(tmp_path, synthetic_tables(100, seed=1))
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match="incomplete trace"):
        Trace.open(tmp_path)


def test_open_refuses_a_table_with_the_wrong_schema(tmp_path: Path) -> None:
    _write(tmp_path, synthetic_tables(100, seed=1))
    messages = pq.read_table(tmp_path / "messages.parquet").drop_columns(["kind"])
    pq.write_table(messages, tmp_path / "messages.parquet")
    with pytest.raises(ValueError, match="'kind'"):
        Trace.open(tmp_path)


def test_an_empty_optional_table_counts_as_absent(tmp_path: Path) -> None:
    tables = synthetic_tables(100, seed=1)
    tables["roles"] = tables["roles"].slice(0, 0)
    _write(tmp_path, tables)
    trace = Trace.open(tmp_path)
    assert trace.missing("roles") == "the trace has no roles"
