"""Malformed inputs for the mbox, IRC and git adapters.

Every case checks: no crash, the reason code and location of each rejection or
exclusion, and ``read == accepted + rejected + excluded`` for every source.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ingest._adapters_a import Run, run_adapter
from undertow.errors import InputError
from undertow.ingest.git import ingest_git
from undertow.ingest.irc import ingest_irc
from undertow.ingest.mbox import ingest_mbox


def mail(sender: str, message_id: str | None, body: str, *, headers: str = "") -> str:
    lines = [
        f"From {sender}  Mon Jan  1 10:00:00 2007",
        f"From: {sender}",
        "Date: Mon, 01 Jan 2007 10:00:00 +0000",
        "Subject: hello",
    ]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if headers:
        lines.append(headers)
    return "\n".join(lines) + "\n\n" + body + "\n\n"


@dataclass
class Case:
    """A malformed input, what the adapter must report, and what it must keep."""

    adapter: Callable[..., None]
    files: dict[str, bytes]
    read: int
    accepted: int
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # bucket, reason, location
    check: Callable[[Run], None] | None = None
    options: dict[str, int] = field(default_factory=dict)


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


def truncated_gz(text: str, keep: float) -> bytes:
    data = gz(text)
    return data[: int(len(data) * keep)]


def text_of(run: Run) -> list[str]:
    return [m["text"] for m in run.table("messages").sort_by("source_ref").to_pylist()]


def commit_line(**overrides: object) -> str:
    record: dict[str, object] = {
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
    record.update(overrides)
    return json.dumps(record)


def expect(value: bool) -> None:
    assert value


GOOD = mail("ann@example.org", "<ok@a>", "fine")
#: Where a message that follows GOOD starts.
AFTER_GOOD = f"line {GOOD.count(chr(10)) + 1}, byte {len(GOOD)}"
TSV_HEADER = "date\ttime\tseq\tkind\tnick\ttext\trelay_bot\tcolor\n"
TSV_OK = "2012-01-02\t10:00\t1\tmsg\tann\thello\t\tblack\n"
LONG_BODY = "x" * 300_000
#: A body that compresses poorly, so a cut .gz ends inside it.
VARIED = " ".join(f"{i * 7919 % 100_003:x}" for i in range(5_000))

CASES: dict[str, Case] = {
    "mbox_unescaped_from_in_body": Case(
        ingest_mbox,
        {
            "a.mbox": (
                mail(
                    "ann@example.org",
                    "<1@a>",
                    "From my view it works.\n\nFrom 1 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x",
                )
                + GOOD
            ).encode()
        },
        read=2,
        accepted=2,
        check=lambda run: expect(any("From my view" in t for t in text_of(run))),
    ),
    "mbox_escaped_from_is_own_words": Case(
        ingest_mbox,
        {"a.mbox": mail("ann@example.org", "<1@a>", ">From the log it fails.").encode()},
        read=1,
        accepted=1,
        check=lambda run: expect(text_of(run) == ["From the log it fails."]),
    ),
    "mbox_latin1_without_charset": Case(
        ingest_mbox,
        {"a.mbox": mail("ann@example.org", "<1@a>", "caf\xe9 cr\xe8me").encode("latin-1")},
        read=1,
        accepted=1,
        check=lambda run: expect(text_of(run) == ["café crème"]),
    ),
    "mbox_unknown_charset": Case(
        ingest_mbox,
        {
            "a.mbox": mail(
                "ann@example.org",
                "<1@a>",
                "caf\xe9",
                headers="MIME-Version: 1.0\nContent-Type: text/plain; charset=x-no-such",
            ).encode("latin-1")
        },
        read=1,
        accepted=1,
        check=lambda run: expect(text_of(run) == ["café"]),
    ),
    "mbox_broken_mime_no_boundary": Case(
        ingest_mbox,
        {
            "a.mbox": mail(
                "ann@example.org",
                "<1@a>",
                "--zzz\nContent-Type: text/plain\n\nthe words\n--zzz--",
                headers="MIME-Version: 1.0\nContent-Type: multipart/mixed",
            ).encode()
        },
        read=1,
        accepted=1,
        check=lambda run: expect("the words" in text_of(run)[0]),
    ),
    "mbox_header_crashes_policy_default": Case(
        ingest_mbox,
        {"a.mbox": mail("ann@example.org", "<@>", "still read").encode()},
        read=1,
        accepted=1,
        check=lambda run: expect(text_of(run) == ["still read"]),
    ),
    "mbox_missing_message_id": Case(
        ingest_mbox,
        {"a.mbox": (GOOD + mail("bob@example.net", None, "no id")).encode()},
        read=2,
        accepted=2,
    ),
    "mbox_duplicate_message_id": Case(
        ingest_mbox,
        {"a.mbox": (GOOD + mail("bob@example.net", "<ok@a>", "same id")).encode()},
        read=2,
        accepted=1,
        problems=[("rejected", "duplicate_id", AFTER_GOOD)],
    ),
    "mbox_no_date_anywhere": Case(
        ingest_mbox,
        {"a.eml": b"From: ann@example.org\nSubject: x\nMessage-ID: <1@a>\n\nbody\n"},
        read=1,
        accepted=0,
        problems=[("rejected", "bad_date", "line 1, byte 0")],
    ),
    "mbox_garbage_date_uses_separator": Case(
        ingest_mbox,
        {
            "a.mbox": mail("ann@example.org", "<1@a>", "x")
            .replace("Mon, 01 Jan 2007 10:00:00 +0000", "yesterday-ish")
            .encode()
        },
        read=1,
        accepted=1,
        check=lambda run: expect(
            run.table("messages").column("created_at")[0].as_py().year == 2007
        ),
    ),
    "mbox_missing_author": Case(
        ingest_mbox,
        {"a.mbox": GOOD.replace("From: ann@example.org\n", "").encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "missing_author", "line 1, byte 0")],
    ),
    "mbox_preamble_without_headers": Case(
        ingest_mbox,
        {"a.mbox": ("this is not mail\n\n" + GOOD).encode()},
        read=2,
        accepted=1,
        problems=[("rejected", "no_headers", "line 1, byte 0")],
    ),
    "mbox_oversize_message_keeps_going": Case(
        ingest_mbox,
        {"a.mbox": (mail("bob@example.net", "<big@b>", LONG_BODY) + GOOD).encode()},
        read=2,
        accepted=1,
        problems=[("rejected", "oversize", "line 1, byte 0")],
        options={"max_message_bytes": 100_000},
    ),
    "mbox_endless_line": Case(
        ingest_mbox,
        {
            "a.mbox": (
                GOOD + "From bob@example.net  Mon Jan  1 11:00:00 2007\nFrom: b@x\n\n" + LONG_BODY
            ).encode()
        },
        read=2,
        accepted=1,
        problems=[("rejected", "oversize", AFTER_GOOD)],
        options={"max_message_bytes": 100_000},
    ),
    "mbox_truncated_gz": Case(
        ingest_mbox,
        {"a.mbox.gz": truncated_gz(GOOD + mail("bob@example.net", "<2@b>", VARIED), keep=0.6)},
        read=2,
        accepted=1,
        problems=[("rejected", "truncated", AFTER_GOOD)],
    ),
    "mbox_truncated_bz2": Case(
        ingest_mbox,
        {
            "a.mbox.bz2": bz2.compress((GOOD + mail("bob@example.net", "<2@b>", VARIED)).encode())[
                :-200
            ]
        },
        # bzip2 decodes whole blocks: a cut inside the only block loses all of it,
        # and the loss is reported, not silent.
        read=1,
        accepted=0,
        problems=[("rejected", "truncated", "line 1, byte 0")],
    ),
    "mbox_concatenated_gz_members_and_xz": Case(
        ingest_mbox,
        {
            "a.mbox.gz": gz(GOOD) + gz(mail("bob@example.net", "<2@b>", "second member")),
            "b.mbox.xz": lzma.compress(mail("cy@example.com", "<3@c>", "xz").encode()),
        },
        read=3,
        accepted=3,
    ),
    "mbox_empty_file": Case(ingest_mbox, {"a.mbox": b""}, read=0, accepted=0),
    "irc_short_row": Case(
        ingest_irc,
        {"e.tsv": (TSV_HEADER + "2012-01-02\t10:00\tmsg\n" + TSV_OK).encode()},
        read=2,
        accepted=1,
        problems=[("rejected", "malformed_row", "line 2")],
    ),
    "irc_bad_date": Case(
        ingest_irc,
        {"e.tsv": (TSV_HEADER + TSV_OK.replace("2012-01-02", "2012-13-45")).encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "bad_date", "line 2")],
    ),
    "irc_unknown_kind": Case(
        ingest_irc,
        {"e.tsv": (TSV_HEADER + TSV_OK.replace("\tmsg\t", "\twhisper\t")).encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "unknown_kind", "line 2")],
    ),
    "irc_orphan_continuation": Case(
        ingest_irc,
        {"e.tsv": (TSV_HEADER + "2009-06-30\t\t1\tcont\t\tmore text\t\tpre\n").encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "orphan_continuation", "line 2")],
    ),
    "irc_crlf_and_missing_time": Case(
        ingest_irc,
        {
            "e.tsv": (TSV_HEADER + TSV_OK + "2012-01-02\t\t2\tmsg\tbob\tno time\t\tpre\n")
            .replace("\n", "\r\n")
            .encode()
        },
        read=2,
        accepted=2,
        check=lambda run: expect(
            len(set(run.table("messages").column("thread_id").to_pylist())) == 1
        ),
    ),
    "irc_truncated_gz": Case(
        ingest_irc,
        {
            "e.tsv.gz": truncated_gz(
                TSV_HEADER
                + "".join(
                    f"2012-01-02\t10:{i % 60:02d}\t{i}\tmsg\tann\t{text}\t\tb\n"
                    for i, text in enumerate(VARIED.split(" ")[:600])
                ),
                keep=0.5,
            )
        },
        read=-1,
        accepted=-1,
        problems=[("rejected", "truncated", "")],
    ),
    "irc_plain_log_without_date": Case(
        ingest_irc,
        {"chat.log": b"[10:00] <ann> hello\n"},
        read=1,
        accepted=0,
        problems=[("rejected", "bad_date", "line 1")],
    ),
    "irc_plain_unparsable_line": Case(
        ingest_irc,
        {"#c.2012-01-02.log": b"[10:00] <ann> hi\n\x00\x01 garbage\n[10:01] <bob> ann: hey\n"},
        read=3,
        accepted=2,
        problems=[("rejected", "unparsed_line", "line 2")],
    ),
    "irc_bot_and_join": Case(
        ingest_irc,
        {
            "e.tsv": (
                TSV_HEADER
                + "2012-01-02\t10:00\t1\tjoin\tann\t* ann has joined\t\tgreen\n"
                + "2012-01-02\t10:01\t2\tmsg\tkompewter\t[ DS-1 ]\t\tblack\n"
            ).encode()
        },
        read=2,
        accepted=0,
        problems=[("excluded", "not_a_message", "line 2"), ("excluded", "bot", "line 3")],
    ),
    "git_bad_json_line": Case(
        ingest_git,
        {"c.jsonl": (commit_line() + "\n{not json\n").encode()},
        read=2,
        accepted=1,
        problems=[("rejected", "bad_json", "line 2")],
    ),
    "git_nan_value": Case(
        ingest_git,
        {"c.jsonl": (commit_line().replace('"fix"', "NaN") + "\n").encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "bad_json", "line 1")],
    ),
    "git_duplicate_key": Case(
        ingest_git,
        {"c.jsonl": (commit_line()[:-1] + ', "hash": "ff"}\n').encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "duplicate_key", "line 1")],
    ),
    "git_missing_field": Case(
        ingest_git,
        {"c.jsonl": (json.dumps({"hash": "ab" * 20, "parents": []}) + "\n").encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "missing_field", "line 1")],
    ),
    "git_naive_date": Case(
        ingest_git,
        {"c.jsonl": (commit_line(author_date="2020-01-02T10:00:00") + "\n").encode()},
        read=1,
        accepted=0,
        problems=[("rejected", "naive_date", "line 1")],
    ),
    "git_epoch_date": Case(
        ingest_git,
        {
            "c.jsonl": (
                commit_line(
                    author_date="1970-01-01T00:00:00+00:00",
                    committer_date="1970-01-01T00:00:00+00:00",
                )
                + "\n"
            ).encode()
        },
        read=1,
        accepted=0,
        problems=[("rejected", "implausible_date", "line 1")],
    ),
    "git_truncated_gz": Case(
        ingest_git,
        {
            "c.jsonl.gz": truncated_gz(
                "".join(commit_line(hash=f"{i:040x}") + "\n" for i in range(400)), keep=0.5
            )
        },
        read=-1,
        accepted=-1,
        problems=[("rejected", "truncated", "")],
    ),
    "git_empty_trailer": Case(
        ingest_git,
        {"c.jsonl": (commit_line(trailers=[["Reviewed-by", "  "]]) + "\n").encode()},
        read=1,
        accepted=1,
        problems=[("rejected", "bad_trailer", "line 1, trailer 1")],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / "input"
    folder.mkdir()
    for file_name, content in case.files.items():
        (folder / file_name).write_bytes(content)
    paths = [folder / n for n in case.files]
    run = run_adapter(case.adapter, paths, tmp_path / "trace", **case.options)
    assert run.balanced(), run.manifest["sources"]
    main = [s for s in run.manifest["sources"] if s["member"] is None]
    read = sum(s["read"] for s in main)
    accepted = sum(s["accepted"] for s in main)
    if case.read >= 0:
        assert (read, accepted) == (case.read, case.accepted), run.manifest["sources"]
    reported = {("rejected", reason, location) for _, reason, location in run.rejected}
    reported |= {("excluded", reason, location) for _, reason, location in run.excluded}
    for bucket, reason, location in case.problems:
        if location:
            assert (bucket, reason, location) in reported, reported
        else:
            assert any(b == bucket and r == reason for b, r, _ in reported), reported
    if case.check is not None:
        case.check(run)


def test_missing_message_id_gets_a_stable_id(tmp_path: Path) -> None:
    archive = tmp_path / "a.mbox"
    archive.write_text(mail("bob@example.net", None, "no id"))
    key = tmp_path / "key"
    first = run_adapter(ingest_mbox, [archive], tmp_path / "one", key_file=key)
    second = run_adapter(ingest_mbox, [archive], tmp_path / "two", key_file=key)
    ids = [r.table("messages").column("message_id").to_pylist() for r in (first, second)]
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_directory_that_is_not_a_repository_fails_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    with pytest.raises(InputError, match="git log failed"):
        run_adapter(ingest_git, [folder], tmp_path / "trace")


def test_maintainers_snapshot_without_a_date_fails_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "maintainers"
    folder.mkdir()
    (folder / "MAINTAINERS.v9").write_text("X86\nM:\tAnn <ann@example.org>\n")
    path = tmp_path / "c.jsonl"
    path.write_text(commit_line() + "\n")
    with pytest.raises(InputError, match="MAINTAINERS.v9"):
        run_adapter(ingest_git, [path], tmp_path / "trace", maintainers=folder)
