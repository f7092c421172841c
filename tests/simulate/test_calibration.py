"""A fast subset of the calibration benchmark (``bench/calibration.py`` runs the whole)."""

from __future__ import annotations

from undertow.simulate.calibration import (
    CALIBRATION_FIRST_SEED,
    DEVELOPMENT_SEEDS,
    SHAPES,
    healthy_run,
    power_run,
    summary,
    timing_run,
)


def test_calibration_seeds_are_disjoint_from_development_seeds() -> None:
    assert DEVELOPMENT_SEEDS.stop <= CALIBRATION_FIRST_SEED
    assert len(SHAPES) >= 5


def test_fast_calibration_subset() -> None:
    # Development seeds: tests never run on the calibration seeds they would tune.
    seed = DEVELOPMENT_SEEDS.start + 200
    healthy = healthy_run("baseline", seed)
    assert healthy["severe"] == [], healthy["severe"]
    assert healthy["timing_tests"] >= 5
    assert all(0.0 <= p <= 1.0 for p in healthy["timing_p"])
    timing = timing_run("large", seed + 1)
    assert timing["timing_tests"] >= 5 and not timing["timing_reject"]
    short = timing_run("short", seed + 2)
    assert short["timing_tests"] == 0, "180 days leave too few placebo dates to test"
    planted = power_run("late_manager", 1.0, seed + 3)
    assert planted["recovered"] == {"centralising_leader": True, "formalisation_shock": True}
    report = summary([healthy], [timing, short], [planted], seeds="test")
    assert "| late_manager | formalisation_shock |" in report
    assert "| baseline | 1 |" in report


def test_healthy_development_seeds_raise_nothing_moderate_and_a_plant_is_recovered() -> None:
    for seed in (DEVELOPMENT_SEEDS.start + 210, DEVELOPMENT_SEEDS.start + 211):
        healthy = healthy_run("baseline", seed)
        assert healthy["moderate"] == [], (seed, healthy["moderate"])
    planted = power_run("divergence", 1.0, DEVELOPMENT_SEEDS.start + 212)
    assert planted["recovered"] == {"practice_divergence": True}, planted
    weak = power_run("divergence", 0.6, DEVELOPMENT_SEEDS.start + 213)
    assert weak["recovered"] == {"practice_divergence": True}, weak
