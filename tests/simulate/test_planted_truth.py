"""Planted truth, fast subset: the diagnosis finds what the simulator planted.

Three seeds per scenario (the benchmark ``bench/planted_truth.py`` runs twenty). A
planted pathology counts as recovered when a finding has its kind, direction
``limits``, a planted pseudonym among its subjects and (for dated kinds) a date within
two weeks. With a 90% recovery rate, at least two of three seeds succeed with
probability 0.97, so that is what each test asks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from undertow.diagnosis import analyze
from undertow.simulate import MECHANISMS, simulate
from undertow.simulate.recovery import explain_miss, recovered
from undertow.themes.registry import Finding

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)


@cache
def diagnosed(scenario: str, seed: int) -> tuple[list[dict[str, Any]], list[Finding]]:
    result = simulate(scenario, seed)
    diagnosis = analyze(result.trace(), seed=seed, progress=False)
    assert not diagnosis.failed, [run.spec.name for run in diagnosis.failed]
    return result.truth["planted"], diagnosis.findings


@pytest.mark.parametrize("scenario", MECHANISMS)
def test_planted_pathology_is_recovered(scenario: str) -> None:
    planted = diagnosed(scenario, SEEDS[0])[0]
    assert planted
    for index, entry in enumerate(planted):
        hits, misses = 0, []
        for seed in SEEDS:
            seed_planted, findings = diagnosed(scenario, seed)
            if recovered([seed_planted[index]], findings)[0]:
                hits += 1
            else:
                misses.append(f"seed {seed}: {explain_miss(seed_planted[index], findings)}")
        assert hits >= 2, f"{scenario}/{entry['kind']}: {hits}/3; " + " | ".join(misses)


def test_healthy_baseline_raises_no_severe_finding() -> None:
    severe_runs = []
    for seed in SEEDS:
        severe = [
            f"{f.theme}/{f.kind}" for f in diagnosed("healthy", seed)[1] if f.severity == "severe"
        ]
        if severe:
            severe_runs.append(f"seed {seed}: {', '.join(severe)}")
    assert len(severe_runs) <= 1, severe_runs


def test_a_moderate_dominant_actor_is_recovered_without_a_share_cut_off() -> None:
    """At strength 0.6 the steward receives about 20% of replies: tested, not cut off."""
    hits = 0
    for seed in SEEDS:
        result = simulate("dominant_actor", seed, strength=0.6)
        findings = analyze(result.trace(), seed=seed, progress=False).findings
        found = [f for f in findings if f.kind == "dominant_actor"]
        assert all(
            f.decision is not None and f.q_value is not None and f.q_value <= 0.05 for f in found
        )
        hits += recovered(result.truth["planted"], findings)[0]
    assert hits >= 2


def test_healthy_baseline_raises_nothing_above_info_that_was_not_planted() -> None:
    flagged = [
        f"seed {seed}: {f.kind} ({f.severity})"
        for seed in SEEDS
        for f in diagnosed("healthy", seed)[1]
        if f.severity != "info"
    ]
    assert len(flagged) <= 1, flagged
