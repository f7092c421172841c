"""T4 dominance metrics: known answers and a planted dominant actor."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _power import FakeResults, check_contract, power_metrics

from undertow.features.inequality import gini, gini_ci, smallest_share_set
from undertow.model.trace import Trace
from undertow.testing import make_trace, tiny_trace
from undertow.themes.decision import THRESHOLDS
from undertow.themes.dominance.concentration import concentration, elephant_factor, lorenz_curve
from undertow.themes.dominance.findings import concentrated_voice, dominant_actor
from undertow.themes.dominance.floor import floor_dominance
from undertow.themes.dominance.replies import ignored_rate, reply_capture
from undertow.themes.dominance.silencing import silencing
from undertow.themes.dominance.status_uptake import status_uptake
from undertow.themes.registry import REGISTRY, MetricSkipped


def planted_dominant_trace() -> Trace:
    """20 threads the boss enters (others then stop), 20 lively threads without the boss.

    The boss also starts 20 threads that three people each answer, so the boss captures
    most replies. Each entered thread is started by a newcomer who never writes again.
    """
    rows: list[dict[str, Any]] = []
    hour = 0
    for i in range(20):
        t = f"a{i}"
        rows += [
            {"message_id": f"{t}-0", "author_id": f"new{i}", "created_at": hour},
            {
                "message_id": f"{t}-1",
                "author_id": "helper1",
                "parent_id": f"{t}-0",
                "created_at": hour + 1,
            },
            {
                "message_id": f"{t}-2",
                "author_id": "boss",
                "parent_id": f"{t}-1",
                "created_at": hour + 2,
            },
            {
                "message_id": f"{t}-3",
                "author_id": "boss",
                "parent_id": f"{t}-2",
                "created_at": hour + 3,
            },
        ]
        hour += 5
    for i in range(20):
        t = f"b{i}"
        starter = f"reg{i % 4}"
        rows += [
            {"message_id": f"{t}-0", "author_id": starter, "created_at": hour},
            {
                "message_id": f"{t}-1",
                "author_id": "helper2",
                "parent_id": f"{t}-0",
                "created_at": hour + 1,
            },
            {
                "message_id": f"{t}-2",
                "author_id": "helper3",
                "parent_id": f"{t}-1",
                "created_at": hour + 2,
            },
            {
                "message_id": f"{t}-3",
                "author_id": starter,
                "parent_id": f"{t}-2",
                "created_at": hour + 3,
            },
            {
                "message_id": f"{t}-4",
                "author_id": "helper2",
                "parent_id": f"{t}-3",
                "created_at": hour + 4,
            },
        ]
        hour += 5
    for i in range(20):
        t = f"c{i}"
        rows.append({"message_id": f"{t}-0", "author_id": "boss", "created_at": hour})
        for j, who in enumerate(("reg0", "reg1", "reg2")):
            rows.append(
                {
                    "message_id": f"{t}-{j + 1}",
                    "author_id": who,
                    "parent_id": f"{t}-0",
                    "created_at": hour + j + 1,
                }
            )
        hour += 5
    return make_trace(rows)


def test_gini_known_answers() -> None:
    # Standard formula: sum_ij |x_i - x_j| / (2 n^2 mean).
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    x = np.array([3.0, 1.0, 7.0, 0.0, 2.0])
    brute = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    assert gini(x) == pytest.approx(brute)
    est, lo, hi = gini_ci(x, seed=3)
    assert lo <= est <= hi
    assert smallest_share_set([10, 10, 10, 10], 0.8) == 4
    assert smallest_share_set([97, 1, 1, 1], 0.8) == 1


def test_concentration_on_tiny_trace() -> None:
    row = concentration(tiny_trace()).to_pylist()[0]
    # Messages per person: lead 3, asker 2, dev 2, helper 1, newbie 1.
    counts = np.array([3, 2, 2, 1, 1], dtype=float)
    assert row["gini"] == pytest.approx(gini(counts))
    assert row["top1_share"] == pytest.approx(3 / 9)
    assert row["n"] == 5
    assert row["gini_lo"] <= row["gini"] <= row["gini_hi"]
    lorenz = lorenz_curve(tiny_trace())
    assert lorenz["y"].to_pylist()[-1] == pytest.approx(1.0)


def test_elephant_factor_needs_units() -> None:
    trace = make_trace([{"message_id": "m", "author_id": "a"}])
    assert REGISTRY["elephant_factor"].missing(trace) == "the trace has no roles"
    assert elephant_factor(tiny_trace()).to_pylist()[0]["n"] == 3


def test_floor_dominance_runs_and_last_word() -> None:
    rows = {r["person_id"]: r for r in floor_dominance(planted_dominant_trace()).to_pylist()}
    assert rows["boss"]["longest_run"] == 2
    # The boss closes the 20 entered threads; helper2 the 20 lively ones; reg2 the boss's.
    assert rows["boss"]["n_last_words"] == 20
    assert rows["boss"]["last_word_share"] == pytest.approx(20 / 60)


def test_reply_capture_ranks_the_planted_boss_first() -> None:
    table = reply_capture(planted_dominant_trace())
    top = table.to_pylist()[0]
    assert top["person_id"] == "boss"
    # 60 replies to the boss's own threads; the boss's self-replies do not count.
    assert top["replies_received"] == 60
    assert top["reply_share_lo"] <= top["reply_share"] <= top["reply_share_hi"]


def test_ignored_rate_by_tenure() -> None:
    rows = ignored_rate(tiny_trace()).to_pylist()
    first = next(r for r in rows if r["group"] == "first_message")
    assert first["ignored_rate"] == pytest.approx(1 / 4)
    assert first["n"] == 4 and first["n_people"] == 4
    leader = [r for r in rows if r["group"] == "leader"]
    assert leader == []  # the leader started no thread


def test_silencing_finds_the_planted_boss() -> None:
    table = silencing(planted_dominant_trace(), seed=1)
    pooled = {r["measure"]: r for r in table.to_pylist() if r["actor_id"] is None}
    after = pooled["others_messages_after"]
    assert after["with_actor"] == 0.0
    assert after["without_actor"] == pytest.approx(2.0)
    assert after["difference_hi"] < 0
    # 20 one-off askers and helper1 (who returns) are newcomers before the boss enters.
    returned = pooled["newcomer_return_rate"]
    assert returned["with_actor"] == pytest.approx(1 / 21)
    assert returned["without_actor"] > returned["with_actor"]
    assert any(r["actor_id"] == "boss" for r in table.to_pylist())


def test_dominant_actor_finding() -> None:
    findings = dominant_actor(FakeResults(planted_dominant_trace()))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == "dominant_actor"
    assert finding.subjects == ("boss",)
    # 180 replies: below the minimum information for naming a hub, so descriptive only.
    assert finding.decision is not None and finding.decision.p_value is not None
    assert finding.decision.p_value < 0.01 and finding.decision.ci_low > 0
    assert finding.decision.n < THRESHOLDS["dominant_actor"].min_n
    assert finding.severity == "info"
    assert concentrated_voice(FakeResults(planted_dominant_trace()))[0].severity == "info"


def test_no_severe_finding_in_a_balanced_community() -> None:
    rows = []
    for i in range(30):
        people = [f"p{(i + k) % 6}" for k in range(4)]
        rows.append({"message_id": f"t{i}-0", "author_id": people[0], "created_at": i * 5})
        for k in range(1, 4):
            rows.append(
                {
                    "message_id": f"t{i}-{k}",
                    "author_id": people[k],
                    "parent_id": f"t{i}-{k - 1}",
                    "created_at": i * 5 + k,
                }
            )
    findings = dominant_actor(FakeResults(make_trace(rows)))
    assert all(f.severity != "severe" for f in findings)


def test_status_uptake_skips_with_few_contributions() -> None:
    with pytest.raises(MetricSkipped, match="contributions"):
        status_uptake(tiny_trace())


def test_status_uptake_finds_formal_advantage() -> None:
    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
    roles = [
        {"person_id": f"m{k}", "role": "maintainer", "rank": 1, "valid_from": 0} for k in range(5)
    ]
    for i in range(200):
        formal = i % 2 == 0
        author = f"m{i % 5}" if formal else f"c{i % 20}"
        taken = rng.random() < (0.8 if formal else 0.2)
        rows.append(
            {
                "message_id": f"p{i}",
                "author_id": author,
                "kind": "patch",
                "has_patch": True,
                "created_at": i,
                "text": "fix " * (1 + i % 7),
            }
        )
        if taken:
            rows.append(
                {
                    "message_id": f"r{i}",
                    "author_id": "reviewer",
                    "kind": "ack",
                    "parent_id": f"p{i}",
                    "created_at": i + 0.5,
                }
            )
    table = status_uptake(make_trace(rows, roles=roles))
    formal_row = next(r for r in table.to_pylist() if r["term"] == "formal")
    assert formal_row["odds_ratio_lo"] > 1.0
    assert formal_row["n"] == 200 and formal_row["n_people"] == 5


@pytest.mark.parametrize("name", power_metrics("dominance"))
def test_contract(name: str) -> None:
    check_contract(name, planted_dominant_trace())
    check_contract(name, tiny_trace())


def test_logit_cluster_fit_matches_statsmodels() -> None:
    import statsmodels.api as sm

    from undertow.themes.dominance import status_uptake as module

    rng = np.random.default_rng(7)
    n = 3000
    x = np.column_stack(
        [np.ones(n), rng.integers(0, 2, n), rng.normal(size=n), rng.gamma(2, size=n)]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ np.array([-0.3, 0.8, 0.5, -0.2]))))).astype(float)
    groups = rng.integers(0, 120, n)
    module._BLOCK = 701  # several blocks
    try:
        params, cov = module._logit_cluster_fit(y, x, groups)
    finally:
        module._BLOCK = 1 << 16
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    np.testing.assert_allclose(params, fit.params, rtol=1e-10)
    np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-9)
