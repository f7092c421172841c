"""TraceBuilder: accounting, identities, threads, opt-out, scrubbing, idempotence."""

from __future__ import annotations

import json
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undertow.errors import InputError, UndertowError
from undertow.identity.audit import digest_tokens
from undertow.identity.keys import rotate_key
from undertow.ingest.builder import RawIdentity, TraceBuilder, quarantine_path
from undertow.model.trace import Trace

T0 = datetime(2024, 3, 1, tzinfo=UTC)
ANN = RawIdentity(email="carole.pemberton@uni.example", name="Carole Pemberton")
ANN_HOME = RawIdentity(email="carole@home.example", name="carole pemberton")
BOB = RawIdentity(email="smavin at lists.example", name="Sharon Mavin")
CY = RawIdentity(handle="irc:pstalker", name="Phil Stalker")
RAW_WORDS = [
    "carole.pemberton@uni.example",
    "carole@home.example",
    "smavin",
    "Pemberton",
    "Mavin",
    "pstalker",
    "Carole",
    "Sharon",
]


def _build(out: Path, key: Path, **kwargs: Any) -> TraceBuilder:
    builder = TraceBuilder(out, key_file=key, **kwargs)
    log = builder.source("inline.txt")
    rows = [
        ("1", ANN, None, "Hello, I am Carole Pemberton (carole.pemberton@uni.example)", "post"),
        ("2", BOB, "1", "Thanks Pemberton! Mail me: smavin at lists.example", "reply"),
        ("3", ANN_HOME, "2", "Sharon Mavin is right; ask pstalker", "reply"),
        ("4", CY, "3", "Stalker here", "reply"),
        ("5", BOB, "404", "orphan reply", "reply"),
        ("2", CY, None, "duplicate id", "post"),
    ]
    for i, (sid, who, parent, text, kind) in enumerate(rows):
        log.read()
        builder.add_message(
            log,
            source_message_id=sid,
            author=who,
            created_at=T0 + timedelta(hours=i),
            kind=kind,
            text=text,
            parent_source_id=parent,
            space="general",
            location=f"inline.txt:{i + 1}",
        )
    builder.add_space("general", name="General", governance="official")
    builder.add_role(ANN, role="maintainer", rank=2, unit="core")
    builder.add_role(RawIdentity(email="absent@x.example"), role="manager", rank=3)
    builder.add_outcome(message_source_id="2", kind="accepted_answer", actor=ANN)
    builder.add_outcome(message_source_id="nope", kind="accepted_answer")
    builder.add_document(document_id="charter", text="Carole Pemberton wrote this", title="x")
    return builder


def test_write_reconciles_and_resolves(tmp_path: Path) -> None:
    manifest = _build(tmp_path / "t", tmp_path / "key").write()
    source = manifest["sources"][0]
    assert (source["read"], source["accepted"], source["rejected"], source["excluded"]) == (
        6,
        5,
        1,
        0,
    )
    assert source["reasons"] == {"duplicate_id": 1}
    assert manifest["stats"]["unresolved_parents"] == 1
    assert manifest["stats"]["outcomes_unresolved"] == 1
    assert manifest["stats"]["role_holders_without_messages"] == 1
    trace = Trace.open(tmp_path / "t")
    messages = trace.arrow("messages").to_pylist()
    assert len(messages) == 5
    by_text = {m["text"]: m for m in messages}
    first = messages[0]
    # Ann's two addresses share a multi-token name: one person.
    authors = [m["author_id"] for m in messages]
    assert authors[0] == authors[2]
    assert len(set(authors)) == 3
    # Thread = first message of the chain; the orphan starts its own thread.
    assert {m["thread_id"] for m in messages[:4]} == {first["message_id"]}
    orphan = by_text["orphan reply"]
    assert orphan["parent_id"] is None and orphan["thread_id"] == orphan["message_id"]
    people = trace.arrow("people").to_pylist()
    assert len(people) == 4  # three authors and the absent manager
    assert sum(p["n_messages"] for p in people) == 5
    assert trace.arrow("outcomes").num_rows == 1
    assert trace.arrow("spaces").to_pylist() == [
        {"space_id": "general", "name": "General", "governance": "official"}
    ]
    assert manifest["key_fingerprint"] and len(manifest["key_fingerprint"]) == 16


def test_no_raw_identifier_anywhere_in_the_trace(tmp_path: Path) -> None:
    _build(tmp_path / "t", tmp_path / "key", identity_map=tmp_path / "map.csv").write()
    found = subprocess.run(
        [
            "grep",
            "-rilF",
            *[arg for word in RAW_WORDS for arg in ("-e", word)],
            str(tmp_path / "t"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == "" and found.returncode == 1
    # Parquet pages are compressed, so also check the decoded text columns.
    trace = Trace.open(tmp_path / "t")
    text = json.dumps(
        [trace.arrow(n).to_pylist() for n in ("messages", "documents", "spaces")], default=str
    )
    for word in RAW_WORDS:
        assert word.lower() not in text.lower(), word
    assert "<email>" in text
    # "Stalker" alone is an English word: a surname that is a word is kept on its own.
    assert "Stalker here" in text
    # The identity map is the one place raw identifiers live, and it is private.
    identity_map = (tmp_path / "map.csv").read_text()
    assert "carole@home.example" in identity_map
    assert stat.S_IMODE((tmp_path / "map.csv").stat().st_mode) == 0o600


def test_audit_digests_cover_identifiers(tmp_path: Path) -> None:
    builder = _build(tmp_path / "t", tmp_path / "key")
    builder.write()
    digests = set(pq.read_table(tmp_path / "t" / "audit.parquet").column("digest").to_pylist())
    for word in ("Pemberton", "Mavin", "pstalker", "carole.pemberton@uni.example", "smavin"):
        assert digest_tokens([word], builder.key) <= digests, word


def test_rewrite_is_idempotent_and_rekey_unlinks(tmp_path: Path) -> None:
    _build(tmp_path / "a", tmp_path / "key").write()
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    _build(tmp_path / "a", tmp_path / "key").write()
    again = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert first == again
    before = set(Trace.open(tmp_path / "a").arrow("people").column("person_id").to_pylist())
    rotate_key(tmp_path / "key")
    _build(tmp_path / "c", tmp_path / "key").write()
    after = set(Trace.open(tmp_path / "c").arrow("people").column("person_id").to_pylist())
    assert len(before) == len(after) and not before & after


def test_opt_out_is_applied_before_storing(tmp_path: Path) -> None:
    opt_out = tmp_path / "optout.txt"
    opt_out.write_text("# people who asked to be left out\nirc:pstalker\n")
    manifest = _build(tmp_path / "t", tmp_path / "key", opt_out=opt_out).write()
    source = manifest["sources"][0]
    assert source["excluded"] == 1 and source["reasons"]["opt_out"] == 1
    assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    assert manifest["identity"]["opted_out_people"] == 1
    trace = Trace.open(tmp_path / "t")
    texts = " ".join(t or "" for t in trace.arrow("messages").column("text").to_pylist())
    assert "Stalker here" not in texts and "pstalker" not in texts
    assert "<person>" in texts
    assert trace.arrow("people").num_rows == 3


def test_aliases_merge_people(tmp_path: Path) -> None:
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("identifier,alias\nirc:pstalker,smavin@lists.example\n")
    manifest = _build(tmp_path / "t", tmp_path / "key", aliases=aliases).write()
    assert manifest["identity"]["people"] == 3


def test_strict_mode_names_file_and_location(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key", strict=True)
    log = builder.source("in.csv")
    log.read()
    with pytest.raises(InputError, match=r"in\.csv.*in\.csv:7"):
        builder.add_message(
            log,
            source_message_id="1",
            author=ANN,
            created_at=datetime(1970, 1, 1, tzinfo=UTC),
            kind="post",
            location="in.csv:7",
        )


def test_unbalanced_adapter_fails_loudly(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    builder.source("in.csv").read(2)
    with pytest.raises(UndertowError, match="adapter bug"):
        builder.write()
    assert not (tmp_path / "t" / "manifest.json").exists()


def test_quarantine_is_private_and_beside_the_trace(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    log = builder.source("in.csv")
    log.read()
    log.reject("bad_row", "in.csv:3", b"raw \xff bytes carole@home.example")
    builder.write()
    path = quarantine_path(tmp_path / "t")
    assert path.parent == tmp_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entry = json.loads(path.read_text())
    assert entry["location"] == "in.csv:3" and entry["reason"] == "bad_row"


def test_cycles_and_thread_ids(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    log = builder.source("x")
    for sid, parent, thread in [
        ("a", "b", None),
        ("b", "a", None),
        ("c", None, "T"),
        ("d", "c", None),
    ]:
        log.read()
        builder.add_message(
            log,
            source_message_id=sid,
            author=ANN,
            created_at=T0,
            kind="reply",
            parent_source_id=parent,
            thread_source_id=thread,
        )
    manifest = builder.write()
    assert manifest["stats"]["parent_cycles"] == 2
    messages = Trace.open(tmp_path / "t").arrow("messages").to_pylist()
    threads = sorted(m["thread_id"] for m in messages)
    assert len(set(threads)) == 3  # a, b (cut), and T shared by c and d


def test_add_messages_vectorised(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    log = builder.source("batch.parquet")
    batch = pa.table(
        {
            "source_message_id": ["1", "2", "", "4", "5"],
            "created_at": pa.array(
                [T0.replace(tzinfo=None)] * 3 + [datetime(2100, 1, 1), None], pa.timestamp("ms")
            ),
            "author_email": ["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"],
            "parent_source_id": [None, "1", None, None, None],
            "kind": [None, None, "post", "post", "weird"],
        }
    )
    log.read(batch.num_rows)
    builder.add_messages(log, batch)
    source = builder.write()["sources"][0]
    assert source["accepted"] == 2
    assert source["reasons"] == {"bad_date": 1, "implausible_date": 1, "missing_id": 1}
    assert source["notes"]["naive_timestamp"] == 4
    kinds = Trace.open(tmp_path / "t").arrow("messages").column("kind").to_pylist()
    assert sorted(kinds) == ["post", "reply"]


_row = st.fixed_dictionaries(
    {
        "sid": st.one_of(st.just(""), st.sampled_from(["1", "2", "3", "4", "5", "6"])),
        "author": st.sampled_from(
            [ANN, BOB, CY, ANN_HOME, RawIdentity(), RawIdentity(is_bot=True)]
        ),
        "year": st.sampled_from([1970, 2010, 2024, 2100]),
        "naive": st.booleans(),
        "kind": st.sampled_from(["post", "reply", "nonsense"]),
        "parent": st.one_of(st.none(), st.sampled_from(["1", "2", "9"])),
        "fate": st.sampled_from(["add", "add", "reject", "exclude"]),
    }
)


@settings(
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(_row, max_size=25), opt_out_bob=st.booleans())
def test_every_row_lands_in_exactly_one_bucket(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], opt_out_bob: bool
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    opt_out = folder / "optout.txt"
    opt_out.write_text("Sharon Mavin\n" if opt_out_bob else "")
    builder = TraceBuilder(folder / "t", key_file=folder / "key", opt_out=opt_out)
    logs = [builder.source("a.csv"), builder.source("b.jsonl")]
    for i, row in enumerate(rows):
        log = logs[i % 2]
        log.read()
        when = datetime(row["year"], 6, 1, tzinfo=None if row["naive"] else UTC)
        if row["fate"] == "reject":
            log.reject("bad_row", f"{log.name}:{i}", "raw")
        elif row["fate"] == "exclude":
            log.exclude("out_of_scope", f"{log.name}:{i}")
        else:
            builder.add_message(
                log,
                source_message_id=row["sid"],
                author=row["author"],
                created_at=when,
                kind=row["kind"],
                parent_source_id=row["parent"],
                location=f"{log.name}:{i}",
            )
    manifest = builder.write()
    assert len(manifest["sources"]) == 2
    for source in manifest["sources"]:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
        assert sum(source["reasons"].values()) == source["rejected"] + source["excluded"]
    assert sum(s["read"] for s in manifest["sources"]) == len(rows)
    assert manifest["tables"]["messages"] == manifest["totals"]["accepted"]
    quarantined = quarantine_path(folder / "t")
    n_rejected = manifest["totals"]["rejected"]
    lines = quarantined.read_text().splitlines() if quarantined.exists() else []
    assert len(lines) == n_rejected


def test_duplicate_ids_across_batches_keep_the_first(tmp_path: Path) -> None:
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    log = builder.source("batches")
    for texts, ids in ((["a", "b", "c"], ["1", "2", "1"]), (["d", "e"], ["2", "3"])):
        log.read(len(ids))
        builder.add_messages(
            log,
            pa.table(
                {
                    "source_message_id": ids,
                    "created_at": pa.array([T0] * len(ids), pa.timestamp("us", tz="UTC")),
                    "author_email": ["ann@x.org"] * len(ids),
                    "text": texts,
                }
            ),
        )
    log.read()
    builder.add_message(
        log, source_message_id="3", author=ANN, created_at=T0, kind="post", text="f"
    )
    source = builder.write()["sources"][0]
    assert (source["read"], source["accepted"], source["rejected"]) == (6, 3, 3)
    assert source["reasons"] == {"duplicate_id": 3}
    texts = Trace.open(tmp_path / "t").arrow("messages").column("text").to_pylist()
    assert sorted(texts) == ["a", "b", "e"]
