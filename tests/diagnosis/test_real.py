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


def test_mailing_list_driver_author_is_a_tested_dominant_actor(
    shared_data: Path, tmp_path: Path
) -> None:
    """The uvcvideo author receives about 22% of 4,677 replies, 6x the next person."""
    source = shared_data / "mailinglist-linux-uvc-devel" / "mbox"
    if not source.is_dir():
        pytest.skip(f"{source} not found")
    trace = tmp_path / "trace"
    ingest_paths([source], trace, fmt="mbox")
    diagnosis = analyze(trace, progress=False)
    capture = diagnosis.get("reply_capture")
    assert capture is not None
    ranked = sorted(capture.to_pylist(), key=lambda r: r["rank"])
    top, second = ranked[0], ranked[1]
    assert 0.19 < top["reply_share"] < 0.25 and 4_400 < top["n"] < 4_900
    assert top["replies_received"] > 4 * second["replies_received"]
    found = [f for f in diagnosis.findings if f.kind == "dominant_actor"]
    assert [f.subjects for f in found] == [(top["person_id"],)]
    finding = found[0]
    decision = finding.decision
    assert decision is not None and decision.q_value is not None and decision.q_value <= 0.05
    assert decision.ci_low <= decision.estimate <= decision.ci_high
    assert decision.ci_low > 0.1, "the excess over the next recipients is large"
    assert finding.severity in ("moderate", "severe") and finding.direction == "limits"
