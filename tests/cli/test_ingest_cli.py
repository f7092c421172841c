"""``undertow ingest``, ``undertow info`` and ``undertow rekey`` through Typer's CliRunner."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from undertow.cli import app

runner = CliRunner()
CSV = (
    "message_id,parent_id,author,created_at,text\n"
    "1,,Carole Pemberton <carole@uni.example>,2024-01-01T10:00:00Z,hello all\n"
    "2,1,Sharon Mavin <sm@uni.example>,2024-01-01T11:00:00Z,thanks Carole Pemberton\n"
    "3,1,short row\n"
)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "m.csv").write_text(CSV)
    return tmp_path


def test_ingest_then_info(inputs: Path) -> None:
    out = inputs / "trace"
    result = runner.invoke(
        app,
        [
            "ingest",
            str(inputs / "m.csv"),
            "-o",
            str(out),
            "--no-progress",
            "--identity-map",
            str(inputs / "map.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 3 = accepted 2 + rejected 1 + excluded 0" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"] == {"read": 3, "accepted": 2, "rejected": 1, "excluded": 0}
    assert stat.S_IMODE((inputs / "map.csv").stat().st_mode) == 0o600
    info = runner.invoke(app, ["info", str(out)])
    assert info.exit_code == 0, info.output
    assert "messages" in info.output and "bad_row" in info.output
    assert "2024-01-01 10:00:00" in info.output
    # The observation model: what the source could record.
    assert manifest["observation"]["sources"] == ["table"]
    assert manifest["observation"]["links"]["explicit"] == 2
    assert "What the source can observe" in info.output and "reply_links" in info.output
    assert "Reply links: 100.0% known (2 explicit" in info.output


def test_ingest_with_mapping_roster_and_opt_out(inputs: Path) -> None:
    (inputs / "x.csv").write_text("Id,From,Date\n1,ann@x.org,2024-01-01\n2,bob@x.org,2024-01-02\n")
    (inputs / "roster.csv").write_text("identifier,role,rank\nann@x.org,maintainer,2\n")
    (inputs / "optout.txt").write_text("bob@x.org\n")
    (inputs / "docs").mkdir()
    (inputs / "docs" / "2023-05-01-charter.md").write_text("We share knowledge.")
    args = [
        "ingest",
        str(inputs / "x.csv"),
        "-o",
        str(inputs / "t"),
        "--no-progress",
        "--map",
        "message_id=Id",
        "--map",
        "author=From",
        "--map",
        "created_at=Date",
        "--roster",
        str(inputs / "roster.csv"),
        "--opt-out",
        str(inputs / "optout.txt"),
        "--documents",
        str(inputs / "docs"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((inputs / "t" / "manifest.json").read_text())
    assert manifest["tables"] == {"documents": 1, "messages": 1, "people": 1, "roles": 1}
    assert manifest["sources"][0]["reasons"] == {"opt_out": 1}


def test_bad_input_exits_2_naming_file_and_line(inputs: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(inputs / "m.csv"), "-o", str(inputs / "t"), "--strict", "--no-progress"]
    )
    assert result.exit_code == 2
    assert "m.csv:4" in result.output
    assert not (inputs / "t" / "manifest.json").exists()
    missing = runner.invoke(app, ["ingest", str(inputs / "nope.csv"), "-o", str(inputs / "t")])
    assert missing.exit_code == 2 and "nope.csv" in missing.output
    unknown = runner.invoke(
        app, ["ingest", str(inputs / "m.csv"), "-o", str(inputs / "t"), "--format", "fax"]
    )
    assert unknown.exit_code == 2 and "fax" in unknown.output
    bad_map = runner.invoke(
        app, ["ingest", str(inputs / "m.csv"), "-o", str(inputs / "t"), "--map", "oops"]
    )
    assert bad_map.exit_code == 2


def test_info_refuses_incomplete_trace(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "messages.parquet").write_bytes(b"")
    result = runner.invoke(app, ["info", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert "manifest" in result.output


def test_rekey_prints_fingerprints_and_unlinks(inputs: Path) -> None:
    key = inputs / "key"
    first = runner.invoke(
        app,
        [
            "ingest",
            str(inputs / "m.csv"),
            "-o",
            str(inputs / "a"),
            "--key-file",
            str(key),
            "--no-progress",
        ],
    )
    assert first.exit_code == 0, first.output
    old_manifest = json.loads((inputs / "a" / "manifest.json").read_text())
    refused = runner.invoke(app, ["rekey", "--key-file", str(key)], input="n\n")
    assert refused.exit_code == 1
    result = runner.invoke(app, ["rekey", "--key-file", str(key), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"old key fingerprint: {old_manifest['key_fingerprint']}" in result.output
    second = runner.invoke(
        app,
        [
            "ingest",
            str(inputs / "m.csv"),
            "-o",
            str(inputs / "b"),
            "--key-file",
            str(key),
            "--no-progress",
        ],
    )
    assert second.exit_code == 0
    new_manifest = json.loads((inputs / "b" / "manifest.json").read_text())
    assert new_manifest["key_fingerprint"] != old_manifest["key_fingerprint"]
    assert f"new key fingerprint: {new_manifest['key_fingerprint']}" in result.output
    old_people = set(pq.read_table(inputs / "a" / "people.parquet").column("person_id").to_pylist())
    new_people = set(pq.read_table(inputs / "b" / "people.parquet").column("person_id").to_pylist())
    assert len(old_people) == 2 and not old_people & new_people
