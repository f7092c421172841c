"""The key travels with the trace: every command that reads a trace checks its fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from undertow.cli import app
from undertow.identity.keys import fingerprint, resolve_key

runner = CliRunner()
CSV = (
    "message_id,parent_id,author,created_at,text\n"
    "1,,Carole Pemberton <carole@uni.example>,2024-01-01T10:00:00Z,hello all\n"
    "2,1,Sharon Mavin <sm@uni.example>,2024-01-02T11:00:00Z,thanks Carole Pemberton\n"
    "3,1,Ann Lee <al@uni.example>,2024-01-03T11:00:00Z,I agree with you both\n"
)


@pytest.fixture
def ingested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A trace ingested in one project folder with that folder's own key."""
    monkeypatch.delenv("UNDERTOW_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "m.csv").write_text(CSV)
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["ingest", "m.csv", "-o", "trace", "--no-progress"])
    assert result.exit_code == 0, result.output
    key = project / ".undertow" / "key"
    assert "created a new project key at" in result.output and str(key) in result.output
    return project / "trace", key


def test_wrong_key_exits_2_naming_both_fingerprints(
    ingested: tuple[Path, Path], tmp_path: Path
) -> None:
    trace, key = ingested
    other = resolve_key(tmp_path / "other" / "key", create=True)
    for command in (["analyze", str(trace), "-o", str(tmp_path / "out")], ["info", str(trace)]):
        result = runner.invoke(app, [*command, "--key-file", str(other.path)])
        assert result.exit_code == 2, result.output
        assert other.fingerprint in result.output
        assert fingerprint(key.read_bytes()) in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_right_key_from_another_folder_works(
    ingested: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace, key = ingested
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # No key in this folder: the trace cannot be read without one.
    result = runner.invoke(app, ["analyze", str(trace), "-o", str(elsewhere / "out"), "-q"])
    assert result.exit_code == 2 and "no project key found" in result.output
    result = runner.invoke(
        app, ["analyze", str(trace), "-o", str(elsewhere / "out"), "-q", "--key-file", str(key)]
    )
    assert result.exit_code == 0, result.output
    assert (elsewhere / "out" / "report.html").is_file()
    monkeypatch.setenv("UNDERTOW_KEY_FILE", str(key))
    result = runner.invoke(app, ["info", str(trace)])
    assert result.exit_code == 0 and "matches the project key" in result.output
    # The manifest's scrub counts are shown (the CSV's full name was replaced once).
    assert "Scrubbed text: replaced name 1" in result.output


def test_ingest_warns_about_another_key_in_the_lookup_order(
    ingested: tuple[Path, Path], tmp_path: Path
) -> None:
    _, key = ingested
    user = resolve_key(tmp_path / "config" / "undertow" / "key", create=True)
    result = runner.invoke(app, ["ingest", "m.csv", "-o", "trace2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "another key" in result.output and user.fingerprint in result.output
    manifest = json.loads(Path("trace2/manifest.json").read_text("utf-8"))
    assert manifest["key_fingerprint"] == fingerprint(key.read_bytes())


def test_corrupt_key_is_explained_and_rekey_replaces_it(ingested: tuple[Path, Path]) -> None:
    trace, key = ingested
    key.write_bytes(b"not a key")
    result = runner.invoke(app, ["info", str(trace)])
    assert result.exit_code == 2
    assert "corrupt" in result.output and "undertow rekey" in result.output
    result = runner.invoke(app, ["rekey", "--yes"])
    assert result.exit_code == 0, result.output
    assert "old key fingerprint: corrupt" in result.output
    assert len(key.read_bytes()) == 32


def test_readable_key_and_folder_are_made_private(ingested: tuple[Path, Path]) -> None:
    trace, key = ingested
    key.chmod(0o644)
    key.parent.chmod(0o777)
    result = runner.invoke(app, ["info", str(trace)])
    assert result.exit_code == 0, result.output
    assert "readable by other users" in result.output
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700
