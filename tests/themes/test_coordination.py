"""Linguistic coordination: known answers, ConvoKit's threshold rules, groups and deference."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.testing import make_trace
from undertow.themes.dominance.coordination import (
    coordination_by_group,
    coordination_by_person,
    coordination_scores,
    deference_gap,
    deference_to_power,
)
from undertow.themes.registry import REGISTRY


def _pairs(target_texts: list[str], reply_texts: list[str]) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = []
    for i, (question, answer) in enumerate(zip(target_texts, reply_texts, strict=True)):
        messages.append({"message_id": f"q{i}", "author_id": "ann", "text": question})
        messages.append(
            {"message_id": f"r{i}", "author_id": "bob", "parent_id": f"q{i}", "text": answer}
        )
    return messages


def test_known_answer_given_and_convokit_threshold_swap() -> None:
    # ann uses an article in 3 of 4 messages; bob's replies echo it in 2 of those 3.
    trace = make_trace(
        _pairs(
            ["the cat", "the dog", "the cow", "cat dog"], ["the bird", "the fish", "bird", "fish"]
        )
    )
    table = coordination_by_person(trace).to_pylist()
    given = [r for r in table if r["direction"] == "given"]
    assert len(given) == 1
    assert given[0]["person_id"] == "bob"
    assert given[0]["n_markers"] == 1
    assert abs(given[0]["coordination"] - (2 / 3 - 2 / 4)) < 1e-12
    # Received: ConvoKit swaps thresholds, so the replies must use the marker >= 3 times
    # (bob used it only twice): ann gets no received score.
    assert not [r for r in table if r["direction"] == "received"]


def test_scores_are_nan_below_threshold_and_match_formula() -> None:
    key = np.array([0, 0, 0, 1], dtype=np.int64)
    target = np.array([1, 1, 1, 1], dtype=np.uint16)
    reply = np.array([1, 0, 0, 1], dtype=np.uint16)
    scores = coordination_scores(key, 2, reply, target, markers=("article",))
    assert np.isclose(scores[0, 0], 1 / 3 - 1 / 3)
    assert np.isnan(scores[1, 0])


def test_self_replies_and_empty_trace() -> None:
    trace = make_trace(
        [
            {"message_id": "a", "author_id": "x", "text": "the"},
            {"message_id": "b", "author_id": "x", "parent_id": "a", "text": "the"},
        ]
    )
    assert coordination_by_person(trace).num_rows == 0
    empty = make_trace([])
    for name in ("coordination_by_person", "coordination_by_group"):
        table = REGISTRY[name](empty)
        assert table.num_rows == 0
        assert set(REGISTRY[name].columns) <= set(table.column_names)


def _deference_trace(echo_leader: bool, seed: int = 0) -> object:
    rng = np.random.default_rng(seed)
    words = ["the", "it", "and", "very", "you", "in", "all", "is"]
    messages: list[dict[str, object]] = []
    peers = [f"p{i}" for i in range(8)]
    for i in range(400):
        target = "lead" if i % 2 == 0 else peers[(i // 2) % len(peers)]
        used = [w for w in words if rng.random() < 0.5]
        messages.append({"message_id": f"t{i}", "author_id": target, "text": " ".join(used) + " x"})
        speaker = peers[(i // 2 + 1 + i % 3) % len(peers)]
        if speaker == target:
            speaker = peers[(peers.index(speaker) + 1) % len(peers)]
        if echo_leader and target == "lead":
            reply = [w for w in words if (w in used and rng.random() < 0.9) or rng.random() < 0.2]
        else:
            reply = [w for w in words if rng.random() < 0.5]
        messages.append(
            {
                "message_id": f"r{i}",
                "author_id": speaker,
                "parent_id": f"t{i}",
                "text": " ".join(reply) + " y",
            }
        )
    return make_trace(messages, roles=[{"person_id": "lead", "role": "maintainer", "rank": 2}])


class _Results:
    def __init__(self, tables: dict[str, pa.Table], trace: object) -> None:
        self._tables, self._trace = tables, trace

    def get(self, name: str) -> pa.Table | None:
        return self._tables.get(name)

    @property
    def trace(self) -> object:
        return self._trace


def test_deference_gap_detects_echoing_of_leader() -> None:
    trace = _deference_trace(echo_leader=True)
    row = deference_gap(trace, seed=1).to_pylist()[0]
    assert row["gap"] > 0.2
    assert row["gap_lo"] > 0
    assert row["n_people"] == 8
    findings = deference_to_power(_Results({"deference_gap": deference_gap(trace)}, trace))  # type: ignore[arg-type]
    assert [f.kind for f in findings] == ["deference_to_power"]
    assert findings[0].severity != "severe"


def test_no_deference_when_nobody_echoes() -> None:
    trace = _deference_trace(echo_leader=False)
    row = deference_gap(trace, seed=1).to_pylist()[0]
    assert row["gap_lo"] < 0 < row["gap_hi"] or abs(row["gap"]) < 0.05
    assert deference_gap(trace, seed=1).equals(deference_gap(trace, seed=1))


def test_group_rows_received_more_by_leader() -> None:
    trace = _deference_trace(echo_leader=True)
    table = coordination_by_group(trace, seed=0).to_pylist()
    formal = {(r["group"], r["direction"]): r for r in table if r["grouping"] == "formal"}
    assert (
        formal[("leader", "received")]["coordination"]
        > formal[("other", "received")]["coordination"]
    )
    assert all(r["n_people"] >= 0 and r["n"] >= 0 for r in table)


def test_deference_rule_is_silent_on_a_suppressed_row() -> None:
    trace = _deference_trace(echo_leader=True)
    table = deference_gap(trace)
    nulled = pa.table(
        [
            pa.nulls(table.num_rows, c.type) if not pa.types.is_string(c.type) else c
            for c in table.columns
        ],
        names=table.column_names,
    )
    assert deference_to_power(_Results({"deference_gap": nulled}, trace)) == []  # type: ignore[arg-type]
    findings = deference_to_power(_Results({"deference_gap": table}, trace))  # type: ignore[arg-type]
    assert "p = 0.000" not in findings[0].statement
    assert " 1 people" not in findings[0].statement
