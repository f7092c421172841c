"""Reports built for the report tests: an ordinary one and one from hostile inputs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from undertow.diagnosis import analyze
from undertow.model.trace import Trace
from undertow.synthetic import synthetic_tables
from undertow.testing import make_trace
from undertow.themes.registry import (
    FINDING_RULES,
    REGISTRY,
    Chart,
    Finding,
    Results,
    finding_rule,
    metric,
)

RLO = "\u202e"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "javascript:alert(3)",
    "</script><script>alert(4)</script>",
    "line\u2028separator\u2029para",
    f"{RLO}gnp.exe",
    "{{ 7*7 }} & &amp; <b>bold</b>",
]


def hostile_trace() -> Trace:
    """People, texts and spaces named with markup, script, separators and bidi overrides."""
    authors = [f"{HOSTILE[i % len(HOSTILE)]}#{i}" for i in range(14)]
    messages = []
    for i in range(60):
        thread = f"t{i % 12}"
        row = {
            "message_id": f"m{i}",
            "author_id": authors[i % len(authors)],
            "created_at": i * 7,
            "text": HOSTILE[i % len(HOSTILE)] + " thanks, that worked",
            "space_id": HOSTILE[i % 3],
        }
        if i >= 12:
            row["parent_id"] = f"m{i % 12}"
            row["thread_id"] = f"m{i % 12}"
        else:
            row["message_id"] = f"m{i}"
        messages.append(row)
    _ = thread
    spaces = [
        {"space_id": HOSTILE[i], "name": HOSTILE[i + 3], "governance": g}
        for i, g in enumerate(("official", "emergent", "unknown"))
    ]
    roles = [
        {"person_id": authors[0], "role": HOSTILE[1], "rank": 2, "unit": HOSTILE[5]},
        {"person_id": authors[1], "role": HOSTILE[2], "rank": 1, "unit": HOSTILE[6]},
    ]
    outcomes = [{"thread_id": "m1", "kind": "resolved"}, {"thread_id": "m2", "kind": "resolved"}]
    return make_trace(messages, spaces=spaces, roles=roles, outcomes=outcomes)


def _register_hostile_examples() -> None:
    @metric(
        theme="leadership",
        columns=["label", "value", "value_lo", "value_hi", "n"],
        source=HOSTILE[0],
        chart=Chart(kind="errorbar", x="label", y="value", lo="value_lo", hi="value_hi"),
    )
    def hostile_labels(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Values labelled with hostile strings <script>alert(5)</script>."""
        k = len(HOSTILE)
        return pa.table(
            {
                "label": HOSTILE,
                "value": [0.5 + i / 10 for i in range(k)],
                "value_lo": [0.4 + i / 10 for i in range(k)],
                "value_hi": [0.6 + i / 10 for i in range(k)],
                "n": pa.array([10] * k, pa.int64()),
            }
        )

    @metric(
        theme="novices_masters",
        columns=["source_id", "target_id", "role", "n"],
        source="hostile sociogram",
        chart=Chart(kind="network", x="source_id", y="target_id", group="role"),
    )
    def hostile_network(trace: Trace, *, seed: int = 0) -> pa.Table:
        """A sociogram whose nodes have hostile names."""
        return pa.table(
            {
                "source_id": [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[0]],
                "target_id": [None, HOSTILE[0], HOSTILE[0], HOSTILE[3]],
                "role": [HOSTILE[5], None, None, None],
                "n": pa.array([5, 3, 2, 1], pa.int64()),
            }
        )

    @finding_rule(theme="leadership")
    def hostile_finding(results: Results) -> list[Finding]:
        return [
            Finding(
                theme="leadership",
                kind="chilling_leader",
                title=HOSTILE[0],
                statement=" ".join(HOSTILE),
                severity="moderate",
                n=7,
                effect=0.5,
                confidence=0.9,
                evidence=("leadership/hostile_labels", HOSTILE[2]),
                caveat=HOSTILE[3],
                subjects=tuple(HOSTILE[:3]),
                at=HOSTILE[4],
                null_model=HOSTILE[6],
            )
        ]


@pytest.fixture
def hostile_strings() -> list[str]:
    """The hostile strings the hostile report is built from."""
    return list(HOSTILE)


@pytest.fixture
def hostile_registry() -> Iterator[None]:
    """The real registry plus metrics and a rule that put hostile strings everywhere."""
    saved_metrics, saved_rules = dict(REGISTRY), {k: list(v) for k, v in FINDING_RULES.items()}
    try:
        _register_hostile_examples()
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved_metrics)
        FINDING_RULES.clear()
        FINDING_RULES.update(saved_rules)


@pytest.fixture
def hostile_report(tmp_path: Path, hostile_registry: None) -> Path:
    analyze(hostile_trace(), tmp_path / "hostile", k=1, allow_small_k=True, progress=False)
    return tmp_path / "hostile" / "report.html"


@pytest.fixture(scope="session")
def community_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a generated community with every registered metric."""
    out = tmp_path_factory.mktemp("community")
    analyze(Trace(synthetic_tables(6000, seed=5)), out, progress=False)
    return out / "report.html"
