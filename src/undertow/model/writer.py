"""Write a trace folder atomically: validated Parquet tables first, ``manifest.json`` last.

A trace folder is complete exactly when it holds ``manifest.json``. A folder undertow
writes carries its marker, ``.undertow`` (what kind of folder it is and which files
undertow wrote there); undertow writes only into a new or empty folder or one with its
marker (``force`` writes beside foreign files), and only ever removes or replaces files its
marker lists. The writer removes an old manifest before touching anything, writes every
table to a temporary file in the same folder, flushes it to disk and renames it into place, and only
then writes the manifest the same way. A run killed half-way therefore leaves a
folder without a manifest, which no reader takes for a finished trace.

Output is deterministic: no wall-clock times, sorted JSON keys, one Parquet row
group layout, so re-ingesting the same inputs with the same key is byte-identical.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.errors import InputError
from undertow.model.schema import SCHEMA_VERSION, TABLES, validate_table

__all__ = [
    "MANIFEST",
    "OWNER_MARKER",
    "Owned",
    "atomic_write_bytes",
    "claim_folder",
    "inside",
    "remove_leftovers",
    "remove_owned",
    "write_marker",
    "package_versions",
    "write_private_file",
    "write_trace",
]

MANIFEST = "manifest.json"
#: undertow's marker in every folder it writes: its kind and the files undertow wrote there.
OWNER_MARKER = ".undertow"
#: A temporary file of :func:`atomic_write_bytes` (``.<name>.<random>.tmp``).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")
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


@dataclass(frozen=True)
class Owned:
    """What undertow wrote in a folder before: files inside it and files beside it."""

    files: frozenset[str] = frozenset()
    beside: frozenset[str] = frozenset()


def _safe_name(name: object, *, beside: bool = False) -> bool:
    """Whether a marker entry is a plain relative path (a forged marker cannot reach out)."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return False
    parts = PurePosixPath(name).parts
    if beside:
        return len(parts) == 1 and parts[0] not in (".", "..")
    return not PurePosixPath(name).is_absolute() and all(p not in (".", "..") for p in parts)


def _read_marker(folder: Path) -> dict[str, Any] | None:
    marker = folder / OWNER_MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        record = json.loads(marker.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
        return None
    return record


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it (symlinks resolved).

    Examples
    --------
    >>> inside(Path("a/b/c.csv"), Path("a/b")), inside(Path("a/bc"), Path("a/b"))
    (True, False)
    """
    resolved, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return resolved == root or root in resolved.parents


def claim_folder(folder: Path, kind: str, *, force: bool = False) -> Owned:
    """Check that undertow may write a ``kind`` folder at ``folder``; return what it owns there.

    A folder that does not exist, is empty, or carries undertow's marker of the same kind
    may be written. Any other folder is refused unless ``force``; then undertow writes its
    files beside the others and removes nothing it did not write.

    Raises
    ------
    InputError
        If ``folder`` is a file, or a non-empty folder undertow did not write (without
        ``force``), or an undertow folder of another kind (a trace given as ``-o`` of
        ``analyze``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> claim_folder(folder, "trace")
    Traceback (most recent call last):
    ...
    undertow.errors.InputError: ...: not empty and not written by undertow ...
    """
    if not folder.exists() and not folder.is_symlink():
        return Owned()
    if not folder.is_dir():
        raise InputError("exists and is not a folder", path=folder)
    record = _read_marker(folder)
    if record is not None and record["kind"] == kind:
        files = record.get("files")
        beside = record.get("beside")
        files = files if isinstance(files, list) else []
        beside = beside if isinstance(beside, list) else []
        return Owned(
            frozenset(f for f in files if _safe_name(f)),
            frozenset(f for f in beside if _safe_name(f, beside=True)),
        )
    if record is not None and not force:
        raise InputError(
            f"is an undertow {record['kind']} folder, not one for this {kind}; choose another",
            path=folder,
        )
    try:
        foreign = [p.name for p in folder.iterdir() if not _is_leftover(p.name)]
    except PermissionError as exc:
        raise InputError("cannot list the folder (permission denied)", path=folder) from exc
    if foreign and not force:
        shown = ", ".join(sorted(foreign)[:3]) + (" ..." if len(foreign) > 3 else "")
        raise InputError(
            f"not empty and not written by undertow (no {OWNER_MARKER} marker; holds {shown}); "
            "choose a new or empty folder, or pass --force to write undertow's files beside "
            "the others (nothing else is removed)",
            path=folder,
        )
    return Owned()


def _is_leftover(name: str) -> bool:
    """A temporary file or staging folder a killed undertow run left behind."""
    return name.startswith(".undertow-staging-") or (
        _TEMPORARY.match(name) is not None and name.startswith(".")
    )


def remove_leftovers(folder: Path, names: Iterable[str], *, staging: bool = True) -> None:
    """Remove temporary files of ``names`` (``.<name>.XXXXXXXX.tmp``) a killed run left.

    With ``staging``, also the staging folders (``.undertow-staging-*``) of killed runs.
    """
    import shutil

    wanted = set(names) | {OWNER_MARKER}
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        match = _TEMPORARY.match(entry.name)
        if match is not None and match.group("name") in wanted and entry.is_file():
            entry.unlink(missing_ok=True)
        elif (
            staging
            and entry.name.startswith(".undertow-staging-")
            and entry.is_dir()
            and not entry.is_symlink()
        ):
            shutil.rmtree(entry, ignore_errors=True)


def remove_owned(folder: Path, names: Iterable[str]) -> None:
    """Remove the files ``names`` (relative to ``folder``) and then their emptied folders.

    Only regular files and only paths inside ``folder`` are touched.
    """
    root = Path(os.path.realpath(folder))
    emptied: set[Path] = set()
    for name in sorted(names):
        if not _safe_name(name):
            continue
        path = folder / name
        if path.is_symlink() or not path.is_file() or not inside(path.parent, root):
            continue
        path.unlink(missing_ok=True)
        emptied.update(p for p in path.parents if inside(p, root) and p != root)
    for parent in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()


def write_marker(folder: Path, kind: str, files: Iterable[str], beside: Iterable[str] = ()) -> None:
    """Write undertow's marker: the folder's kind and the files it wrote in and beside it."""
    record = {"kind": kind, "files": sorted(set(files)), "beside": sorted(set(beside))}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(folder / OWNER_MARKER, text.encode("utf-8"))


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
    files: Mapping[str, bytes] | None = None,
    beside: Iterable[str] = (),
    force: bool = False,
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
    files
        Other files of the trace (e.g. a simulation's ``truth.json``), written before
        the manifest.
    beside
        Names of files the caller writes beside the folder (the quarantine), recorded in
        the marker so a later run may replace or remove them.
    force
        Write into a non-empty folder undertow did not write (see :func:`claim_folder`).

    Raises
    ------
    ValueError
        If a table is unknown or fails :func:`~undertow.model.schema.validate_table`;
        nothing is written then.
    InputError
        If the folder is not undertow's to write (see :func:`claim_folder`).

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
    owned = claim_folder(target, "trace", force=force)
    written = (
        {f"{name}.parquet" for name in validated}
        | {f"{name}.parquet" for name in (extras or {})}
        | set(files or {})
        | {MANIFEST}
    )
    target.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target, written | owned.files)
    # The marker lists old and new files first, so a run killed at any point leaves
    # every file it may have written known to the next run.
    write_marker(target, "trace", written | owned.files, set(beside) | owned.beside)
    # The manifest goes first, so an interrupted rewrite is visibly incomplete.
    (target / MANIFEST).unlink(missing_ok=True)
    remove_owned(target, owned.files - written)
    for name in sorted(validated):
        _write_parquet(target / f"{name}.parquet", validated[name], (orders or {}).get(name))
    for name, table in sorted((extras or {}).items()):
        _write_parquet(target / f"{name}.parquet", table)
    for name, data in sorted((files or {}).items()):
        atomic_write_bytes(target / name, data)
    content: dict[str, Any] = dict(manifest or {})
    content["schema_version"] = SCHEMA_VERSION
    content["tables"] = {name: validated[name].num_rows for name in sorted(validated)}
    content.setdefault("packages", package_versions())
    text = json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    atomic_write_bytes(target / MANIFEST, text.encode("utf-8"))
    write_marker(target, "trace", written, beside)
    return target
