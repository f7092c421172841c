"""The canonical trace: the tables every adapter writes and every metric reads.

A trace is a folder holding one Parquet file per table plus ``manifest.json``.
This module is the single place where the tables, their columns and their types
are defined. Ingest validates against it once; everything downstream trusts it.

Tables
------
messages
    One row per message, post, comment, commit, review or ack.
people
    One row per (merged, pseudonymised) person.
roles
    The formal organisation, time-varying: who held which role, when.
spaces
    Channels, categories, lists, repositories; ``governance`` says whether the
    organisation runs the space (``official``) or members created it (``emergent``).
outcomes
    Knowledge created: accepted answers, merged or applied patches, resolutions.
documents
    Optional official texts of the organisation (for divergence, T7).

All times are UTC timestamps with microsecond precision. Person columns
(``author_id``, ``addressee_id``, ``person_id``, ``actor_id``) hold pseudonyms only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CONTRIBUTION_KINDS",
    "GOVERNANCE",
    "MESSAGE_KINDS",
    "DATE_BASES",
    "OUTCOME_KINDS",
    "PARENT_BASES",
    "SCHEMA_VERSION",
    "TABLES",
    "TIMESTAMP",
    "TableSpec",
    "empty_table",
    "validate_table",
]

SCHEMA_VERSION = "2"

TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Message kinds. ``contribution`` kinds propose something that can be taken up.
MESSAGE_KINDS = (
    "post",  # starts a thread (question, topic, issue, mail without parent)
    "reply",  # generic reply in a thread
    "answer",  # an answer to a question (Q&A sites)
    "comment",  # a comment on a post or answer
    "patch",  # a proposed change sent as a message ([PATCH] mail, pull request)
    "commit",  # a commit in version control
    "review",  # a review of a contribution (Reviewed-by, PR review)
    "ack",  # an approval (Acked-by, +1, LGTM)
    "chat",  # a line in synchronous chat
)

#: Kinds that propose something that can be taken up (contribution uptake, K).
CONTRIBUTION_KINDS = ("answer", "patch", "commit")

#: What counts as knowledge created.
OUTCOME_KINDS = (
    "accepted_answer",
    "merged",
    "applied",
    "resolved",
    "closed_fixed",
    "idea_adopted",
    "artefact",
)

GOVERNANCE = ("official", "emergent", "unknown")

#: Where a message's parent came from (messages ``parent_basis``).
PARENT_BASES = ("explicit", "inferred", "unknown")

#: How a role's dates are known (roles ``date_basis``).
DATE_BASES = ("exact", "interval", "status")


@dataclass(frozen=True)
class TableSpec:
    """One table of the trace.

    Attributes
    ----------
    name
        File stem of the table (``<name>.parquet``).
    schema
        Arrow schema; non-nullable fields are required.
    key
        Column(s) that must be unique.
    required
        Whether a trace must contain the table (optional tables may be absent).
    doc
        One line per column, for the generated documentation.
    """

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    required: bool
    doc: Mapping[str, str]

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in schema order."""
        return tuple(self.schema.names)


def _schema(*fields: tuple[str, pa.DataType, bool]) -> pa.Schema:
    return pa.schema([pa.field(name, dtype, nullable=nullable) for name, dtype, nullable in fields])


MESSAGES = TableSpec(
    name="messages",
    schema=_schema(
        ("message_id", pa.string(), False),
        ("thread_id", pa.string(), False),
        ("parent_id", pa.string(), True),
        ("addressee_id", pa.string(), True),
        ("author_id", pa.string(), False),
        ("created_at", TIMESTAMP, False),
        ("space_id", pa.string(), True),
        ("kind", pa.string(), False),
        ("text", pa.string(), True),
        ("quoted_text", pa.string(), True),
        ("has_patch", pa.bool_(), False),
        ("has_signature", pa.bool_(), False),
        ("source_ref", pa.string(), True),
        ("parent_basis", pa.string(), True),
    ),
    key=("message_id",),
    required=True,
    doc={
        "message_id": "opaque id of the message (keyed hash of the source id)",
        "thread_id": "id of the thread's first message",
        "parent_id": "message replied to, if known",
        "addressee_id": "pseudonym of an explicitly addressed person (@mention, nick:, trailer)",
        "author_id": "pseudonym of the author",
        "created_at": "UTC time the message was sent",
        "space_id": "channel, category, list or repository",
        "kind": "one of MESSAGE_KINDS",
        "text": "the author's own words (quotes, signatures and patches removed; "
        "addresses and known names masked)",
        "quoted_text": "text quoted from earlier messages, kept apart",
        "has_patch": "the message carried a patch / diff",
        "has_signature": "a signature block was removed from text",
        "source_ref": "where the record came from (file and line or record id)",
        "parent_basis": "where parent_id (or its absence) came from: explicit (a header or "
        "field), inferred (nick: addressing, quote matching) or unknown (not recorded)",
    },
)

PEOPLE = TableSpec(
    name="people",
    schema=_schema(
        ("person_id", pa.string(), False),
        ("first_seen_at", TIMESTAMP, True),
        ("last_seen_at", TIMESTAMP, True),
        ("n_messages", pa.int64(), False),
        ("is_deleted_account", pa.bool_(), False),
        ("is_bot", pa.bool_(), False),
    ),
    key=("person_id",),
    required=True,
    doc={
        "person_id": "pseudonym (keyed HMAC-SHA256 of the merged identity)",
        "first_seen_at": "time of the person's first message",
        "last_seen_at": "time of the person's last message",
        "n_messages": "messages authored in the trace",
        "is_deleted_account": "the catch-all person for deleted or unknown accounts",
        "is_bot": "an automated account kept in the trace",
    },
)

ROLES = TableSpec(
    name="roles",
    schema=_schema(
        ("person_id", pa.string(), False),
        ("role", pa.string(), False),
        ("rank", pa.int32(), False),
        ("unit", pa.string(), True),
        ("valid_from", TIMESTAMP, True),
        ("valid_to", TIMESTAMP, True),
        ("source_ref", pa.string(), True),
        ("date_basis", pa.string(), True),
        ("valid_from_earliest", TIMESTAMP, True),
        ("valid_to_earliest", TIMESTAMP, True),
    ),
    key=("person_id", "role", "unit", "valid_from"),
    required=False,
    doc={
        "person_id": "pseudonym of the role holder",
        "role": "name of the formal role (maintainer, moderator, manager, ...)",
        "rank": "position power as an ordinal (0 = none, higher = more)",
        "unit": "formal unit (team, subsystem, department), if known",
        "valid_from": "start of the role (null = since before the trace)",
        "valid_to": "end of the role (null = still held)",
        "source_ref": "where the role came from",
        "date_basis": "exact (a dated appointment), interval (first seen in a snapshot: "
        "the start lies in [valid_from_earliest, valid_from]) or status (a badge or "
        "reputation tier, not an appointment); null = exact",
        "valid_from_earliest": "earliest possible start of an interval-censored role "
        "(null with basis interval = unbounded: held when the first snapshot was read)",
        "valid_to_earliest": "earliest possible end of an interval-censored end (the last "
        "snapshot that still had the role)",
    },
)

SPACES = TableSpec(
    name="spaces",
    schema=_schema(
        ("space_id", pa.string(), False),
        ("name", pa.string(), True),
        ("governance", pa.string(), False),
    ),
    key=("space_id",),
    required=False,
    doc={
        "space_id": "id of the space",
        "name": "display name of the space (never a person's name)",
        "governance": "official, emergent or unknown",
    },
)

OUTCOMES = TableSpec(
    name="outcomes",
    schema=_schema(
        ("thread_id", pa.string(), False),
        ("message_id", pa.string(), True),
        ("kind", pa.string(), False),
        ("created_at", TIMESTAMP, True),
        ("actor_id", pa.string(), True),
        ("source_ref", pa.string(), True),
    ),
    key=("thread_id", "message_id", "kind"),
    required=False,
    doc={
        "thread_id": "thread in which knowledge was created",
        "message_id": "the contribution taken up (accepted answer, merged patch), if any",
        "kind": "one of OUTCOME_KINDS",
        "created_at": "when the outcome happened, if known",
        "actor_id": "pseudonym of who accepted / merged / resolved, if known",
        "source_ref": "where the outcome came from",
    },
)

DOCUMENTS = TableSpec(
    name="documents",
    schema=_schema(
        ("document_id", pa.string(), False),
        ("title", pa.string(), True),
        ("valid_from", TIMESTAMP, True),
        ("kind", pa.string(), True),
        ("text", pa.string(), False),
    ),
    key=("document_id",),
    required=False,
    doc={
        "document_id": "id of the document version",
        "title": "title or file name",
        "valid_from": "date the version took effect",
        "kind": "policy, process, charter, ...",
        "text": "the document's text",
    },
)

#: Every table of the trace, by name.
TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (MESSAGES, PEOPLE, ROLES, SPACES, OUTCOMES, DOCUMENTS)
}


def empty_table(name: str) -> pa.Table:
    """Return an empty Arrow table with the schema of trace table ``name``.

    Examples
    --------
    >>> empty_table("roles").num_rows
    0
    """
    return TABLES[name].schema.empty_table()


def validate_table(name: str, table: pa.Table) -> pa.Table:
    """Check ``table`` against the schema of trace table ``name`` and return it conformed.

    Columns are reordered to the schema order and cast where the cast is lossless
    (e.g. ``int64`` rank to ``int32``); a missing required column, a null in a
    non-nullable column, a duplicate key, or an unknown ``kind`` raises ``ValueError``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"space_id": ["s1"], "name": ["general"], "governance": ["official"]})
    >>> validate_table("spaces", t).column_names
    ['space_id', 'name', 'governance']
    """
    spec = TABLES[name]
    missing = [f.name for f in spec.schema if f.name not in table.column_names and not f.nullable]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}")
    columns = []
    for field in spec.schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                try:
                    column = column.cast(field.type, safe=True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise ValueError(
                        f"{name}.{field.name}: cannot cast {column.type} to {field.type}"
                    ) from exc
            if not field.nullable and column.null_count:
                raise ValueError(f"{name}.{field.name}: {column.null_count} null value(s)")
        else:
            column = pa.nulls(table.num_rows, type=field.type)
        columns.append(column)
    conformed = pa.Table.from_arrays(columns, schema=spec.schema)
    _check_unique(name, conformed, spec.key)
    _check_vocabulary(name, conformed)
    return conformed


def _check_unique(name: str, table: pa.Table, key: tuple[str, ...]) -> None:
    if table.num_rows == 0:
        return
    if len(key) == 1:
        # Counting distinct values keeps only the hash table, not a grouped copy of
        # every key (10M message ids); nulls count as one value, as in a group-by.
        distinct = int(pc.count_distinct(table.column(key[0]), mode="all").as_py())
    else:
        grouped = table.select(list(key)).group_by(list(key), use_threads=False).aggregate([])
        distinct = grouped.num_rows
    if distinct != table.num_rows:
        raise ValueError(f"{name}: {table.num_rows - distinct} duplicate key(s) on {list(key)}")


def _check_vocabulary(name: str, table: pa.Table) -> None:
    allowed = {
        "messages": (("kind", MESSAGE_KINDS), ("parent_basis", PARENT_BASES)),
        "outcomes": (("kind", OUTCOME_KINDS),),
        "spaces": (("governance", GOVERNANCE),),
        "roles": (("date_basis", DATE_BASES),),
    }.get(name)
    if allowed is None or table.num_rows == 0:
        return
    for column, vocabulary in allowed:
        values = set(table.column(column).unique().drop_null().to_pylist()) - set(vocabulary)
        if values:
            raise ValueError(f"{name}.{column}: unknown value(s) {sorted(map(str, values))}")
