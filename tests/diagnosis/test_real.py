"""The whole diagnosis on a real community: audited, complete, and byte-identical twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from undertow.cli.ingest import ingest_paths
from undertow.diagnosis import analyze

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


def test_irc_log_diagnosis_is_deterministic(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "irc-duraspace" / "events.tsv.gz"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    trace = tmp_path / "trace"
    ingest_paths([source], trace, fmt="irc")
    first = analyze(trace, tmp_path / "one", progress=False)
    analyze(trace, tmp_path / "two", progress=False)
    assert first.ok, [run.reason for run in first.failed] + [f.message for f in first.rule_failures]
    assert len(first.computed) >= 10
    one, two = tmp_path / "one", tmp_path / "two"
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    different = [
        str(name)
        for name in files
        if name != Path("run.json") and (one / name).read_bytes() != (two / name).read_bytes()
    ]
    assert different == []
    findings = json.loads((one / "findings.json").read_text("utf-8"))
    assert all(f["theme"] and f["severity"] and f["n"] >= 0 for f in findings)
    assert (one / "report.html").stat().st_size < 2_000_000
