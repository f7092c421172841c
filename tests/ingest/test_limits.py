"""The caps of ``undertow.ingest.limits`` through the whole ``undertow ingest`` command.

Each case builds hostile files (a field or record over its cap, a decompression bomb,
too many lines) and checks the exit code and, for a refusal, that the message names
the file (and line); for a run, that the oversize record is rejected with its file and
location in the quarantine file and that every manifest source reconciles. Raising a
cap with ``--limit`` turns the same record into an accepted one.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.ingest.test_hostile import COMMIT, HELLO, ISSUE, QUESTION, mail, se_posts, write
from undertow.cli import app
from undertow.errors import InputError
from undertow.ingest.jsonsource import iter_json_array
from undertow.ingest.limits import RATIO_FLOOR_BYTES, Limits, open_input

BIG = "x" * 3000  # over a 2 KiB cap, far under the defaults
SMALL_FIELD = ["--limit", "field-bytes=2KiB"]
SMALL_RECORD = ["--limit", "record-bytes=2KiB"]
HEADER = "message_id,author,created_at,text\n"
ROWS = "1,ann@x.org,2024-01-01T10:00:00Z,hi\n2,bob@y.org,2024-01-01T11:00:00Z,{text}\n"


@dataclass(frozen=True)
class Case:
    """Files to build, the ingest arguments, and what must come out."""

    make: Callable[[Path], list[str]]
    code: int
    message: tuple[str, ...] = ()  # fragments of the output (refusals)
    reason: str | None = None  # the reject reason of the oversize record
    location: str | None = None  # a fragment of its quarantined location
    accepted: int | None = None


def csv_rows(text: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [str(write(tmp, "m.csv", HEADER + ROWS.format(text=text)))]


def jsonl_rows(text: str) -> Callable[[Path], list[str]]:
    rows = [
        {"message_id": "1", "author": "ann@x.org", "created_at": "2024-01-01T10:00:00Z"},
        {"message_id": "2", "author": "bob@y.org", "created_at": "2024-01-01T11:00:00Z"},
    ]
    rows[0]["text"], rows[1]["text"] = "hi", text
    data = "".join(json.dumps(r) + "\n" for r in rows)
    return lambda tmp: [str(write(tmp, "m.jsonl", data))]


def parquet_rows(text: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        table = pa.table(
            {
                "message_id": ["1", "2"],
                "author": ["ann@x.org", "bob@y.org"],
                "created_at": ["2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"],
                "text": ["hi", text],
            }
        )
        pq.write_table(table, tmp / "m.parquet")
        return [str(tmp / "m.parquet")]

    return make


def mbox_of(body: str) -> Callable[[Path], list[str]]:
    data = mail("ann@x.org", "<1@x>", "hi") + mail("bob@y.org", "<2@x>", body)
    return lambda tmp: [str(write(tmp, "a.mbox", data)), "--format", "mbox"]


def irc_of(text: str) -> Callable[[Path], list[str]]:
    data = f"[10:00] <ann> hello\n[10:01] <bob> {text}\n[10:02] <ann> ok\n"
    return lambda tmp: [str(write(tmp, "#dev.2012-01-02.log", data)), "--format", "irc"]


def git_of(message: str) -> Callable[[Path], list[str]]:
    second = {**COMMIT, "hash": "ef" * 20, "message": message}
    data = json.dumps(COMMIT) + "\n" + json.dumps(second) + "\n"
    return lambda tmp: [str(write(tmp, "commits.jsonl", data)), "--format", "git"]


def se_of(body: str) -> Callable[[Path], list[str]]:
    second = QUESTION.replace('Id="1"', 'Id="2"', 1).replace('Body="q"', f'Body="{body}"')

    def make(tmp: Path) -> list[str]:
        write(tmp / "demo.stackexchange.com", "Posts.xml", se_posts(QUESTION, second))
        return [str(tmp / "demo.stackexchange.com"), "--format", "stackexchange"]

    return make


def github_of(body: str) -> Callable[[Path], list[str]]:
    data = json.dumps([ISSUE, {**ISSUE, "number": 6, "url": ISSUE["url"][:-1] + "6", "body": body}])
    return lambda tmp: [str(write(tmp, "issues.json", data)), "--format", "github"]


def slack_of(text: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / "export.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("users.json", json.dumps([{"id": "U1", "name": "ann"}]))
            archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
            second = {**HELLO, "text": text, "ts": "1577872900.000100"}
            archive.writestr("general/2020-01-01.json", json.dumps([HELLO, second]))
        return [str(path), "--format", "slack"]

    return make


def discourse_of(cooked: str) -> Callable[[Path], list[str]]:
    posts = [
        {
            "id": 100 + n,
            "post_number": n,
            "username": name,
            "user_id": 10 + n,
            "created_at": f"2021-03-0{n}T12:00:00.000Z",
            "cooked": text,
            "post_type": 1,
        }
        for n, name, text in ((1, "ann", "<p>hi</p>"), (2, "bob", f"<p>{cooked}</p>"))
    ]
    data = json.dumps({"id": 7, "category_id": 1, "post_stream": {"posts": posts}})
    return lambda tmp: [str(write(tmp / "t", "7.json", data)), "--format", "discourse"]


def documents_of(text: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        write(tmp / "docs", "charter.md", text)
        csv = write(tmp, "m.csv", HEADER + ROWS.format(text="ok"))
        return [str(csv), "--documents", str(tmp / "docs")]

    return make


def gz_members(block: bytes, count: int) -> bytes:
    """``count`` gzip members of ``block``: ``count`` times its size inflated, cheaply."""
    return gzip.compress(block) * count


def newline_bomb(tmp: Path, name: str, compress: Callable[[bytes], bytes], n_mb: int) -> Path:
    # One compressed megabyte of newlines repeated: the file stays small however big
    # the output, and writing it costs one compression.
    member = compress(b"\n" * (1 << 20))
    path = tmp / name
    with path.open("wb") as out:
        for _ in range(n_mb):
            out.write(member)
    return path


def gz_bomb(tmp: Path) -> list[str]:
    # 1 GiB of newlines in about 1 MB: must stop at the ratio cap, after 8 MiB.
    return [str(newline_bomb(tmp, "list.mbox.gz", gzip.compress, 1024)), "--format", "mbox"]


def bz2_bomb(tmp: Path) -> list[str]:
    path = newline_bomb(tmp, "#dev.2012-01-02.log.bz2", bz2.compress, 64)
    return [str(path), "--format", "irc"]


def xz_bomb(tmp: Path) -> list[str]:
    return [str(newline_bomb(tmp, "commits.jsonl.xz", lzma.compress, 64)), "--format", "git"]


def many_lines(tmp: Path) -> list[str]:
    data = "[10:00] <ann> hello\n" + "\n" * 2000
    path = write(tmp, "#dev.2012-01-02.log", data)
    return [str(path), "--format", "irc", "--limit", "lines=1000"]


def regular_xz(tmp: Path) -> list[str]:
    # One commit, then 12 MiB of spaces on one line: a ratio far over 100, few lines.
    data = json.dumps(COMMIT).encode() + b"\n" + b" " * (12 << 20) + b"\n"
    return [str(write(tmp, "commits.jsonl.xz", lzma.compress(data))), "--format", "git"]


def maintainers_too_big(tmp: Path) -> list[str]:
    commits = write(tmp, "commits.jsonl", json.dumps(COMMIT) + "\n")
    write(tmp / "snapshots", "MAINTAINERS.v1", "M:\tAnn <ann@example.org>\n" + "#" * 5000)
    write(tmp / "snapshots", "tags.csv", "tag,date\nv1,2020-01-01T00:00:00+00:00\n")
    args = [str(commits), "--format", "git", "--maintainers", str(tmp / "snapshots")]
    return [*args, "--limit", "file-bytes=4KiB"]


def se_long_tag(tmp: Path) -> list[str]:
    # One row whose tag runs longer than the record cap: refused before expat buffers it.
    second = QUESTION.replace('Id="1"', 'Id="2"', 1).replace('Body="q"', f'Body="{"y" * 200_000}"')
    write(tmp / "demo.stackexchange.com", "Posts.xml", se_posts(QUESTION, second))
    return [str(tmp / "demo.stackexchange.com"), "--format", "stackexchange"]


def with_args(make: Callable[[Path], list[str]], *extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [*make(tmp), *extra]


FIELD = {
    "csv": (csv_rows, "m.csv:3"),
    "jsonl": (jsonl_rows, "m.jsonl:2"),
    "parquet": (parquet_rows, "m.parquet"),
    "mbox": (mbox_of, "a.mbox line 9"),
    "git": (git_of, "line 2"),
    "stackexchange": (se_of, "Posts.xml row 2"),
    "github": (github_of, "issues.json[1]"),
    "slack": (slack_of, "2020-01-01.json[1]"),
    "discourse": (discourse_of, "7.json"),
}

CASES: dict[str, Case] = {
    **{
        f"{name}_field_over_cap": Case(
            with_args(make(BIG), *SMALL_FIELD), 0, reason="field_too_large", location=where
        )
        for name, (make, where) in FIELD.items()
    },
    **{
        f"{name}_field_under_raised_cap": Case(
            with_args(make(BIG), "--limit", "field-bytes=1MiB"), 0, accepted=2
        )
        for name, (make, _where) in FIELD.items()
    },
    "irc_line_over_record_cap": Case(
        with_args(irc_of(BIG), *SMALL_RECORD), 0, reason="record_too_large", location="line 2"
    ),
    "irc_line_under_raised_cap": Case(
        with_args(irc_of(BIG), "--limit", "record-bytes=8KiB"), 0, accepted=3
    ),
    "jsonl_line_over_record_cap": Case(
        with_args(jsonl_rows(BIG), *SMALL_RECORD),
        0,
        reason="record_too_large",
        location="m.jsonl:2",
    ),
    "git_line_over_record_cap": Case(
        with_args(git_of(BIG), *SMALL_RECORD), 0, reason="record_too_large", location="line 2"
    ),
    "mbox_message_over_record_cap": Case(
        with_args(mbox_of(BIG), *SMALL_RECORD), 0, reason="oversize", location="a.mbox line 9"
    ),
    "github_element_over_record_cap": Case(
        with_args(github_of(BIG), *SMALL_RECORD),
        0,
        reason="record_too_large",
        location="issues.json[1]",
    ),
    "stackexchange_tag_over_record_cap": Case(
        with_args(se_long_tag, "--limit", "record-bytes=16KiB"),
        0,
        reason="record_too_large",
        location="Posts.xml byte",
    ),
    # A document is a source of one record: rejecting it leaves the source empty.
    "document_over_record_cap": Case(
        with_args(documents_of(BIG), *SMALL_RECORD), 2, ("charter.md", "record_too_large 1")
    ),
    "document_under_raised_cap": Case(
        with_args(documents_of(BIG), "--limit", "record-bytes=8KiB"), 0, accepted=3
    ),
    "gz_bomb_1gib_of_newlines": Case(gz_bomb, 2, ("list.mbox.gz", "decompression bomb")),
    "bz2_bomb": Case(bz2_bomb, 2, ("#dev.2012-01-02.log.bz2", "decompression bomb")),
    "xz_bomb": Case(xz_bomb, 2, ("commits.jsonl.xz", "decompression bomb")),
    "regular_xz_over_ratio_cap": Case(
        regular_xz, 2, ("commits.jsonl.xz", "decompression bomb", "decompression-ratio")
    ),
    "regular_xz_under_raised_ratio_is_read": Case(
        with_args(regular_xz, "--limit", "decompression-ratio=100000"), 0, accepted=1
    ),
    "decompressed_size_cap": Case(
        with_args(xz_bomb, "--limit", "decompressed-bytes=1MiB"),
        2,
        ("commits.jsonl.xz", "decompresses to more than 1048576 bytes"),
    ),
    "line_count_cap": Case(many_lines, 2, ("#dev.2012-01-02.log:1001", "more than 1000 lines")),
    "maintainers_over_file_cap": Case(maintainers_too_big, 2, ("MAINTAINERS.v1", "4096 bytes")),
    "unknown_limit": Case(
        with_args(csv_rows("ok"), "--limit", "speed=3"), 2, ("--limit expects NAME=VALUE",)
    ),
    "bad_limit_value": Case(
        with_args(csv_rows("ok"), "--limit", "lines=-4"), 2, ("not a positive number",)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_limit(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "trace"
    args = [*case.make(work), "-o", str(out), "--key-file", str(tmp_path / "key")]
    result = CliRunner().invoke(app, ["ingest", *args, "--no-progress"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}") from result.exception
    assert result.exit_code == case.code, result.output
    output = " ".join(result.output.split()).replace(" ", "")
    for fragment in case.message:
        assert fragment.replace(" ", "") in output, (fragment, result.output)
    if case.code != 0:
        assert not (out / "manifest.json").exists()
        return
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text("utf-8"))
    for source in manifest["sources"]:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    totals = manifest["totals"]
    if case.accepted is not None:
        assert totals["rejected"] == 0, [s["reasons"] for s in manifest["sources"]]
        assert totals["accepted"] >= case.accepted, totals
    if case.reason is not None:
        assert totals["rejected"] == 1, manifest["sources"]
        quarantine = tmp_path / "trace.quarantine.jsonl"
        rows = [json.loads(line) for line in quarantine.read_text("utf-8").splitlines()]
        assert [row["reason"] for row in rows] == [case.reason], rows
        where = f"{rows[0]['source']} {rows[0]['location']}"
        assert case.location is not None and case.location in where, rows
        # The quarantine keeps a bounded prefix of an oversize record, never all of it.
        assert len(rows[0]["raw"] or "") <= 2000, len(rows[0]["raw"])


def test_the_limit_names_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text("utf-8")
    for name in Limits.names():
        assert f"`{name}`" in doc, name


def test_ratio_cap_waits_for_the_floor(tmp_path: Path) -> None:
    # Highly regular but small: 4 MiB of newlines (ratio ~1000) stays under the floor.
    small = tmp_path / "small.gz"
    small.write_bytes(gz_members(b"\n" * (1 << 20), 4))
    with open_input(small) as stream:
        assert len(stream.read()) == 4 << 20
    big = newline_bomb(tmp_path, "big.gz", gzip.compress, (RATIO_FLOOR_BYTES >> 20) + 2)
    with pytest.raises(InputError, match="decompression bomb") as raised, open_input(big) as s:
        while s.read(1 << 20):
            pass
    assert raised.value.path is not None and raised.value.path.endswith("big.gz")


def test_json_array_elements_survive_any_chunking() -> None:
    records = [{"n": i, "t": "é" * (i % 7), "x": [i, {"y": None}]} for i in range(300)]
    data = json.dumps(records).encode()
    for chunk in (1, 2, 3, 17, 1 << 20):
        found = list(iter_json_array(io.BytesIO(data), max_element=1000, chunk=chunk))
        assert found == records, chunk
