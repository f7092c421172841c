"""Negative controls on a real archive: placebo rosters and a truncated trace raise nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from undertow.cli.ingest import ingest_paths
from undertow.diagnosis import analyze
from undertow.model.trace import Trace
from undertow.testing import placebo_roster, truncated_trace

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

SERIOUS = ("moderate", "severe")


@pytest.fixture(scope="module")
def uvc(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Trace:
    source = shared_data / "mailinglist-linux-uvc-devel" / "mbox"
    if not source.is_dir():
        pytest.skip(f"{source} not found")
    folder = tmp_path_factory.mktemp("uvc")
    ingest_paths([source], folder / "trace", fmt="mbox", key_file=folder / "key")
    return Trace.open(folder / "trace")


def _key(trace: Trace) -> Path:
    """The key the fixture's ingest made (the analysis checks the trace's key)."""
    assert trace.path is not None
    return trace.path.parent / "key"


def test_the_spam_tail_is_outside_the_coverage_window(uvc: Trace) -> None:
    coverage = uvc.observation.coverage
    assert str(coverage["right_censored_at"]).startswith("2011-12")
    assert coverage["tail_after"] == 22


def test_placebo_rosters_raise_no_leadership_or_timing_finding(uvc: Trace) -> None:
    draws, key = 20, _key(uvc)
    flagged = []
    for seed in range(draws):
        diagnosis = analyze(placebo_roster(uvc, seed=seed), progress=False, key_file=key)
        serious = [
            f.kind
            for f in diagnosis.findings
            if f.severity in SERIOUS and f.theme in ("leadership", "timing")
        ]
        if serious:
            flagged.append((seed, serious))
    assert len(flagged) <= draws * 0.05, flagged


def test_a_truncated_trace_reads_no_decline_into_the_cut(uvc: Trace) -> None:
    cut = datetime(2009, 6, 15, tzinfo=UTC)
    diagnosis = analyze(truncated_trace(uvc, cut), progress=False, key_file=_key(uvc))
    near = [
        (f.kind, f.at)
        for f in diagnosis.findings
        if f.severity in SERIOUS
        and f.theme in ("timing", "novices_masters")
        and (
            f.at is None
            or abs((datetime.fromisoformat(f.at[:10]).replace(tzinfo=UTC) - cut).days) <= 120
        )
    ]
    assert near == []
    stages = [f for f in diagnosis.notes if f.kind == "development_phase"]
    assert all("transformation" not in f.statement for f in stages)
