"""Tests for T6: newcomer reception, retention, core-periphery, trajectories, gatekeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from _power import FakeResults
from lifelines import KaplanMeierFitter

from undertow.diagnosis.findings import control_fdr
from undertow.model.trace import Trace
from undertow.simulate import simulate
from undertow.testing import make_trace
from undertow.themes.decision import THRESHOLDS
from undertow.themes.novices_masters.core_periphery import trajectories, trajectory_summary
from undertow.themes.novices_masters.findings import (
    gatekeeping_findings,
    newcomers_ignored_findings,
)
from undertow.themes.novices_masters.gatekeeping import gatekeepers, gatekeeping
from undertow.themes.novices_masters.reception import (
    newcomer_reception,
    newcomer_table,
    return_by_reception,
)
from undertow.themes.novices_masters.retention import (
    _kaplan_meier,
    retention_by_reception,
    retention_cox,
)
from undertow.themes.novices_masters.who_teaches import who_teaches

START = datetime(2021, 1, 4, tzinfo=UTC)
DAY = timedelta(days=1)


def _reception_trace(n_replied: int = 12, n_ignored: int = 8) -> Trace:
    """Newcomers ask once; replied ones come back in a new thread 30 days later, ignored don't.

    A filler keeps writing for two years so that everyone has a full follow-up.
    """
    rows: list[dict[str, Any]] = []
    for k in range(0, 730, 20):
        rows.append({"message_id": f"f{k}", "author_id": "filler", "created_at": START + k * DAY})
    for i in range(n_replied + n_ignored):
        asked = START + (10 + i) * DAY
        rows.append({"message_id": f"q{i}", "author_id": f"n{i:02d}", "created_at": asked})
        if i < n_replied:
            rows.append(
                {
                    "message_id": f"a{i}",
                    "author_id": "mentor",
                    "parent_id": f"q{i}",
                    "created_at": asked + timedelta(hours=3),
                    "text": "Great question, thanks! Happy to help.",
                }
            )
            rows.append(
                {
                    "message_id": f"back{i}",
                    "author_id": f"n{i:02d}",
                    "created_at": asked + 30 * DAY,
                }
            )
    return make_trace(rows)


def test_newcomer_table_and_reception_shares() -> None:
    trace = _reception_trace()
    table = newcomer_table(trace)
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert rows["n00"]["replied"] is True and rows["n00"]["latency_hours"] == 3.0
    assert rows["n00"]["replier_id"] == "mentor" and rows["n00"]["reply_tone"] == "warm"
    assert rows["n00"]["returned"] is True and rows["n19"]["returned"] is False
    assert rows["n19"]["replied"] is False and rows["n19"]["left"] is True
    summary = {(r["measure"], r["group"]): r for r in newcomer_reception(trace).to_pylist()}
    # 12 of 20 newcomers plus the mentor (whose first message is a reply nobody answered)
    # and the filler: 12 replied of 22 people.
    assert summary[("replied_share", "all")]["n"] == 22
    assert summary[("replied_share", "all")]["value"] == pytest.approx(12 / 22)
    assert summary[("latency_hours_median", "replied")]["value"] == 3.0
    assert summary[("warm_reply_share", "replied")]["value"] == 1.0
    assert summary[("warm_reply_share", "replied")]["tone_source"] == "vader"


def test_return_by_reception_and_newcomers_ignored_finding() -> None:
    trace = _reception_trace()
    table = return_by_reception(trace).to_pylist()
    rows = {r["group"]: r for r in table if r["measure"] == "new_thread"}
    again = {r["group"]: r for r in table if r["measure"] == "any_message"}
    assert again["replied"]["return_rate"] == 1.0
    assert rows["replied"]["return_rate"] == 1.0 and rows["replied"]["n"] == 12
    # The filler and the mentor were not answered either, and both wrote again.
    assert rows["ignored"]["return_rate"] == pytest.approx(2 / 10)
    assert rows["difference"]["return_rate"] == pytest.approx(0.8)
    assert rows["difference"]["return_rate_lo"] > 0.4
    findings = newcomers_ignored_findings(FakeResults(trace))
    assert [f.kind for f in findings] == ["newcomers_ignored"]
    # 22 newcomers: below the minimum information, so descriptive however large the gap.
    assert findings[0].decision is not None and findings[0].decision.ci_low > 0
    assert findings[0].n < THRESHOLDS["newcomers_ignored"].min_n
    assert findings[0].severity == "info"
    assert findings[0].direction == "limits"


def test_no_newcomers_ignored_finding_when_everyone_is_answered() -> None:
    trace = _reception_trace(n_replied=20, n_ignored=0)
    assert newcomers_ignored_findings(FakeResults(trace)) == []


def test_kaplan_meier_matches_lifelines() -> None:
    rng = np.random.default_rng(0)
    durations = rng.exponential(100, 300).round()
    events = rng.random(300) < 0.7
    times = np.array([0.0, 7, 30, 90, 180, 365])
    survival, low, high, _ = _kaplan_meier(durations, events, times)
    fitter = KaplanMeierFitter().fit(durations, events)
    np.testing.assert_allclose(survival, fitter.survival_function_at_times(times).to_numpy())
    band = fitter.confidence_interval_survival_function_
    rows = [band.index[band.index <= t].max() for t in times]
    np.testing.assert_allclose(low, band.loc[rows].iloc[:, 0].to_numpy())
    np.testing.assert_allclose(high, band.loc[rows].iloc[:, 1].to_numpy())


def test_retention_curves_and_cox_model() -> None:
    trace = _reception_trace()
    curves = retention_by_reception(trace)
    week = {r["group"]: r["survival"] for r in curves.to_pylist() if r["t_days"] == 7}
    quarter = {r["group"]: r["survival"] for r in curves.to_pylist() if r["t_days"] == 90}
    # Ignored newcomers never wrote again (they left at day 0); the filler and the mentor
    # stay. Replied newcomers wrote once more, 30 days later, then left.
    assert week["replied"] == 1.0 and week["ignored"] == pytest.approx(0.2)
    assert quarter["replied"] == 0.0
    with pytest.raises(Exception, match="too few"):
        retention_cox(trace)
    result = simulate("gatekeeping", seed=2)
    cox = {r["covariate"]: r for r in retention_cox(result.trace()).to_pylist()}
    assert set(cox) >= {"replied", "thread_start", "join_year"}
    assert all(
        r["hazard_ratio_lo"] <= r["hazard_ratio"] <= r["hazard_ratio_hi"] for r in cox.values()
    )


def _trajectory_trace() -> Trace:
    """Quarter 1: a core of c0..c4 talks densely, x and p0..p5 sit at the edge.

    Quarter 2: x joins the core talk. Quarters 3 and 4: c0 is silent, the others go on.
    """
    rows: list[dict[str, Any]] = []
    counter = 0

    def talk(a: str, b: str, when: datetime) -> None:
        nonlocal counter
        rows.append({"message_id": f"m{counter}", "author_id": a, "created_at": when})
        rows.append(
            {
                "message_id": f"m{counter}r",
                "author_id": b,
                "parent_id": f"m{counter}",
                "created_at": when + timedelta(hours=1),
            }
        )
        counter += 1

    quarters = [START, START + 91 * DAY, START + 182 * DAY, START + 273 * DAY]
    for q, begin in enumerate(quarters):
        core = [f"c{i}" for i in range(5) if not (q >= 2 and i == 0)]
        if q >= 1:
            core.append("x")
        for i, a in enumerate(core):
            for b in core[i + 1 :]:
                talk(a, b, begin + DAY)
        edge = [f"p{i}" for i in range(6)] + ([] if q >= 1 else ["x"])
        for j, p in enumerate(edge):
            talk(p, core[j % len(core)], begin + 2 * DAY)
    return make_trace(rows)


def test_trajectories_follow_the_planted_paths() -> None:
    paths = {r["person_id"]: r for r in trajectories(_trajectory_trace()).to_pylist()}
    assert paths["x"]["trajectory"] == "inbound"
    assert paths["x"]["days_to_core"] == pytest.approx(90.0)
    assert paths["c1"]["trajectory"] == "insider"
    assert paths["c0"]["trajectory"] == "outbound"
    assert paths["p0"]["trajectory"] == "peripheral"
    assert paths["p0"]["long_tenured_peripheral"] is True  # four quarters, never core
    summary = {r["trajectory"]: r for r in trajectory_summary(_trajectory_trace()).to_pylist()}
    assert summary["inbound"]["n_people"] == 1
    assert summary["peripheral"]["n_people"] == 6


def test_who_teaches_splits_replies_by_core_and_role() -> None:
    rows = {r["group"]: r for r in who_teaches(_reception_trace()).to_pylist()}
    assert rows["no_formal_role"]["share"] == 1.0
    assert rows["core"]["share"] + rows["periphery"]["share"] == pytest.approx(1.0)
    assert rows["core"]["n"] == 12


@pytest.fixture(scope="module")
def gatekeeping_world() -> tuple[Trace, list[str]]:
    result = simulate("gatekeeping", seed=1)
    planted = [p for p in result.truth["planted"] if p["kind"] == "gatekeeping"]
    return result.trace(), sorted(planted[0]["subjects"])


def test_planted_gatekeepers_are_recovered(gatekeeping_world: tuple[Trace, list[str]]) -> None:
    trace, planted = gatekeeping_world
    comparison = {r["outcome"]: r for r in gatekeeping(trace).to_pylist()}
    assert comparison["hostile_reply"]["odds_ratio_lo"] > 1.5
    raised, _ = control_fdr(gatekeeping_findings(FakeResults(trace)))
    findings = [f for f in raised if f.subjects]
    assert sorted(s for f in findings for s in f.subjects) == planted
    assert any(f.severity == "severe" for f in findings)
    table = gatekeepers(trace)
    assert set(planted) <= set(table["person_id"].to_pylist())


def test_healthy_community_has_no_gatekeeping_or_severe_findings() -> None:
    trace = simulate("healthy", seed=1).trace()
    results = FakeResults(trace)
    gatekeeping_found, _ = control_fdr(gatekeeping_findings(results))
    assert all(not f.subjects for f in gatekeeping_found)
    assert all(
        f.severity != "severe" for f in gatekeeping_found + newcomers_ignored_findings(results)
    )


def test_path_to_formal_role_and_reception_by_replier_role() -> None:
    from undertow.themes.novices_masters.formal_paths import path_to_formal_role
    from undertow.themes.novices_masters.reception import reception_by_replier_role

    rows: list[dict[str, Any]] = [
        {"message_id": "q0", "author_id": "newbie", "created_at": START},
        {"message_id": "a0", "author_id": "chief", "parent_id": "q0", "created_at": START + DAY},
        {"message_id": "q1", "author_id": "other", "created_at": START + 2 * DAY},
        {
            "message_id": "a1",
            "author_id": "newbie",
            "parent_id": "q1",
            "created_at": START + 3 * DAY,
        },
        {"message_id": "z", "author_id": "newbie", "created_at": START + 400 * DAY},
    ]
    roles = [
        {"person_id": "chief", "role": "lead", "rank": 3, "valid_from": START - DAY},
        {"person_id": "newbie", "role": "maintainer", "rank": 2, "valid_from": START + 100 * DAY},
        {"person_id": "other", "role": "member", "rank": 0, "valid_from": START + 50 * DAY},
    ]
    trace = make_trace(rows, roles=roles)
    paths = path_to_formal_role(trace).to_pylist()
    # chief held the role when the roster began (left-censored); member is rank 0.
    assert [(p["person_id"], p["role"], p["days_to_role"]) for p in paths] == [
        ("newbie", "maintainer", 100.0)
    ]
    by_role = {r["replier_role"]: r for r in reception_by_replier_role(trace).to_pylist()}
    assert by_role["lead"]["n"] == 1 and by_role["lead"]["latency_hours_median"] == 24.0
    assert by_role["none"]["n"] == 1  # newbie answered before the appointment
