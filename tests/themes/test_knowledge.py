"""K knowledge-creation metrics: resolution, uptake, idea diffusion, artefacts."""

from __future__ import annotations

from typing import Any

import pytest
from _power import FakeResults, check_contract, power_metrics

from undertow.testing import make_trace, tiny_trace
from undertow.themes.knowledge.artefacts import knowledge_artefacts
from undertow.themes.knowledge.findings import knowledge_creation, uptake_gap
from undertow.themes.knowledge.ideas import idea_uptake, idea_uptake_summary
from undertow.themes.knowledge.resolution import thread_resolution
from undertow.themes.knowledge.uptake import contribution_uptake
from undertow.themes.registry import REGISTRY


def idea_trace() -> Any:
    """'alice' coins two terms others pick up; 'bob' coins one nobody uses."""
    rows = [
        {"message_id": "0", "author_id": "x", "created_at": 0, "text": "warmup words"},
        {"message_id": "1", "author_id": "alice", "created_at": 100, "text": "zorbulator"},
        {"message_id": "2", "author_id": "bob", "created_at": 101, "text": "quuxification"},
        {"message_id": "3", "author_id": "carol", "created_at": 102, "text": "zorbulator"},
        {"message_id": "4", "author_id": "dave", "created_at": 103, "text": "the zorbulator"},
        {"message_id": "5", "author_id": "alice", "created_at": 104, "text": "frobnicate"},
        {"message_id": "6", "author_id": "carol", "created_at": 105, "text": "frobnicate"},
        {"message_id": "7", "author_id": "dave", "created_at": 106, "text": "frobnicate it"},
    ]
    return make_trace(rows)


def test_thread_resolution_on_tiny_trace() -> None:
    row = thread_resolution(tiny_trace()).to_pylist()[0]
    # Threads started by a post: q1 (resolved after 2 h), q2, q3; p1 is a patch thread.
    assert row["n"] == 3
    assert row["n_resolved"] == 1
    assert row["resolved_share"] == pytest.approx(1 / 3)
    assert row["median_hours_to_outcome"] == pytest.approx(2.0)
    assert row["resolved_share_lo"] <= row["resolved_share"] <= row["resolved_share_hi"]


def test_thread_resolution_needs_outcomes() -> None:
    trace = make_trace([{"message_id": "m", "author_id": "a"}])
    assert REGISTRY["thread_resolution"].missing(trace) == "the trace has no outcomes"


def test_contribution_uptake_counts_acks_and_outcomes() -> None:
    rows = [
        {"message_id": "p1", "author_id": "a", "kind": "patch", "has_patch": True},
        {"message_id": "k1", "author_id": "m", "kind": "ack", "parent_id": "p1"},
        {"message_id": "p2", "author_id": "b", "kind": "patch", "has_patch": True},
        {"message_id": "r2", "author_id": "m", "parent_id": "p2", "text": "no"},
        {"message_id": "p3", "author_id": "c", "kind": "patch", "has_patch": True},
        {"message_id": "p4", "author_id": "a", "kind": "patch", "has_patch": True},
    ]
    outcomes = [{"thread_id": "p3", "message_id": "p3", "kind": "merged"}]
    table = contribution_uptake(make_trace(rows, outcomes=outcomes))
    overall = table.to_pylist()[0]
    assert overall["group"] == "all"
    # p1 acked, p3 merged; p2 only got a bare reply, p4 nothing.
    assert overall["uptake_rate"] == pytest.approx(2 / 4)
    assert overall["n"] == 4 and overall["n_people"] == 3


def test_idea_uptake_credits_the_introducer() -> None:
    per_person = {r["person_id"]: r for r in idea_uptake(idea_trace()).to_pylist()}
    assert per_person["alice"]["n_adopted"] == 2
    assert per_person["bob"]["n_adopted"] == 0
    assert per_person["bob"]["n_introduced"] == 1
    summary = idea_uptake_summary(idea_trace()).to_pylist()[0]
    assert summary["n_adopted"] == 2
    # Terms first seen in the burn-in (the first 10% of the span) are nobody's ideas.
    assert "x" not in per_person


def test_idea_uptake_outputs_no_terms() -> None:
    table = idea_uptake(idea_trace())
    values = {str(v) for column in table.columns for v in column.to_pylist()}
    assert "zorbulator" not in values and "frobnicate" not in values


def test_knowledge_artefacts_per_month() -> None:
    rows = {(r["kind"], r["n_artefacts"]) for r in knowledge_artefacts(tiny_trace()).to_pylist()}
    assert rows == {("resolved", 1), ("applied", 1)}


def test_findings_state_numbers() -> None:
    findings = knowledge_creation(FakeResults(tiny_trace()))
    assert findings and "33%" in findings[0].statement
    assert isinstance(uptake_gap(FakeResults(tiny_trace())), list)


@pytest.mark.parametrize("name", power_metrics("knowledge"))
def test_contract(name: str) -> None:
    check_contract(name, tiny_trace())
    check_contract(name, idea_trace())


def test_power_rules_survive_suppressed_cells() -> None:
    from _power import SuppressedResults
    from test_dominance import planted_dominant_trace
    from test_leadership import planted_chilling_trace

    from undertow.themes.registry import FINDING_RULES

    themes = ("knowledge", "dominance", "leadership", "formal_vs_emergent")
    rules = [
        rule
        for theme in themes
        for rule in FINDING_RULES[theme]
        if rule.__module__ == f"undertow.themes.{theme}.findings"
    ]
    assert len(rules) >= 9
    for trace in (tiny_trace(), planted_dominant_trace(), planted_chilling_trace()):
        results = SuppressedResults(trace)
        for rule in rules:
            for finding in rule(results):
                assert finding.statement and finding.n >= 0
