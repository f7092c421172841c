"""T5: episodes and containment on hand-built threads; planted carers and collapse recovered."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from undertow.model.trace import Trace
from undertow.simulate import simulate
from undertow.testing import make_trace
from undertow.themes import REGISTRY
from undertow.themes.emotion_work.containment import containment_and_resolution, containment_rate
from undertow.themes.emotion_work.display_rules import display_rules
from undertow.themes.emotion_work.distribution import (
    emotion_work_by_group,
    unreciprocated_emotion_work,
)
from undertow.themes.emotion_work.episodes import message_emotion
from undertow.themes.emotion_work.findings import emotion_work_concentrated, uncontained_emotion
from undertow.themes.emotion_work.hostility import hostility_recurrence, hostility_targets


class Results:
    """Metric tables computed on demand, as the pipeline offers them to finding rules."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._tables: dict[str, pa.Table] = {}

    def get(self, name: str) -> pa.Table | None:
        if name not in self._tables:
            self._tables[name] = REGISTRY[name](self._trace, seed=0)
        return self._tables[name]

    @property
    def trace(self) -> Trace:
        return self._trace


def _thread(supportive: bool) -> list[dict[str, object]]:
    reply = "Don't worry, you're not alone, great question." if supportive else "Read the docs."
    return [
        {"message_id": "q", "author_id": "new", "text": "I am so frustrated, nothing works."},
        {"message_id": "r", "author_id": "old", "parent_id": "q", "text": reply, "created_at": 1},
        {
            "message_id": "t",
            "author_id": "new",
            "parent_id": "r",
            "text": "Thanks, great!",
            "created_at": 2,
        },
    ]


def test_episode_contained_by_supportive_reply() -> None:
    contained = make_trace(_thread(supportive=True))
    emotion = message_emotion(contained)
    assert emotion.episode.sum() == 1
    row = containment_rate(contained).to_pylist()[0]
    assert row["containment_rate"] == 1.0
    assert row["median_hours_to_containment"] == pytest.approx(1.0)
    uncontained = make_trace(_thread(supportive=False))
    assert containment_rate(uncontained).to_pylist()[0]["containment_rate"] == 0.0


def test_support_too_late_does_not_contain() -> None:
    messages = _thread(supportive=True)
    messages[1]["created_at"] = 100  # beyond 72 hours
    messages[2]["created_at"] = 101
    assert containment_rate(make_trace(messages)).to_pylist()[0]["containment_rate"] == 0.0


def test_resolution_link_and_unreciprocated() -> None:
    trace = make_trace(_thread(supportive=True), outcomes=[{"thread_id": "q", "kind": "resolved"}])
    row = containment_and_resolution(trace).to_pylist()[0]
    assert row["n_contained"] == 1 and row["resolved_share_contained"] == 1.0
    table = unreciprocated_emotion_work(trace).to_pylist()
    assert table == [
        {
            "person_id": "old",
            "support_given": 1,
            "support_received": 0,
            "unreciprocated": True,
            "n": 1,
        }
    ]


def test_hostility_targets_newcomers() -> None:
    messages: list[dict[str, object]] = []
    for i in range(6):
        messages.append(
            {"message_id": f"q{i}", "author_id": f"new{i}", "text": "How?", "created_at": 1000 + i}
        )
        messages.append(
            {
                "message_id": f"r{i}",
                "author_id": "gate",
                "parent_id": f"q{i}",
                "text": "What a stupid, pathetic question. Useless.",
                "created_at": 1000.5 + i,
            }
        )
    messages.insert(0, {"message_id": "v0", "author_id": "new0", "text": "hello", "created_at": 0})
    trace = make_trace(messages)
    rows = {(r["grouping"], r["group"]): r for r in hostility_targets(trace).to_pylist()}
    assert rows[("tenure", "newcomer")]["hostile_rate"] == 1.0
    recurrence = hostility_recurrence(trace).to_pylist()[0]
    assert recurrence["n_hostile"] == 6 and recurrence["repeat_author_share"] == 1.0


def test_display_rules_same_people() -> None:
    messages = [
        {
            "message_id": f"m{i}",
            "author_id": "ab"[i % 2],
            "space_id": "so"[i // 2 % 2],
            "text": ["Great, love it!", "Awful, I hate it."][i // 2 % 2],
        }
        for i in range(16)
    ]
    spaces = [
        {"space_id": "o", "governance": "official"},
        {"space_id": "s", "governance": "emergent"},
    ]
    table = display_rules(make_trace(messages, spaces=spaces)).to_pylist()
    diff = next(r for r in table if r["governance"] == "difference")
    assert diff["affect_mean"] < -0.5 and diff["n_people"] == 2


@pytest.mark.parametrize("seed", [0])
def test_planted_carers_and_collapse_recovered(seed: int) -> None:
    result = simulate("emotion_collapse", seed=seed)
    planted = {p["kind"]: p for p in result.truth["planted"]}
    findings = {
        f.kind: f
        for r in (emotion_work_concentrated, uncontained_emotion)
        for f in r(Results(result.trace()))
    }
    assert set(findings) == {"emotion_work_concentrated", "uncontained_emotion"}
    assert set(findings["emotion_work_concentrated"].subjects) == set(
        planted["emotion_work_concentrated"]["subjects"]
    )
    # The month containment fell is within a month after the carers' burnout.
    fell = findings["uncontained_emotion"].details["containment_fell_at"]
    burnout = result.truth["knobs"]["burnout_date"]
    assert 0 <= (date.fromisoformat(fell) - date.fromisoformat(str(burnout)[:10])).days <= 31


@pytest.mark.parametrize("seed", [0])
def test_healthy_community_gets_no_t5_finding(seed: int) -> None:
    results = Results(simulate("healthy", seed=seed).trace())
    assert emotion_work_concentrated(results) == []
    assert uncontained_emotion(results) == []
    groups = emotion_work_by_group(results.trace).to_pylist()
    assert {r["grouping"] for r in groups} >= {"formal", "core"}
