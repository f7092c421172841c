"""The contract every finding keeps, over every kind the registry raises.

Diagnoses the tiny trace, a healthy simulated community and one with every mechanism
planted (development seeds 5100-5101; calibration seeds are never used in tests) and
checks:

- every finding rests on a declared test: p, q (at most the run's FDR level), the
  family size, n and a finite 95% interval of positive width with
  ``lo <= estimate <= hi``;
- everything else a rule returned is a descriptive note (``info``, no test) and is
  kept out of the findings;
- no published table states an estimate with a zero-width interval, and every
  skipped metric says why.
"""

from __future__ import annotations

import math
import warnings

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.diagnosis import analyze
from undertow.diagnosis.findings import is_tested
from undertow.diagnosis.pipeline import withhold_degenerate
from undertow.diagnosis.results import Diagnosis
from undertow.simulate import simulate
from undertow.testing import tiny_trace
from undertow.themes.decision import FDR_LEVEL

EVERY_MECHANISM = "dominant_actor+late_manager+gatekeeping+emotion_collapse+divergence"


@pytest.fixture(scope="module")
def diagnoses() -> dict[str, Diagnosis]:
    warnings.simplefilter("ignore")
    return {
        "tiny": analyze(tiny_trace(), seed=1, progress=False),
        "healthy": analyze(simulate("healthy", 5101).trace(), seed=1, progress=False),
        "planted": analyze(
            simulate(EVERY_MECHANISM, 5100, strength=1.0).trace(), seed=1, progress=False
        ),
    }


def test_every_finding_carries_p_q_n_and_an_interval(diagnoses: dict[str, Diagnosis]) -> None:
    kinds: set[str] = set()
    for name, diagnosis in diagnoses.items():
        assert diagnosis.family is not None
        for finding in diagnosis.findings:
            where = f"{name}: {finding.kind}"
            decision = finding.decision
            assert decision is not None and is_tested(finding), where
            assert decision.p_value is not None and 0.0 <= decision.p_value <= 1.0, where
            assert decision.q_value is not None and decision.q_value <= FDR_LEVEL, where
            assert decision.family_size == diagnosis.family.size >= 1, where
            assert decision.n >= 1 and finding.n >= 1, where
            values = (decision.ci_low, decision.estimate, decision.ci_high)
            assert all(math.isfinite(v) for v in values), where
            assert decision.ci_low <= decision.estimate <= decision.ci_high, where
            assert decision.ci_low < decision.ci_high, f"{where}: zero-width interval"
            kinds.add(finding.kind)
    # Not vacuous: the planted community raises findings of several kinds.
    assert {"dominant_actor", "gatekeeping", "emotion_work_concentrated"} <= kinds, kinds


def test_descriptive_notes_are_not_findings(diagnoses: dict[str, Diagnosis]) -> None:
    for name, diagnosis in diagnoses.items():
        assert diagnosis.notes, f"{name}: the descriptive rules said nothing"
        for note in diagnosis.notes:
            assert note.severity == "info" and not is_tested(note), f"{name}: {note.kind}"
        noted = {id(note) for note in diagnosis.notes}
        assert not any(id(finding) in noted for finding in diagnosis.findings)


def test_no_table_states_an_estimate_on_a_zero_width_interval(
    diagnoses: dict[str, Diagnosis],
) -> None:
    for name, diagnosis in diagnoses.items():
        for run in diagnosis.computed:
            assert run.table is not None
            _, reason = withhold_degenerate(run.table)
            assert reason is None, f"{name}: {run.spec.name}: {reason}"
        for run in diagnosis.skipped:
            assert run.reason, f"{name}: {run.spec.name} skipped without a reason"


def test_a_degenerate_interval_is_withheld_with_its_reason() -> None:
    table = pa.table(
        {
            "n": [1, 30, 30],
            "rate": [1.0, 0.5, 0.0],
            "rate_lo": [1.0, 0.3, 0.0],
            "rate_hi": [1.0, 0.7, 0.12],
        }
    )
    published, reason = withhold_degenerate(table)
    assert published.column("rate").to_pylist() == [None, 0.5, 0.0]
    assert published.column("rate_lo").to_pylist() == [None, 0.3, 0.0]
    assert reason is not None and reason.startswith("rate: 1 of 3 rows withheld")
    assert pc.sum(published.column("n")).as_py() == 61
    assert withhold_degenerate(published)[1] is None
