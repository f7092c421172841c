"""S · The thread-level power → knowledge model and the synthesis finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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


def test_controls_are_pre_treatment_only() -> None:
    """Thread size is part of what happened in the thread: it is not a control."""
    rows = {r["term"]: r for r in power_knowledge_model(planted(True)).to_pylist()}
    controls = {t for t, r in rows.items() if r["role_in_model"] == "control"}
    assert controls == {"years", "starter_tenure", "starter_prior", "thread_kind"}
    assert "log_size" not in rows
    # Every thread here starts with a post: the kind cannot be a control.
    assert rows["thread_kind"]["note"].startswith("left out")


def test_features_include_the_starters_history() -> None:
    frame, _ = thread_power_features(tiny_trace())
    rows = frame.set_index("thread_id")
    assert (frame["starter_prior"] >= 0).all() and (frame["starter_tenure"] >= 0).all()
    # A newcomer's first thread: no earlier messages, no tenure.
    assert rows.loc["q1", "starter_prior"] == 0.0 and rows.loc["q1", "starter_tenure"] == 0.0
    assert set(frame["thread_kind"]) <= {"post", "question", "patch", "reply", "unknown", "answer"}


def test_firth_logit_is_finite_under_separation_and_close_to_ml_with_many_events() -> None:
    import statsmodels.api as sm

    from undertow.themes.synthesis.power_model import firth_logit

    x = np.r_[np.ones(8), np.zeros(8)]
    y = np.r_[np.ones(8), np.zeros(4), np.ones(4)]
    beta, covariance = firth_logit(y, np.column_stack([np.ones(16), x]))
    assert np.all(np.isfinite(beta)) and np.all(np.isfinite(covariance))
    # Haldane's half counts: log(8.5 * 4.5 / (0.5 * 4.5)).
    assert beta[1] == pytest.approx(np.log(8.5 * 4.5 / (0.5 * 4.5)), rel=1e-6)
    rng = np.random.default_rng(3)
    design = np.column_stack([np.ones(4000), rng.normal(size=4000)])
    outcome = (rng.random(4000) < 1 / (1 + np.exp(-(0.3 + 0.8 * design[:, 1])))).astype(float)
    reference = sm.Logit(outcome, design).fit(disp=False).params
    assert firth_logit(outcome, design)[0] == pytest.approx(reference, abs=0.01)


def test_few_events_per_term_switch_to_firth() -> None:
    from undertow.themes.synthesis.power_model import MIN_EVENTS_PER_TERM

    trace = planted(True, n_threads=60)
    rows = power_knowledge_model(trace).to_pylist()
    events = min(rows[0]["outcome_rate"], 1 - rows[0]["outcome_rate"]) * rows[0]["n"]
    assert events / 4 < MIN_EVENTS_PER_TERM  # dominant, concentration, period, tenure/prior
    assert rows[0]["fit"].startswith("Firth")
    assert all(
        r["odds_ratio_lo"] <= r["odds_ratio"] <= r["odds_ratio_hi"] for r in rows if r["odds_ratio"]
    )
    big = power_knowledge_model(planted(True, n_threads=600)).to_pylist()
    assert big[0]["fit"].startswith("logit, cluster-robust")


def test_sensitivity_refits_without_each_control() -> None:
    from undertow.themes.synthesis.power_model import power_model_sensitivity

    trace = planted(True)
    table = power_model_sensitivity(trace).to_pylist()
    dominant = {r["specification"]: r for r in table if r["term"] == "dominant_present"}
    assert "all controls" in dominant and "no controls" in dominant
    assert any(spec.startswith("without ") for spec in dominant)
    model = {r["term"]: r for r in power_knowledge_model(trace).to_pylist()}
    assert dominant["all controls"]["odds_ratio"] == pytest.approx(
        model["dominant_present"]["odds_ratio"]
    )
    assert all(r["odds_ratio_hi"] < 1 for r in dominant.values())


def test_the_synthesis_speaks_of_an_association_not_an_effect() -> None:
    diagnosis = analyze(planted(True), progress=False)
    [finding] = power_limits_knowledge(diagnosis)
    assert finding.statement.startswith("Threads are resolved less often when")
    assert "This is an association, not an effect" in finding.statement
    assert "Power limits" not in finding.statement
    assert "specifications" in finding.statement


def test_the_report_opens_with_the_association_and_its_sensitivity_table() -> None:
    from undertow.report.render import render_report

    html = render_report(analyze(planted(True), progress=False))
    answer = html[html.index('<section id="answer"') : html.index('<section id="findings"')]
    assert "This is an association, not an effect" in answer
    assert '<table class="sensitivity">' in answer
    assert "no controls" in answer and "all controls" in answer


def test_the_methods_appendix_states_confounding_and_validity() -> None:
    from undertow.report.render import render_report

    html = render_report(analyze(planted(True), progress=False))
    methods = html[html.index('<section id="methods"') :]
    assert "<h3>Confounding</h3>" in methods and "not an effect" in methods
    assert "<code>power_limits_knowledge</code>" in methods


@pytest.mark.realdata
def test_real_mailing_list_synthesis_is_penalised_and_associational(
    shared_data: Path, tmp_path: Path
) -> None:
    from tests.ingest._adapters_a import run_adapter
    from undertow.ingest.mbox import ingest_mbox
    from undertow.themes.synthesis.power_model import power_model_sensitivity

    run_adapter(
        ingest_mbox,
        [shared_data / "mailinglist-linux-uvc-devel" / "mbox"],
        tmp_path / "trace",
        key_file=tmp_path / "key",
    )
    trace = Trace.open(tmp_path / "trace")
    rows = {r["term"]: r for r in power_knowledge_model(trace).to_pylist()}
    # 46 acknowledged threads for 8 coefficients: too few events for maximum likelihood.
    assert rows["concentration"]["n"] == 1539
    assert (
        rows["concentration"]["fit"]
        == "Firth penalised logit, cluster-robust SEs by starter (46 events for 8 terms)"
    )
    assert "log_size" not in rows and rows["thread_kind"]["note"].startswith("control")
    estimated = [r for r in rows.values() if r["odds_ratio"] is not None]
    assert all(r["odds_ratio_lo"] <= r["odds_ratio"] <= r["odds_ratio_hi"] for r in estimated)
    sensitivity = power_model_sensitivity(trace).to_pylist()
    specifications = {r["specification"] for r in sensitivity}
    assert {
        "all controls",
        "no controls",
        "without thread kind",
        "without period",
    } <= specifications


def test_firth_cluster_covariance_is_the_cluster_robust_sandwich() -> None:
    import statsmodels.api as sm

    from undertow.themes.synthesis.power_model import firth_cluster_covariance, firth_logit

    # 200 starters with 20 threads each; a starter-level covariate and a starter-level
    # shift of the outcome, so threads of one starter are correlated.
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(200), 20)
    x = rng.normal(size=200)[groups]
    shift = rng.normal(scale=1.0, size=200)[groups]
    y = (rng.random(groups.size) < 1 / (1 + np.exp(-(0.2 + 0.5 * x + shift)))).astype(float)
    design = np.column_stack([np.ones(groups.size), x])
    beta, model = firth_logit(y, design)
    robust = firth_cluster_covariance(y, design, beta, groups)
    reference = sm.Logit(y, design).fit(disp=False, cov_type="cluster", cov_kwds={"groups": groups})
    # With 4000 threads Firth's estimate and score are ML's to within its O(1/n) penalty.
    assert np.sqrt(np.diag(robust)) == pytest.approx(np.asarray(reference.bse), rel=0.02)
    # The model-based (independence) errors understate the uncertainty here.
    assert np.sqrt(robust[1, 1]) > 1.5 * np.sqrt(model[1, 1])


def test_too_few_starters_skip_with_a_reason() -> None:
    from undertow.themes.synthesis.power_model import MIN_CLUSTERS, TERMS, _fit

    frame = pd.DataFrame(
        {
            "starter_id": [f"s{i % (MIN_CLUSTERS - 1)}" for i in range(400)],
            "outcome": [i % 3 == 0 for i in range(400)],
            "dominant_present": [i % 2 == 0 for i in range(400)],
        }
    )
    with pytest.raises(MetricSkipped, match="too few clusters"):
        _fit(frame, [t for t in TERMS if t.name == "dominant_present"], [])
