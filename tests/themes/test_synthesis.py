"""S · The thread-level power → knowledge model and the synthesis finding."""

from __future__ import annotations

import numpy as np
import pytest

from undertow.diagnosis import analyze
from undertow.model.trace import Trace
from undertow.testing import make_trace, tiny_trace
from undertow.themes.registry import MetricSkipped
from undertow.themes.synthesis.answer import power_limits_knowledge
from undertow.themes.synthesis.power_model import power_knowledge_model, thread_power_features


def planted(effect: bool, *, seed: int = 0, n_threads: int = 240) -> Trace:
    """Threads answered by two people; the dominant ``boss`` answers half of them.

    With ``effect``, threads the boss answers are resolved 15% of the time and the
    others 70%; without it, both are resolved 45% of the time.
    """
    rng = np.random.default_rng(seed)
    helpers = [f"h{i:02d}" for i in range(12)]
    starters = [f"s{i:02d}" for i in range(60)]
    messages, outcomes, hour = [], [], 0
    for t in range(n_threads):
        thread = f"t{t:03d}"
        boss = t % 2 == 0
        repliers = ["boss", str(rng.choice(helpers))] if boss else list(rng.choice(helpers, 2))
        messages.append(
            {"message_id": thread, "author_id": str(rng.choice(starters)), "created_at": hour}
        )
        for j, person in enumerate(repliers):
            messages.append(
                {
                    "message_id": f"{thread}r{j}",
                    "author_id": person,
                    "parent_id": thread,
                    "created_at": hour + j + 1,
                }
            )
        rate = (0.15 if boss else 0.70) if effect else 0.45
        if rng.random() < rate:
            outcomes.append({"thread_id": thread, "kind": "resolved", "created_at": hour + 3})
        hour += 5
    return make_trace(messages, outcomes=outcomes)


def test_a_planted_limit_is_recovered() -> None:
    table = power_knowledge_model(planted(True))
    rows = {row["term"]: row for row in table.to_pylist()}
    dominant = rows["dominant_present"]
    assert dominant["odds_ratio_hi"] < 1
    assert dominant["odds_ratio"] == pytest.approx(0.08, abs=0.08)
    assert dominant["n"] == 240 and dominant["n_with"] == 120
    assert dominant["outcome"] == "resolved"
    assert rows["leader_present"]["note"] == "left out: the trace has no roles"
    assert rows["leader_present"]["odds_ratio"] is None


def test_the_synthesis_finding_names_the_limit() -> None:
    diagnosis = analyze(planted(True), progress=False)
    [finding] = power_limits_knowledge(diagnosis)
    assert finding.direction == "limits"
    assert finding.severity == "severe"
    assert "dominant actor" in finding.statement
    assert finding.ci_high is not None and finding.ci_high < 1
    assert finding.subjects == ("boss",)


def test_a_healthy_community_gets_no_severe_synthesis() -> None:
    for seed in range(3):
        diagnosis = analyze(planted(False, seed=seed), progress=False)
        findings = power_limits_knowledge(diagnosis)
        assert all(f.severity != "severe" for f in findings)


def test_too_few_threads_skip_with_a_reason() -> None:
    with pytest.raises(MetricSkipped, match="threads"):
        power_knowledge_model(tiny_trace())


def test_features_of_the_tiny_trace() -> None:
    frame, missing = thread_power_features(tiny_trace())
    rows = frame.set_index("thread_id")
    assert bool(rows.loc["q1", "leader_present"]) is True
    assert bool(rows.loc["q1", "newcomer_starter"]) is True
    assert rows.loc["q3", "n_replies"] == 2
    assert rows.loc["q3", "concentration"] == pytest.approx(5.0)  # 50% share, per 10 points
    assert "emergent_space" in missing


def test_without_outcomes_acknowledgements_are_the_outcome() -> None:
    trace = make_trace(
        [
            {"message_id": "q", "author_id": "a", "text": "How?"},
            {"message_id": "r", "author_id": "b", "parent_id": "q", "text": "Like this."},
            {"message_id": "t", "author_id": "a", "parent_id": "r", "text": "Thanks, that worked"},
        ]
    )
    frame, _ = thread_power_features(trace)
    assert frame.attrs["outcome"] == "acknowledged"
    assert frame["outcome"].tolist() == [True]


def test_empty_trace_gives_an_empty_table() -> None:
    assert power_knowledge_model(make_trace([])).num_rows == 0
