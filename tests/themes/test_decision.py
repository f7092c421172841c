"""The decision layer: FDR control, exact intervals, severities and the checks on a decision."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.themes.decision import (
    THRESHOLDS,
    Decision,
    benjamini_hochberg,
    clopper_pearson_interval,
    permutation_p,
    severity_for,
    wald_p,
    wilson_interval,
)


def decision(estimate: float, low: float, high: float, *, n: int = 1000, **kw: object) -> Decision:
    return Decision(
        test="cluster_bootstrap",
        null="no difference",
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        p_value=0.001,
        n=n,
        unit="threads",
        **kw,  # type: ignore[arg-type]
    )


def test_benjamini_hochberg_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    p = np.r_[rng.uniform(size=40), rng.uniform(0, 0.01, size=10)]
    expected = multipletests(p, alpha=0.05, method="fdr_bh")[1]
    assert np.allclose(benjamini_hochberg(p.tolist()), expected)


def test_exact_intervals_match_the_references() -> None:
    for successes, total in ((0, 20), (20, 20), (3, 17), (50, 120)):
        low, high = proportion_confint(successes, total, method="beta")
        assert np.allclose(clopper_pearson_interval(successes, total), (low, high))
        low, high = proportion_confint(successes, total, method="wilson")
        assert np.allclose(wilson_interval(successes, total), (low, high))


def test_a_degenerate_share_gets_an_exact_interval_not_zero_width() -> None:
    estimate, low, high = bootstrap_ratio_ci([0] * 30, [1] * 30)
    assert (estimate, low) == (0.0, 0.0)
    assert high == pytest.approx(stats.beta.ppf(0.975, 1, 30))
    estimate, low, high = bootstrap_ratio_ci([4], [4])
    assert estimate == 1.0 and high == 1.0 and low < 1.0


def test_permutation_p_counts_the_observed_value() -> None:
    assert permutation_p(100.0, np.arange(99.0)) == pytest.approx(1 / 100)
    assert permutation_p(0.0, np.arange(99.0)) == 1.0
    assert math.isnan(permutation_p(1.0, []))


def test_wald_p_is_the_normal_test_with_the_interval_standard_error() -> None:
    se = 0.05
    p = wald_p(0.1, 0.1 - 1.959963984540054 * se, 0.1 + 1.959963984540054 * se)
    assert p == pytest.approx(2 * stats.norm.sf(2.0))
    assert math.isnan(wald_p(0.1, 0.1, 0.1))


def test_severity_follows_the_interval_against_the_practical_threshold() -> None:
    kind = "newcomers_ignored"
    threshold = THRESHOLDS[kind]
    beyond_large = decision(threshold.large + 0.1, threshold.large + 0.01, 0.9)
    assert severity_for(kind, beyond_large) == "severe"
    large_point = decision(threshold.large + 0.01, threshold.practical + 0.01, 0.9)
    assert severity_for(kind, large_point) == "moderate"
    practical = decision(threshold.practical + 0.02, threshold.practical + 0.01, 0.9)
    assert severity_for(kind, practical) == "low"
    reaching_back = decision(threshold.large + 0.05, 0.0, 0.9)
    assert severity_for(kind, reaching_back) == "info"
    # Kinds that cannot show harm by design stay descriptive.
    assert severity_for("uptake_gap", beyond_large) == "info"
    # A drop is oriented by ``concern``.
    drop = decision(-0.6, -0.8, -0.55)
    assert severity_for("chilling_leader", drop, concern=-1.0) == "severe"
    assert severity_for("chilling_leader", drop) == "info"


def test_minimum_information_keeps_small_groups_at_info() -> None:
    threshold = THRESHOLDS["chilling_leader"]
    big = decision(-0.6, -0.8, -0.55, n=200, n_smallest=threshold.min_group - 1)
    assert severity_for("chilling_leader", big, concern=-1.0) == "info"
    few = decision(-0.6, -0.8, -0.55, n=threshold.min_n - 1)
    assert severity_for("chilling_leader", few, concern=-1.0) == "info"


def test_a_decision_refuses_an_estimate_outside_its_interval_or_a_missing_p() -> None:
    with pytest.raises(ValueError, match="outside its interval"):
        decision(0.154, 0.155, 0.459)
    with pytest.raises(ValueError, match="needs a p-value"):
        Decision(
            test="permutation",
            null="x",
            estimate=0.0,
            ci_low=0.0,
            ci_high=0.0,
            p_value=None,
            n=1,
            unit="people",
        )


def test_every_threshold_states_its_rationale() -> None:
    for kind, threshold in THRESHOLDS.items():
        assert 0 < threshold.practical < threshold.large, kind
        assert threshold.min_n >= threshold.min_group >= 1, kind
        assert len(threshold.rationale) > 40, kind


def test_the_documented_thresholds_are_the_ones_in_force() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "decisions.md").read_text("utf-8")
    for kind, threshold in THRESHOLDS.items():
        row = (
            f"| `{kind}` | {threshold.scale} | {threshold.practical:.3g} | {threshold.large:.3g} "
            f"| {threshold.min_n} | {threshold.min_group} | {threshold.ceiling} |"
        )
        assert row in text, f"docs/decisions.md does not state the {kind} threshold"
