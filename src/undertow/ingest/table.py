"""Generic tables of messages (CSV, JSONL, Parquet) and the roster of formal roles.

A table needs no mapping when its columns carry the canonical names
(``message_id, thread_id, parent_id, author, created_at, text``; optionally
``kind, space, quoted_text, author_email, author_name, author_handle, author_id,
addressee``). Otherwise a mapping says which source column holds which canonical
column, given as CLI flags (``--map author=From``) or a small TOML file::

    [columns]
    message_id = "Id"
    author = "From"
    created_at = "Date"
    [options]
    delimiter = ";"          # CSV only; sniffed from the header when absent
    timestamp_unit = "ms"    # numeric times: "s" or "ms"; guessed per value when absent

``author`` is read as ``Name <address>``, an address (``user at domain`` too), or a
name. Numeric times are epoch seconds or, above 1e11, milliseconds (counted as
``epoch_ms``). Times without a zone are UTC (counted as ``naive_timestamp``).

Every malformed record is rejected with a reason and its location (``file:line``
or ``file#record``) into the quarantine, never skipped silently: a CSV row with
too few or too many fields (``bad_row``), an unterminated quote (only its own line
is rejected; parsing resumes on the next line), a field over 1 MiB
(``field_too_large``), undecodable bytes (``bad_encoding``), JSONL lines that are
not JSON objects, carry ``NaN`` or a duplicate key (``bad_json``). Files whose
columns disagree (a mapped column missing, or of another type in Parquet: schema
drift) and unreadable files (truncated Parquet, a directory) fail with an
:class:`~undertow.errors.InputError` naming the file.
"""

from __future__ import annotations

import csv
import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from undertow.errors import InputError
from undertow.identity.normalize import identifier_from_text
from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder
from undertow.ingest.jsonsource import MAX_INT_DIGITS
from undertow.ingest.limits import DEFAULT_LIMITS, open_input
from undertow.ingest.lines import record_lines
from undertow.model.schema import DATE_BASES, TIMESTAMP

__all__ = [
    "CANONICAL_COLUMNS",
    "MAX_FIELD_BYTES",
    "TableMapping",
    "read_roster",
    "read_table",
]

#: Canonical input column -> column of :data:`undertow.ingest.builder.BATCH_COLUMNS`.
CANONICAL_COLUMNS: dict[str, str] = {
    "message_id": "source_message_id",
    "thread_id": "thread_source_id",
    "parent_id": "parent_source_id",
    "author": "author",
    "author_email": "author_email",
    "author_name": "author_name",
    "author_handle": "author_handle",
    "author_id": "author_source_id",
    "addressee": "addressee",
    "created_at": "created_at",
    "kind": "kind",
    "space": "space",
    "text": "text",
    "quoted_text": "quoted_text",
}
#: Fields larger than this are rejected (``field_too_large``): a guard against runaway quotes.
MAX_FIELD_BYTES = DEFAULT_LIMITS.max_field_bytes
_BATCH_ROWS = 100_000
_ROSTER_COLUMNS = (
    "identifier",
    "role",
    "rank",
    "unit",
    "valid_from",
    "valid_to",
    "consent",
    "date_basis",
    "valid_from_earliest",
    "valid_to_earliest",
)
_DELIMITERS = (",", ";", "\t", "|")
_NAME_ADDR = r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<email>[^<>]+)>\s*$'
_NUMERIC = r"^\s*-?\d+(\.\d+)?\s*$"
_HAS_ZONE = r"(Z|z|[+-]\d\d:?\d\d|UTC|GMT)\s*$"
_SURROGATE = re.compile("[\udc80-\udcff]")
_MS_THRESHOLD = 1e11  # 1e11 s is the year 5138; 1e11 ms is 1973


@dataclass(frozen=True)
class TableMapping:
    """Which source column holds which canonical column, and reading options.

    Examples
    --------
    >>> m = TableMapping.parse(["author=From", "created_at=Date"])
    >>> m.columns["author"], m.source_for("text")
    ('From', 'text')
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    timestamp_unit: str | None = None

    @classmethod
    def parse(cls, pairs: Sequence[str] = (), toml_file: Path | None = None) -> TableMapping:
        """Build a mapping from ``canonical=source`` pairs and/or a TOML file (pairs win)."""
        columns: dict[str, str] = {}
        options: dict[str, Any] = {}
        if toml_file is not None:
            try:
                data = tomllib.loads(Path(toml_file).read_text("utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"bad mapping file: {exc}", path=toml_file) from exc
            columns.update({str(k): str(v) for k, v in data.get("columns", {}).items()})
            options.update(data.get("options", {}))
        for pair in pairs:
            canonical, sep, source = pair.partition("=")
            if not sep or not canonical.strip() or not source.strip():
                raise InputError(f"bad --map {pair!r}: expected canonical=source")
            columns[canonical.strip()] = source.strip()
        unknown = set(columns) - set(CANONICAL_COLUMNS)
        if unknown:
            raise InputError(
                f"unknown canonical column(s) {sorted(unknown)}; "
                f"expected some of {sorted(CANONICAL_COLUMNS)}"
            )
        unit = options.get("timestamp_unit")
        if unit not in (None, "s", "ms"):
            raise InputError(f"timestamp_unit must be 's' or 'ms', not {unit!r}", path=toml_file)
        delimiter = options.get("delimiter")
        if delimiter is not None and len(str(delimiter)) != 1:
            raise InputError("delimiter must be one character", path=toml_file)
        return cls(columns, None if delimiter is None else str(delimiter), unit)

    def source_for(self, canonical: str) -> str:
        """Return the source column of ``canonical`` (its own name when unmapped)."""
        return self.columns.get(canonical, canonical)


# -- reading records ---------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise InputError("is a directory, expected a file", path=path)
    if not path.exists():
        raise InputError("no such file", path=path)


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_records(
    path: Path, log: SourceLog, delimiter: str | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the header and an iterator of ``(line, fields)``; malformed rows are rejected."""
    field_cap = log.builder.limits.max_field_bytes
    data = path.read_bytes()
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) * 4 > len(head):
        raise InputError(
            "looks UTF-16 or binary (NUL bytes or a UTF-16 byte-order mark); save it as UTF-8 CSV",
            path=path,
        )
    text = data.decode("utf-8-sig", errors="surrogateescape")
    del data
    lines = record_lines(text)
    if not lines:
        return [], iter(())
    delim = delimiter or _sniff_delimiter(lines[0])
    header = next(csv.reader([lines[0]], delimiter=delim))
    header = [h.strip() for h in header]

    def records() -> Iterator[tuple[int, list[str]]]:
        # The csv module enforces the field cap itself (in characters); restored after.
        previous_limit = csv.field_size_limit(field_cap)
        try:
            yield from _records()
        finally:
            csv.field_size_limit(previous_limit)

    def _records() -> Iterator[tuple[int, list[str]]]:
        start = 1  # index into ``lines`` of the next record
        while start < len(lines):
            reader = csv.reader(lines[start:], delimiter=delim, strict=True)
            consumed = 0
            try:
                for row in reader:
                    first = start + consumed + 1  # 1-based line number
                    spanned = reader.line_num - consumed
                    consumed = reader.line_num
                    if not row or row == [""]:
                        continue  # blank line: not a record
                    log.read()
                    raw = "".join(lines[first - 1 : first - 1 + spanned])
                    location = f"{path.name}:{first}"
                    if _SURROGATE.search(raw):
                        log.reject("bad_encoding", location, raw.encode("utf-8", "surrogateescape"))
                    elif any(len(v) > field_cap for v in row):
                        log.reject("field_too_large", location, raw[:1000])
                    elif len(row) != len(header):
                        log.reject("bad_row", location, raw)
                        if spanned > 1:
                            # A stray quote joined lines: reject only the first, reread the rest.
                            start = first
                            break
                    else:
                        yield first, row
                else:
                    return
            except csv.Error as exc:
                first = start + consumed + 1
                log.read()
                reason = "field_too_large" if "field larger" in str(exc) else "bad_row"
                log.reject(reason, f"{path.name}:{first}: {exc}", lines[first - 1][:1000])
                start = first
                continue
        return

    return header, records()


def _bounded_lines(handle: IO[bytes], cap: int) -> Iterator[tuple[int, bytes, bool]]:
    """``(number, line, oversize)``: a line over ``cap`` bytes is its first ``cap + 1``.

    The rest of an oversize line is read past in pieces, never held whole.
    """
    number = 0
    while line := handle.readline(cap + 1):
        number += 1
        oversize = len(line) > cap and not line.endswith(b"\n")
        while oversize and (rest := handle.readline(cap)) and not rest.endswith(b"\n"):
            pass
        yield number, line, oversize


def _jsonl_records(path: Path, log: SourceLog) -> Iterator[tuple[int, dict[str, Any]]]:
    def no_constant(name: str) -> Any:
        raise ValueError(f"non-standard constant {name}")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    def bounded_int(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError(f"integer of {len(literal)} digits")
        return int(literal)

    limits = log.builder.limits
    field_cap = limits.max_field_bytes
    with open_input(path, limits) as handle:
        for number, line, oversize in _bounded_lines(handle, limits.max_record_bytes):
            if not line.strip() or (number == 1 and line.strip() == b"\xef\xbb\xbf"):
                continue
            log.read()
            location = f"{path.name}:{number}"
            if oversize:
                log.reject("record_too_large", location, line[:1000])
                continue
            try:
                record = json.loads(
                    line.decode("utf-8-sig"),
                    parse_constant=no_constant,
                    object_pairs_hook=no_duplicates,
                    parse_int=bounded_int,
                )
            except UnicodeDecodeError:
                log.reject("bad_encoding", location, line)
                continue
            except (ValueError, RecursionError) as exc:
                log.reject("bad_json", f"{location}: {exc or 'nested too deeply'}", line)
                continue
            if not isinstance(record, dict):
                log.reject("bad_json", f"{location}: not an object", line)
                continue
            if any(isinstance(v, float) and not math.isfinite(v) for v in record.values()):
                log.reject("bad_json", f"{location}: non-finite number", line)
                continue
            if len(line) > field_cap and any(
                len((v if isinstance(v, str) else json.dumps(v)).encode()) > field_cap
                for v in record.values()
            ):
                log.reject("field_too_large", location, line[:1000])
                continue
            yield number, record


# -- turning string columns into the builder's batch -------------------------------------------


def _times(values: pa.Array, log: SourceLog, unit: str | None) -> pa.Array:
    """Parse ISO 8601 strings or epoch numbers into UTC timestamps (null when unparseable)."""
    strings = values.cast(pa.string())
    numeric = pc.fill_null(pc.match_substring_regex(strings, _NUMERIC), False)
    numbers = pd.to_numeric(
        pd.Series(pc.if_else(numeric, strings, None).to_pylist(), dtype="object"),
        errors="coerce",
    )
    if unit is None:
        is_ms = numbers.abs() >= _MS_THRESHOLD
        if int(is_ms.sum()):
            log.note("epoch_ms", int(is_ms.sum()))
        seconds = numbers.where(~is_ms, numbers / 1000.0)
    else:
        seconds = numbers / (1000.0 if unit == "ms" else 1.0)
    n_numbers = int(numbers.notna().sum())
    if n_numbers and unit is None:
        log.note("epoch_s", n_numbers - int((numbers.abs() >= _MS_THRESHOLD).sum()))
    in_range = seconds.abs() < 4e9
    epoch = pd.to_datetime(seconds.where(in_range), unit="s", utc=True)
    text_values = pc.if_else(numeric, pa.scalar(None, pa.string()), strings)
    has_zone = pc.fill_null(pc.match_substring_regex(text_values, _HAS_ZONE), False)
    texts = pd.Series(text_values.to_pylist(), dtype="object")
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    naive = int((parsed.notna() & ~pd.Series(has_zone.to_numpy(zero_copy_only=False))).sum())
    if naive:
        log.note("naive_timestamp", naive)
    combined = parsed.where(parsed.notna(), epoch)
    return pa.array(combined, type=TIMESTAMP, from_pandas=True)


def _split_author(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Split ``Name <addr>`` / address / name strings into (email, name) columns."""
    strings = values.cast(pa.string())
    parts = pc.extract_regex(strings, _NAME_ADDR)
    matched = pc.is_valid(parts)
    named_email = pc.struct_field(parts, "email")
    named_name = pc.struct_field(parts, "name")
    plain_email = pc.fill_null(
        pc.match_substring_regex(strings, r"^\s*[^\s@<>]+(@|\s+at\s+)[^\s@<>]+\.[^\s@<>]+\s*$"),
        False,
    )
    email = pc.if_else(
        matched, named_email, pc.if_else(plain_email, strings, pa.scalar(None, pa.string()))
    )
    name = pc.if_else(
        matched,
        pc.if_else(pc.equal(named_name, ""), pa.scalar(None, pa.string()), named_name),
        pc.if_else(plain_email, pa.scalar(None, pa.string()), strings),
    )
    return email, name


def _batch(columns: Mapping[str, pa.Array], log: SourceLog, mapping: TableMapping) -> pa.Table:
    """Turn canonical input columns into a batch for :meth:`TraceBuilder.add_messages`."""
    out: dict[str, pa.Array] = {}
    for canonical, target in CANONICAL_COLUMNS.items():
        if canonical not in columns:
            continue
        column = columns[canonical]
        if canonical == "created_at":
            if pa.types.is_timestamp(column.type):
                out[target] = column
            elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
                out[target] = _times(column.cast(pa.string()), log, mapping.timestamp_unit)
            else:
                out[target] = _times(column, log, mapping.timestamp_unit)
        elif canonical in ("author", "addressee"):
            email, name = _split_author(column)
            out.setdefault(f"{target}_email", email)
            out.setdefault(f"{target}_name", name)
        else:
            values = column.cast(pa.string())
            if canonical in ("parent_id", "thread_id", "space", "kind"):
                values = pc.if_else(
                    pc.equal(pc.utf8_trim_whitespace(values), ""),
                    pa.scalar(None, pa.string()),
                    values,
                )
            out[target] = values
    return pa.table(out)


def _required(present: Sequence[str], mapping: TableMapping, path: Path) -> dict[str, str]:
    """Return canonical -> source column for the columns this file provides."""
    available = set(present)
    found = {c: mapping.source_for(c) for c in CANONICAL_COLUMNS}
    found = {c: s for c, s in found.items() if s in available}
    missing_mapped = [s for c, s in mapping.columns.items() if s not in available]
    if missing_mapped:
        raise InputError(f"mapped column(s) {missing_mapped} not in the file", path=path)
    for needed in ("message_id", "created_at"):
        if needed not in found:
            raise InputError(
                f"no {needed!r} column (map one with --map {needed}=COLUMN)", path=path
            )
    if not {"author", "author_email", "author_name", "author_handle", "author_id"} & set(found):
        raise InputError("no author column (map one with --map author=COLUMN)", path=path)
    return found


def _columns_from_rows(
    rows: list[Sequence[Any]], header: Sequence[str], wanted: Mapping[str, str]
) -> dict[str, pa.Array]:
    index = {name: i for i, name in enumerate(header)}
    return {
        canonical: pa.array(
            [None if r[index[source]] in ("", None) else str(r[index[source]]) for r in rows],
            pa.string(),
        )
        for canonical, source in wanted.items()
    }


def _add_rows(
    builder: TraceBuilder,
    log: SourceLog,
    lines: list[int],
    rows: list[Sequence[Any]],
    header: Sequence[str],
    wanted: Mapping[str, str],
    mapping: TableMapping,
    path: Path,
) -> None:
    if not rows:
        return
    batch = _batch(_columns_from_rows(rows, header, wanted), log, mapping)
    batch = batch.append_column("source_ref", pa.array([f"{path.name}:{n}" for n in lines]))
    builder.add_messages(log, batch)


def _read_csv(builder: TraceBuilder, path: Path, mapping: TableMapping) -> None:
    log = builder.source(path)
    header, records = _csv_records(path, log, mapping.delimiter)
    if not header:
        return
    wanted = _required(header, mapping, path)
    rows: list[Sequence[Any]] = []
    lines: list[int] = []
    for line, row in records:
        rows.append(row)
        lines.append(line)
        if len(rows) >= _BATCH_ROWS:
            _add_rows(builder, log, lines, rows, header, wanted, mapping, path)
            rows, lines = [], []
    _add_rows(builder, log, lines, rows, header, wanted, mapping, path)


def _read_jsonl(builder: TraceBuilder, path: Path, mapping: TableMapping) -> None:
    log = builder.source(path)
    wanted: dict[str, str] | None = None
    rows: list[Sequence[Any]] = []
    lines: list[int] = []
    header: list[str] = []
    for line, record in _jsonl_records(path, log):
        if wanted is None:
            header = sorted({mapping.source_for(c) for c in CANONICAL_COLUMNS} | set(record))
            wanted = _required(list(record), mapping, path)
        rows.append([_json_scalar(record.get(name)) for name in header])
        lines.append(line)
        if len(rows) >= _BATCH_ROWS:
            _add_rows(builder, log, lines, rows, header, wanted, mapping, path)
            rows, lines = [], []
    if wanted is not None:
        _add_rows(builder, log, lines, rows, header, wanted, mapping, path)


def _json_scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True)


def _read_parquet(
    builder: TraceBuilder, path: Path, mapping: TableMapping, schema: dict[str, pa.DataType]
) -> None:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"unreadable Parquet file: {exc}", path=path) from exc
    wanted = _required(parquet.schema_arrow.names, mapping, path)
    for canonical, source in wanted.items():
        dtype = parquet.schema_arrow.field(source).type
        if pa.types.is_nested(dtype):
            raise InputError(
                f"column {source!r} is nested ({dtype}); undertow reads flat columns "
                "(flatten it or map another column)",
                path=path,
            )
        previous = schema.setdefault(canonical, dtype)
        if previous != dtype:
            raise InputError(
                f"schema drift: column {source!r} is {dtype} here but {previous} in an "
                "earlier file (convert the files to one schema first)",
                path=path,
            )
    log = builder.source(path)
    offset = 0
    try:
        for record_batch in parquet.iter_batches(
            batch_size=_BATCH_ROWS, columns=sorted(set(wanted.values()))
        ):
            n = record_batch.num_rows
            log.read(n)
            columns = {c: record_batch.column(s) for c, s in wanted.items()}
            batch = _batch(columns, log, mapping)
            numbers = pa.array(np.arange(offset + 1, offset + n + 1, dtype=np.int64))
            refs = pc.binary_join_element_wise(f"{path.name}#", numbers.cast(pa.string()), "")
            batch = batch.append_column("source_ref", refs)
            builder.add_messages(log, batch)
            offset += n
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise InputError(f"unreadable Parquet file after {offset} rows: {exc}", path=path) from exc


def _expand(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".csv", ".jsonl", ".ndjson", ".parquet")
            )
            if not found:
                raise InputError("a directory with no .csv/.jsonl/.parquet files", path=path)
            files.extend(found)
        else:
            _check_file(path)
            files.append(path)
    return files


def read_table(
    builder: TraceBuilder,
    paths: Sequence[str | Path],
    *,
    mapping: TableMapping | None = None,
    roster: Path | None = None,
    **options: Any,
) -> None:
    r"""Read CSV / JSONL / Parquet message tables (and a roster) into ``builder``.

    Parameters
    ----------
    builder
        The trace builder (it does the accounting and the writing).
    paths
        Files (by suffix: ``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``) or folders of them.
    mapping
        Column mapping and options; ``None`` for files with canonical column names.
    roster
        Optional roster CSV of formal roles (see :func:`read_roster`).
    options
        Ignored (options of other formats).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.csv").write_text(
    ...     "message_id,parent_id,author,created_at,text\n"
    ...     "1,,Ann Lee <ann@x.org>,2024-01-01T10:00:00Z,hi\n"
    ...     "2,1,bob@y.org,2024-01-01T11:00:00Z,hello Ann\n"
    ...     "3,1,short row\n")
    >>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    >>> read_table(builder, [folder / "m.csv"])
    >>> [(s["read"], s["accepted"], s["rejected"]) for s in builder.sources()]
    [(3, 2, 1)]
    """
    mapping = mapping or TableMapping()
    parquet_schema: dict[str, pa.DataType] = {}
    for path in _expand(paths):
        suffix = path.suffix.lower()
        if suffix == ".csv" or suffix == ".tsv":
            _read_csv(builder, path, mapping)
        elif suffix in (".jsonl", ".ndjson"):
            _read_jsonl(builder, path, mapping)
        elif suffix == ".parquet":
            _read_parquet(builder, path, mapping, parquet_schema)
        else:
            raise InputError("unknown table format (expected .csv, .jsonl or .parquet)", path=path)
    if roster is not None:
        read_roster(builder, roster)


def _roster_identity(identifier: str) -> tuple[RawIdentity, RawIdentity | None]:
    candidates = identifier_from_text(identifier)
    text = identifier.strip()
    if candidates and candidates[0].startswith("email:"):
        return RawIdentity(email=text), None
    if candidates and candidates[0].startswith("id:"):
        # ``ns:value`` may be an account id or a handle in the data: link both readings.
        return RawIdentity(source_id=text), RawIdentity(handle=text)
    return RawIdentity(name=text), None


def _roster_time(value: str) -> tuple[datetime | None, bool]:
    """Parse a roster date; return (time, ok). Empty is ``None`` and fine."""
    if not value.strip():
        return None, True
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None, False
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), True


#: Largest rank magnitude (an ordinal of position power; the roles table stores int32).
_MAX_RANK = 2**31 - 1
_MAX_RANK_DIGITS = 10


def read_roster(builder: TraceBuilder, path: str | Path) -> None:
    r"""Read a roster CSV into roles.

    Columns: ``identifier, role, rank, unit, valid_from, valid_to, consent``, and the
    optional provenance columns ``date_basis`` (``exact``, the default; ``interval``: the
    start lies in [``valid_from_earliest``, ``valid_from``] and the end in
    [``valid_to_earliest``, ``valid_to``]; ``status``: a standing such as a badge, not an
    appointment), ``valid_from_earliest`` and ``valid_to_earliest``. A row with another
    basis is rejected (``bad_date_basis``).

    ``identifier`` is an address, a namespaced id or handle (``irc:ann``) or a name;
    it is pseudonymised with the project key like every other identity. Rows with a
    non-integer rank or one beyond ±2³¹ (``bad_rank``), an unreadable date
    (``bad_date``), an end before the start (``bad_interval``) or that repeat an
    earlier row (``duplicate_role``) are rejected. Roster people absent from the
    messages are kept and counted (``role_holders_without_messages`` in the manifest).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.csv").write_text(
    ...     "identifier,role,rank,unit,valid_from,valid_to,consent\n"
    ...     "ann@x.org,maintainer,2,core,2023-01-01,,yes\n"
    ...     "ann@x.org,maintainer,2,core,2023-01-01,,yes\n")
    >>> builder = TraceBuilder(folder / "t", key_file=folder / "key")
    >>> read_roster(builder, folder / "r.csv")
    >>> [(s["read"], s["accepted"], s["reasons"]) for s in builder.sources()]
    [(2, 1, {'duplicate_role': 1})]
    """
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".parquet", ".json"):
        raise InputError(
            "a roster is read as CSV (identifier,role,rank,unit,valid_from,valid_to,consent); "
            "convert it to CSV",
            path=path,
        )
    log = builder.source(path)
    header, records = _csv_records(path, log, None)
    if not header:
        return
    lowered = [h.lower() for h in header]
    missing = [c for c in ("identifier", "role", "rank") if c not in lowered]
    if missing:
        raise InputError(f"roster needs column(s) {missing}", path=path)
    index = {name: lowered.index(name) for name in _ROSTER_COLUMNS if name in lowered}
    seen: set[tuple[str, ...]] = set()
    for line, row in records:
        location = f"{path.name}:{line}"

        def get(name: str, row: list[str] = row) -> str:
            return row[index[name]].strip() if name in index else ""

        identifier = get("identifier")
        try:
            rank = int(get("rank")[: _MAX_RANK_DIGITS + 1])
        except ValueError:
            rank = None
        if rank is None or len(get("rank")) > _MAX_RANK_DIGITS or abs(rank) > _MAX_RANK:
            log.reject("bad_rank", location, ",".join(row)[:1000])
            continue
        start, ok_start = _roster_time(get("valid_from"))
        end, ok_end = _roster_time(get("valid_to"))
        if not identifier or not get("role"):
            log.reject("missing_field", location, ",".join(row))
            continue
        earliest_start, ok_earliest_start = _roster_time(get("valid_from_earliest"))
        earliest_end, ok_earliest_end = _roster_time(get("valid_to_earliest"))
        if not (ok_start and ok_end and ok_earliest_start and ok_earliest_end):
            log.reject("bad_date", location, ",".join(row))
            continue
        basis = get("date_basis").lower() or None
        if basis is not None and basis not in DATE_BASES:
            log.reject("bad_date_basis", location, ",".join(row))
            continue
        if start is not None and end is not None and end < start:
            log.reject("bad_interval", location, ",".join(row))
            continue
        key = (identifier.casefold(), get("role"), get("unit"), get("valid_from"))
        if key in seen:
            log.reject("duplicate_role", location, ",".join(row))
            continue
        seen.add(key)
        person, alias = _roster_identity(identifier)
        if alias is not None:
            builder.link(person, alias)
        builder.add_role(
            person,
            role=get("role"),
            rank=rank,
            unit=get("unit") or None,
            valid_from=start,
            valid_to=end,
            source_ref=location,
            date_basis=basis,
            valid_from_earliest=earliest_start,
            valid_to_earliest=earliest_end,
        )
        if get("consent").lower() in ("yes", "true", "1", "y"):
            log.note("consent")
        log.accept_record()
