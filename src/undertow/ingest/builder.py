"""Build a trace from any source: the one API every adapter writes to.

An adapter opens a :class:`TraceBuilder`, asks it for a :class:`SourceLog` per input
file (or archive member), and for every record it reads calls ``log.read()`` and
then exactly one of ``builder.add_message(log, ...)`` (accepted), ``log.reject(...)``
(malformed) or ``log.exclude(...)`` (out of scope, e.g. a join notice). At
:meth:`TraceBuilder.write` the builder merges identities, pseudonymises them,
resolves threads, masks addresses and names in text, validates and writes the
trace atomically with its manifest. ``read == accepted + rejected + excluded`` is
checked for every source; an adapter that breaks it fails loudly.

Raw identities and raw text never leave the builder except into the quarantine
file of rejected records (``<trace>.quarantine.jsonl`` beside the trace folder,
mode 0600) and the optional identity map the owner asks for.

Example
-------
>>> import tempfile, pathlib
>>> from datetime import datetime, UTC
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
>>> log = builder.source("inline")
>>> log.read()
>>> builder.add_message(log, source_message_id="1", author=RawIdentity(email="ann@x.org"),
...                     created_at=datetime(2024, 1, 1, tzinfo=UTC), kind="post", text="hi")
>>> builder.write()["tables"]["messages"]
1
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.errors import InputError, UndertowError
from undertow.identity.audit import audit_table
from undertow.identity.keys import fingerprint, load_or_create_key
from undertow.identity.merge import DELETED, IdentityGraph, RawIdentity
from undertow.identity.normalize import identifier_from_text
from undertow.identity.pseudonyms import keyed_ids, pseudonym
from undertow.identity.scrub import (
    AMBIGUOUS,
    IdentityTokens,
    Scrubber,
    identity_tokens,
    named_addresses,
)
from undertow.identity.words import community_words, is_word
from undertow.ingest.limits import DEFAULT_LIMITS, Limits
from undertow.ingest.lines import record_lines
from undertow.model.observation import FACTS, observation_model
from undertow.model.schema import (
    DATE_BASES,
    MESSAGE_KINDS,
    OUTCOME_KINDS,
    PARENT_BASES,
    TABLES,
    TIMESTAMP,
)
from undertow.model.writer import (
    MANIFEST,
    Owned,
    claim_folder,
    inside,
    package_versions,
    remove_leftovers,
    write_marker,
    write_private_file,
    write_trace,
)

__all__ = [
    "BATCH_COLUMNS",
    "EARLIEST",
    "LATEST",
    "RawIdentity",
    "SourceLog",
    "TraceBuilder",
    "quarantine_path",
]

#: Times before this are rejected (``implausible_date``): 1970-01-01 is the usual "no date" default.
EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
#: Times from this on are rejected (``implausible_date``).
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

_IDENTITY_FIELDS = ("email", "name", "handle", "source_id", "is_bot", "is_deleted")

#: The column contract of :meth:`TraceBuilder.add_messages` (name -> Arrow type).
#: Only ``source_message_id`` and ``created_at`` are required; ``created_at`` may be
#: any timestamp type (naive = UTC, counted as ``naive_timestamp``); ``kind`` defaults
#: to ``post`` without a parent and ``reply`` with one; absent author columns make
#: the author the shared deleted/unknown account.
BATCH_COLUMNS: dict[str, pa.DataType] = {
    "source_message_id": pa.string(),
    "created_at": TIMESTAMP,
    "kind": pa.string(),
    "author_email": pa.string(),
    "author_name": pa.string(),
    "author_handle": pa.string(),
    "author_source_id": pa.string(),
    "author_is_bot": pa.bool_(),
    "author_is_deleted": pa.bool_(),
    "text": pa.string(),
    "quoted_text": pa.string(),
    "parent_source_id": pa.string(),
    "thread_source_id": pa.string(),
    "addressee_email": pa.string(),
    "addressee_name": pa.string(),
    "addressee_handle": pa.string(),
    "addressee_source_id": pa.string(),
    "addressee_is_bot": pa.bool_(),
    "addressee_is_deleted": pa.bool_(),
    "space": pa.string(),
    "has_patch": pa.bool_(),
    "has_signature": pa.bool_(),
    "source_ref": pa.string(),
    "parent_basis": pa.string(),
}
_RAW_SCHEMA = pa.schema([*BATCH_COLUMNS.items(), ("log", pa.int32())])
_PERSON_COLUMNS = {
    f"{prefix}_{name}" for prefix in ("author", "addressee") for name in _IDENTITY_FIELDS
}
#: How messages are kept until the write: each identity as an index into the distinct ones.
_STORED_SCHEMA = pa.schema(
    [f for f in _RAW_SCHEMA if f.name not in _PERSON_COLUMNS]
    + [pa.field("author", pa.int32()), pa.field("addressee", pa.int32())]
)
_FLUSH_ROWS = 50_000
#: Columns of keyed hashes (pseudonyms, opaque ids): no raw text to audit.
_KEYED_COLUMNS = frozenset(
    {"message_id", "thread_id", "parent_id", "author_id", "addressee_id", "person_id", "actor_id"}
)
#: One word: the tokens the community vocabulary can make words.
_SINGLE = re.compile(r"[^\W_]+")


def quarantine_path(out: Path) -> Path:
    """Return where rejected raw records of trace ``out`` go: beside it, never inside.

    Examples
    --------
    >>> quarantine_path(Path("runs/trace")).name
    'trace.quarantine.jsonl'
    """
    return out.parent / f"{out.name}.quarantine.jsonl"


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class SourceLog:
    """Accounting of one input file (or archive member).

    ``read`` counts records seen; each must end in exactly one of ``accepted``
    (counted by :meth:`TraceBuilder.add_message`), ``rejected`` or ``excluded``.
    ``notes`` counts repairs that kept a record (e.g. ``naive_timestamp``).
    """

    path: str
    member: str | None
    sha256: str | None
    index: int
    builder: TraceBuilder = field(repr=False)
    n_read: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    n_excluded: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        """``path`` or ``path!member``, as locations are reported."""
        return self.path if self.member is None else f"{self.path}!{self.member}"

    def read(self, n: int = 1) -> None:
        """Count ``n`` records read from the source."""
        self.n_read += n

    def accept_record(self, n: int = 1) -> None:
        """Count ``n`` accepted records that are not messages (a user row, a vote)."""
        self.n_accepted += n

    def reject(self, reason: str, location: str, raw: str | bytes | None = None) -> None:
        """Count one malformed record; its raw form goes to the quarantine file.

        Raises
        ------
        InputError
            In strict mode, naming the file and location.
        """
        self.reject_many(reason, [location], [raw])

    def reject_many(
        self, reason: str, locations: list[str], raws: list[str | bytes | None] | None = None
    ) -> None:
        """Count several malformed records at once (the vectorised form of :meth:`reject`)."""
        if not locations:
            return
        if self.builder.strict:
            raise InputError(f"rejected record ({reason}) at {locations[0]}", path=self.name)
        self.n_rejected += len(locations)
        self.reasons[reason] += len(locations)
        raws = raws if raws is not None else [None] * len(locations)
        for location, raw in zip(locations, raws, strict=True):
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8", errors="backslashreplace")
            self.builder._quarantine.append(
                {"source": self.name, "location": location, "reason": reason, "raw": raw}
            )

    def exclude(self, reason: str, location: str) -> None:
        """Count one record left out on purpose (opt-out, bot, out of scope)."""
        self.exclude_many(reason, 1)

    def exclude_many(self, reason: str, n: int) -> None:
        """Count ``n`` records left out on purpose for ``reason``."""
        self.n_excluded += n
        self.reasons[reason] += n

    def note(self, code: str, n: int = 1) -> None:
        """Count a repair that kept the record (shown in the manifest, not a rejection)."""
        self.notes[code] += n

    def summary(self) -> dict[str, Any]:
        """Return the manifest entry of this source."""
        return {
            "path": self.path,
            "member": self.member,
            "sha256": self.sha256,
            "read": self.n_read,
            "accepted": self.n_accepted,
            "rejected": self.n_rejected,
            "excluded": self.n_excluded,
            "reasons": dict(sorted(self.reasons.items())),
            "notes": dict(sorted(self.notes.items())),
        }


def _identity_row(prefix: str, identity: RawIdentity | None) -> dict[str, Any]:
    if identity is None:
        return {f"{prefix}_{name}": None for name in _IDENTITY_FIELDS}
    return {f"{prefix}_{name}": getattr(identity, name) for name in _IDENTITY_FIELDS}


_TEXT_IDENTITY_FIELDS = ("email", "name", "handle", "source_id")


def _oversize_field(cap: int, **values: str | None) -> str | None:
    """The first field longer than ``cap`` UTF-8 bytes, as ``name (N bytes)``, else ``None``.

    A string of ``n`` code points holds at most ``4n`` UTF-8 bytes, so only strings
    longer than ``cap / 4`` are encoded to be measured.
    """
    for name, value in values.items():
        if isinstance(value, str) and len(value) * 4 > cap:
            size = len(value.encode("utf-8", "surrogatepass"))
            if size > cap:
                return f"{name} of {size} bytes over the {cap}-byte field cap"
    return None


def _as_utc(value: datetime) -> tuple[datetime, bool]:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), True
    return value.astimezone(UTC), False


class TraceBuilder:
    """Collect records from adapters and write one pseudonymous, validated trace.

    Parameters
    ----------
    out
        The trace folder to write (may be omitted for a builder that only counts,
        e.g. in an adapter's doctest; :meth:`write` then refuses).
    key_file
        The project key (default ``$UNDERTOW_KEY_FILE`` or ``./.undertow/key``); read,
        or created if absent, only when first needed (at :meth:`write`).
    aliases
        CSV of ``identifier,alias`` rows declaring two identifiers the same person.
    opt_out
        Text file, one identifier (address, name, ``ns:id``) per line; those people's
        messages are excluded (``opt_out``) and they are kept out of every table.
    strict
        Make any rejection fatal (:class:`~undertow.errors.InputError`).
    identity_map
        If given, also write raw identifier -> pseudonym there (CSV, or Parquet by
        suffix), mode 0600. Keep it outside the trace folder.
    seeds
        Seeds used by the adapter, recorded in the manifest.
    force
        Write into a non-empty folder undertow did not write (only undertow's own files
        are written or replaced there).
    allow_empty
        Write a trace even if a source yields no accepted record (otherwise an
        :class:`~undertow.errors.InputError` naming the source).
    limits
        The caps of :mod:`undertow.ingest.limits`; adapters read them from here, and
        a message with a text, id or identity field over ``max_field_bytes`` is
        rejected (``field_too_large``).
    """

    def __init__(
        self,
        out: Path | str | None = None,
        *,
        key_file: Path | None = None,
        aliases: Path | None = None,
        opt_out: Path | None = None,
        strict: bool = False,
        identity_map: Path | None = None,
        seeds: Mapping[str, int] | None = None,
        force: bool = False,
        allow_empty: bool = True,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.out = None if out is None else Path(out)
        self.limits = limits
        self.force = force
        self.allow_empty = allow_empty
        self.strict = strict
        self.key_file = key_file
        self._key: bytes | None = None
        self.aliases = None if aliases is None else Path(aliases)
        self.opt_out = None if opt_out is None else Path(opt_out)
        self.identity_map = None if identity_map is None else Path(identity_map)
        if (
            self.identity_map is not None
            and self.out is not None
            and inside(self.identity_map, self.out)
        ):
            raise InputError(
                "the identity map holds raw identifiers and must not be written inside "
                "the trace folder; give a path outside it",
                path=self.identity_map,
            )
        self.seeds = dict(seeds or {})
        self._logs: dict[str, SourceLog] = {}
        self._rows: list[dict[str, Any]] = []
        self._batches: list[pa.Table] = []
        # Distinct identities of messages: key -> index, and the identity itself
        # (``None`` for an addressee slot naming no one, which is no record).
        self._identity_index: dict[str, int] = {}
        self._identities: list[RawIdentity] = []
        self._identity_is_record: list[bool] = []
        self._roles: list[dict[str, Any]] = []
        self._spaces: dict[str, dict[str, Any]] = {}
        self._outcomes: list[dict[str, Any]] = []
        self._documents: dict[str, dict[str, Any]] = {}
        self._links: list[tuple[RawIdentity, RawIdentity]] = []
        self._seen: set[RawIdentity] = set()
        self._quarantine: list[dict[str, Any]] = []
        self._extra_inputs: dict[str, str | None] = {}
        self._observed_by: set[str] = set()
        self._unobservable: dict[str, str] = {}

    @property
    def key(self) -> bytes:
        """The project key (loaded, or created, on first use)."""
        if self._key is None:
            self._key = load_or_create_key(self.key_file)
        return self._key

    def sources(self) -> list[dict[str, Any]]:
        """Return the accounting of every source so far (as in the manifest's ``sources``)."""
        return [log.summary() for log in sorted(self._logs.values(), key=lambda log: log.index)]

    # -- adapters' API ----------------------------------------------------------------------

    def observe(self, source: str, *, unobservable: Mapping[str, str] | None = None) -> None:
        """Declare the kind of source an adapter read, and the facts it cannot show.

        ``unobservable`` maps observation facts (``undertow.model.observation.FACTS``,
        e.g. ``rejections``) to the reason, in words a report can quote. The trace's
        observation model (``manifest.json`` ``observation``) joins these declarations
        with what the write measures (coverage, reply links, role dates).
        """
        for fact, reason in (unobservable or {}).items():
            if fact not in FACTS:
                raise ValueError(f"unknown observation fact {fact!r}")
            self._unobservable.setdefault(fact, reason)
        self._observed_by.add(source)

    def source(self, path: Path | str, *, member: str | None = None) -> SourceLog:
        """Return the accounting log of one input (created once per path and member)."""
        name = str(path) if member is None else f"{path}!{member}"
        log = self._logs.get(name)
        if log is None:
            sha = _sha256(Path(path)) if member is None else self._member_hash(Path(path))
            log = SourceLog(str(path), member, sha, len(self._logs), self)
            self._logs[name] = log
        return log

    def _member_hash(self, archive: Path) -> str | None:
        # An archive is hashed once as a whole; its members share that hash.
        for log in self._logs.values():
            if log.path == str(archive):
                return log.sha256
        return _sha256(archive)

    def add_message(
        self,
        log: SourceLog,
        *,
        source_message_id: str,
        author: RawIdentity,
        created_at: datetime,
        kind: str,
        text: str | None = None,
        quoted_text: str | None = None,
        parent_source_id: str | None = None,
        thread_source_id: str | None = None,
        addressee: RawIdentity | None = None,
        space: str | None = None,
        has_patch: bool = False,
        has_signature: bool = False,
        location: str = "",
        parent_basis: str | None = None,
    ) -> None:
        """Accept one message (or reject it with a reason if it cannot be one).

        ``source_message_id`` must be unique within the trace (namespace it, e.g.
        ``se:123``); a later duplicate is rejected (``duplicate_id``) at write.
        ``created_at`` without time zone is taken as UTC and counted
        (``naive_timestamp``); times before 1971 or from 2100 on are rejected
        (``implausible_date``). ``location`` (``file:line``) becomes ``source_ref``.
        ``parent_basis`` says where ``parent_source_id`` (or its absence) came from
        (``explicit``, ``inferred``, ``unknown``); by default ``explicit``, except a
        ``chat`` line without a parent, whose parent is ``unknown`` (chat records no
        reply structure). A parent that names no message in the trace becomes
        ``unknown`` at write.
        """
        if parent_basis is not None and parent_basis not in PARENT_BASES:
            raise ValueError(f"unknown parent_basis {parent_basis!r}")
        where = location or log.name
        if not source_message_id:
            log.reject("missing_id", where, repr(text)[:200])
            return
        if kind not in MESSAGE_KINDS:
            log.reject("bad_kind", where, kind)
            return
        if not isinstance(created_at, datetime):
            log.reject("bad_date", where, repr(created_at))
            return
        when, naive = _as_utc(created_at)
        if not EARLIEST <= when < LATEST:
            log.reject("implausible_date", where, when.isoformat())
            return
        oversize = _oversize_field(
            self.limits.max_field_bytes,
            source_message_id=source_message_id,
            text=text,
            quoted_text=quoted_text,
            parent_source_id=parent_source_id,
            thread_source_id=thread_source_id,
            space=space,
            **{f"author_{k}": getattr(author, k) for k in _TEXT_IDENTITY_FIELDS},
            **{f"addressee_{k}": getattr(addressee, k, None) for k in _TEXT_IDENTITY_FIELDS},
        )
        if oversize is not None:
            log.reject("field_too_large", f"{where}: {oversize}", None)
            return
        if naive:
            log.note("naive_timestamp")
        row: dict[str, Any] = {
            "source_message_id": source_message_id,
            "created_at": when,
            "kind": kind,
            "text": text,
            "quoted_text": quoted_text,
            "parent_source_id": parent_source_id,
            "thread_source_id": thread_source_id,
            "space": space,
            "has_patch": has_patch,
            "has_signature": has_signature,
            "source_ref": where,
            "parent_basis": parent_basis,
            "log": log.index,
        }
        row.update(_identity_row("author", author))
        row.update(_identity_row("addressee", addressee))
        self._rows.append(row)
        log.n_accepted += 1
        if len(self._rows) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._store(pa.Table.from_pylist(self._rows, schema=_RAW_SCHEMA))
            self._rows = []

    def _store(self, table: pa.Table) -> None:
        """Keep a batch of accepted messages, its identities as indices into the distinct ones."""
        for prefix in ("author", "addressee"):
            cols = [f"{prefix}_{name}" for name in _IDENTITY_FIELDS]
            keys = _identity_keys(table, prefix)
            unique = table.select(cols).group_by(cols, use_threads=False).aggregate([])
            unique_keys = _identity_keys(unique, prefix)
            index = self._identity_index
            positions = []
            for key, row in zip(unique_keys.to_pylist(), unique.to_pylist(), strict=True):
                position = index.get(key)
                if position is None:
                    values = {name: row[f"{prefix}_{name}"] for name in _IDENTITY_FIELDS}
                    values["is_bot"] = bool(values["is_bot"])
                    values["is_deleted"] = bool(values["is_deleted"])
                    position = index[key] = len(self._identities)
                    self._identities.append(RawIdentity(**values))
                    self._identity_is_record.append(False)
                if not self._identity_is_record[position] and (
                    prefix == "author" or _names_someone(row, prefix)
                ):
                    self._identity_is_record[position] = True
                positions.append(position)
            of_row = pc.take(
                pa.array(positions, pa.int32()), pc.index_in(keys, value_set=unique_keys)
            )
            table = table.drop_columns(cols).append_column(prefix, of_row)
        self._batches.append(table)

    def add_messages(self, log: SourceLog, batch: pa.Table) -> None:
        """Accept a table of messages at once (vectorised; see :data:`BATCH_COLUMNS`).

        Rows are validated like :meth:`add_message`: a missing id (``missing_id``),
        a null or implausible time (``bad_date`` / ``implausible_date``) or an
        unknown kind (``bad_kind``) rejects the row, with ``source_ref`` (default:
        ``<source>#<row number>``) as its location. The caller counts ``read``.
        """
        n = batch.num_rows
        unknown = set(batch.column_names) - set(BATCH_COLUMNS)
        if unknown:
            raise ValueError(f"add_messages: unknown column(s) {sorted(unknown)}")
        columns: dict[str, pa.Array] = {}
        for name, dtype in BATCH_COLUMNS.items():
            if name in batch.column_names:
                columns[name] = batch.column(name).combine_chunks()
            else:
                columns[name] = pa.nulls(n, dtype)
        if "source_ref" not in batch.column_names:
            columns["source_ref"] = pa.array([f"{log.name}#{i + 1}" for i in range(n)])
        created = columns["created_at"]
        if not pa.types.is_timestamp(created.type):
            raise ValueError("add_messages: created_at must be a timestamp column")
        if created.type.tz is None:
            naive = n - created.null_count
            if naive:
                log.note("naive_timestamp", naive)
            created = pc.assume_timezone(created, "UTC")
        created = created.cast(TIMESTAMP)
        columns["created_at"] = created
        kind = columns["kind"]
        default_kind = pc.if_else(pc.is_null(columns["parent_source_id"]), "post", "reply")
        columns["kind"] = pc.coalesce(kind.cast(pa.string()), default_kind)
        for flag in ("author_is_bot", "author_is_deleted", "has_patch", "has_signature"):
            columns[flag] = pc.fill_null(columns[flag].cast(pa.bool_()), False)
        for name, dtype in BATCH_COLUMNS.items():
            if columns[name].type != dtype:
                columns[name] = columns[name].cast(dtype)
        table = pa.table(columns)
        ids = table.column("source_message_id")
        checks = [
            ("missing_id", pc.or_kleene(pc.is_null(ids), pc.equal(ids, ""))),
            ("bad_date", pc.is_null(created)),
            (
                "implausible_date",
                pc.or_(
                    pc.less(created, pa.scalar(EARLIEST, TIMESTAMP)),
                    pc.greater_equal(created, pa.scalar(LATEST, TIMESTAMP)),
                ),
            ),
            ("bad_kind", pc.invert(pc.is_in(table.column("kind"), pa.array(MESSAGE_KINDS)))),
            ("field_too_large", self._oversize_mask(table)),
        ]
        bad_any = pa.array(np.zeros(n, dtype=bool))
        for reason, mask in checks:
            mask = pc.and_(pc.fill_null(mask, False), pc.invert(bad_any))
            rejected = table.filter(mask)
            if rejected.num_rows:
                log.reject_many(
                    reason,
                    rejected.column("source_ref").to_pylist(),
                    [
                        # An oversize row is quarantined by its first 1000 characters.
                        json.dumps(r, default=str)[: 1000 if reason == "field_too_large" else None]
                        for r in rejected.drop(["source_ref"]).to_pylist()
                    ],
                )
            bad_any = pc.or_(bad_any, mask)
        kept = table.filter(pc.invert(bad_any))
        kept = kept.append_column("log", pa.array(np.full(kept.num_rows, log.index, np.int32)))
        self._flush()
        self._store(kept.select(_RAW_SCHEMA.names).cast(_RAW_SCHEMA))
        log.n_accepted += kept.num_rows

    def _oversize_mask(self, table: pa.Table) -> pa.Array:
        """Rows with a string field longer than ``max_field_bytes`` (UTF-8 bytes)."""
        cap = self.limits.max_field_bytes
        mask = pa.array(np.zeros(table.num_rows, dtype=bool))
        for name in table.column_names:
            column = table.column(name)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                mask = pc.or_(mask, pc.fill_null(pc.greater(pc.binary_length(column), cap), False))
        return mask

    def add_role(
        self,
        person: RawIdentity,
        *,
        role: str,
        rank: int,
        unit: str | None = None,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
        source_ref: str = "",
        date_basis: str | None = None,
        valid_from_earliest: datetime | None = None,
        valid_to_earliest: datetime | None = None,
    ) -> None:
        """Record a formal role held by ``person`` (kept even if they never post).

        ``date_basis`` says how the dates are known: ``exact`` (the default), ``interval``
        (seen in snapshots: the start lies in [``valid_from_earliest``, ``valid_from``],
        the end in [``valid_to_earliest``, ``valid_to``]) or ``status`` (a badge or a
        reputation tier: a standing, not an appointment).
        """
        if date_basis is not None and date_basis not in DATE_BASES:
            raise ValueError(f"unknown date_basis {date_basis!r}")

        def utc(value: datetime | None) -> datetime | None:
            return None if value is None else _as_utc(value)[0]

        self._roles.append(
            {
                "person": person,
                "role": role,
                "rank": int(rank),
                "unit": unit,
                "valid_from": None if valid_from is None else _as_utc(valid_from)[0],
                "valid_to": None if valid_to is None else _as_utc(valid_to)[0],
                "source_ref": source_ref or None,
                "date_basis": date_basis,
                "valid_from_earliest": utc(valid_from_earliest),
                "valid_to_earliest": utc(valid_to_earliest),
            }
        )

    def add_space(
        self, space: str, *, name: str | None = None, governance: str = "unknown"
    ) -> None:
        """Describe a space (channel, list, category, repository) messages refer to by ``space``."""
        if governance not in ("official", "emergent", "unknown"):
            raise ValueError(f"unknown governance {governance!r}")
        self._spaces[space] = {"space_id": space, "name": name, "governance": governance}

    def add_outcome(
        self,
        *,
        thread_source_id: str | None = None,
        message_source_id: str | None = None,
        kind: str,
        created_at: datetime | None = None,
        actor: RawIdentity | None = None,
        source_ref: str = "",
    ) -> None:
        """Record knowledge created in a thread (accepted answer, merge, resolution).

        The thread is taken from ``message_source_id``'s message when known, else
        from ``thread_source_id``; outcomes that match no message in the trace are
        dropped at write and counted (``outcomes_unresolved``).
        """
        if kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome kind {kind!r}; expected one of {OUTCOME_KINDS}")
        if thread_source_id is None and message_source_id is None:
            raise ValueError("add_outcome needs thread_source_id or message_source_id")
        self._outcomes.append(
            {
                "thread_source_id": thread_source_id,
                "message_source_id": message_source_id,
                "kind": kind,
                "created_at": None if created_at is None else _as_utc(created_at)[0],
                "actor": actor,
                "source_ref": source_ref or None,
            }
        )

    def add_document(
        self,
        *,
        document_id: str,
        text: str,
        title: str | None = None,
        valid_from: datetime | None = None,
        kind: str | None = None,
    ) -> None:
        """Add an official text of the organisation (names in it are masked at write)."""
        self._documents[document_id] = {
            "document_id": document_id,
            "title": title,
            "valid_from": None if valid_from is None else _as_utc(valid_from)[0],
            "kind": kind,
            "text": text,
        }

    def link(self, a: RawIdentity, b: RawIdentity) -> None:
        """Declare two records the same person (IRC nick change, git ``.mailmap``)."""
        self._links.append((a, b))

    def add_identity(self, identity: RawIdentity) -> None:
        """Record a person the source names without a message (an IRC nick that only joined).

        They get no row in any table, but their tokens are scrubbed from every text.
        """
        self._seen.add(identity)

    def note_input(self, path: Path | str) -> None:
        """Record a side input (roster, aliases, documents) and its hash in the manifest."""
        self._extra_inputs[str(path)] = _sha256(Path(path))

    # -- write ------------------------------------------------------------------------------

    def write(self) -> dict[str, Any]:
        """Resolve identities and threads, scrub, validate and write; return the manifest."""
        if self.out is None:
            raise ValueError("TraceBuilder.write() needs the builder's out folder")
        return _Writer(self, self.out).run()


class _Writer:
    """The write step, split into small stages over Arrow tables."""

    def __init__(self, builder: TraceBuilder, out: Path) -> None:
        self.b = builder
        self.out = out
        self.key = builder.key
        self.stats: dict[str, int] = {}
        self.logs = sorted(builder._logs.values(), key=lambda log: log.index)
        self._raw: pa.Table | None = None
        self.owned = Owned()

    # identity -------------------------------------------------------------------------------

    def _identity_records(self) -> list[RawIdentity]:
        builder = self.b
        records: set[RawIdentity] = {
            identity
            for identity, is_record in zip(
                builder._identities, builder._identity_is_record, strict=True
            )
            if is_record
        }
        records.update(role["person"] for role in self.b._roles)
        records.update(o["actor"] for o in self.b._outcomes if o["actor"] is not None)
        for a, b in self.b._links:
            records.update((a, b))
        records.update(self.b._seen)
        records.update(self._named_in_text)
        return sorted(
            records,
            key=lambda r: (
                str(r.email),
                str(r.name),
                str(r.handle),
                str(r.source_id),
                str(r.is_bot),
                str(r.is_deleted),
            ),
        )

    def _resolve_identities(self, records: list[RawIdentity]) -> None:
        graph = IdentityGraph()
        firsts = {record: graph.add(record)[0] for record in records}
        for a, b in self.b._links:
            graph.link(a, b)
        if self.b.aliases is not None:
            for line_no, (left, right) in _read_pairs(self.b.aliases):
                ids_a, ids_b = identifier_from_text(left), identifier_from_text(right)
                if not ids_a or not ids_b:
                    raise InputError(
                        "empty identifier in aliases", path=self.b.aliases, line=line_no
                    )
                graph.link_identifiers(ids_a, ids_b)
            self.b.note_input(self.b.aliases)
        opted: set[str] = set()
        if self.b.opt_out is not None:
            for _, line in _read_lines(self.b.opt_out):
                opted.update(graph.canonical(i) for i in identifier_from_text(line) if i in graph)
            self.b.note_input(self.b.opt_out)
        self.canonical = {record: graph.canonical(firsts[record]) for record in records}
        self.opted_out = opted
        self.pseudonyms = {
            canonical: pseudonym(self.key, canonical) for canonical in set(self.canonical.values())
        }
        self.bots = {self.canonical[r] for r in records if r.is_bot}
        self.components = graph.components()

    def _person_of(self, record: RawIdentity | None) -> str | None:
        if record is None:
            return None
        canonical = self.canonical[record]
        return None if canonical in self.opted_out else self.pseudonyms[canonical]

    def _map_people(self, table: pa.Table, prefix: str) -> tuple[pa.Array, pa.Array]:
        """Return (pseudonym, opted-out flag) per row for the ``prefix`` identity index."""
        lookup: dict[str, tuple[str | None, bool]] = {}
        for record, canonical in self.canonical.items():
            opted = canonical in self.opted_out
            lookup[_identity_key_of(record)] = (
                None if opted else self.pseudonyms[canonical],
                opted,
            )
        found = [lookup.get(key, (None, False)) for key in self.b._identity_index]
        index = table.column(prefix)
        ids = pc.take(pa.array([f[0] for f in found], pa.string()), index)
        opted_flags = pc.take(pa.array([f[1] for f in found], pa.bool_()), index)
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        if isinstance(opted_flags, pa.ChunkedArray):
            opted_flags = opted_flags.combine_chunks()
        return ids, opted_flags

    # stages -------------------------------------------------------------------------------

    def _account(self, table: pa.Table, mask: pa.Array, reason: str, *, reject: bool) -> None:
        dropped = table.filter(mask)
        if dropped.num_rows == 0:
            return
        counts = pc.value_counts(dropped.column("log")).to_pylist()
        refs_by_log: dict[int, list[str]] = {}
        if reject:
            for log_index, ref in zip(
                dropped.column("log").to_pylist(),
                dropped.column("source_ref").to_pylist(),
                strict=True,
            ):
                refs_by_log.setdefault(log_index, []).append(ref)
        for item in counts:
            log = self.logs[item["values"]]
            n = int(item["counts"])
            log.n_accepted -= n
            if reject:
                log.reject_many(reason, refs_by_log[item["values"]])
            else:
                log.exclude_many(reason, n)

    def _messages(self) -> tuple[pa.Table, pa.Array]:
        """Return the messages (in stored order) and the order to write them in."""
        raw = self._raw
        if raw is None:
            raise RuntimeError("the collected messages were already written")
        self._raw = None
        # Threads declared by any collected message (outcomes may name them).
        self._declared_threads: set[str] = set()
        if self.b._outcomes:
            declared = raw.column("thread_source_id").unique().drop_null()
            self._declared_threads = set(declared.to_pylist())
        # A later copy of an id: its dictionary index (first-appearance order) is not
        # above every index before it. One hash of the ids, no grouped copy of them.
        encoded = raw.column("source_message_id").dictionary_encode()
        index = np.concatenate(
            [np.zeros(0, np.int64)] + [np.asarray(chunk.indices) for chunk in encoded.chunks]
        )
        del encoded
        seen = np.maximum.accumulate(index)
        later = np.zeros(len(index), dtype=bool)
        later[1:] = index[1:] <= seen[:-1]
        del index, seen
        duplicate = pa.array(later)
        del later
        self._account(raw, duplicate, "duplicate_id", reject=True)
        # A filter copies every column: skipped when it would keep every row.
        if pc.any(duplicate).as_py():
            raw = raw.filter(pc.invert(duplicate))

        author_id, author_opted = self._map_people(raw, "author")
        self._account(raw, author_opted, "opt_out", reject=False)
        if pc.any(author_opted).as_py():
            keep = pc.invert(author_opted)
            raw = raw.filter(keep)
            author_id = author_id.filter(keep)
        addressee_id, _ = self._map_people(raw, "addressee")

        message_id = keyed_ids(self.key, raw.column("source_message_id"))
        parent_key = raw.column("parent_source_id")
        parent_idx = pc.index_in(parent_key, value_set=raw.column("source_message_id"))
        has_parent = pc.is_valid(parent_key)
        unresolved = pc.and_(has_parent, pc.is_null(parent_idx))
        self.stats["unresolved_parents"] = int(pc.sum(unresolved).as_py() or 0)
        parents = np.asarray(pc.fill_null(parent_idx, -1).to_numpy(zero_copy_only=False), np.int64)
        basis = pc.coalesce(
            raw.column("parent_basis"),
            pc.if_else(
                pc.and_(pc.invert(has_parent), pc.equal(raw.column("kind"), "chat")),
                pa.scalar("unknown"),
                pa.scalar("explicit"),
            ),
        )
        # A parent outside the trace is a link the source did not let us follow.
        parent_basis = pc.if_else(unresolved, pa.scalar("unknown"), basis)
        del parent_key, parent_idx, has_parent, unresolved, basis
        roots, n_cycles = _roots(parents)
        self.stats["parent_cycles"] = n_cycles
        parent_col = pc.if_else(
            pa.array(parents >= 0),
            pc.take(message_id, pa.array(np.maximum(parents, 0))),
            pa.scalar(None, pa.string()),
        )
        del parents
        # A message's thread: its own declared thread, else its root's declared thread,
        # else its root message (so thread_id equals the first message's id).
        thread_source = raw.column("thread_source_id").combine_chunks()
        root_index = pa.array(roots)
        thread_key = pc.coalesce(
            thread_source,
            pc.take(thread_source, root_index),
            pc.take(raw.column("source_message_id"), root_index),
        )
        # Most threads are named by a message in the trace, whose id is already hashed.
        source_ids = raw.column("source_message_id").combine_chunks()
        thread_key = (
            thread_key.combine_chunks() if isinstance(thread_key, pa.ChunkedArray) else thread_key
        )
        del thread_source, root_index, roots
        # The raw ids are not needed past this point.
        raw = raw.drop_columns(["source_message_id", "parent_source_id", "thread_source_id"])
        in_trace = pc.index_in(thread_key, value_set=source_ids)
        # Kept as arrays (not dicts) for the outcome look-ups: millions of ids stay compact.
        self._source_ids = source_ids if self.b._outcomes else pa.array([], pa.string())
        del source_ids
        outside = pc.is_null(in_trace)
        hashed_outside = keyed_ids(self.key, thread_key.filter(outside))
        thread_id = pc.replace_with_mask(
            pc.take(message_id, pc.fill_null(in_trace, 0)), outside, hashed_outside
        )
        del thread_key, in_trace, outside, hashed_outside
        self._message_ids = message_id
        self._thread_ids = thread_id
        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "message_id": message_id,
            "thread_id": thread_id,
            "parent_id": parent_col,
            "addressee_id": addressee_id,
            "author_id": author_id,
            "created_at": raw.column("created_at"),
            "space_id": raw.column("space"),
            "kind": raw.column("kind"),
            "text": raw.column("text"),
            "quoted_text": raw.column("quoted_text"),
            "has_patch": raw.column("has_patch"),
            "has_signature": raw.column("has_signature"),
            "source_ref": raw.column("source_ref"),
            "parent_basis": parent_basis,
        }
        del raw
        self._build_scrubber(columns["text"], author_id, thread_id)
        # Text is scrubbed one stored batch at a time and each raw batch let go once
        # scrubbed, so raw and scrubbed text are never both held in full.
        for name in ("space_id", "text", "quoted_text", "source_ref"):
            chunks = columns[name].chunks
            del columns[name]
            scrubbed = []
            for i in range(len(chunks)):
                scrubbed.append(self.scrubber(chunks[i]))
                chunks[i] = None
            columns[name] = pa.chunked_array(scrubbed, pa.string())
        messages = pa.table(columns)
        order = pc.sort_indices(
            messages.select(["created_at", "message_id"]),
            [("created_at", "ascending"), ("message_id", "ascending")],
        )
        return messages, order

    def _build_scrubber(
        self,
        texts: pa.Array | pa.ChunkedArray,
        authors: pa.Array | pa.ChunkedArray,
        threads: pa.Array | pa.ChunkedArray,
    ) -> None:
        by_canonical: dict[str, set[str]] = {}
        capital: dict[str, set[str]] = {}
        kinds: dict[str, dict[str, str]] = {}
        for record, canonical in self.canonical.items():
            tokens = identity_tokens(record)
            by_canonical.setdefault(canonical, set()).update(tokens.anywhere)
            capital.setdefault(canonical, set()).update(tokens.capitalised)
            for token, kind in tokens.kinds.items():
                kinds.setdefault(canonical, {}).setdefault(token, kind)
        # Single tokens that many authors unrelated to their owners use are words.
        owners: dict[str, set[str]] = {}
        for canonical, known in by_canonical.items():
            owner = self.pseudonyms[canonical]
            for token in known | capital[canonical]:
                if _SINGLE.fullmatch(token) and not is_word(token):
                    owners.setdefault(token, set()).add(owner)
        words = community_words(
            texts, authors, threads, {t: frozenset(o) for t, o in owners.items()}
        )
        people = []
        for canonical in sorted(by_canonical):
            replacement = AMBIGUOUS if canonical in self.opted_out else self.pseudonyms[canonical]
            tokens = IdentityTokens(
                frozenset(by_canonical[canonical]),
                frozenset(capital[canonical]),
                kinds.get(canonical, {}),
            )
            people.append((tokens, replacement))
        self.scrubber = Scrubber(people, words)
        self.audit_tokens: set[str] = self.scrubber.tokens
        self.stats["community_words"] = len(words)

    def _people(self, messages: pa.Table, extra_ids: set[str]) -> pa.Table:
        grouped = messages.group_by("author_id", use_threads=False).aggregate(
            [("created_at", "min"), ("created_at", "max"), ("message_id", "count")]
        )
        seen = set(grouped.column("author_id").to_pylist())
        others = sorted(extra_ids - seen)
        person_ids = grouped.column("author_id").to_pylist() + others
        deleted = self.pseudonyms.get(DELETED)
        bots = {self.pseudonyms[c] for c in self.bots if c not in self.opted_out}
        people = pa.table(
            {
                "person_id": pa.array(person_ids, pa.string()),
                "first_seen_at": pa.concat_arrays(
                    [
                        grouped.column("created_at_min").combine_chunks().cast(TIMESTAMP),
                        pa.nulls(len(others), TIMESTAMP),
                    ]
                ),
                "last_seen_at": pa.concat_arrays(
                    [
                        grouped.column("created_at_max").combine_chunks().cast(TIMESTAMP),
                        pa.nulls(len(others), TIMESTAMP),
                    ]
                ),
                "n_messages": pa.array(
                    grouped.column("message_id_count").to_pylist() + [0] * len(others), pa.int64()
                ),
                "is_deleted_account": pa.array([p == deleted for p in person_ids], pa.bool_()),
                "is_bot": pa.array([p in bots for p in person_ids], pa.bool_()),
            }
        )
        self.stats["people_without_messages"] = len(others)
        return people.sort_by("person_id")

    def _roles(self, posting: set[str]) -> pa.Table:
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        dropped_opt_out = duplicates = 0
        for role in self.b._roles:
            person = self._person_of(role["person"])
            if person is None:
                dropped_opt_out += 1
                continue
            row = {**{k: v for k, v in role.items() if k != "person"}, "person_id": person}
            key = (person, role["role"], role["unit"], role["valid_from"])
            if key in rows:
                duplicates += 1
                continue
            rows[key] = row
        table = pa.Table.from_pylist(list(rows.values()), schema=TABLES["roles"].schema)
        # Units, roles and references may be named after people (a subsystem after its
        # author, a Slack user id in a reference).
        for name in ("role", "unit", "source_ref"):
            index = table.column_names.index(name)
            table = table.set_column(
                index, table.schema.field(index), self.scrubber(table.column(name))
            )
        holders = set(table.column("person_id").to_pylist())
        self.stats["roles_opt_out"] = dropped_opt_out
        self.stats["roles_duplicate"] = duplicates
        self.stats["role_holders_without_messages"] = len(holders - posting)
        return table.sort_by([("person_id", "ascending"), ("role", "ascending")])

    def _lookup(self, keys: list[str | None], values: pa.Array) -> list[str | None]:
        """Map source message ids to ``values`` of the kept messages (``None`` if absent)."""
        index = pc.index_in(pa.array(keys, pa.string()), value_set=self._source_ids)
        found: list[str | None] = pc.take(values, index).to_pylist()
        return found

    def _outcomes(self) -> pa.Table:
        outcomes = self.b._outcomes
        messages = [o["message_source_id"] for o in outcomes]
        threads = [o["thread_source_id"] for o in outcomes]
        message_ids = self._lookup(messages, self._message_ids)
        thread_of_message = self._lookup(messages, self._thread_ids)
        thread_of_thread = self._lookup(threads, self._thread_ids)
        # Declared threads that name no message: hashed here, for the outcomes only.
        declared = sorted({t for t in threads if t is not None} & self._declared_threads)
        thread_keys = dict(zip(declared, keyed_ids(self.key, declared).to_pylist(), strict=True))
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        unresolved = 0
        for i, outcome in enumerate(outcomes):
            thread = thread_of_message[i] or thread_of_thread[i]
            if thread is None and threads[i] is not None:
                thread = thread_keys.get(threads[i])
            if thread is None or (messages[i] is not None and message_ids[i] is None):
                unresolved += 1
                continue
            row = {
                "thread_id": thread,
                "message_id": message_ids[i],
                "kind": outcome["kind"],
                "created_at": outcome["created_at"],
                "actor_id": self._person_of(outcome["actor"]),
                "source_ref": outcome["source_ref"],
            }
            rows.setdefault((thread, message_ids[i], outcome["kind"]), row)
        self.stats["outcomes_unresolved"] = unresolved
        table = pa.Table.from_pylist(list(rows.values()), schema=TABLES["outcomes"].schema)
        index = table.column_names.index("source_ref")
        table = table.set_column(
            index, table.schema.field(index), self.scrubber(table.column("source_ref"))
        )
        return table.sort_by([("thread_id", "ascending"), ("kind", "ascending")])

    def run(self) -> dict[str, Any]:
        b = self.b
        self.owned = claim_folder(self.out, "trace", force=b.force)
        b._flush()
        raw = pa.concat_tables(b._batches) if b._batches else _STORED_SCHEMA.empty_table()
        # The write consumes the collected messages: raw batches are let go as they are used.
        b._batches = []
        self._named_in_text = [
            RawIdentity(email=address, name=name)
            for column in ("text", "quoted_text")
            for name, address in sorted(named_addresses(raw.column(column)))
        ]
        self._resolve_identities(self._identity_records())
        self._raw = raw
        del raw
        messages, order = self._messages()
        posting = set(messages.column("author_id").unique().to_pylist())
        tables: dict[str, pa.Table] = {"messages": messages}
        roles = self._roles(posting)
        outcomes = self._outcomes()
        referenced = set(roles.column("person_id").to_pylist())
        referenced.update(messages.column("addressee_id").drop_null().unique().to_pylist())
        referenced.update(outcomes.column("actor_id").drop_null().to_pylist())
        tables["people"] = self._people(messages, referenced)
        if roles.num_rows:
            tables["roles"] = roles
        if outcomes.num_rows:
            tables["outcomes"] = outcomes
        spaces = self._spaces(messages)
        if spaces.num_rows:
            tables["spaces"] = spaces
        if b._documents:
            docs = pa.Table.from_pylist(
                [b._documents[k] for k in sorted(b._documents)], schema=TABLES["documents"].schema
            )
            docs = docs.set_column(4, "text", self.scrubber(docs.column("text")))
            docs = docs.set_column(1, "title", self.scrubber(docs.column("title")))
            tables["documents"] = docs
        for log in self.logs:
            total = log.n_accepted + log.n_rejected + log.n_excluded
            if total != log.n_read:
                raise UndertowError(
                    f"{log.name}: read {log.n_read} but accepted {log.n_accepted} + rejected "
                    f"{log.n_rejected} + excluded {log.n_excluded} = {total} (adapter bug)"
                )
        if not b.allow_empty:
            _refuse_empty(self.logs)
        manifest = self._manifest(tables)
        self._audit(tables, manifest)
        self._claim_beside()
        self._write_quarantine()
        self._write_identity_map()
        write_trace(
            self.out,
            tables,
            manifest=manifest,
            extras={"audit": audit_table(self.audit_tokens, self.key)},
            orders={"messages": order},
            beside=[quarantine_path(self.out).name] if b._quarantine else [],
            force=b.force,
        )
        written: dict[str, Any] = json.loads((self.out / MANIFEST).read_text("utf-8"))
        return written

    def _audit(self, tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]) -> None:
        """Fail, before anything is written, if a trace value still holds an identifier.

        Every string column (but the keyed ids) and the manifest (but the input paths the
        user chose) go through the scrubber once more: a value it would change holds an
        address or a person's token.
        """
        counts = (Counter(self.scrubber.replacements), Counter(self.scrubber.suppressed))
        leaks: dict[str, int] = {}
        for name, table in tables.items():
            for column in table.schema:
                if not pa.types.is_string(column.type) or column.name in _KEYED_COLUMNS:
                    continue
                values = table.column(column.name)
                changed = pc.not_equal(self.scrubber(values), values.combine_chunks())
                n = int(pc.sum(pc.fill_null(changed, False)).as_py() or 0)
                if n:
                    leaks[f"{name}.{column.name}"] = n
        # Input paths are the user's own choice of file names, kept as given.
        audited = {
            **{k: v for k, v in manifest.items() if k != "inputs"},
            "sources": [
                {k: v for k, v in source.items() if k != "path"}
                for source in manifest.get("sources", [])
            ],
        }
        text = json.dumps(audited, ensure_ascii=False, sort_keys=True)
        if self.scrubber(pa.array([text])).to_pylist() != [text]:
            leaks[MANIFEST] = 1
        self.scrubber.replacements, self.scrubber.suppressed = counts
        if leaks:
            where = ", ".join(f"{place} ({n} values)" for place, n in sorted(leaks.items()))
            raise UndertowError(
                f"trace audit: an address or a person's token survives scrubbing in {where}; "
                "nothing was written (please report this as a bug)"
            )

    def _spaces(self, messages: pa.Table) -> pa.Table:
        rows = {}
        for space, row in self.b._spaces.items():
            scrubbed = self.scrubber(pa.array([space, row["name"]], pa.string())).to_pylist()
            rows[scrubbed[0]] = {
                "space_id": scrubbed[0],
                "name": scrubbed[1],
                "governance": row["governance"],
            }
        for space in messages.column("space_id").drop_null().unique().to_pylist():
            rows.setdefault(space, {"space_id": space, "name": None, "governance": "unknown"})
        return pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=TABLES["spaces"].schema)

    def _manifest(self, tables: Mapping[str, pa.Table]) -> dict[str, Any]:
        b = self.b
        people = tables["people"]
        sources = [log.summary() for log in self.logs]
        # Archive members may be named after people (Slack's mpdm-<handle>--<handle> folders).
        members = self.scrubber(pa.array([str(x.get("member") or "") for x in sources]))
        for source, member in zip(sources, members.to_pylist(), strict=True):
            if source.get("member"):
                source["member"] = member
        return {
            "sources": sources,
            "inputs": dict(sorted(b._extra_inputs.items())),
            "totals": {
                bucket: sum(getattr(log, f"n_{bucket}") for log in self.logs)
                for bucket in ("read", "accepted", "rejected", "excluded")
            },
            "identity": {
                "records": len(self.canonical),
                "people": people.num_rows,
                "merged_components": len(self.components),
                "opted_out_people": len(self.opted_out),
                "bots": int(pc.sum(people.column("is_bot")).as_py() or 0),
                "audit_tokens": len(self.audit_tokens),
                "scrub": {
                    "replaced": dict(sorted(self.scrubber.replacements.items())),
                    "suppressed_as_words": dict(sorted(self.scrubber.suppressed.items())),
                },
            },
            "stats": dict(sorted(self.stats.items())),
            "observation": observation_model(
                tables, sources=b._observed_by, unobservable=b._unobservable
            ).as_dict(),
            "seeds": dict(sorted(b.seeds.items())),
            "key_fingerprint": fingerprint(self.key),
            "quarantine": quarantine_path(self.out).name if b._quarantine else None,
            "packages": package_versions(),
        }

    def _claim_beside(self) -> None:
        """Mark the folder undertow's, with the quarantine beside it, before writing that."""
        path = quarantine_path(self.out)
        ours = path.name in self.owned.beside
        exists = path.exists() or path.is_symlink()
        if self.b._quarantine and exists and not ours and not self.b.force:
            raise InputError(
                "exists and was not written by undertow; the rejected records of this "
                "trace go there (move it, or pass --force to replace it)",
                path=path,
            )
        beside = {path.name} if self.b._quarantine else set()
        self.out.mkdir(parents=True, exist_ok=True)
        write_marker(self.out, "trace", self.owned.files, self.owned.beside | beside)

    def _write_quarantine(self) -> None:
        path = quarantine_path(self.out)
        # A temporary copy (``.<name>.XXXXXXXX.tmp``) a killed run left is never a result.
        remove_leftovers(path.parent, [path.name], staging=False)
        if not self.b._quarantine:
            if path.name in self.owned.beside and path.is_file() and not path.is_symlink():
                path.unlink()
            return
        lines = "".join(
            json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
            for entry in self.b._quarantine
        )
        write_private_file(path, lines.encode("utf-8"))

    def _write_identity_map(self) -> None:
        target = self.b.identity_map
        if target is None:
            return
        remove_leftovers(target.parent, [target.name], staging=False)
        rows: dict[tuple[str, str], str] = {}
        for record, canonical in self.canonical.items():
            if canonical in self.opted_out:
                continue
            for kind in ("email", "name", "handle", "source_id"):
                value = getattr(record, kind)
                if value:
                    rows[(kind, value)] = self.pseudonyms[canonical]
            if record.is_deleted:
                rows[("deleted", "deleted account")] = self.pseudonyms[canonical]
        ordered = sorted(rows)
        table = pa.table(
            {
                "kind": [k for k, _ in ordered],
                "identifier": [v for _, v in ordered],
                "person_id": [rows[k] for k in ordered],
            }
        )
        if target.suffix == ".parquet":
            import pyarrow.parquet as pq

            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            write_private_file(target, sink.getvalue().to_pybytes())
        else:
            import pyarrow.csv as pacsv

            sink = pa.BufferOutputStream()
            pacsv.write_csv(table, sink)
            write_private_file(target, sink.getvalue().to_pybytes())


def _refuse_empty(logs: list[SourceLog]) -> None:
    """Fail on a message source (or the whole input) that yielded no accepted record."""
    if not logs:
        raise InputError("no input record was read (pass --allow-empty to write an empty trace)")
    for log in logs:
        # A file all of whose records were left out on purpose (opt-out, joins) is fine;
        # archive members and derived sources (a history's trailers) may be empty.
        if log.member is None and log.n_accepted == 0 and log.n_excluded == 0:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(log.reasons.items()))
            detail = f"read {log.n_read}" + (f"; {reasons}" if reasons else "")
            raise InputError(
                f"no record accepted ({detail}); check --format and the file, or pass "
                "--allow-empty",
                path=log.name,
            )
    if sum(log.n_accepted for log in logs) == 0:
        read = sum(log.n_read for log in logs)
        raise InputError(
            f"no record accepted from {len(logs)} source(s) ({read} read); check --format "
            "and the files, or pass --allow-empty"
        )


def _names_someone(row: Mapping[str, Any], prefix: str) -> bool:
    """Whether identity columns ``prefix_*`` of ``row`` name anyone (or the deleted account)."""
    return bool(row[f"{prefix}_is_deleted"]) or any(
        row[f"{prefix}_{k}"] is not None for k in ("email", "name", "handle", "source_id")
    )


def _identity_keys(table: pa.Table, prefix: str) -> pa.Array:
    parts = []
    for name in _IDENTITY_FIELDS:
        column = table.column(f"{prefix}_{name}")
        if name.startswith("is_"):
            parts.append(pc.if_else(pc.fill_null(column, False), "1", "0"))
        else:
            parts.append(pc.fill_null(column.cast(pa.string()), "\x02"))
    joined = pc.binary_join_element_wise(*parts, "\x1f")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _identity_key_of(record: RawIdentity) -> str:
    parts = []
    for name in _IDENTITY_FIELDS:
        value = getattr(record, name)
        if name.startswith("is_"):
            parts.append("1" if value else "0")
        else:
            parts.append("\x02" if value is None else str(value))
    return "\x1f".join(parts)


def _roots(parents: np.ndarray) -> tuple[np.ndarray, int]:
    """Return the root of each node's parent chain by pointer jumping; cycles are cut.

    Nodes on (or hanging from) a cycle lose their parent and become roots themselves
    (the second value counts them).
    """
    n = len(parents)
    idx = np.arange(n)
    pointer = np.where(parents >= 0, parents, idx)
    for _ in range(64):
        nxt = pointer[pointer]
        if np.array_equal(nxt, pointer):
            break
        pointer = nxt
    # A true root has no parent; pointing at a node that has one means a cycle.
    stuck = (pointer[pointer] != pointer) | (parents[pointer] >= 0)
    if stuck.any():
        # A cycle never converges: cut those chains at each node.
        parents[stuck] = -1
        pointer[stuck] = idx[stuck]
        return _roots(parents)[0], int(stuck.sum())
    return pointer, 0


def _read_lines(path: Path) -> list[tuple[int, str]]:
    if path.is_dir():
        raise IsADirectoryError(f"{path}: a directory, expected a text file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=path) from exc
    return [
        (i, line.strip())
        for i, line in enumerate(record_lines(text), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _read_pairs(path: Path) -> list[tuple[int, tuple[str, str]]]:
    import csv

    pairs = []
    for line_no, line in _read_lines(path):
        row = next(csv.reader([line]))
        if len(row) != 2:
            raise InputError(
                f"expected 2 columns (identifier,alias), got {len(row)}", path=path, line=line_no
            )
        if line_no == 1 and [c.strip().lower() for c in row] == ["identifier", "alias"]:
            continue
        pairs.append((line_no, (row[0], row[1])))
    return pairs
