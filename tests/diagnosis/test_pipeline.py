"""The diagnosis pipeline: outputs, skips, failures, determinism, privacy and the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import undertow
from undertow.cli import app
from undertow.diagnosis import OutputAuditError, analyze
from undertow.errors import InputError
from undertow.identity.audit import audit_table
from undertow.identity.keys import load_or_create_key
from undertow.model.trace import Trace
from undertow.model.writer import write_trace
from undertow.testing import make_trace
from undertow.themes.registry import REGISTRY, metric

pytestmark = pytest.mark.usefixtures("example_registry")

FINDING_FIELDS = {
    "theme",
    "kind",
    "title",
    "statement",
    "severity",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "null_model",
    "caveat",
    "evidence",
    "subjects",
    "at",
    "direction",
}


def community() -> Trace:
    """Authors a00–a11, b00–b05 and c00–c01: groups of 12, 6 and 2 people."""
    authors = [f"a{i:02d}" for i in range(12)] + [f"b{i:02d}" for i in range(6)] + ["c00", "c01"]
    messages = []
    for i, author in enumerate(authors * 3):
        thread = f"t{i % 15:02d}"
        row = {"message_id": f"m{i:03d}", "author_id": author, "created_at": i}
        if i >= 15:
            row["parent_id"] = thread.replace("t", "m0")
            row["thread_id"] = thread.replace("t", "m0")
        messages.append(row)
    for row in messages[:15]:
        row["message_id"] = row["message_id"]
    return make_trace(messages)


def test_outputs_follow_the_documented_layout(tmp_path: Path) -> None:
    diagnosis = analyze(community(), tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".undertow",
        "findings.json",
        "metrics",
        "notes.json",
        "report.html",
        "run.json",
        "skipped.json",
    ]
    assert (tmp_path / "metrics" / "dominance" / "example_lorenz.parquet").is_file()
    assert (tmp_path / "metrics" / "leadership" / "example_groups.parquet").is_file()
    skipped = json.loads((tmp_path / "skipped.json").read_text("utf-8"))
    by_metric = {row["metric"]: row for row in skipped}
    assert by_metric["example_needs_documents"]["reason"] == "the trace has no documents"
    assert by_metric["example_skips"]["reason"] == "the example never has enough data"
    assert by_metric["example_fails"]["status"] == "failed"
    assert by_metric["example_fails"]["error_type"] == "ZeroDivisionError"
    assert {row["theme"] for row in skipped} == {"divergence", "timing", "emotion_work"}
    assert not diagnosis.ok
    run = json.loads((tmp_path / "run.json").read_text("utf-8"))
    assert run["k"] == 5 and run["seed"] == 0 and run["engine"] == "duckdb"
    assert run["markers"]["name"] and len(run["markers"]["sha256"]) == 64
    assert run["metrics"]["example_lorenz"]["status"] == "ok"
    assert run["metrics"]["example_lorenz"]["seconds"] >= 0


def test_findings_are_ranked_with_every_field(tmp_path: Path) -> None:
    analyze(community(), tmp_path, progress=False)
    findings = json.loads((tmp_path / "findings.json").read_text("utf-8"))
    assert [f["kind"] for f in findings] == ["dominant_actor", "weak_example"]
    for finding in findings:
        assert set(finding) >= FINDING_FIELDS
    assert findings[0]["subjects"] == ["a00"]
    # effect 1.0 × confidence 1 - q, q = 0.001 × 2 / 1 (Benjamini-Hochberg over two tests)
    assert findings[0]["rank_score"] == pytest.approx(0.998)
    assert findings[0]["test"]["q_value"] == pytest.approx(0.002)
    assert findings[0]["test"]["family_size"] == 2


def test_two_runs_are_byte_identical_except_run_timings(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    analyze(community(), first, progress=False, seed=3)
    analyze(community(), second, progress=False, seed=3)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        if name == Path("run.json"):
            continue
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    one = json.loads((first / "run.json").read_text("utf-8"))
    two = json.loads((second / "run.json").read_text("utf-8"))
    for record in (one, two):
        record.pop("seconds")
        for entry in record["metrics"].values():
            entry.pop("seconds")
    assert one == two


def test_small_groups_are_suppressed_with_a_complement(tmp_path: Path) -> None:
    analyze(community(), tmp_path, progress=False)
    table = pq.read_table(tmp_path / "metrics" / "leadership" / "example_groups.parquet")
    rows = {row["group"]: row for row in table.to_pylist()}
    assert rows["c"]["suppressed"] and rows["c"]["rate"] is None and rows["c"]["n_people"] is None
    # Secondary suppression: the smallest visible group hides with it.
    assert rows["b"]["suppressed"] and rows["b"]["rate"] is None
    assert not rows["a"]["suppressed"] and rows["a"]["n_people"] == 12


def test_k_below_five_needs_the_flag_and_stamps_the_report(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="allow_small_k"):
        analyze(community(), tmp_path, k=2, progress=False)
    analyze(community(), tmp_path, k=2, allow_small_k=True, progress=False)
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "Small-cell threshold lowered to k = 2" in html
    table = pq.read_table(tmp_path / "metrics" / "leadership" / "example_groups.parquet")
    assert not any(table.column("suppressed").to_pylist())


def test_a_failing_metric_does_not_sink_the_run() -> None:
    diagnosis = analyze(community(), progress=False)
    assert [run.spec.name for run in diagnosis.failed] == ["example_fails"]
    assert diagnosis.get("example_lorenz") is not None
    assert diagnosis.get("example_fails") is None


def _leaky(value: str) -> None:
    @metric(theme="knowledge", columns=["label", "n"], source="test")
    def leaky(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Leaks a raw identifier."""
        return pa.table({"label": [value], "n": pa.array([1], pa.int64())})


def test_audit_fails_the_run_on_a_planted_email(tmp_path: Path) -> None:
    analyze(community(), tmp_path, progress=False)
    assert (tmp_path / "report.html").is_file()
    _leaky("write to ann.lee@example.org")
    with pytest.raises(OutputAuditError, match="metrics/knowledge/leaky.parquet"):
        analyze(community(), tmp_path, progress=False)
    # Nothing that looks like a result is left behind, not even the previous run's.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".undertow", "AUDIT-FAILED.json"]
    record = json.loads((tmp_path / "AUDIT-FAILED.json").read_text("utf-8"))
    assert {"path": "metrics/knowledge/leaky.parquet", "kind": "email", "count": 1} in record
    assert "example.org" not in (tmp_path / "AUDIT-FAILED.json").read_text("utf-8")


def test_audit_catches_a_raw_name_through_the_keyed_digests(tmp_path: Path) -> None:
    folder = tmp_path / "trace"
    source = community()
    tables = {name: source.arrow(name) for name in ("messages", "people")}
    write_trace(folder, tables)
    key = load_or_create_key()
    pq.write_table(
        audit_table(["zebulon quirkfeather", "pemberton", "zquirk"], key), folder / "audit.parquet"
    )
    analyze(folder, tmp_path / "clean", progress=False)
    _leaky("thanks to Zebulon Quirkfeather")
    # The report cites Pemberton et al. (2007): a word of the package's own text is not
    # a leak (the clean run above passed), a name from the data is.
    with pytest.raises(OutputAuditError, match="identifier"):
        analyze(folder, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "report.html").exists()


def test_audit_catches_identifiers_passed_by_the_caller(tmp_path: Path) -> None:
    with pytest.raises(OutputAuditError):
        analyze(community(), tmp_path, progress=False, identifiers=["One voice dominates"])


def test_public_api_is_exported() -> None:
    assert undertow.analyze is analyze
    assert "analyze" in undertow.__all__


def test_cli_writes_the_report_and_exits_one_on_a_failed_metric(tmp_path: Path) -> None:
    folder = tmp_path / "trace"
    source = community()
    write_trace(folder, {name: source.arrow(name) for name in ("messages", "people")})
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", str(folder), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1, result.output
    assert "example_fails" in result.output
    assert (tmp_path / "out" / "report.html").is_file()
    del REGISTRY["example_fails"]
    result = runner.invoke(app, ["analyze", str(folder), "-o", str(tmp_path / "ok"), "-q"])
    assert result.exit_code == 0, result.output
    written = sum(1 for p in (tmp_path / "ok").rglob("*") if p.is_file() and p.name != ".undertow")
    assert f"0 e-mail patterns or raw identifiers in {written} files" in result.output
    result = runner.invoke(app, ["analyze", str(folder), "-o", str(tmp_path / "k"), "--k", "3"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["analyze", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2


def test_a_unit_named_after_a_person_is_a_leak(tmp_path: Path) -> None:
    # Ingest scrubs unit names like any text, so a digested identifier among them is a
    # leak: the audit gives role, unit and space names no pass.
    folder = tmp_path / "trace"
    source = community()
    roles = pa.table(
        {
            "person_id": ["a00"],
            "role": ["maintainer"],
            "rank": pa.array([1], pa.int32()),
            "unit": ["quirkcorp"],
            "valid_from": pa.array([None], pa.timestamp("us", tz="UTC")),
            "valid_to": pa.array([None], pa.timestamp("us", tz="UTC")),
            "source_ref": pa.array([None], pa.string()),
        }
    )
    tables = {name: source.arrow(name) for name in ("messages", "people")}
    write_trace(folder, {**tables, "roles": roles})
    pq.write_table(audit_table(["quirkcorp"], load_or_create_key()), folder / "audit.parquet")
    _leaky("unit quirkcorp")
    with pytest.raises(OutputAuditError, match="identifier"):
        analyze(folder, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "report.html").exists()
