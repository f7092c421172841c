"""T3 formal-vs-emergent metrics: E-I index, QAP, brokerage (against brute force), spaces."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from _power import FakeResults, check_contract, power_metrics

from undertow.model.trace import Trace
from undertow.testing import make_trace, tiny_trace
from undertow.themes.formal_vs_emergent.alignment import qap_correlation
from undertow.themes.formal_vs_emergent.brokerage import (
    BROKER_ROLES,
    broker_formal_roles,
    brokerage,
)
from undertow.themes.formal_vs_emergent.ei_index import ei_index
from undertow.themes.formal_vs_emergent.findings import emergent_brokers, unit_silos
from undertow.themes.formal_vs_emergent.spaces import space_governance
from undertow.themes.registry import REGISTRY, MetricSkipped


def siloed_trace(cross: float = 0.1, seed: int = 0) -> Trace:
    """Three units of eight people; a share `cross` of replies ignore the units."""
    rng = np.random.default_rng(seed)
    people = [f"{unit}{i}" for unit in "abc" for i in range(8)]
    unit_of = {p: p[0] for p in people}
    rows: list[dict[str, Any]] = []
    for k in range(400):
        asker = people[int(rng.integers(len(people)))]
        # With probability `cross` anyone may answer (random mixing), else a unit mate.
        anyone = rng.random() < cross
        pool = [p for p in people if p != asker and (anyone or unit_of[p] == unit_of[asker])]
        answerer = pool[int(rng.integers(len(pool)))]
        rows += [
            {"message_id": f"q{k}", "author_id": asker, "created_at": 2 * k},
            {
                "message_id": f"r{k}",
                "author_id": answerer,
                "parent_id": f"q{k}",
                "created_at": 2 * k + 1,
            },
        ]
    roles = [
        {
            "person_id": p,
            "role": "lead" if p.endswith("0") else "member",
            "rank": 1 if p.endswith("0") else 0,
            "unit": unit_of[p],
        }
        for p in people
    ]
    return make_trace(rows, roles=roles)


def test_ei_index_detects_silos() -> None:
    rows = {r["unit"]: r for r in ei_index(siloed_trace(), seed=1).to_pylist()}
    overall = rows[None]
    assert overall["ei_index"] < -0.3
    assert overall["null_mean"] > 0  # random labels: most ties cross three units
    assert overall["p_value"] < 0.01
    assert set(rows) == {None, "a", "b", "c"}
    finding = unit_silos(FakeResults(siloed_trace()))[0]
    assert finding.kind == "unit_silos" and finding.direction == "limits"


def test_ei_index_without_silos_is_within_the_null() -> None:
    row = next(
        r for r in ei_index(siloed_trace(cross=1.0), seed=1).to_pylist() if r["unit"] is None
    )
    assert row["null_lo"] <= row["ei_index"] <= row["null_hi"]


def test_qap_correlation_matches_numpy() -> None:
    trace = siloed_trace()
    row = qap_correlation(trace, seed=0).to_pylist()[0]
    messages = trace.arrow("messages").to_pylist()
    author = {m["message_id"]: m["author_id"] for m in messages}
    people = sorted({m["author_id"] for m in messages})
    index = {p: i for i, p in enumerate(people)}
    y = np.zeros((len(people), len(people)))
    for m in messages:
        if m["parent_id"]:
            i, j = index[m["author_id"]], index[author[m["parent_id"]]]
            if i != j:
                y[i, j] += 1
                y[j, i] += 1
    x = np.array([[p[0] == q[0] for q in people] for p in people], dtype=float)
    upper = np.triu_indices(len(people), 1)
    expected = np.corrcoef(x[upper], y[upper])[0, 1]
    assert row["correlation"] == pytest.approx(expected)
    assert row["p_value"] < 0.01
    assert row["n_people"] == len(people)


def _brute_force_brokerage(trace: Trace) -> dict[str, dict[str, int]]:
    messages = trace.arrow("messages").to_pylist()
    author = {m["message_id"]: m["author_id"] for m in messages}
    roles = {r["person_id"]: r["unit"] for r in trace.arrow("roles").to_pylist()}
    ties = {
        (m["author_id"], author[m["parent_id"]])
        for m in messages
        if m["parent_id"] and m["author_id"] != author[m["parent_id"]]
    }
    counts: dict[str, dict[str, int]] = {}
    people = sorted({p for tie in ties for p in tie})
    for a, b, c in itertools.permutations(people, 3):
        if (a, b) in ties and (b, c) in ties and (a, c) not in ties:
            ga, gb, gc = roles[a], roles[b], roles[c]
            if ga == gb == gc:
                role = "coordinator"
            elif ga != gb and gb == gc:
                role = "gatekeeper"
            elif ga == gb and gb != gc:
                role = "representative"
            elif ga == gc:
                role = "itinerant"
            else:
                role = "liaison"
            unit = counts.setdefault(gb, dict.fromkeys(BROKER_ROLES, 0))
            unit[role] += 1
    return counts


def test_brokerage_matches_brute_force() -> None:
    trace = siloed_trace(cross=0.3, seed=4)
    expected = _brute_force_brokerage(trace)
    got = {r["unit"]: r for r in brokerage(trace).to_pylist()}
    assert set(got) == set(expected)
    for unit, counts in expected.items():
        assert not got[unit]["sampled"]
        for role in BROKER_ROLES:
            assert got[unit][role] == counts[role], (unit, role)


def test_brokers_and_formal_roles() -> None:
    table = broker_formal_roles(siloed_trace(cross=0.3))
    groups = {r["group"]: r for r in table.to_pylist()}
    assert groups["brokers"]["n"] + groups["others"]["n"] == 24
    assert 0.0 <= groups["brokers"]["formal_share"] <= 1.0
    assert emergent_brokers(FakeResults(siloed_trace(cross=0.3)))[0].kind == "emergent_brokers"


def test_space_governance() -> None:
    rows = []
    for k in range(40):
        official = k % 2 == 0
        rows.append(
            {
                "message_id": f"m{k}",
                "author_id": "boss" if official else f"u{k % 9}",
                "space_id": "announce" if official else "lounge",
                "text": "Policy update." if official else "This is great, love it!",
            }
        )
    spaces = [
        {"space_id": "announce", "governance": "official"},
        {"space_id": "lounge", "governance": "emergent"},
    ]
    table = {
        r["governance"]: r for r in space_governance(make_trace(rows, spaces=spaces)).to_pylist()
    }
    assert table["official"]["n_people"] == 1 and table["emergent"]["n_people"] == 9
    assert table["emergent"]["mean_valence"] > table["official"]["mean_valence"]
    one_kind = make_trace(rows, spaces=[{"space_id": "announce", "governance": "official"}])
    with pytest.raises(MetricSkipped, match="both official and emergent"):
        space_governance(one_kind)


def test_skipped_without_units() -> None:
    trace = make_trace(
        [{"message_id": "m", "author_id": "a"}],
        roles=[{"person_id": "a", "role": "lead", "rank": 1}],
    )
    for name in ("ei_index", "qap_correlation", "brokerage", "broker_formal_roles"):
        assert REGISTRY[name].missing(trace) == "the trace's roles carry no unit"


@pytest.mark.parametrize("name", power_metrics("formal_vs_emergent"))
def test_contract(name: str) -> None:
    check_contract(name, siloed_trace())
    check_contract(name, tiny_trace())


def test_ei_counts_match_tie_by_tie_counting() -> None:
    from undertow.themes.formal_vs_emergent.ei_index import _ei_counts

    rng = np.random.default_rng(3)
    n_people, n_units = 40, 5
    low = rng.integers(0, n_people - 1, 300)
    high = low + rng.integers(1, n_people - low)
    labels = rng.integers(0, n_units, (7, n_people))
    internal, external = _ei_counts(labels, low, high, n_units)
    for row in range(labels.shape[0]):
        a, b = labels[row, low], labels[row, high]
        same = a == b
        assert internal[row, 0] == same.sum()
        assert external[row, 0] == (~same).sum()
        for unit in range(n_units):
            assert internal[row, unit + 1] == np.sum(same & (a == unit))
            assert external[row, unit + 1] == np.sum(~same & (a == unit)) + np.sum(
                ~same & (b == unit)
            )
