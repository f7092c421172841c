"""The simulated community: deterministic, schema-valid, pseudonym-shaped, causally ordered."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.model.schema import TABLES, validate_table
from undertow.model.trace import Trace
from undertow.simulate import SCENARIOS, knowledge_creation, simulate
from undertow.simulate.scenarios import scenario

PSEUDONYM = re.compile(r"^p_[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def short_runs() -> dict[str, object]:
    return {name: simulate(name, seed=11, n_days=150) for name in SCENARIOS}


def test_same_seed_same_tables() -> None:
    first = simulate("dominant_actor+gatekeeping", seed=5, n_days=120)
    second = simulate("dominant_actor+gatekeeping", seed=5, n_days=120)
    assert set(first.tables) == set(second.tables)
    for name, table in first.tables.items():
        assert table.equals(second.tables[name]), name
    assert first.truth == second.truth


def test_other_seed_other_community() -> None:
    first = simulate("healthy", seed=1, n_days=120).tables["messages"]
    second = simulate("healthy", seed=2, n_days=120).tables["messages"]
    assert not first.equals(second)
    assert set(first["author_id"].to_pylist()).isdisjoint(second["author_id"].to_pylist())


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_is_a_valid_trace(name: str, short_runs: dict[str, object]) -> None:
    result = short_runs[name]
    for table_name, table in result.tables.items():  # type: ignore[attr-defined]
        assert validate_table(table_name, table).equals(table)
        assert table.schema.equals(TABLES[table_name].schema)
    trace = result.trace()  # type: ignore[attr-defined]
    assert isinstance(trace, Trace)
    assert trace.has("roles") and trace.has("spaces") and trace.has("documents")
    assert trace.has("outcomes")


def test_people_are_pseudonym_shaped_and_consistent(short_runs: dict[str, object]) -> None:
    tables = short_runs["late_manager"].tables  # type: ignore[attr-defined]
    people = set(tables["people"]["person_id"].to_pylist())
    assert all(PSEUDONYM.match(p) for p in people)
    assert set(tables["messages"]["author_id"].to_pylist()) == people
    assert set(tables["roles"]["person_id"].to_pylist()) <= people
    addressed = {a for a in tables["messages"]["addressee_id"].to_pylist() if a is not None}
    assert addressed <= people
    actors = {a for a in tables["outcomes"]["actor_id"].to_pylist() if a is not None}
    assert actors <= people


@pytest.mark.parametrize("name", SCENARIOS)
def test_replies_follow_their_parents(name: str, short_runs: dict[str, object]) -> None:
    messages = short_runs[name].tables["messages"]  # type: ignore[attr-defined]
    parents = messages.select(["message_id", "thread_id", "created_at"]).rename_columns(
        ["parent_id", "parent_thread", "parent_at"]
    )
    replies = messages.filter(pc.is_valid(messages["parent_id"]))
    joined = replies.join(parents, "parent_id", join_type="inner")
    assert joined.num_rows == replies.num_rows  # every parent exists
    assert pc.all(pc.equal(joined["thread_id"], joined["parent_thread"])).as_py()
    assert pc.all(pc.greater(joined["created_at"], joined["parent_at"])).as_py()
    starts = messages.filter(pc.is_null(messages["parent_id"]))
    assert pc.all(pc.equal(starts["message_id"], starts["thread_id"])).as_py()


def test_time_stamps_spread_within_days() -> None:
    messages = simulate("healthy", seed=3, n_days=90).tables["messages"]
    hours = pc.hour(messages["created_at"]).to_pylist()
    assert len(set(hours)) >= 20
    first = messages["created_at"][0].as_py()
    assert first >= datetime(2024, 1, 1, tzinfo=UTC)


def test_appointment_is_a_dated_role() -> None:
    result = simulate("late_manager", seed=4, n_days=200)
    roles = result.tables["roles"]
    managers = roles.filter(pc.equal(roles["role"], "manager")).to_pylist()
    planted = result.truth["planted"][0]
    assert [m["person_id"] for m in managers] == planted["subjects"]
    assert managers[0]["valid_from"].date().isoformat() == planted["at"]
    assert managers[0]["rank"] > 0
    healthy_roles = simulate("healthy", seed=4, n_days=200).tables["roles"]
    assert pc.sum(pc.equal(healthy_roles["role"], "manager")).as_py() in (None, 0)


def test_newcomers_arrive_over_time() -> None:
    result = simulate("healthy", seed=2, n_days=300)
    roles = result.tables["roles"]
    joined = roles.filter(pc.is_valid(roles["valid_from"]))
    members = joined.filter(pc.equal(joined["role"], "member"))
    assert members.num_rows > 80  # about 0.45 a day
    days = {d.date() for d in members["valid_from"].to_pylist()}
    assert len(days) > 60


def test_scenario_knobs_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        scenario("tyranny")
    with pytest.raises(ValueError, match="unknown knob"):
        scenario("healthy", wizardry=1)
    with pytest.raises(ValueError, match="within 0..1"):
        scenario("gatekeeping", strength=2.0)
    fixed = simulate("late_manager", seed=0, n_days=160, appointment_day=60)
    assert fixed.truth["planted"][0]["at"] == "2024-03-01"


def test_knowledge_creation_is_measured() -> None:
    result = simulate("healthy", seed=0, n_days=150)
    knowledge = knowledge_creation(result.daily)
    assert 0.3 < knowledge["resolution_rate"] < 1.0
    assert 0.1 < knowledge["idea_uptake"] < 1.0
    outcomes = result.tables["outcomes"]
    kinds = set(outcomes["kind"].to_pylist())
    assert {"accepted_answer", "applied", "idea_adopted"} <= kinds
    resolved = sum(result.daily["resolved"].to_pylist())
    assert pc.sum(pc.equal(outcomes["kind"], "accepted_answer")).as_py() == resolved
    assert isinstance(result.daily, pa.Table)


def test_n_spaces_adds_official_and_emergent_spaces_that_carry_threads() -> None:
    import pyarrow.compute as pc

    from undertow.simulate import simulate

    result = simulate("healthy", seed=4, n_days=90, n_spaces=9)
    spaces = result.tables["spaces"].to_pylist()
    assert len(spaces) == 9
    governance = [s["governance"] for s in spaces]
    assert governance.count("official") == 5 and governance.count("emergent") == 4
    used = set(pc.unique(result.tables["messages"].column("space_id")).to_pylist())
    assert {"help-2", "help-3", "lounge-2", "lounge-3"} <= used
    with pytest.raises(ValueError, match="n_spaces"):
        simulate("healthy", seed=4, n_days=90, n_spaces=3)


def test_activity_skew_concentrates_messages_on_fewer_members() -> None:
    import numpy as np
    import pyarrow.compute as pc

    from undertow.simulate import simulate

    def gini(skew: float) -> float:
        messages = simulate("healthy", seed=6, n_days=180, activity_skew=skew).tables["messages"]
        counts = np.sort(np.asarray(pc.value_counts(messages.column("author_id")).field(1)))
        n = counts.size
        return float((2 * np.arange(1, n + 1) - n - 1) @ counts / (n * counts.sum()))

    assert gini(1.8) > gini(0.5) + 0.05


def test_a_mechanism_without_a_measurable_trace_is_not_planted() -> None:
    from undertow.simulate import simulate

    # The appointment falls in the first eight weeks: no timing test can see it.
    result = simulate("late_manager", seed=2, n_days=120, appointment_day=20)
    assert result.truth["planted"] == []
    assert {e["kind"] for e in result.truth["not_measurable"]} == {
        "centralising_leader",
        "formalisation_shock",
    }
    planted = simulate("late_manager", seed=2, n_days=240).truth["planted"]
    assert {p["kind"] for p in planted} == {"centralising_leader", "formalisation_shock"}
