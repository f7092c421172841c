"""Each planted mechanism shows in raw simulated quantities, and costs knowledge creation."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.simulate import MECHANISMS, SimulationResult, simulate
from undertow.simulate.text import DOCUMENT_TERMS, TONES, WORKAROUND_TERMS

SEEDS = (0, 1, 2)


@cache
def run(name: str, seed: int) -> SimulationResult:
    return simulate(name, seed)


def _replies_received(messages: pa.Table) -> Counter[str]:
    authors = dict(
        zip(messages["message_id"].to_pylist(), messages["author_id"].to_pylist(), strict=True)
    )
    received: Counter[str] = Counter()
    for author, parent in zip(
        messages["author_id"].to_pylist(), messages["parent_id"].to_pylist(), strict=True
    ):
        if parent is not None and authors[parent] != author:
            received[authors[parent]] += 1
    return received


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


@pytest.mark.parametrize("seed", SEEDS)
def test_dominant_actor_captures_replies(seed: int) -> None:
    result = run("dominant_actor", seed)
    actor = result.truth["planted"][0]["subjects"][0]
    received = _replies_received(result.tables["messages"]).most_common()
    assert received[0][0] == actor
    assert received[0][1] > 2.5 * received[1][1]
    healthy = _replies_received(run("healthy", seed).tables["messages"])
    assert received[0][1] > 2 * max(healthy.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_late_manager_chills_participation_after_appointment(seed: int) -> None:
    def before_after(result: SimulationResult, manager: str) -> tuple[float, float, float]:
        messages = result.tables["messages"]
        cut = _at(result.truth["knobs"]["appointment_date"])
        times = messages["created_at"].to_pylist()
        authors = messages["author_id"].to_pylist()
        parents = messages["parent_id"].to_pylist()
        n_days = result.truth["knobs"]["n_days"]
        days_before = (cut - datetime(2024, 1, 1, tzinfo=UTC)).days
        before = sum(1 for t, a in zip(times, authors, strict=True) if t < cut and a != manager)
        after = sum(1 for t, a in zip(times, authors, strict=True) if t >= cut and a != manager)
        replies_after = [
            a for t, a, p in zip(times, authors, parents, strict=True) if t >= cut and p
        ]
        share = replies_after.count(manager) / len(replies_after)
        return before / days_before, after / (n_days - days_before), share

    result = run("late_manager", seed)
    manager = result.truth["planted"][0]["subjects"][0]
    before, after, share = before_after(result, manager)
    h_before, h_after, h_share = before_after(run("healthy", seed), manager)
    assert after / before < 0.8 * (h_after / h_before)
    assert share > 0.25 and share > 3 * h_share


@pytest.mark.parametrize("seed", SEEDS)
def test_gatekeeping_drives_hostile_answered_newcomers_away(seed: int) -> None:
    result = run("gatekeeping", seed)
    messages = result.tables["messages"]
    roles = result.tables["roles"]
    newcomers = set(
        roles.filter(pc.and_(pc.equal(roles["role"], "member"), pc.is_valid(roles["valid_from"])))[
            "person_id"
        ].to_pylist()
    )
    rows = messages.select(["message_id", "author_id", "parent_id", "created_at", "text"])
    first: dict[str, dict[str, object]] = {}
    last: dict[str, datetime] = {}
    for row in rows.to_pylist():
        first.setdefault(row["author_id"], row)
        last[row["author_id"]] = row["created_at"]
    hostile_phrases = TONES["hostile"]
    first_reply: dict[str, str] = {}
    for row in rows.to_pylist():
        parent = row["parent_id"]
        if parent is not None and parent not in first_reply:
            first_reply[parent] = row["text"]
    returned = {True: [], False: []}  # type: dict[bool, list[bool]]
    for person in newcomers & set(first):
        message = first[person]
        reply = first_reply.get(message["message_id"])  # type: ignore[arg-type]
        hostile = reply is not None and any(reply.startswith(p) for p in hostile_phrases)
        came_back = last[person] - message["created_at"] > timedelta(days=3)  # type: ignore[operator]
        returned[hostile].append(came_back)
    assert len(returned[True]) > 50
    hostile_rate = sum(returned[True]) / len(returned[True])
    other_rate = sum(returned[False]) / len(returned[False])
    assert hostile_rate < 0.2
    assert other_rate > 2.5 * hostile_rate


@pytest.mark.parametrize("seed", SEEDS)
def test_emotion_collapse_stops_containment_after_burnout(seed: int) -> None:
    result = run("emotion_collapse", seed)
    burnout = (date.fromisoformat(result.truth["knobs"]["burnout_date"]) - date(2024, 1, 1)).days
    daily = result.daily.to_pylist()
    before = [d for d in daily if d["day"] < burnout]
    after = [d for d in daily if d["day"] >= burnout]

    def containment(days: list[dict[str, int]]) -> float:
        return sum(d["supported"] for d in days) / sum(d["episodes"] for d in days)

    assert containment(before) > 0.7 > 0.3 > containment(after)
    # Before burnout the carers do almost all the emotion work.
    carers = set(result.truth["planted"][0]["subjects"])
    messages = result.tables["messages"]
    cut = _at(result.truth["knobs"]["burnout_date"])
    supportive = [
        a
        for a, t, x in zip(
            messages["author_id"].to_pylist(),
            messages["created_at"].to_pylist(),
            messages["text"].to_pylist(),
            strict=True,
        )
        if t < cut and any(x.startswith(p) for p in TONES["supportive"])
    ]
    assert sum(a in carers for a in supportive) / len(supportive) > 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_divergence_community_ignores_the_mandated_vocabulary(seed: int) -> None:
    result = run("divergence", seed)
    cut = _at(result.truth["planted"][0]["at"])
    documents = result.tables["documents"]
    mandate = documents.filter(pc.greater_equal(documents["valid_from"], pa.scalar(cut)))
    assert mandate.num_rows == 1
    assert sum(term in mandate["text"][0].as_py() for term in DOCUMENT_TERMS) > 10
    messages = result.tables["messages"]
    community = messages.filter(
        pc.and_(
            pc.greater_equal(messages["created_at"], pa.scalar(cut)),
            pc.not_equal(messages["space_id"], "announce"),
        )
    )
    texts = [t.lower() for t in community["text"].to_pylist()]
    official = sum(any(term in t for term in DOCUMENT_TERMS) for t in texts) / len(texts)
    workaround = sum(any(term in t for term in WORKAROUND_TERMS) for t in texts) / len(texts)
    assert official < 0.01
    assert workaround > 0.2


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_power_costs_knowledge(mechanism: str, seed: int) -> None:
    healthy = run("healthy", seed).truth["knowledge"]
    harmed = run(mechanism, seed).truth["knowledge"]
    assert harmed["resolution_rate"] < healthy["resolution_rate"]


@pytest.mark.parametrize("seed", SEEDS)
def test_dominance_and_late_manager_cost_idea_uptake(seed: int) -> None:
    healthy = run("healthy", seed).truth["knowledge"]["idea_uptake"]
    for mechanism in ("dominant_actor", "late_manager"):
        assert run(mechanism, seed).truth["knowledge"]["idea_uptake"] < healthy - 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_warmly_received_newcomers_move_towards_the_core(seed: int) -> None:
    result = run("healthy", seed)
    messages = result.tables["messages"]
    roles = result.tables["roles"]
    joined = roles.filter(
        pc.and_(pc.equal(roles["role"], "member"), pc.is_valid(roles["valid_from"]))
    )
    newcomers = set(joined["person_id"].to_pylist())
    rows = messages.select(["message_id", "author_id", "parent_id", "text"]).to_pylist()
    first: dict[str, str] = {}
    first_reply: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for row in rows:
        first.setdefault(row["author_id"], row["message_id"])
        counts[row["author_id"]] += 1
        if row["parent_id"] is not None:
            first_reply.setdefault(row["parent_id"], row["text"])
    warm, ignored = [], []
    for person in newcomers & set(first):
        reply = first_reply.get(first[person])
        if reply is None:
            ignored.append(counts[person])
        elif any(reply.startswith(p) for p in TONES["warm"]):
            warm.append(counts[person])
    assert len(warm) > 20 and len(ignored) > 5
    assert sum(warm) / len(warm) > 2 * sum(ignored) / len(ignored)
