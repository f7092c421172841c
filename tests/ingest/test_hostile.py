"""Hostile inputs through the whole ``undertow ingest`` command.

Each case builds its files in a fresh folder, runs the CLI in-process and checks:
the exit code; for a refusal, that the message names the file (and the line or record
when there is one); for a run, that every manifest source reconciles
(``read == accepted + rejected + excluded``) and the totals are the expected ones; and
always, that no traceback escaped and no temporary file or staging folder was left.
The adapter-level traps are in ``test_malformed_a.py`` and ``test_malformed_b.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from undertow.cli import app

HEADER = "message_id,parent_id,author,created_at,text\n"
ROW1 = "1,,Ann Lee <ann@x.org>,2024-01-01T10:00:00Z,hello\n"
ROW2 = "2,1,bob@y.org,2024-01-01T11:00:00Z,hi Ann\n"
GOOD_CSV = HEADER + ROW1 + ROW2


def mail(sender: str, message_id: str, body: str) -> str:
    return (
        f"From {sender}  Mon Jan  1 10:00:00 2007\nFrom: {sender}\n"
        f"Date: Mon, 01 Jan 2007 10:00:00 +0000\nSubject: hi\nMessage-ID: {message_id}\n\n"
        f"{body}\n\n"
    )


COMMIT = {
    "hash": "ab" * 20,
    "parents": ["cd" * 20],
    "author_name": "Ann Lee",
    "author_email": "ann@example.org",
    "author_date": "2020-01-02T10:00:00+01:00",
    "committer_name": "Ann Lee",
    "committer_email": "ann@example.org",
    "committer_date": "2020-01-02T10:00:00+01:00",
    "message": "fix",
    "trailers": [],
}
QUESTION = 'Id="1" PostTypeId="1" CreationDate="2014-01-01T10:00:00.000" Body="q" OwnerUserId="5"'
FIRST_POST = {"id": 1, "post_number": 1, "username": "ann", "created_at": "2021-01-01T00:00:00Z"}
ISSUE = {
    "url": "https://api.github.com/repos/o/r/issues/5",
    "number": 5,
    "title": "t",
    "body": "b",
    "user": {"login": "ann", "id": 1},
    "created_at": "2022-01-01T00:00:00Z",
    "state": "open",
}
HELLO = {"type": "message", "user": "U1", "text": "hello", "ts": "1577872800.000100"}


@dataclass(frozen=True)
class Hostile:
    """One hostile input: how to build it, and what the CLI must do with it."""

    make: Callable[[Path], list[str]]  # builds files; returns the ingest arguments
    code: int
    message: tuple[str, ...] = ()  # fragments the output must contain
    totals: dict[str, int] = field(default_factory=dict)  # expected manifest totals
    check: Callable[[Path, dict[str, Any]], None] | None = None


def write(tmp: Path, name: str, data: str | bytes) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def csv_case(text: str | bytes, *extra: str, name: str = "m.csv") -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        return [str(write(tmp, name, text)), *extra]

    return make


def with_side(flag: str, name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        return [str(write(tmp, "m.csv", GOOD_CSV)), flag, str(write(tmp, name, text))]

    return make


def fmt(name: str, text: str | bytes, adapter: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        return [str(write(tmp, name, text)), "--format", adapter]

    return make


def texts(trace: Path) -> list[str]:
    table = pq.read_table(trace / "messages.parquet")
    return sorted(t or "" for t in table.column("text").to_pylist())


def se_site(tmp: Path, files: dict[str, bytes]) -> list[str]:
    site = tmp / "demo.stackexchange.com"
    for name, data in files.items():
        write(site, name, data)
    return [str(site), "--format", "stackexchange"]


def se_posts(*rows: str) -> bytes:
    body = "".join(f"  <row {row} />\n" for row in rows)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<posts>\n{body}</posts>\n'.encode()


def slack_zip(members: dict[str, Any]) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / "export.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("users.json", json.dumps([{"id": "U1", "name": "ann"}]))
            archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
            for name, content in members.items():
                data = content if isinstance(content, bytes) else json.dumps(content).encode()
                archive.writestr(name, data)
        return [str(path), "--format", "slack"]

    return make


def slack_folder(tmp: Path) -> Path:
    folder = tmp / "export"
    write(folder, "users.json", json.dumps([{"id": "U1", "name": "ann"}]))
    write(folder, "channels.json", json.dumps([{"id": "C1", "name": "general"}]))
    write(folder, "general/2020-01-01.json", json.dumps([HELLO]))
    return folder


def slack_symlink(target: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        folder = slack_folder(tmp)
        os.symlink(target, folder / "general" / "2020-01-02.json")
        return [str(folder), "--format", "slack"]

    return make


def fifo_in_folder(tmp: Path) -> list[str]:
    folder = tmp / "box"
    write(folder, "a.mbox", mail("ann@x.org", "<1@x>", "hi"))
    os.mkfifo(folder / "b.mbox")
    return [str(folder), "--format", "mbox"]


def fifo_input(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "m.csv")
    return [str(tmp / "m.csv")]


def non_utf8_name(tmp: Path) -> list[str]:
    name = os.fsencode(str(tmp)) + b"/m\xff.csv"
    with open(name, "wb") as handle:
        handle.write(GOOD_CSV.encode())
    return [os.fsdecode(name)]


def non_utf8_name_in_folder(tmp: Path) -> list[str]:
    write(tmp / "in", "a.csv", GOOD_CSV)
    with open(os.fsencode(str(tmp / "in")) + b"/b\xfe.csv", "wb") as handle:
        handle.write(GOOD_CSV.encode())
    return [str(tmp / "in")]


def parquet(table: pa.Table, *, cut: float | None = None) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / "m.parquet"
        pq.write_table(table, path)
        if cut is not None:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * cut)])
        return [str(path)]

    return make


FLAT = pa.table(
    {
        "message_id": ["1", "2"],
        "author": ["ann@x.org", "bob@y.org"],
        "created_at": ["2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"],
        "text": ["hi", "hello"],
    }
)


def dup_sources(tmp: Path) -> list[str]:
    return se_site(tmp, {"Posts.xml": se_posts(QUESTION), "Posts.xml.gz": gzip.compress(b"")})


def empty_folder(adapter: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / "empty").mkdir()
        return [str(tmp / "empty"), "--format", adapter]

    return make


def mailmap_case(text: str | bytes, name: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        commits = write(tmp, "commits.jsonl", json.dumps(COMMIT) + "\n")
        return [str(commits), "--format", "git", "--mailmap", str(write(tmp, name, text))]

    return make


def documents_case(files: dict[str, bytes]) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        for name, data in files.items():
            write(tmp / "docs", name, data)
        return [str(write(tmp, "m.csv", GOOD_CSV)), "--documents", str(tmp / "docs")]

    return make


def maintainers_case(text: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        commits = write(tmp, "commits.jsonl", json.dumps(COMMIT) + "\n")
        write(tmp / "snapshots", "MAINTAINERS.v1", text)
        write(tmp / "snapshots", "tags.csv", "tag,date\nv1,2020-01-01T00:00:00+00:00\n")
        return [str(commits), "--format", "git", "--maintainers", str(tmp / "snapshots")]

    return make


def many_links(n: int) -> bytes:
    lines = [f"Person {i} <p{i}@new.org> <p{i}@old.org>" for i in range(n)]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def source_of(manifest: dict[str, Any], suffix: str) -> dict[str, Any]:
    found = [s for s in manifest["sources"] if s["path"].endswith(suffix) and not s["member"]]
    assert len(found) == 1, manifest["sources"]
    return dict(found[0])


def expect_source(suffix: str, **counts: int) -> Callable[[Path, dict[str, Any]], None]:
    def check(trace: Path, manifest: dict[str, Any]) -> None:
        source = source_of(manifest, suffix)
        for key, value in counts.items():
            assert source[key] == value, (key, source)

    return check


def no_person_named(fragment: str) -> Callable[[Path, dict[str, Any]], None]:
    def check(trace: Path, manifest: dict[str, Any]) -> None:
        assert all(fragment not in t for t in texts(trace))
        assert manifest["identity"]["people"] == 2

    return check


U2028_ROW = "3,1,carol@z.org,2024-01-01T12:00:00Z,hello\u20284,mallory@evil.example,2024,x\n"
CASES: dict[str, Hostile] = {
    # -- CSV: line breaks, encodings, shapes ------------------------------------------------
    "csv_clean": Hostile(csv_case(GOOD_CSV), 0, totals={"read": 2, "accepted": 2}),
    **{
        f"csv_text_with_{name}": Hostile(
            csv_case(HEADER + ROW1 + ROW2.replace("hi Ann", f"hi{char}3,,mallory@evil.example")),
            0,
            totals={"read": 2, "accepted": 1, "rejected": 1},
            check=expect_source("m.csv", read=2, accepted=1, rejected=1),
        )
        for name, char in {
            "u2028": "\u2028",
            "u2029": "\u2029",
            "vt": "\x0b",
            "ff": "\x0c",
            "fs": "\x1c",
            "gs": "\x1d",
            "rs": "\x1e",
            "nel": "\x85",
        }.items()
    },
    "csv_u2028_in_quoted_text_is_text": Hostile(
        csv_case(HEADER + ROW1 + '2,1,bob@y.org,2024-01-01T11:00:00Z,"a\u2028b"\n'),
        0,
        totals={"read": 2, "accepted": 2},
    ),
    "csv_u2028_injection": Hostile(
        csv_case(GOOD_CSV + U2028_ROW),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
        check=no_person_named("mallory"),
    ),
    "csv_crlf": Hostile(
        csv_case(GOOD_CSV.replace("\n", "\r\n")), 0, totals={"read": 2, "accepted": 2}
    ),
    "csv_cr_only": Hostile(
        csv_case(GOOD_CSV.replace("\n", "\r")), 0, totals={"read": 2, "accepted": 2}
    ),
    "csv_bom": Hostile(csv_case("\ufeff" + GOOD_CSV), 0, totals={"read": 2, "accepted": 2}),
    "csv_utf16": Hostile(csv_case(GOOD_CSV.encode("utf-16")), 2, ("m.csv", "UTF-16", "UTF-8")),
    "csv_utf16_no_bom": Hostile(csv_case(GOOD_CSV.encode("utf-16-le")), 2, ("m.csv", "UTF-16")),
    "csv_latin1_row": Hostile(
        csv_case(
            GOOD_CSV.encode() + "3,1,c@z.org,2024-01-01T12:00:00Z,caf\xe9\n".encode("latin-1")
        ),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
    ),
    "csv_short_row": Hostile(
        csv_case(GOOD_CSV + "3,1,short\n"), 0, totals={"read": 3, "accepted": 2, "rejected": 1}
    ),
    "csv_long_row": Hostile(
        csv_case(GOOD_CSV + "3,1,c@z.org,2024-01-01T12:00:00Z,a,b\n"),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
    ),
    "csv_unterminated_quote": Hostile(
        csv_case(HEADER + '1,,ann@x.org,2024-01-01T10:00:00Z,"oops\n' + ROW2),
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    "csv_nul_in_text_is_text": Hostile(
        csv_case(GOOD_CSV + "3,1,c@z.org,2024-01-01T12:00:00Z,a\x00b\n"),
        0,
        totals={"read": 3, "accepted": 3},
    ),
    "csv_huge_field": Hostile(
        csv_case(GOOD_CSV + "3,1,c@z.org,2024-01-01T12:00:00Z," + "x" * (2 << 20) + "\n"),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
        check=expect_source("m.csv", rejected=1),
    ),
    "csv_bad_date": Hostile(
        csv_case(GOOD_CSV + "3,1,c@z.org,yesterday,x\n"),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
    ),
    "csv_5000_digit_epoch": Hostile(
        csv_case(GOOD_CSV + "3,1,c@z.org," + "9" * 5000 + ",x\n"),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
    ),
    "csv_header_only": Hostile(csv_case(HEADER), 2, ("m.csv", "no record accepted")),
    "csv_empty_file": Hostile(csv_case(""), 2, ("m.csv", "no record accepted")),
    "csv_empty_allowed": Hostile(csv_case(HEADER, "--allow-empty"), 0, totals={"read": 0}),
    "csv_all_rows_bad": Hostile(
        csv_case(HEADER + "1,short\n2,short\n"), 2, ("m.csv", "no record accepted", "bad_row 2")
    ),
    "csv_missing_column": Hostile(csv_case("id,who\n1,ann\n"), 2, ("m.csv", "column")),
    "csv_as_directory": Hostile(
        lambda tmp: [str((tmp / "m.csv").mkdir() or tmp / "m.csv")], 2, ("m.csv",)
    ),
    "csv_missing_file": Hostile(lambda tmp: [str(tmp / "nope.csv")], 2, ("nope.csv",)),
    "csv_fifo": Hostile(fifo_input, 2, ("m.csv", "FIFO")),
    "csv_non_utf8_name": Hostile(non_utf8_name, 2, ("m\\xff.csv", "not valid UTF-8")),
    "csv_non_utf8_name_in_folder": Hostile(
        non_utf8_name_in_folder, 2, ("b\\xfe.csv", "not valid UTF-8")
    ),
    "csv_symlink_in_folder": Hostile(
        lambda tmp: [
            str(write(tmp / "in", "a.csv", GOOD_CSV).parent),
            *([] if os.symlink("/etc/passwd", tmp / "in" / "b.csv") else []),
        ],
        2,
        ("b.csv", "symbolic link"),
    ),
    "csv_and_gz_copy": Hostile(
        lambda tmp: [
            str(write(tmp / "in", "a.csv", GOOD_CSV).parent),
            *([] if write(tmp / "in", "a.csv.gz", gzip.compress(b"")) else []),
        ],
        2,
        ("a.csv.gz", "a.csv", "the same source twice"),
    ),
    # -- JSONL --------------------------------------------------------------------------------
    "jsonl_bad_line": Hostile(
        fmt(
            "m.jsonl",
            json.dumps(
                {"message_id": "1", "author": "a@x.org", "created_at": "2024-01-01T10:00:00Z"}
            )
            + "\n{oops\n",
            "table",
        ),
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    "jsonl_5000_digit_int": Hostile(
        fmt(
            "m.jsonl",
            json.dumps(
                {"message_id": "1", "author": "a@x.org", "created_at": "2024-01-01T10:00:00Z"}
            )
            + '\n{"message_id": "2", "author": "b@x.org", "n": '
            + "9" * 5000
            + "}\n",
            "table",
        ),
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    "jsonl_deep_nesting": Hostile(
        fmt(
            "m.jsonl",
            json.dumps(
                {"message_id": "1", "author": "a@x.org", "created_at": "2024-01-01T10:00:00Z"}
            )
            + '\n{"message_id": "2", "x": '
            + "[" * 100_000
            + "]" * 100_000
            + "}\n",
            "table",
        ),
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    "jsonl_huge_field": Hostile(
        fmt(
            "m.jsonl",
            json.dumps(
                {"message_id": "1", "author": "a@x.org", "created_at": "2024-01-01T10:00:00Z"}
            )
            + "\n"
            + json.dumps(
                {
                    "message_id": "2",
                    "author": "a@x.org",
                    "created_at": "2024-01-01T10:00:00Z",
                    "text": "x" * (2 << 20),
                }
            )
            + "\n",
            "table",
        ),  # fmt: skip
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    # -- Parquet ------------------------------------------------------------------------------
    "parquet_clean": Hostile(parquet(FLAT), 0, totals={"read": 2, "accepted": 2}),
    "parquet_struct_column": Hostile(
        parquet(FLAT.set_column(3, "text", pa.array([{"a": 1}, {"a": 2}]))),
        2,
        ("m.parquet", "nested"),
    ),
    "parquet_list_column": Hostile(
        parquet(FLAT.set_column(1, "author", pa.array([["a@x.org"], ["b"]]))),
        2,
        ("m.parquet", "nested"),
    ),
    "parquet_truncated": Hostile(parquet(FLAT, cut=0.6), 2, ("m.parquet", "unreadable")),
    "parquet_not_parquet": Hostile(csv_case("PAR1 nope", name="m.parquet"), 2, ("m.parquet",)),
    # -- rosters --------------------------------------------------------------------------------
    "roster_huge_rank": Hostile(
        with_side(
            "--roster",
            "r.csv",
            "identifier,role,rank\nann@x.org,lead,2\nbob@y.org,lead,99999999999999999999999\n",
        ),
        0,
        check=expect_source("r.csv", read=2, accepted=1, rejected=1),
    ),
    "roster_rank_beyond_int32": Hostile(
        with_side(
            "--roster",
            "r.csv",
            "identifier,role,rank\nann@x.org,lead,2\nbob@y.org,lead,2147483648\n",
        ),
        0,
        check=expect_source("r.csv", read=2, accepted=1, rejected=1),
    ),
    "roster_u2028_in_row": Hostile(
        with_side(
            "--roster",
            "r.csv",
            "identifier,role,rank\nann@x.org,lead\u2028mallory@evil.example,9\nbob@y.org,lead,1\n",
        ),
        0,
        check=expect_source("r.csv", read=2, accepted=2),
    ),
    "roster_only_bad_rows": Hostile(
        with_side("--roster", "r.csv", "identifier,role,rank\nann@x.org,lead,high\n"),
        2,
        ("r.csv", "no record accepted", "bad_rank"),
    ),
    "roster_jsonl": Hostile(
        with_side(
            "--roster", "r.jsonl", json.dumps({"identifier": "a", "role": "r", "rank": 1}) + "\n"
        ),
        2,
        ("r.jsonl", "read as CSV"),
    ),
    "roster_utf16": Hostile(
        with_side("--roster", "r.csv", "identifier,role,rank\nann@x.org,lead,1\n".encode("utf-16")),
        2,
        ("r.csv", "UTF-16"),
    ),
    "roster_missing_columns": Hostile(
        with_side("--roster", "r.csv", "who,what\nann,lead\n"), 2, ("r.csv", "roster needs")
    ),
    "roster_is_folder": Hostile(
        lambda tmp: [str(write(tmp, "m.csv", GOOD_CSV)), "--roster", str(tmp)],
        2,
        ("not a file",),
    ),
    # -- aliases and opt-out --------------------------------------------------------------------
    "aliases_three_columns": Hostile(
        with_side("--aliases", "a.csv", "ann@x.org,bob@y.org,extra\n"), 2, ("a.csv:1", "2 columns")
    ),
    "aliases_u2028_is_text": Hostile(
        with_side("--aliases", "a.csv", "ann@x.org,Ann\u2028Lee\n"), 0, totals={"accepted": 2}
    ),
    "aliases_not_utf8": Hostile(
        with_side("--aliases", "a.csv", b"ann@x.org,caf\xe9\n"), 2, ("a.csv", "not UTF-8")
    ),
    "aliases_fifo": Hostile(
        lambda tmp: [
            str(write(tmp, "m.csv", GOOD_CSV)),
            "--aliases",
            str(tmp / "a.csv"),
            *([] if os.mkfifo(tmp / "a.csv") else []),
        ],
        2,
        ("a.csv",),
    ),
    "optout_u2028_does_not_split": Hostile(
        with_side("--opt-out", "o.txt", "nobody@x.org\u2028ann@x.org\n"),
        0,
        totals={"read": 2, "accepted": 2, "excluded": 0},
    ),
    "optout_removes_one": Hostile(
        with_side("--opt-out", "o.txt", "# comment\nann@x.org\n"),
        0,
        totals={"read": 2, "accepted": 1, "excluded": 1},
    ),
    "optout_everyone": Hostile(
        with_side("--opt-out", "o.txt", "ann@x.org\nbob@y.org\n"),
        2,
        ("no record accepted",),
    ),
    "optout_not_utf8": Hostile(
        with_side("--opt-out", "o.txt", b"\xff\xfeann\n"), 2, ("o.txt", "not UTF-8")
    ),
    # -- documents ------------------------------------------------------------------------------
    "documents_counted": Hostile(
        documents_case({"2021-01-01-charter.md": b"We share.", "b.txt": b"Rules."}),
        0,
        check=expect_source("charter.md", read=1, accepted=1),
    ),
    "documents_not_utf8_rejected": Hostile(
        documents_case({"a.md": b"ok", "b.md": b"caf\xe9"}),
        2,
        ("b.md", "no record accepted", "bad_encoding"),
    ),
    "documents_symlink": Hostile(
        lambda tmp: [
            *documents_case({"a.md": b"ok"})(tmp),
            *([] if os.symlink("/etc/passwd", tmp / "docs" / "b.md") else []),
        ],
        2,
        ("b.md", "symbolic link"),
    ),
    "documents_is_file": Hostile(
        with_side("--documents", "d.md", "text"), 2, ("d.md", "expects a folder")
    ),
    # -- mbox -----------------------------------------------------------------------------------
    "mbox_clean": Hostile(
        fmt("a.mbox", mail("ann@x.org", "<1@x>", "hi") + mail("bob@y.org", "<2@x>", "yo"), "mbox"),
        0,
        totals={"read": 2, "accepted": 2},
    ),
    "mbox_cr_only": Hostile(
        fmt(
            "a.mbox",
            (mail("ann@x.org", "<1@x>", "hi") + mail("bob@y.org", "<2@x>", "yo")).replace(
                "\n", "\r"
            ),
            "mbox",
        ),
        0,
        totals={"read": 2, "accepted": 2},
    ),
    "mbox_crlf": Hostile(
        fmt(
            "a.mbox",
            (mail("ann@x.org", "<1@x>", "hi") + mail("bob@y.org", "<2@x>", "yo")).replace(
                "\n", "\r\n"
            ),
            "mbox",
        ),
        0,
        totals={"read": 2, "accepted": 2},
    ),
    "mbox_empty_folder": Hostile(empty_folder("mbox"), 2, ("no",)),
    "mbox_fifo_in_folder": Hostile(fifo_in_folder, 2, ("b.mbox", "FIFO")),
    "mbox_and_gz_copy": Hostile(
        lambda tmp: [
            str(write(tmp / "box", "a.mbox", mail("a@x.org", "<1@x>", "hi")).parent),
            *([] if write(tmp / "box", "a.mbox.gz", gzip.compress(b"x")) else []),
            "--format",
            "mbox",
        ],
        2,
        ("a.mbox.gz", "the same source twice"),
    ),
    "mbox_read_as_irc": Hostile(
        fmt("a.mbox", mail("ann@x.org", "<1@x>", "hi"), "irc"), 2, ("a.mbox", "no record accepted")
    ),
    "mbox_garbage": Hostile(fmt("a.mbox", b"\x00\x01\x02" * 10, "mbox"), 2, ("a.mbox",)),
    # -- IRC ------------------------------------------------------------------------------------
    "irc_clean": Hostile(
        fmt("#c.2012-01-02.log", "[10:00] <ann> hi\n[10:01] <bob> ann: hey\n", "irc"),
        0,
        totals={"read": 2, "accepted": 2},
    ),
    "irc_u2028_in_line": Hostile(
        fmt("#c.2012-01-02.log", "[10:00] <ann> hi\u2028[10:01] <mallory> x\n", "irc"),
        0,
        totals={"read": 1, "accepted": 1},
    ),
    "irc_garbage_line": Hostile(
        fmt("#c.2012-01-02.log", "[10:00] <ann> hi\n\x00\x01 garbage\n", "irc"),
        0,
        totals={"read": 2, "accepted": 1, "rejected": 1},
    ),
    # -- git ------------------------------------------------------------------------------------
    "git_clean": Hostile(
        fmt("commits.jsonl", json.dumps(COMMIT) + "\n", "git"), 0, totals={"accepted": 1}
    ),
    "git_bad_line": Hostile(
        fmt("commits.jsonl", json.dumps(COMMIT) + "\n{nope\n", "git"),
        0,
        check=expect_source("commits.jsonl", read=2, accepted=1, rejected=1),
    ),
    "mailmap_gz": Hostile(
        mailmap_case(many_links(2001), "mailmap.gz"),
        0,
        check=expect_source("mailmap.gz", read=2001, accepted=2001),
    ),
    "mailmap_plain_with_bad_line": Hostile(
        mailmap_case("Ann <ann@new.org> <ann@example.org>\nnot a mapping\n# c\n", ".mailmap"),
        0,
        check=expect_source(".mailmap", read=2, accepted=1, rejected=1),
    ),
    "mailmap_u2028_is_text": Hostile(
        mailmap_case("Ann\u2028Lee <ann@new.org> <ann@example.org>\n", ".mailmap"),
        0,
        check=expect_source(".mailmap", read=1, accepted=1),
    ),
    "mailmap_only_bad_lines": Hostile(
        mailmap_case("Ann <ann@new.org>\u2028<x@y.org> <ann@example.org>\n", ".mailmap"),
        2,
        (".mailmap", "bad_mailmap_line 1"),
    ),
    "maintainers_bad_lines_rejected_with_line": Hostile(
        maintainers_case(
            "M:\tNo Section <n@example.net>\n\nTHE REST\nM:\tBob Stone <bob@example.net>\n"
            "M:\tSupported\nR:\tAnn\u2028Lee <ann@example.org>\n"
        ),
        0,
        check=expect_source("MAINTAINERS.v1", read=4, accepted=2, rejected=2),
    ),
    "maintainers_without_role_lines": Hostile(
        maintainers_case("THE REST\nS:\tSupported\n"),
        2,
        ("MAINTAINERS.v1", "no record accepted"),
    ),
    "git_maintainers_not_a_folder": Hostile(
        lambda tmp: [
            *fmt("commits.jsonl", json.dumps(COMMIT) + "\n", "git")(tmp),
            "--maintainers",
            str(tmp / "nope"),
        ],
        2,
        ("nope",),
    ),
    # -- Stack Exchange ---------------------------------------------------------------------------
    "se_clean": Hostile(
        lambda tmp: se_site(tmp, {"Posts.xml": se_posts(QUESTION)}), 0, totals={"accepted": 1}
    ),
    "se_posts_and_gz": Hostile(dup_sources, 2, ("Posts.xml.gz", "Posts.xml", "same source")),
    "se_symlink": Hostile(
        lambda tmp: [
            *se_site(tmp, {"Posts.xml": se_posts(QUESTION)}),
            *(
                []
                if os.symlink("/etc/passwd", tmp / "demo.stackexchange.com" / "Users.xml")
                else []
            ),
        ][:3],
        2,
        ("Users.xml", "symbolic link"),
    ),
    "se_empty_folder": Hostile(empty_folder("stackexchange"), 2, ("empty",)),
    # -- Slack ----------------------------------------------------------------------------------
    "slack_clean": Hostile(
        slack_zip({"general/2020-01-01.json": [HELLO]}), 0, totals={"read": 1, "accepted": 1}
    ),
    "slack_symlink_dev_zero": Hostile(slack_symlink("/dev/zero"), 2, ("2020-01-02.json", "link")),
    "slack_symlink_passwd": Hostile(
        slack_symlink("/etc/passwd"), 2, ("2020-01-02.json", "symbolic link")
    ),
    "slack_folder_clean": Hostile(
        lambda tmp: [str(slack_folder(tmp)), "--format", "slack"], 0, totals={"accepted": 1}
    ),
    "slack_5000_digit_int": Hostile(
        slack_zip(
            {
                "general/2020-01-01.json": [HELLO],
                "general/2020-01-02.json": b'[{"type": "message", "n": ' + b"9" * 5000 + b"}]",
            }
        ),
        0,
        totals={"accepted": 1, "rejected": 1},
    ),
    # -- Discourse ------------------------------------------------------------------------------
    "discourse_5000_digit_int": Hostile(
        fmt("42.json", '{"id": ' + "9" * 5000 + ', "post_stream": {"posts": []}}', "discourse"),
        2,
        ("42.json", "no record accepted", "bad_json"),
    ),
    "discourse_bad_topic_field_rejects_each_post": Hostile(
        lambda tmp: [
            *fmt(
                "42.json",
                json.dumps(
                    {
                        "id": "forty-two",
                        "post_stream": {
                            "posts": [
                                {**FIRST_POST, "id": i, "post_number": i} for i in range(1, 8)
                            ]
                        },
                    }
                ),
                "discourse",
            )(tmp),
            "--allow-empty",
        ],
        0,
        totals={"read": 7, "rejected": 7},
    ),
    "discourse_one_bad_post": Hostile(
        fmt(
            "42.json",
            json.dumps(
                {
                    "id": 42,
                    "post_stream": {
                        "posts": [
                            FIRST_POST,
                            {**FIRST_POST, "id": 2, "post_number": 2, "created_at": 5},
                            {**FIRST_POST, "id": 3, "post_number": 3},
                        ]
                    },
                }
            ),
            "discourse",
        ),
        0,
        totals={"read": 3, "accepted": 2, "rejected": 1},
    ),
    # -- GitHub ---------------------------------------------------------------------------------
    "github_clean": Hostile(fmt("issues.json", json.dumps([ISSUE]), "github"), 0),
    "github_5000_digit_int": Hostile(
        fmt("issues.json", '[{"number": ' + "9" * 5000 + "}]", "github"),
        2,
        ("issues.json", "no record accepted", "bad_json"),
    ),
    "github_huge_number": Hostile(
        fmt("issues.json", json.dumps([ISSUE, {**ISSUE, "number": 10**25}]), "github"),
        0,
        check=lambda trace, manifest: None,
    ),
    # -- formats and flags --------------------------------------------------------------------
    "unknown_format": Hostile(fmt("m.csv", GOOD_CSV, "nope"), 2, ("unknown --format",)),
    "flag_of_other_format": Hostile(
        lambda tmp: [str(write(tmp, "m.csv", GOOD_CSV)), "--mailmap", str(tmp / "m.csv")],
        2,
        ("--mailmap does not apply",),
    ),
}


def _leftovers(folder: Path) -> list[str]:
    return [
        p.name
        for p in folder.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".undertow-staging-")
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    args = case.make(work)
    out = tmp_path / "trace"
    result = CliRunner().invoke(
        app,
        ["ingest", *args, "-o", str(out), "--key-file", str(tmp_path / "key"), "--no-progress"],
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}") from result.exception
    assert result.exit_code == case.code, result.output
    for fragment in case.message:
        assert fragment in " ".join(result.output.split()), (fragment, result.output)
    assert _leftovers(tmp_path) == []
    if case.code != 0:
        assert not (out / "manifest.json").exists()
        return
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for source in manifest["sources"]:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    for key, value in case.totals.items():
        assert manifest["totals"][key] == value, (key, manifest["totals"])
    if case.check is not None:
        case.check(out, manifest)


def test_the_suite_has_at_least_a_hundred_cases_with_the_malformed_suites() -> None:
    from tests.ingest import test_malformed_a, test_malformed_b

    adapter_cases = len(test_malformed_a.CASES) + len(test_malformed_b.CASES)
    assert len(CASES) + adapter_cases >= 100, (len(CASES), adapter_cases)
