"""T2 leadership metrics: a planted chilling leader and a planted centralising appointment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from _power import FakeResults, check_contract, power_metrics

from undertow.features.leaders import degree_centralisation
from undertow.model.trace import Trace
from undertow.testing import EPOCH, make_trace, tiny_trace
from undertow.themes.leadership.agenda import agenda_setting
from undertow.themes.leadership.approvals import approval_share_by_unit
from undertow.themes.leadership.chilling import chilling_effect
from undertow.themes.leadership.deference import reply_latency_deference
from undertow.themes.leadership.emergent import shadow_leaders
from undertow.themes.leadership.findings import (
    centralising_leader,
    chilling_leader,
    emergent_leaders,
)
from undertow.themes.leadership.hub import (
    appointment_centralisation,
    leader_centralisation,
    leader_hub_share,
)
from undertow.themes.leadership.politeness_shift import politeness_shift
from undertow.themes.registry import REGISTRY


def planted_chilling_trace() -> Trace:
    """15 threads the chief joins (then everyone stops), 15 comparable leaderless threads."""
    rows: list[dict[str, Any]] = []
    hour = 0
    for i in range(15):
        t = f"a{i}"
        rows += [
            {"message_id": f"{t}-0", "author_id": f"u{i % 5}", "created_at": hour},
            {
                "message_id": f"{t}-1",
                "author_id": "peer1",
                "parent_id": f"{t}-0",
                "created_at": hour + 1,
            },
            {
                "message_id": f"{t}-2",
                "author_id": "chief",
                "parent_id": f"{t}-1",
                "created_at": hour + 2,
                "text": "We will do it this way.",
            },
        ]
        hour += 5
    for i in range(15):
        t = f"b{i}"
        rows += [
            {"message_id": f"{t}-0", "author_id": f"u{i % 5}", "created_at": hour},
            {
                "message_id": f"{t}-1",
                "author_id": "peer1",
                "parent_id": f"{t}-0",
                "created_at": hour + 1,
            },
            {
                "message_id": f"{t}-2",
                "author_id": "peer2",
                "parent_id": f"{t}-1",
                "created_at": hour + 2,
            },
            {
                "message_id": f"{t}-3",
                "author_id": f"u{i % 5}",
                "parent_id": f"{t}-2",
                "created_at": hour + 3,
            },
            {
                "message_id": f"{t}-4",
                "author_id": "peer3",
                "parent_id": f"{t}-3",
                "created_at": hour + 4,
            },
        ]
        hour += 5
    roles = [{"person_id": "chief", "role": "manager", "rank": 2, "unit": "hq", "valid_from": 0}]
    return make_trace(rows, roles=roles)


def planted_appointment_trace() -> Trace:
    """A ring of ten people for 200 days; from day 200 everyone talks to the new manager."""
    rows: list[dict[str, Any]] = []
    for day in range(400):
        asker = f"p{day % 10}"
        answerer = f"p{(day + 1) % 10}" if day < 200 else "boss"
        rows += [
            {"message_id": f"d{day}", "author_id": asker, "created_at": day * 24},
            {
                "message_id": f"d{day}r",
                "author_id": answerer,
                "parent_id": f"d{day}",
                "created_at": day * 24 + 1,
            },
        ]
    roles = [
        {"person_id": "boss", "role": "manager", "rank": 1, "valid_from": 200 * 24},
        {"person_id": "p0", "role": "moderator", "rank": 1, "valid_from": 0},
    ]
    return make_trace(rows, roles=roles)


def test_degree_centralisation_known_answers() -> None:
    star = degree_centralisation(np.array([0, 0, 0, 0]), np.array([1, 2, 3, 4]))
    assert star == (1.0, 5)
    ring = degree_centralisation(np.arange(6), (np.arange(6) + 1) % 6)
    assert ring == (0.0, 6)


def test_leader_hub_share() -> None:
    rows = {r["measure"]: r for r in leader_hub_share(planted_chilling_trace()).to_pylist()}
    assert rows["messages"]["leader_share"] == pytest.approx(15 / (45 + 75))
    assert rows["thread_starts"]["leader_share"] == 0.0
    assert rows["replies_given"]["n_people"] == 1


def test_chilling_effect_finds_the_planted_leader() -> None:
    table = chilling_effect(planted_chilling_trace(), seed=2)
    pooled = {r["measure"]: r for r in table.to_pylist() if r["actor_id"] is None}
    new = pooled["new_participants_after"]
    assert new["with_actor"] == 0.0
    assert new["without_actor"] == pytest.approx(1.0)
    assert new["difference_hi"] < 0
    follow = pooled["follow_up_rate"]
    assert follow["with_actor"] == 0.0 and follow["without_actor"] == pytest.approx(0.5)
    # Every thread is identical, so the bootstrap interval has no width and no test can be
    # run on it: a degenerate table decides nothing.
    assert new["difference_lo"] == new["difference_hi"]
    assert chilling_leader(FakeResults(planted_chilling_trace())) == []


def test_no_chilling_without_a_difference() -> None:
    rows = []
    for i in range(20):
        t = f"t{i}"
        third = "chief" if i % 2 else "peer2"
        rows += [
            {"message_id": f"{t}-0", "author_id": f"u{i % 4}"},
            {"message_id": f"{t}-1", "author_id": "peer1", "parent_id": f"{t}-0"},
            {"message_id": f"{t}-2", "author_id": third, "parent_id": f"{t}-1"},
            {"message_id": f"{t}-3", "author_id": f"u{i % 4}", "parent_id": f"{t}-2"},
        ]
    roles = [{"person_id": "chief", "role": "manager", "rank": 2}]
    findings = chilling_leader(FakeResults(make_trace(rows, roles=roles)))
    assert findings == []


def test_appointment_centralisation_finds_the_planted_manager() -> None:
    table = appointment_centralisation(planted_appointment_trace())
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert set(rows) == {"boss"}  # p0's role is undated at day 0: no window before it
    boss = rows["boss"]
    assert boss["centralisation_before"] == pytest.approx(0.0)
    assert boss["centralisation_after"] == pytest.approx(1.0)
    assert boss["leader_degree_share_after"] == pytest.approx(1.0)
    assert boss["placebo_p_value"] <= 0.05
    findings = centralising_leader(FakeResults(planted_appointment_trace()))
    assert len(findings) == 1
    assert findings[0].kind == "centralising_leader"
    assert findings[0].subjects == ("boss",)
    assert findings[0].at == "2020-07-24"


def test_leader_centralisation_depends_on_the_boss() -> None:
    rows = {r["network"]: r for r in leader_centralisation(planted_appointment_trace()).to_pylist()}
    assert rows["all"]["centralisation"] > rows["without_leaders"]["centralisation"]
    assert rows["leader_dependence"]["p_value"] is not None
    assert 0 < rows["leader_dependence"]["p_value"] <= 1


def test_agenda_setting_and_latency() -> None:
    rows = []
    for i in range(40):
        leader = i % 2 == 0
        starter = "chief" if leader else f"u{i % 7}"
        rows.append({"message_id": f"t{i}", "author_id": starter, "created_at": i * 10})
        if leader or i % 4 == 1:
            rows.append(
                {
                    "message_id": f"t{i}r",
                    "author_id": f"u{(i + 1) % 7}",
                    "parent_id": f"t{i}",
                    "created_at": i * 10 + (1 if leader else 5),
                }
            )
    trace = make_trace(rows, roles=[{"person_id": "chief", "role": "lead", "rank": 1}])
    row = agenda_setting(trace).to_pylist()[0]
    assert row["reply_rate_leaders"] == 1.0 and row["reply_rate_others"] == 0.5
    assert row["odds_ratio"] > 1 and row["odds_ratio_lo"] <= row["odds_ratio"]
    latency = reply_latency_deference(trace).to_pylist()[0]
    assert latency["median_hours_to_leaders"] == pytest.approx(1.0)
    assert latency["median_hours_to_peers"] == pytest.approx(5.0)
    assert latency["latency_ratio"] == pytest.approx(0.2)


def test_shadow_and_paper_leaders() -> None:
    rows = []
    for i in range(30):
        rows.append({"message_id": f"q{i}", "author_id": f"u{i % 10}"})
        rows.append({"message_id": f"q{i}r", "author_id": "guru", "parent_id": f"q{i}"})
        rows.append({"message_id": f"q{i}rr", "author_id": f"u{i % 10}", "parent_id": f"q{i}r"})
    rows.append({"message_id": "x", "author_id": "titular"})
    rows.append({"message_id": "xr", "author_id": "u1", "parent_id": "x"})
    trace = make_trace(rows, roles=[{"person_id": "titular", "role": "chair", "rank": 3}])
    found = {r["person_id"]: r["category"] for r in shadow_leaders(trace).to_pylist()}
    assert found["guru"] == "shadow_leader"
    assert found["titular"] == "paper_leader"
    finding = emergent_leaders(FakeResults(trace))[0]
    assert "guru" in finding.subjects and "titular" in finding.subjects


def test_politeness_shift_compares_before_and_after() -> None:
    rows = []
    for i in range(12):
        text = "Could you please check this? Thanks!" if i < 6 else "Do it now."
        rows.append({"message_id": f"m{i}", "author_id": "riser", "created_at": i, "text": text})
    trace = make_trace(rows, roles=[{"person_id": "riser", "role": "lead", "valid_from": 5.5}])
    table = politeness_shift(trace).to_pylist()
    person = next(r for r in table if r["person_id"] == "riser")
    assert person["change"] < 0
    assert person["n"] == 12


def test_leadership_metrics_skip_without_roles() -> None:
    trace = make_trace([{"message_id": "m", "author_id": "a"}])
    for name, spec in REGISTRY.items():
        if spec.theme == "leadership":
            assert spec.missing(trace) is not None, name


@pytest.mark.parametrize("name", power_metrics("leadership"))
def test_contract(name: str) -> None:
    check_contract(name, planted_chilling_trace())
    check_contract(name, tiny_trace())


def test_approval_share_by_unit() -> None:
    rows = []
    for i in range(10):
        rows.append(
            {
                "message_id": f"c{i}",
                "author_id": "dev",
                "kind": "commit",
                "created_at": f"2020-0{1 + i % 2}-10T00:00:00",
            }
        )
        approver = "rest" if i < 6 else "outsider"
        rows.append(
            {
                "message_id": f"a{i}",
                "author_id": approver,
                "kind": "ack",
                "parent_id": f"c{i}",
                "created_at": f"2020-0{1 + i % 2}-11T00:00:00",
            }
        )
    roles = [
        {
            "person_id": "rest",
            "role": "maintainer",
            "rank": 2,
            "unit": "THE REST",
            "valid_from": "2020-01-01T00:00:00",
        }
    ]
    table = approval_share_by_unit(make_trace(rows, roles=roles)).to_pylist()
    shares = {r["unit"]: r["approval_share"] for r in table}
    assert shares["THE REST"] == pytest.approx(0.6)
    assert shares["(any formal role)"] == pytest.approx(0.6)
    assert shares["(no formal role)"] == pytest.approx(0.4)
    assert {r["n"] for r in table} == {10}


@pytest.mark.parametrize("budget", [2_000_000, 0])
def test_window_centralisation_matches_direct_computation(
    budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undertow.themes.leadership import hub
    from undertow.themes.leadership.hub import _DAY_US, WINDOW_DAYS, _Windows

    # Budget 0: every window goes through the per-group bounds.
    monkeypatch.setattr(hub, "_SETTLE_BUDGET", budget)

    width = WINDOW_DAYS * _DAY_US
    for seed, people, ties in ((5, 30, 3000), (6, 200, 400), (7, 6, 40)):
        rng = np.random.default_rng(seed)
        source = rng.integers(0, people, ties)
        target = (source + rng.integers(1, people, ties)) % people
        # Coarse times: many ties share a time, and windows start exactly on tie times.
        time = rng.integers(0, 400, ties) * _DAY_US
        windows = _Windows(source, target, time, width)
        starts = np.r_[
            np.array([100, 200, 310]) * _DAY_US,
            200 * _DAY_US + 17,
            time[:50],
            time[:50] - width,
            time[:50] + 1,
            time[:50] - width + 1,
        ]
        got = windows.centralisation(starts)
        for start, value in zip(starts.tolist(), got.tolist(), strict=True):
            inside = (time >= start) & (time < start + width)
            expected = degree_centralisation(source[inside], target[inside])[0]
            assert value == expected or (np.isnan(value) and np.isnan(expected))
        person = np.arange(-1, people)
        begin = np.full(person.size, 150 * _DAY_US)
        end = begin + width
        direct = [
            int(np.sum(((source == p) | (target == p)) & (time >= 150 * _DAY_US) & (time < end[0])))
            if p >= 0
            else 0
            for p in person.tolist()
        ]
        assert windows.ties_of(person, begin, end).tolist() == direct


def test_shadow_leaders_with_a_person_who_is_only_addressed() -> None:
    from undertow.testing import make_trace
    from undertow.themes.leadership.emergent import shadow_leaders

    rows = [
        {"message_id": f"m{i}", "author_id": f"a{i % 3}", "addressee_id": "quiet"}
        for i in range(12)
    ]
    trace = make_trace(rows, roles=[{"person_id": "a0", "role": "lead", "rank": 2}])
    table = shadow_leaders(trace)
    assert "quiet" not in table.column("person_id").to_pylist() or not any(
        r["has_formal_role"] for r in table.to_pylist() if r["person_id"] == "quiet"
    )


def _entering_community(
    member_new: Callable[[], int], chief_new: Callable[[bool], int], *, appointed_after: int
) -> Trace:
    """Threads entered at depth 2 by 20 members and a chief, and many leaderless threads.

    After a member's entry ``member_new()`` new people write; after the chief's,
    ``chief_new(appointed)`` (``appointed``: the chief holds the role, from their
    ``appointed_after``-th thread on). Leaderless threads get three new people after
    depth 2.
    """
    rows: list[dict[str, Any]] = []
    hour, fresh = 0, 0
    appointed_at = 0

    def thread(tag: str, enterer: str, n_new: int) -> None:
        nonlocal hour, fresh
        rows.extend(
            [
                {"message_id": f"{tag}-0", "author_id": f"s{hour % 7}", "created_at": hour},
                {
                    "message_id": f"{tag}-1",
                    "author_id": f"p{hour % 5}",
                    "parent_id": f"{tag}-0",
                    "created_at": hour + 1,
                },
                {
                    "message_id": f"{tag}-2",
                    "author_id": enterer,
                    "parent_id": f"{tag}-1",
                    "created_at": hour + 2,
                },
            ]
        )
        for k in range(n_new):
            fresh += 1
            rows.append(
                {
                    "message_id": f"{tag}-n{k}",
                    "author_id": f"x{fresh % 40}",
                    "parent_id": f"{tag}-2",
                    "created_at": hour + 3 + k,
                }
            )
        hour += 10

    for i in range(40):
        if i == appointed_after:
            appointed_at = hour
        for m in range(20):
            if i % 2 == 0:
                thread(f"m{m}-{i}", f"member{m}", member_new())
        thread(f"c{i}", "chief", chief_new(i >= appointed_after))
        for j in range(15):
            thread(f"q{i}-{j}", f"p{(i + j + 1) % 5}", 3)
    roles = [
        {
            "person_id": "chief",
            "role": "manager",
            "rank": 2,
            "valid_from": EPOCH + timedelta(hours=appointed_at),
            "date_basis": "exact",
        }
    ]
    return make_trace(rows, roles=roles)


def test_a_leader_who_behaves_like_members_of_similar_activity_is_not_chilling() -> None:
    # Everyone who enters a thread late is followed by fewer new people than the
    # leaderless threads: the chief, holding a role throughout, shows the same habit.
    rng = np.random.default_rng(3)
    habit = lambda *_: int(rng.integers(0, 2))  # noqa: E731
    trace = _entering_community(habit, habit, appointed_after=0)
    table = chilling_effect(trace, seed=1)
    chief = next(
        r
        for r in table.to_pylist()
        if r["actor_id"] == "chief" and r["measure"] == "new_participants_after"
    )
    assert chief["difference_hi"] < -1.0  # far fewer than in leaderless threads
    assert chief["n_matched"] >= 10
    assert [f for f in chilling_leader(FakeResults(trace)) if f.severity != "info"] == []


def test_a_leader_who_chills_only_with_the_role_is_named() -> None:
    # Before the appointment the chief enters threads like the members; afterwards
    # nobody new writes after them.
    rng = np.random.default_rng(3)
    trace = _entering_community(
        lambda: int(rng.integers(1, 3)),
        lambda after: 0 if after else int(rng.integers(1, 3)),
        appointed_after=20,
    )
    row = next(
        r
        for r in chilling_effect(trace, seed=1).to_pylist()
        if r["actor_id"] == "chief" and r["measure"] == "new_participants_after"
    )
    assert row["n_self"] is not None and row["n_self"] >= 20
    findings = [f for f in chilling_leader(FakeResults(trace)) if f.severity != "info"]
    assert [f.subjects for f in findings] == [("chief",)]
    assert findings[0].decision is not None and findings[0].decision.test == "placebo"
