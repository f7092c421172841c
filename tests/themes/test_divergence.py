"""T7: divergence, workaround terms, adherence, entrenchment; planted divergence recovered."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.diagnosis.findings import control_fdr
from undertow.model.trace import Trace
from undertow.simulate import simulate
from undertow.testing import make_trace
from undertow.themes import REGISTRY
from undertow.themes.divergence.doc_divergence import doc_divergence, leader_divergence
from undertow.themes.divergence.findings import (
    divergence_shift,
    practice_divergence,
    straddle_windows,
)
from undertow.themes.divergence.practice import canonical_adherence, norm_entrenchment
from undertow.themes.divergence.terms import jensen_shannon
from undertow.themes.divergence.workarounds import workaround_vocabulary


class Results:
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


def test_jensen_shannon_bounds_and_symmetry() -> None:
    p, q = np.array([3.0, 1.0, 0.0]), np.array([0.0, 1.0, 3.0])
    assert jensen_shannon(p, q) == pytest.approx(jensen_shannon(q, p))
    assert 0 < jensen_shannon(p, q) < 1
    assert np.isnan(jensen_shannon([0, 0], [1, 1]))


def test_divergence_follows_document_versions() -> None:
    documents = [
        {"document_id": "v1", "title": "policy", "valid_from": "2020-01-01", "text": "alpha beta"},
        {"document_id": "v2", "title": "policy", "valid_from": "2020-03-01", "text": "gamma delta"},
    ]
    messages = [
        {"message_id": "m1", "author_id": "a", "created_at": "2020-01-15", "text": "alpha beta"},
        {"message_id": "m2", "author_id": "a", "created_at": "2020-03-15", "text": "alpha beta"},
    ]
    table = doc_divergence(make_trace(messages, documents=documents)).to_pylist()
    assert [row["jsd"] for row in table] == [0.0, 1.0]  # v2 replaced v1 in March


def test_without_documents_spaces_are_the_reference() -> None:
    messages = [
        {"message_id": "m1", "author_id": "a", "space_id": "o", "text": "release process"},
        {"message_id": "m2", "author_id": "b", "space_id": "e", "text": "release kludge"},
    ]
    spaces = [
        {"space_id": "o", "governance": "official"},
        {"space_id": "e", "governance": "emergent"},
    ]
    row = doc_divergence(make_trace(messages, spaces=spaces)).to_pylist()[0]
    assert row["reference"] == "official_spaces" and 0 < row["jsd"] < 1


def test_workaround_vocabulary_hides_names_and_rare_terms() -> None:
    messages = [
        {"message_id": f"m{i}", "author_id": f"u{i}", "text": f"Ask Laurent about the kludge {i}"}
        for i in range(6)
    ] + [{"message_id": "x", "author_id": "u0", "text": "secretword"}]
    documents = [{"document_id": "d", "text": "ask about the process"}]
    terms = workaround_vocabulary(make_trace(messages, documents=documents))
    assert terms.column("term").to_pylist() == ["kludge"]  # not the name, not the rare word
    assert terms.column("n_people").to_pylist() == [6]


def test_adherence_and_entrenchment() -> None:
    messages = [
        {
            "message_id": "c1",
            "author_id": "vet",
            "kind": "commit",
            "created_at": 0,
            "text": "Update the coding style guideline",
        },
        {"message_id": "a1", "author_id": "rev", "parent_id": "c1", "kind": "ack", "created_at": 1},
        {
            "message_id": "c2",
            "author_id": "vet",
            "kind": "commit",
            "created_at": 5000,
            "text": "Change the release process",
        },
        {
            "message_id": "c3",
            "author_id": "new",
            "kind": "commit",
            "created_at": 5001,
            "text": "Relax the review policy",
        },
    ]
    outcomes = [
        {"thread_id": "c1", "message_id": "c1", "kind": "merged"},
        {"thread_id": "c2", "message_id": "c2", "kind": "merged"},
    ]
    trace = make_trace(messages, outcomes=outcomes)
    assert sum(canonical_adherence(trace).column("n").to_pylist()) == 3
    rows = {r["group"]: r for r in norm_entrenchment(trace).to_pylist()}
    # c1 is in vet's first 180 days (newcomer, accepted); c3 is new's (rejected).
    assert rows["newcomer"]["acceptance_rate"] == 0.5
    assert rows["veteran"]["acceptance_rate"] == 1.0


def test_planted_divergence_recovered_with_its_date() -> None:
    result = simulate("divergence", seed=0)
    planted = result.truth["planted"][0]
    findings = practice_divergence(Results(result.trace()))
    assert [f.kind for f in findings] == ["practice_divergence"]
    assert findings[0].at == planted["at"]
    # Six months a side leave the rise's interval wide: tested, not necessarily severe.
    assert findings[0].p_value is not None and findings[0].p_value < 0.05
    leaders = {r["group"]: r for r in leader_divergence(result.trace()).to_pylist()}
    assert leaders["difference"]["jsd_hi"] < 0  # leaders stay closer to the official line


def test_healthy_community_shows_no_divergence() -> None:
    raised, _ = control_fdr(practice_divergence(Results(simulate("healthy", seed=0).trace())))
    assert raised == []


class _SomeMonthsSuppressed(Results):
    """doc_divergence as the pipeline hands it over when a few months had < k people."""

    def get(self, name: str) -> pa.Table | None:
        table = super().get(name)
        if name != "doc_divergence" or table is None:
            return table
        hidden = pa.array([i % 7 == 3 for i in range(table.num_rows)])
        jsd = pc.if_else(hidden, pa.scalar(None, pa.float64()), table.column("jsd"))
        return table.set_column(table.schema.get_field_index("jsd"), "jsd", jsd).append_column(
            "suppressed", hidden
        )


def test_suppressed_months_are_skipped_not_propagated() -> None:
    result = simulate("divergence", seed=0)
    findings = practice_divergence(_SomeMonthsSuppressed(result.trace()))
    assert [f.at for f in findings] == [result.truth["planted"][0]["at"]]
    statement = findings[0].statement
    assert "nan" not in statement and "None" not in statement and "p = 0.000" not in statement


def test_the_month_that_straddles_the_date_is_in_neither_window() -> None:
    # Month 8 holds the date (day 84 of months starting every 10 days); it is measured
    # against the new reference, so it already carries the new level.
    periods = np.arange(18) * 10
    jsd = np.r_[np.full(8, 0.45), np.full(10, 0.6)] + np.tile([0.004, -0.004], 9)
    best, rise, p_value = divergence_shift(periods, jsd, np.array([84]))
    assert best == 0 and abs(rise - 0.15) < 1e-9 and p_value < 0.01
    assert straddle_windows(periods, 84) == (8, 9)
    assert straddle_windows(periods, 80) == (8, 8)
