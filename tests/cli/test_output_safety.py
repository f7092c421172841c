"""Outputs never touch what undertow did not write.

Each case runs the CLI in-process and checks the exit code, the message and that the
user's own files are untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from undertow.cli import app
from undertow.model.writer import OWNER_MARKER, write_trace
from undertow.testing import tiny_trace

CSV = (
    "message_id,parent_id,author,created_at,text\n"
    "1,,Ann Lee <ann@x.org>,2024-01-01T10:00:00Z,hi\n"
    "2,1,bob@y.org,2024-01-01T11:00:00Z,hello\n"
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "m.csv"
    path.parent.mkdir()
    path.write_text(CSV)
    return path


def ingest(source: Path, out: Path, *extra: str) -> tuple[int, str]:
    key = source.parent.parent / "key"
    return invoke(
        "ingest", str(source), "-o", str(out), "--key-file", str(key), "--no-progress", *extra
    )


def test_ingest_into_a_foreign_folder_is_refused_and_deletes_nothing(
    tmp_path: Path, source: Path
) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "other.parquet").write_bytes(b"PAR1 mine")
    code, output = ingest(source, out)
    assert code == 2
    assert "not empty and not written by undertow" in output
    assert "--force" in output
    assert (out / "other.parquet").read_bytes() == b"PAR1 mine"
    assert sorted(p.name for p in out.iterdir()) == ["other.parquet"]


def test_force_writes_beside_foreign_files_and_removes_none(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "other.parquet").write_bytes(b"PAR1 mine")
    (out / "notes.txt").write_text("mine")
    code, output = ingest(source, out, "--force")
    assert code == 0, output
    assert (out / "other.parquet").read_bytes() == b"PAR1 mine"
    assert (out / "notes.txt").read_text() == "mine"
    marker = json.loads((out / OWNER_MARKER).read_text())
    assert marker["kind"] == "trace"
    assert "other.parquet" not in marker["files"]
    assert "messages.parquet" in marker["files"]
    # A rerun (the folder is now undertow's) still leaves the user's files alone.
    code, output = ingest(source, out)
    assert code == 0, output
    assert (out / "other.parquet").read_bytes() == b"PAR1 mine"


def test_an_input_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "data.csv").write_text(CSV)
    code, output = invoke(
        "ingest", str(out / "data.csv"), "-o", str(out), "--key-file", str(tmp_path / "k")
    )
    assert code == 2
    assert "input lies inside the output folder" in output
    assert (out / "data.csv").read_text() == CSV


def test_an_output_folder_inside_an_input_folder_is_refused(tmp_path: Path, source: Path) -> None:
    code, output = ingest(source.parent, source.parent / "trace")
    assert code == 2
    assert "lies inside the input folder" in output
    assert not (source.parent / "trace").exists()


@pytest.mark.parametrize("name", ["idmap.csv", "people.parquet", "sub/map.csv"])
def test_an_identity_map_inside_the_trace_is_refused(
    tmp_path: Path, source: Path, name: str
) -> None:
    out = tmp_path / "t"
    assert ingest(source, out)[0] == 0
    people = (out / "people.parquet").read_bytes()
    code, output = ingest(source, out, "--identity-map", str(out / name))
    assert code == 2
    assert "must not be written inside the trace folder" in output
    assert (out / "people.parquet").read_bytes() == people
    assert not (out / "idmap.csv").exists()


def test_an_identity_map_over_an_input_is_refused(tmp_path: Path, source: Path) -> None:
    code, output = ingest(source, tmp_path / "t", "--identity-map", str(source))
    assert code == 2
    assert "would overwrite an input" in output
    assert source.read_text() == CSV


def test_a_file_as_output_folder_is_refused(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "t"
    out.write_text("mine")
    code, output = ingest(source, out)
    assert code == 2
    assert "exists and is not a folder" in output
    assert out.read_text() == "mine"


def test_a_quarantine_file_the_user_owns_is_not_replaced(tmp_path: Path, source: Path) -> None:
    source.write_text(CSV + "3,1,short row\n")
    (tmp_path / "t.quarantine.jsonl").write_text("mine\n")
    code, output = ingest(source, tmp_path / "t")
    assert code == 2
    assert "not written by undertow" in output
    assert (tmp_path / "t.quarantine.jsonl").read_text() == "mine\n"


def test_a_clean_rerun_removes_only_its_own_quarantine(tmp_path: Path, source: Path) -> None:
    source.write_text(CSV + "3,1,short row\n")
    out = tmp_path / "t"
    assert ingest(source, out)[0] == 0
    assert (tmp_path / "t.quarantine.jsonl").is_file()
    source.write_text(CSV)
    assert ingest(source, out)[0] == 0
    assert not (tmp_path / "t.quarantine.jsonl").exists()


def test_a_marker_cannot_point_outside_its_folder(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "t"
    assert ingest(source, out)[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    marker = json.loads((out / OWNER_MARKER).read_text())
    marker["files"] += ["../victim.txt", str(victim)]
    marker["beside"] += ["../victim.txt"]
    (out / OWNER_MARKER).write_text(json.dumps(marker))
    assert ingest(source, out)[0] == 0
    assert victim.read_text() == "mine"


def analyze(trace: Path, out: Path, *extra: str) -> tuple[int, str]:
    return invoke("analyze", str(trace), "-o", str(out), "-q", *extra)


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    source = tiny_trace()
    return write_trace(tmp_path / "trace", {n: source.arrow(n) for n in ("messages", "people")})


def test_analyze_into_a_foreign_folder_is_refused(tmp_path: Path, trace: Path) -> None:
    out = tmp_path / "proj"
    (out / "metrics").mkdir(parents=True)
    (out / "metrics" / "mine.parquet").write_bytes(b"mine")
    (out / "report.html").write_text("my report")
    code, output = analyze(trace, out)
    assert code == 2
    assert "not empty and not written by undertow" in output
    assert (out / "metrics" / "mine.parquet").read_bytes() == b"mine"
    assert (out / "report.html").read_text() == "my report"


def test_analyze_with_force_keeps_the_users_files(tmp_path: Path, trace: Path) -> None:
    out = tmp_path / "proj"
    (out / "metrics").mkdir(parents=True)
    (out / "metrics" / "mine.parquet").write_bytes(b"mine")
    code, output = analyze(trace, out, "--force")
    assert code == 0, output
    assert (out / "metrics" / "mine.parquet").read_bytes() == b"mine"
    assert (out / "report.html").is_file()
    # The second run replaces its own outputs and still not the user's.
    code, output = analyze(trace, out)
    assert code == 0, output
    assert (out / "metrics" / "mine.parquet").read_bytes() == b"mine"


def test_analyze_into_the_trace_is_refused(trace: Path) -> None:
    before = sorted(p.name for p in trace.iterdir())
    for out in (trace, trace / "out"):
        code, output = analyze(trace, out)
        assert code == 2
        assert "the output folder is the trace folder or inside it" in output
    assert sorted(p.name for p in trace.iterdir()) == before


def test_a_trace_is_not_an_output_folder(tmp_path: Path, trace: Path) -> None:
    other = write_trace(tmp_path / "other", {"messages": tiny_trace().arrow("messages")})
    code, output = analyze(trace, other)
    assert code == 2
    assert "is an undertow trace folder, not one for this output" in output


def test_analyze_of_an_empty_trace_exits_two(tmp_path: Path) -> None:
    empty = write_trace(tmp_path / "empty", {})
    code, output = analyze(empty, tmp_path / "out")
    assert code == 2
    assert "holds no messages" in output
    assert not (tmp_path / "out").exists()
    code, output = analyze(empty, tmp_path / "out", "--allow-empty")
    assert code == 0, output


def test_an_unreadable_input_is_a_runtime_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "box"
    folder.mkdir()
    for name in ("a.mbox", "b.mbox"):
        (folder / name).write_text(
            f"From ann@x.org  Mon Jan  1 10:00:00 2007\nFrom: ann@x.org\n"
            f"Date: Mon, 01 Jan 2007 10:00:00 +0000\nMessage-ID: <{name}@x>\n\nhi\n"
        )
    original = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "b.mbox":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", denied)
    code, output = invoke(
        "ingest", str(folder), "--format", "mbox", "-o", str(tmp_path / "t"),
        "--key-file", str(tmp_path / "k"), "--no-progress",
    )  # fmt: skip
    assert code == 1
    assert "b.mbox: Permission denied" in " ".join(output.split())
    assert not (tmp_path / "t" / "manifest.json").exists()


@pytest.mark.parametrize("command", ["ingest", "analyze"])
def test_a_full_disk_is_a_runtime_error_leaving_nothing_complete(
    tmp_path: Path, source: Path, trace: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    import errno
    import os

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    if command == "ingest":
        out = tmp_path / "t"
        code, output = ingest(source, out)
        complete = out / "manifest.json"
    else:
        out = tmp_path / "out"
        code, output = analyze(trace, out)
        complete = out / "run.json"
    assert code == 1, output
    assert "No space left on device" in output
    assert not complete.exists()
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert not list(out.glob(".undertow-staging-*"))
