"""Tests for T1: weekly series, change points, stages, formalisation shock, cohorts, growth mode."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from _power import FakeResults

from undertow.model.trace import Trace
from undertow.testing import make_trace
from undertow.themes.timing.cohorts import cohorts, early_growth_mode, founders_advantage
from undertow.themes.timing.findings import (
    change_point_findings,
    formalisation_shock_findings,
    phase_findings,
)
from undertow.themes.timing.formalisation import formalisation_shock
from undertow.themes.timing.phases import (
    _stages,
    change_points,
    development_phases,
    pelt_change_points,
)
from undertow.themes.timing.weekly import weekly_activity, weekly_series

START = datetime(2021, 1, 4, tzinfo=UTC)  # a Monday


def _activity_trace(
    per_week: list[int],
    *,
    top_share: list[float] | None = None,
    roles: Sequence[dict[str, Any]] = (),
) -> Trace:
    """Each week, ``per_week[w]`` people each start a thread that a helper answers."""
    rows: list[dict[str, Any]] = []
    for week, count in enumerate(per_week):
        base = START + timedelta(weeks=week)
        for i in range(count):
            message = f"w{week}-{i}"
            rows.append(
                {
                    "message_id": message,
                    "author_id": f"u{i}",
                    "created_at": base + timedelta(hours=i),
                }
            )
            rows.append(
                {
                    "message_id": f"{message}r",
                    "author_id": "helper",
                    "parent_id": message,
                    "created_at": base + timedelta(hours=i, minutes=30),
                }
            )
        if top_share is not None:
            extra = int(round(top_share[week] * 40))
            for j in range(extra):
                rows.append(
                    {
                        "message_id": f"w{week}-boss{j}",
                        "author_id": "boss",
                        "created_at": base + timedelta(days=2, minutes=j),
                    }
                )
    return make_trace(rows, roles=list(roles))


def test_weekly_series_counts_and_fills_empty_weeks() -> None:
    trace = _activity_trace([3, 0, 2])
    series = weekly_series(trace)
    assert series.values["active_members"].tolist() == [4.0, 0.0, 3.0]
    assert series.values["messages"].tolist() == [6.0, 0.0, 4.0]
    assert series.values["newcomers"].tolist() == [4.0, 0.0, 0.0]
    assert series.values["reply_rate"][0] == 1.0 and np.isnan(series.values["reply_rate"][1])
    table = weekly_activity(trace)
    assert table.num_rows == 3 * 6
    active = table.filter(pa.compute.equal(table["series"], "active_members")).to_pylist()
    assert all(r["value_lo"] <= r["value"] <= r["value_hi"] for r in active)


def test_pelt_finds_activity_doubling_within_one_week() -> None:
    rng = np.random.default_rng(3)
    found = 0
    for _ in range(40):
        activity = np.r_[rng.poisson(15, 10), rng.poisson(30, 16)].astype(float)
        cuts = pelt_change_points(activity)
        found += len(cuts) == 1 and abs(cuts[0] - 10) <= 1
    assert found >= 34, found
    false_alarms = sum(
        bool(pelt_change_points(rng.poisson(15, 26).astype(float))) for _ in range(40)
    )
    assert false_alarms <= 4, false_alarms


def test_change_point_metric_on_a_trace_doubling_at_week_ten() -> None:
    rng = np.random.default_rng(1)
    per_week = [int(x) for x in np.r_[rng.poisson(6, 10), rng.poisson(12, 14)]]
    trace = _activity_trace(per_week)
    table = change_points(trace)
    active = [r for r in table.to_pylist() if r["series"] == "active_members"]
    assert len(active) == 1
    at = active[0]["at"]
    assert abs((at - (START + timedelta(weeks=10))).days) <= 7
    assert active[0]["direction"] == "up" and active[0]["n"] == 24
    phases = development_phases(trace).to_pylist()
    assert [p["stage"] for p in phases] == ["potential", "maturing"]
    findings = change_point_findings(FakeResults(trace))
    assert any(f.kind == "change_point" and f.severity == "info" for f in findings)
    assert phase_findings(FakeResults(trace))[0].kind == "development_phase"


def test_stage_labels_follow_growth_and_decline() -> None:
    flat = (0.0, -0.1, 0.1)
    assert _stages([5, 10, 20, 15, 6], [flat] * 5) == [
        "potential",
        "coalescing",
        "maturing",
        "stewardship",
        "transformation",
    ]
    assert _stages([5, 10, 4, 12, 20], [flat] * 5) == [
        "potential",
        "coalescing",
        "potential",
        "coalescing",
        "maturing",
    ]
    assert _stages([10], [(0.1, 0.05, 0.2)]) == ["coalescing"]
    assert _stages([10], [(-0.1, -0.2, -0.05)]) == ["transformation"]
    assert _stages([10], [flat]) == ["stewardship"]


def test_formalisation_shock_detects_a_jump_in_top_voice_at_the_appointment() -> None:
    weeks = 70
    rng = np.random.default_rng(5)
    share = np.r_[rng.uniform(0.05, 0.1, 35), rng.uniform(0.5, 0.6, 35)]
    appointed = START + timedelta(weeks=35, days=1)
    roles = [{"person_id": "boss", "role": "manager", "rank": 3, "valid_from": appointed}]
    members = [{"person_id": "u0", "role": "member", "rank": 0, "valid_from": START}]
    trace = _activity_trace([6] * weeks, top_share=share.tolist(), roles=roles + members)
    table = formalisation_shock(trace)
    assert set(table["n_appointed"].to_pylist()) == {1}, "rank-0 membership is not an appointment"
    top = [r for r in table.to_pylist() if r["series"] == "top_voice_share"][0]
    assert top["at"] == appointed
    assert top["n_placebo"] >= 20 and top["null_scale"] >= 1.0
    assert top["level_change_lo"] > 0.2
    assert top["level_change_lo"] <= top["level_change"] <= top["level_change_hi"]
    findings = formalisation_shock_findings(FakeResults(trace))
    assert findings and findings[0].kind == "formalisation_shock"
    assert findings[0].at == appointed.date().isoformat()
    assert findings[0].severity == "severe" and findings[0].direction == "limits"


def test_formalisation_shock_has_no_calibrated_test_on_a_short_series() -> None:
    """Fewer than MIN_PLACEBOS placebo dates: the level change is shown, not tested."""
    share = np.r_[np.full(15, 0.05), np.full(15, 0.55)]
    appointed = START + timedelta(weeks=15, days=1)
    roles = [{"person_id": "boss", "role": "manager", "rank": 3, "valid_from": appointed}]
    trace = _activity_trace([6] * 30, top_share=share.tolist(), roles=roles)
    rows = formalisation_shock(trace).to_pylist()
    assert rows and all(r["p_level"] is None and r["level_change_lo"] is None for r in rows)
    assert all(r["n_placebo"] < 20 for r in rows)
    assert formalisation_shock_findings(FakeResults(trace)) == []


def test_no_formalisation_shock_without_an_effect() -> None:
    rng = np.random.default_rng(9)
    per_week = [int(x) for x in rng.poisson(8, 60)]
    roles = [
        {
            "person_id": "u0",
            "role": "maintainer",
            "rank": 2,
            "valid_from": START + timedelta(weeks=30),
        }
    ]
    trace = _activity_trace(per_week, roles=roles)
    assert formalisation_shock(trace).num_rows > 0
    assert [
        f for f in formalisation_shock_findings(FakeResults(trace)) if f.severity != "info"
    ] == []


def _saturating_trace(appointed_week: int) -> Trace:
    """Weekly activity that grows and then flattens (logistic), one appointment."""
    weeks = np.arange(80)
    level = 4 + 26 / (1 + np.exp(-(weeks - 25) / 6))
    noise = np.random.default_rng(11).normal(0, 1.0, weeks.size)
    per_week = [int(round(x)) for x in level + noise]
    roles = [
        {
            "person_id": "u0",
            "role": "maintainer",
            "rank": 2,
            "valid_from": START + timedelta(weeks=appointed_week, days=2),
        }
    ]
    return _activity_trace(per_week, roles=roles)


def test_growing_then_flattening_community_shows_no_level_change_at_any_date() -> None:
    """A straight pre-trend extrapolated past the bend reads curvature as a level drop."""
    for week in range(14, 67, 4):
        rows = formalisation_shock(_saturating_trace(week)).to_pylist()
        tested = [r for r in rows if r["series"] in ("messages", "active_members")]
        assert len(tested) == 2 and all(r["p_level"] is not None for r in tested), week
        assert all(r["p_level"] >= 0.05 / len(rows) for r in tested), (week, tested)


def test_segmented_fit_matches_statsmodels_hac() -> None:
    import statsmodels.api as sm

    from undertow.themes.timing.formalisation import segmented_fit

    rng = np.random.default_rng(2)
    y = np.cumsum(rng.normal(0, 1, 60)) + np.r_[np.zeros(30), np.full(30, 3.0)]
    weights = rng.uniform(0.5, 2.0, 60)
    beta, errors, n = segmented_fit(y, weights, 30)
    t = np.arange(4, 56, dtype=float) - 30
    post = (t >= 0).astype(float)
    design = np.column_stack([np.ones_like(t), t, t * t, post, post * t])
    reference = sm.WLS(y[4:56], design, weights=weights[4:56]).fit(
        cov_type="HAC", cov_kwds={"maxlags": 4}
    )
    assert n == 52
    np.testing.assert_allclose(beta, reference.params, rtol=1e-8)
    np.testing.assert_allclose(errors, reference.bse, rtol=1e-8)


def _cohort_trace() -> Trace:
    """Founders a, b (quarter 1) stay two years; c, d (quarter 3) leave after a week."""
    rows: list[dict[str, Any]] = []
    day = timedelta(days=1)
    for person in ("a", "b"):
        for k in range(0, 730, 30):
            rows.append(
                {"message_id": f"{person}{k}", "author_id": person, "created_at": START + k * day}
            )
    for person in ("c", "d"):
        for k in (0, 7):
            rows.append(
                {
                    "message_id": f"{person}{k}",
                    "author_id": person,
                    "created_at": START + (180 + k) * day,
                }
            )
    return make_trace(rows)


def test_cohorts_and_founders_advantage() -> None:
    trace = _cohort_trace()
    rows = cohorts(trace).to_pylist()
    assert [r["n_people"] for r in rows] == [2, 2]
    assert rows[0]["survived_1y"] == 1.0 and rows[1]["survived_1y"] == 0.0
    assert rows[0]["late_voice_share"] == 1.0 and rows[1]["late_voice_share"] == 0.0
    founders = {r["measure"]: r for r in founders_advantage(trace).to_pylist()}
    assert founders["survived_1y"]["difference"] == 1.0
    assert founders["late_messages_per_person"]["founders"] > 0


def test_early_growth_mode_counts_first_messages_directed_at_members() -> None:
    day = timedelta(days=1)
    rows: list[dict[str, Any]] = [
        {"message_id": "seed", "author_id": "founder", "created_at": START}
    ]
    for i in range(6):
        rows.append(
            {
                "message_id": f"e{i}",
                "author_id": f"early{i}",
                "created_at": START + (10 + i) * day,
                **({"parent_id": "seed"} if i < 4 else {}),
            }
        )
    for i in range(4):
        rows.append(
            {"message_id": f"l{i}", "author_id": f"late{i}", "created_at": START + (120 + i) * day}
        )
    table = {r["period"]: r for r in early_growth_mode(make_trace(rows)).to_pylist()}
    assert table["first_12_weeks"]["share_via_tie"] == 4 / 6
    assert table["first_12_weeks"]["n_people"] == 6
    assert table["later"]["share_via_tie"] == 0.0


@pytest.mark.realdata
def test_real_xen_formalisation_shock_is_calibrated_by_placebo_dates(
    shared_data: Path, tmp_path: Path
) -> None:
    from tests.ingest._adapters_a import run_adapter
    from undertow.ingest.git import ingest_git

    data = shared_data / "git-xen"
    run_adapter(
        ingest_git,
        [data / "commits.jsonl.gz"],
        tmp_path / "trace",
        key_file=tmp_path / "key",
        maintainers=data / "maintainers",
    )
    from undertow.themes.timing.formalisation import shock_table

    trace = Trace.open(tmp_path / "trace")
    # Every date a MAINTAINERS snapshot first lists a formal role, as the events tested.
    roles = trace.arrow("roles")
    formal = roles.filter(pa.compute.greater(roles.column("rank"), 0))
    starts = formal.column("valid_from").drop_null().cast(pa.int64()).to_numpy()
    rows = shock_table(weekly_series(trace), starts).to_pylist()
    # 21 MAINTAINERS snapshots with room on both sides, 6 weekly series each.
    assert len(rows) == 126
    # Placebo dates carry breaks at the offsets of the snapshots near the tested one, so
    # some near the ends of the series drop out: still hundreds per configuration.
    assert all(r["n_placebo"] >= 600 and r["null_scale"] >= 1.0 for r in rows)
    assert all(r["level_change_lo"] <= r["level_change"] <= r["level_change_hi"] for r in rows)
    # The HAC errors of a few dozen weeks are about half what the placebo dates show.
    assert np.median([r["null_scale"] for r in rows]) > 1.5
    assert sum(r["p_level"] < 0.05 for r in rows) <= 0.1 * len(rows)


def test_formalisation_shock_findings_adjust_over_the_roster_dates() -> None:
    """Five appointment dates are five tries at one claim: Holm over the dates."""
    from undertow.themes.timing.formalisation import ITS_SCHEMA

    rows = []
    for k, p_level in enumerate([0.004, 0.3, 0.5, 0.6, 0.9]):
        rows.append(
            {
                "at": START + timedelta(weeks=20 * (k + 1)),
                "series": "messages",
                "level_change": -10.0,
                "level_change_lo": -15.0,
                "level_change_hi": -5.0,
                "slope_change": 0.0,
                "slope_change_lo": -1.0,
                "slope_change_hi": 1.0,
                "p_level": p_level,
                "z_level": -4.0,
                "null_scale": 1.5,
                "null_df": 40.0,
                "n_placebo": 200,
                "pre_mean": 30.0,
                "pre_sd": 5.0,
                "standardised_level_change": -2.0,
                "n_appointed": 1,
                "n": 52,
            }
        )
    table = pa.Table.from_pylist(rows, schema=ITS_SCHEMA)

    class Results:
        def get(self, name: str) -> pa.Table | None:
            return table if name == "formalisation_shock" else None

    findings = {f.at: f for f in formalisation_shock_findings(Results())}
    first = findings[(START + timedelta(weeks=20)).date().isoformat()]
    assert first.decision is not None
    assert first.p_value == pytest.approx(5 * 0.004)
    assert "Holm over the 5 appointment dates" in first.decision.null
    assert all(f.p_value is not None and f.p_value >= 0.02 for f in findings.values())
