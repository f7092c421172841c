"""Write a trace folder atomically: validated Parquet tables first, ``manifest.json`` last.

A trace folder is complete exactly when it holds ``manifest.json``. The writer
removes an old manifest before touching anything, writes every table to a temporary
file in the same folder, flushes it to disk and renames it into place, and only
then writes the manifest the same way. A run killed half-way therefore leaves a
folder without a manifest, which no reader takes for a finished trace.

Output is deterministic: no wall-clock times, sorted JSON keys, one Parquet row
group layout, so re-ingesting the same inputs with the same key is byte-identical.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.model.schema import SCHEMA_VERSION, TABLES, validate_table

__all__ = [
    "MANIFEST",
    "atomic_write_bytes",
    "package_versions",
    "write_private_file",
    "write_trace",
]

MANIFEST = "manifest.json"
_PACKAGES = ("undertow", "pyarrow", "ibis-framework", "duckdb")


def package_versions() -> dict[str, str | None]:
    """Return the versions of the packages that shape a trace (``None`` if not installed).

    Examples
    --------
    >>> "pyarrow" in package_versions()
    True
    """
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


@contextmanager
def _atomic_file(path: Path, mode: int) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file that becomes ``path`` (fsync, rename) on success.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write_bytes(target, b"hi").read_bytes()
    b'hi'
    """
    path = Path(path)
    with _atomic_file(path, mode) as handle:
        handle.write(data)
    return path


def write_private_file(path: Path, data: bytes) -> Path:
    """Write ``data`` atomically with mode 0600 (quarantine, identity map).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = write_private_file(pathlib.Path(tempfile.mkdtemp()) / "q.jsonl", b"{}")
    >>> oct(target.stat().st_mode & 0o777)
    '0o600'
    """
    return atomic_write_bytes(path, data, mode=0o600)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Rows per Parquet row group (a large table is written one row group at a time).
ROW_GROUP = 1 << 20


def _write_parquet(path: Path, table: pa.Table, order: pa.Array | None = None) -> Path:
    """Write ``table`` (rows in ``order`` if given) as zstd Parquet, atomically.

    Rows go to a temporary file in the same folder one row group at a time, so a
    large table is never held twice (sorted copy, file image) in memory; the file
    is flushed to disk and renamed into place.
    """
    with (
        _atomic_file(path, 0o644) as handle,
        pq.ParquetWriter(handle, table.schema, compression="zstd") as writer,
    ):
        if table.num_rows == 0:
            writer.write_table(table, row_group_size=ROW_GROUP)
        for start in range(0, table.num_rows, ROW_GROUP):
            if order is None:
                part = table.slice(start, ROW_GROUP)
            else:
                part = table.take(order.slice(start, ROW_GROUP))
            writer.write_table(part.combine_chunks(), row_group_size=ROW_GROUP)
            del part
    return path


def write_trace(
    folder: str | Path,
    tables: Mapping[str, pa.Table],
    *,
    manifest: Mapping[str, Any] | None = None,
    extras: Mapping[str, pa.Table] | None = None,
    orders: Mapping[str, pa.Array] | None = None,
) -> Path:
    """Validate ``tables`` and write them as a trace folder; return the folder.

    Parameters
    ----------
    folder
        Trace folder (created if absent; an existing trace is replaced).
    tables
        Trace tables by name (see :data:`undertow.model.schema.TABLES`); required
        tables that are missing are written empty.
    manifest
        Extra manifest entries (sources, counts, seeds, key fingerprint, ...).
        ``schema_version`` and ``tables`` (row counts) are filled in here.
    extras
        Non-trace Parquet files to write before the manifest (e.g. ``audit``).
    orders
        Row order (indices, e.g. from ``pyarrow.compute.sort_indices``) to write a
        table in: a large table is then written sorted without a sorted copy.

    Raises
    ------
    ValueError
        If a table is unknown or fails :func:`~undertow.model.schema.validate_table`;
        nothing is written then.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "t"
    >>> out = write_trace(folder, {"messages": trace.arrow("messages")})
    >>> json.loads((out / "manifest.json").read_text())["tables"]["messages"] == trace.n_messages
    True
    """
    target = Path(folder)
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown trace table(s): {sorted(unknown)}")
    validated = {name: validate_table(name, table) for name, table in tables.items()}
    for name, spec in TABLES.items():
        if spec.required and name not in validated:
            validated[name] = spec.schema.empty_table()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target}: exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    # The manifest goes first, so an interrupted rewrite is visibly incomplete.
    (target / MANIFEST).unlink(missing_ok=True)
    written = {f"{name}.parquet" for name in validated} | {
        f"{name}.parquet" for name in (extras or {})
    }
    for stale in target.glob("*.parquet"):
        if stale.name not in written:
            stale.unlink()
    for name in sorted(validated):
        _write_parquet(target / f"{name}.parquet", validated[name], (orders or {}).get(name))
    for name, table in sorted((extras or {}).items()):
        _write_parquet(target / f"{name}.parquet", table)
    content: dict[str, Any] = dict(manifest or {})
    content["schema_version"] = SCHEMA_VERSION
    content["tables"] = {name: validated[name].num_rows for name in sorted(validated)}
    content.setdefault("packages", package_versions())
    text = json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    atomic_write_bytes(target / MANIFEST, text.encode("utf-8"))
    return target
