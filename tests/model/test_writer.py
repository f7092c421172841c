"""The trace writer: validation, atomic replacement, manifest last, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.model import writer
from undertow.model.schema import validate_table
from undertow.model.trace import Trace
from undertow.model.writer import MANIFEST, write_trace
from undertow.testing import tiny_trace


def _tables() -> dict[str, pa.Table]:
    trace = tiny_trace()
    return {name: trace.arrow(name) for name in ("messages", "people")}


def test_writes_tables_and_manifest(tmp_path: Path) -> None:
    folder = write_trace(tmp_path / "t", _tables(), manifest={"seeds": {"x": 1}})
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["schema_version"] == "2"
    assert manifest["seeds"] == {"x": 1}
    assert manifest["tables"]["messages"] == tiny_trace().n_messages
    assert set(manifest["packages"]) == {"undertow", "pyarrow", "ibis-framework", "duckdb"}
    reopened = Trace.open(folder)
    assert reopened.arrow("messages").equals(tiny_trace().arrow("messages"))
    assert not list(folder.glob(".*tmp"))


def test_rewrite_is_byte_identical(tmp_path: Path) -> None:
    a = write_trace(tmp_path / "a", _tables(), manifest={"k": 1})
    b = write_trace(tmp_path / "b", _tables(), manifest={"k": 1})
    write_trace(tmp_path / "a", _tables(), manifest={"k": 1})
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"space_id": ["s"], "governance": ["secret"]}), "unknown value"),
        (pa.table({"space_id": ["s", "s"], "governance": ["official"] * 2}), "duplicate key"),
        (pa.table({"space_id": [None], "governance": ["official"]}), "null value"),
        (pa.table({"name": ["x"], "governance": ["official"]}), "missing required"),
    ],
)
def test_invalid_tables_write_nothing(tmp_path: Path, table: pa.Table, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_trace(tmp_path / "t", {**_tables(), "spaces": table})
    assert not (tmp_path / "t").exists()


def test_schema_validation_casts_losslessly() -> None:
    roles = pa.table({"person_id": ["p"], "role": ["m"], "rank": pa.array([2], pa.int64())})
    assert validate_table("roles", roles).schema.field("rank").type == pa.int32()
    with pytest.raises(ValueError, match="cannot cast"):
        validate_table("roles", roles.set_column(2, "rank", pa.array(["high"])))


def test_unknown_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown trace table"):
        write_trace(tmp_path / "t", {"nonsense": pa.table({"a": [1]})})


def test_killed_write_leaves_no_complete_looking_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_trace(tmp_path / "t", _tables(), manifest={"run": 1})
    assert (folder / MANIFEST).is_file()
    real = writer._write_parquet
    calls: list[Path] = []

    def dying(path: Path, table: pa.Table, order: pa.Array | None = None) -> Path:
        calls.append(path)
        if len(calls) == 2:  # after the first table, before the rest and the manifest
            raise KeyboardInterrupt("killed")
        return real(path, table, order)

    monkeypatch.setattr(writer, "_write_parquet", dying)
    with pytest.raises(KeyboardInterrupt):
        write_trace(folder, _tables(), manifest={"run": 2})
    assert not (folder / MANIFEST).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(writer, "_write_parquet", real)
    write_trace(folder, _tables(), manifest={"run": 2})
    assert json.loads((folder / MANIFEST).read_text())["run"] == 2


def test_atomic_write_cleans_up_its_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.parquet"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(writer.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        writer.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


def test_stale_tables_are_removed(tmp_path: Path) -> None:
    spaces = pa.table({"space_id": ["s"], "governance": ["official"]})
    folder = write_trace(tmp_path / "t", {**_tables(), "spaces": spaces})
    write_trace(folder, _tables())
    assert not (folder / "spaces.parquet").exists()


def test_rows_written_in_the_given_order_match_a_sorted_write(tmp_path: Path) -> None:
    table = _tables()["messages"]
    order = pc.sort_indices(table, [("message_id", "descending")])
    a = write_trace(tmp_path / "a", {"messages": table.take(order)})
    b = write_trace(tmp_path / "b", {"messages": table}, orders={"messages": order})
    for name in ("messages.parquet", "people.parquet", MANIFEST):
        assert (a / name).read_bytes() == (b / name).read_bytes()
