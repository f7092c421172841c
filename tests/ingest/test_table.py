"""Generic CSV / JSONL / Parquet ingest and the roster: the malformed-input traps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undertow.errors import InputError
from undertow.ingest.builder import TraceBuilder, quarantine_path
from undertow.ingest.table import MAX_FIELD_BYTES, TableMapping, read_roster, read_table
from undertow.model.trace import Trace

HEADER = "message_id,parent_id,author,created_at,text"


def _ingest(
    tmp_path: Path, files: dict[str, bytes | str], **kwargs: Any
) -> tuple[dict[str, Any], Trace]:
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        paths.append(path)
    roster = kwargs.pop("roster", None)
    builder = TraceBuilder(tmp_path / "trace", key_file=tmp_path / "key")
    read_table(builder, paths, **kwargs)
    if roster is not None:
        read_roster(builder, roster)
    manifest = builder.write()
    for source in manifest["sources"]:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    return manifest, Trace.open(tmp_path / "trace")


def _counts(manifest: dict[str, Any], index: int = 0) -> tuple[int, int, int, dict[str, int]]:
    s = manifest["sources"][index]
    return s["read"], s["accepted"], s["rejected"], s["reasons"]


def test_bom_and_crlf(tmp_path: Path) -> None:
    content = (
        "\ufeff"
        + HEADER
        + "\r\n1,,ann@x.org,2024-01-01T00:00:00Z,hi\r\n2,1,bob@x.org,2024-01-02T00:00:00Z,yo\r\n"
    )
    manifest, trace = _ingest(tmp_path, {"m.csv": content})
    assert _counts(manifest) == (2, 2, 0, {})
    assert trace.arrow("messages").column("text").to_pylist() == ["hi", "yo"]


def test_semicolon_delimiter_is_sniffed(tmp_path: Path) -> None:
    content = HEADER.replace(",", ";") + "\n1;;ann@x.org;2024-01-01T00:00:00Z;a, b and c\n"
    manifest, trace = _ingest(tmp_path, {"m.csv": content})
    assert _counts(manifest) == (1, 1, 0, {})
    assert trace.arrow("messages").column("text").to_pylist() == ["a, b and c"]


def test_unterminated_quote_rejects_one_line_not_the_rest(tmp_path: Path) -> None:
    content = (
        HEADER
        + '\n1,,ann@x.org,2024-01-01T00:00:00Z,"multi\nline"\n'
        + '2,1,bob@x.org,2024-01-02T00:00:00Z,"never closed\n'
        + "3,1,cy@x.org,2024-01-03T00:00:00Z,fine\n"
        + "4,1,dee@x.org,2024-01-04T00:00:00Z,also fine\n"
    )
    manifest, trace = _ingest(tmp_path, {"m.csv": content})
    read, accepted, rejected, reasons = _counts(manifest)
    assert (read, accepted, rejected) == (4, 3, 1) and reasons == {"bad_row": 1}
    texts = trace.arrow("messages").column("text").to_pylist()
    assert texts == ["multi\nline", "fine", "also fine"]
    entry = json.loads(quarantine_path(tmp_path / "trace").read_text())
    assert entry["location"].startswith("m.csv:4")


def test_short_and_long_rows_are_rejected_not_padded(tmp_path: Path) -> None:
    content = (
        HEADER
        + "\n1,,ann@x.org,2024-01-01T00:00:00Z,hi\n"
        + "2,1,bob@x.org\n"
        + "3,1,cy@x.org,2024-01-01T00:00:00Z,a,b\n"
    )
    manifest, trace = _ingest(tmp_path, {"m.csv": content})
    assert _counts(manifest) == (3, 1, 2, {"bad_row": 2})
    assert trace.n_messages == 1
    locations = [
        json.loads(x)["location"]
        for x in quarantine_path(tmp_path / "trace").read_text().splitlines()
    ]
    assert locations == ["m.csv:3", "m.csv:4"]


def test_huge_field_and_bad_encoding(tmp_path: Path) -> None:
    big = "x" * (MAX_FIELD_BYTES + 1)
    content = (
        HEADER.encode()
        + f"\n1,,ann@x.org,2024-01-01T00:00:00Z,{big}\n".encode()
        + b"2,,bob@x.org,2024-01-01T00:00:00Z,caf\xe9\n"
        + b"3,,cy@x.org,2024-01-01T00:00:00Z,ok\n"
    )
    manifest, _ = _ingest(tmp_path, {"m.csv": content})
    assert _counts(manifest) == (3, 1, 2, {"bad_encoding": 1, "field_too_large": 1})


def test_jsonl_bad_lines_duplicate_keys_nan(tmp_path: Path) -> None:
    good = {
        "message_id": "1",
        "author": "ann@x.org",
        "created_at": "2024-01-01T00:00:00Z",
        "text": "hi",
    }
    lines = [
        json.dumps(good),
        "",
        "{not json",
        '{"message_id": "2", "message_id": "3", "author": "b@x.org", "created_at": "2024-01-01"}',
        '{"message_id": "4", "author": "b@x.org", "created_at": NaN}',
        "[1, 2]",
        json.dumps({**good, "message_id": "5", "created_at": 1704067200}),
    ]
    manifest, trace = _ingest(tmp_path, {"m.jsonl": "\n".join(lines) + "\n"})
    assert _counts(manifest) == (6, 2, 4, {"bad_json": 4})
    assert trace.n_messages == 2


def _parquet(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def _message_table(n: int) -> pa.Table:
    return pa.table(
        {
            "message_id": pa.array([str(i) for i in range(n)]),
            "author": [f"user{i % 3}@x.org" for i in range(n)],
            "created_at": pa.array(
                [datetime(2024, 1, 1, tzinfo=UTC)] * n, pa.timestamp("us", tz="UTC")
            ),
            "text": ["hello"] * n,
        }
    )


def test_parquet_goes_through_the_vectorised_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _parquet(tmp_path / "m.parquet", _message_table(10))
    calls: list[int] = []
    original = TraceBuilder.add_messages

    def spy(self: TraceBuilder, log: Any, batch: pa.Table) -> None:
        calls.append(batch.num_rows)
        original(self, log, batch)

    monkeypatch.setattr(TraceBuilder, "add_messages", spy)
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    read_table(builder, [path])
    assert calls == [10]
    assert builder.write()["tables"]["messages"] == 10


def test_truncated_parquet_fails_naming_the_file(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "m.parquet", _message_table(100))
    path.write_bytes(path.read_bytes()[:-40])
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    with pytest.raises(InputError, match="m.parquet"):
        read_table(builder, [path])


def test_schema_drift_between_files_is_refused(tmp_path: Path) -> None:
    a = _parquet(tmp_path / "a.parquet", _message_table(3))
    b = _parquet(
        tmp_path / "b.parquet",
        _message_table(3).set_column(0, "message_id", pa.array([10, 11, 12], pa.int64())),
    )
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    with pytest.raises(InputError, match="schema drift"):
        read_table(builder, [a, b])


def test_times_naive_epoch_and_implausible(tmp_path: Path) -> None:
    rows = [
        ("1", "2024-01-01T00:00:00Z"),
        ("2", "2024-01-01 00:00:00"),  # naive: UTC, counted
        ("3", "1704067200"),  # epoch seconds
        ("4", "1704067200000"),  # epoch milliseconds
        ("5", "1970-01-01T00:00:00Z"),
        ("6", "2100-06-01T00:00:00+02:00"),
        ("7", "yesterday"),
        ("8", "2024-01-01T01:00:00+01:00"),
    ]
    content = "message_id,author,created_at\n" + "".join(f"{i},a@x.org,{t}\n" for i, t in rows)
    manifest, trace = _ingest(tmp_path, {"m.csv": content})
    read, accepted, rejected, reasons = _counts(manifest)
    assert (read, accepted, rejected) == (8, 5, 3)
    assert reasons == {"bad_date": 1, "implausible_date": 2}
    assert manifest["sources"][0]["notes"] == {"epoch_ms": 1, "epoch_s": 1, "naive_timestamp": 1}
    times = set(trace.arrow("messages").column("created_at").to_pylist())
    assert times == {datetime(2024, 1, 1, tzinfo=UTC)}


def test_mapping_flags_and_toml(tmp_path: Path) -> None:
    content = (
        "Id;From;Date;Body;InReplyTo\n"
        "1;Ann Lee <ann@x.org>;1704067200000;hi;\n"
        "2;bob@x.org;1704067260000;re;1\n"
    )
    toml = tmp_path / "m.toml"
    toml.write_text(
        '[columns]\nmessage_id = "Id"\nauthor = "From"\ncreated_at = "Date"\ntext = "Body"\n'
        '[options]\ndelimiter = ";"\ntimestamp_unit = "ms"\n'
    )
    mapping = TableMapping.parse(["parent_id=InReplyTo"], toml)
    manifest, trace = _ingest(tmp_path, {"m.csv": content}, mapping=mapping)
    assert _counts(manifest) == (2, 2, 0, {})
    messages = trace.arrow("messages").to_pylist()
    assert messages[1]["parent_id"] == messages[0]["message_id"]
    with pytest.raises(InputError, match="unknown canonical"):
        TableMapping.parse(["sender=From"])
    with pytest.raises(InputError, match="not in the file"):
        _ingest(tmp_path, {"n.csv": content}, mapping=TableMapping.parse(["author=Nope"]))


def test_missing_required_column(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="created_at"):
        _ingest(tmp_path, {"m.csv": "message_id,author\n1,a@x.org\n"})


def test_empty_files_and_directories(tmp_path: Path) -> None:
    manifest, trace = _ingest(
        tmp_path, {"empty.csv": "", "header.csv": HEADER + "\n", "e.jsonl": "\n\n"}
    )
    assert [s["read"] for s in manifest["sources"]] == [0, 0, 0]
    assert trace.n_messages == 0
    (tmp_path / "folder").mkdir()
    builder = TraceBuilder(tmp_path / "t2", key_file=tmp_path / "key")
    with pytest.raises(InputError, match="folder"):
        read_table(builder, [tmp_path / "folder"])
    with pytest.raises(InputError, match="directory"):
        read_roster(builder, tmp_path / "folder")
    with pytest.raises(InputError, match="no such file"):
        read_table(builder, [tmp_path / "absent.csv"])


def test_roster_absent_twice_and_malformed(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "identifier,role,rank,unit,valid_from,valid_to,consent\n"
        "ann@x.org,maintainer,2,core,2023-01-01,,yes\n"
        "ann@x.org,maintainer,2,core,2023-01-01,,yes\n"  # listed twice
        "ghost@x.org,manager,3,,2023-01-01,2024-01-01,no\n"  # absent from the data
        "irc:bob,moderator,high,,,,\n"  # bad rank
        "cy@x.org,member,1,,2024-02-30,,\n"  # no such date
        "dee@x.org,member,1,,2024-02-01,2023-01-01,\n"  # ends before it starts
    )
    content = HEADER + "\n1,,ann@x.org,2024-01-01T00:00:00Z,hi\n"
    manifest, trace = _ingest(tmp_path, {"m.csv": content}, roster=roster)
    s = manifest["sources"][1]
    assert (s["read"], s["accepted"], s["rejected"]) == (6, 2, 4)
    assert s["reasons"] == {"bad_date": 1, "bad_interval": 1, "bad_rank": 1, "duplicate_role": 1}
    assert s["notes"] == {"consent": 1}
    assert manifest["stats"]["role_holders_without_messages"] == 1
    roles = trace.arrow("roles").to_pylist()
    author = trace.arrow("messages").column("author_id")[0].as_py()
    assert {r["role"] for r in roles} == {"maintainer", "manager"}
    assert next(r for r in roles if r["role"] == "maintainer")["person_id"] == author


_cell = st.text(alphabet=st.sampled_from(list('ab,";\x00é ')), max_size=6)


@settings(
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(lines=st.lists(st.lists(_cell, min_size=0, max_size=7), max_size=12), seed=st.integers(0, 3))
def test_arbitrary_csv_rows_each_land_in_one_bucket(
    tmp_path_factory: pytest.TempPathFactory, lines: list[list[str]], seed: int
) -> None:
    folder = tmp_path_factory.mktemp("csv")
    body = "".join(
        ",".join([str(i), "", f"u{(i + seed) % 3}@x.org", "2024-01-01T00:00:00Z", *cells]) + "\n"
        for i, cells in enumerate(lines)
    )
    (folder / "m.csv").write_text(HEADER + "\n" + body, encoding="utf-8")
    builder = TraceBuilder(folder / "t", key_file=folder / "key")
    read_table(builder, [folder / "m.csv"])
    manifest = builder.write()
    source = manifest["sources"][0]
    assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    assert manifest["tables"]["messages"] == source["accepted"]
    # Lines without quotes are one record each: nothing swallowed, nothing invented.
    if not any('"' in cell for cells in lines for cell in cells):
        assert source["read"] == len(lines)
        expected = sum(1 for cells in lines if len(cells) == 1 and "," not in cells[0])
        assert source["accepted"] == expected
