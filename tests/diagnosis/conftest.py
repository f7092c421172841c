"""Example metrics and finding rules, registered only while a test runs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.model.trace import Trace
from undertow.themes.decision import Decision
from undertow.themes.registry import (
    FINDING_RULES,
    REGISTRY,
    Chart,
    Finding,
    MetricSkipped,
    Results,
    finding_rule,
    metric,
)

HOSTILE = "<script>alert(1)</script>\u2028</script>\u202eevil"


def _register_examples() -> None:
    @metric(
        theme="dominance",
        columns=["x", "y", "n"],
        source="Lorenz (1905)",
        chart=Chart(kind="lorenz", x="x", y="y", title="Lorenz curve"),
    )
    def example_lorenz(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Lorenz curve of messages per person."""
        counts = (
            trace.arrow("messages")
            .group_by("author_id")
            .aggregate([("message_id", "count")])
            .column("message_id_count")
            .to_numpy()
        )
        ordered = np.sort(counts)
        total = max(1, int(ordered.sum()))
        return pa.table(
            {
                "x": np.arange(1, len(ordered) + 1) / max(1, len(ordered)),
                "y": np.cumsum(ordered) / total,
                "n": np.full(len(ordered), len(ordered), dtype=np.int64),
            }
        )

    @metric(
        theme="leadership",
        columns=["group", "rate", "rate_lo", "rate_hi", "n", "n_people"],
        source="example",
        chart=Chart(kind="errorbar", x="group", y="rate", lo="rate_lo", hi="rate_hi"),
    )
    def example_groups(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Message share by author group (first letter of the pseudonym)."""
        messages = trace.arrow("messages")
        if messages.num_rows == 0:
            return pa.table(
                {
                    "group": pa.array([], pa.string()),
                    "rate": pa.array([], pa.float64()),
                    "rate_lo": pa.array([], pa.float64()),
                    "rate_hi": pa.array([], pa.float64()),
                    "n": pa.array([], pa.int64()),
                    "n_people": pa.array([], pa.int64()),
                }
            )
        first = pc.utf8_slice_codeunits(messages.column("author_id"), 0, 1)
        table = pa.table({"group": first, "author_id": messages.column("author_id")})
        grouped = table.group_by("group").aggregate(
            [("author_id", "count"), ("author_id", "count_distinct")]
        )
        n = grouped.column("author_id_count").to_numpy()
        rate = n / n.sum()
        return pa.table(
            {
                "group": grouped.column("group"),
                "rate": rate,
                "rate_lo": rate * 0.8,
                "rate_hi": np.minimum(1.0, rate * 1.2),
                "n": pa.array(n, pa.int64()),
                "n_people": grouped.column("author_id_count_distinct").cast(pa.int64()),
            }
        )

    @metric(theme="divergence", columns=["n"], source="example", requires=("documents",))
    def example_needs_documents(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Needs documents."""
        return pa.table({"n": pa.array([1], pa.int64())})

    @metric(theme="timing", columns=["n"], source="example")
    def example_skips(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Always skips."""
        raise MetricSkipped("the example never has enough data")

    @metric(theme="emotion_work", columns=["n"], source="example")
    def example_fails(trace: Trace, *, seed: int = 0) -> pa.Table:
        """Always fails."""
        raise ZeroDivisionError("planted failure")

    @finding_rule(theme="dominance")
    def example_rule(results: Results) -> list[Finding]:
        table = results.get("example_lorenz")
        if table is None or table.num_rows == 0:
            return []
        top = results.trace.arrow("people").column("person_id")[0].as_py()
        return [
            Finding(
                theme="dominance",
                kind="dominant_actor",
                title="One voice dominates",
                statement="The most active person writes most messages.",
                severity="moderate",
                n=table.num_rows,
                effect=1.0,
                confidence=0.9,
                evidence=("dominance/example_lorenz",),
                caveat="Counts messages, not words.",
                estimate=0.5,
                ci_low=0.4,
                ci_high=0.6,
                subjects=(top,),
                direction="limits",
                decision=Decision(
                    test="permutation",
                    null="messages exchangeable among people",
                    estimate=0.5,
                    ci_low=0.4,
                    ci_high=0.6,
                    p_value=0.001,
                    n=table.num_rows,
                    unit="people",
                ),
            ),
            Finding(
                theme="leadership",
                kind="weak_example",
                title="A weak pattern",
                statement="Small.",
                severity="low",
                n=3,
                effect=0.1,
                confidence=0.5,
                evidence=(),
                caveat="Tiny.",
                decision=Decision(
                    test="cluster_bootstrap",
                    null="no difference",
                    estimate=0.1,
                    ci_low=0.05,
                    ci_high=0.15,
                    p_value=0.02,
                    n=3,
                    unit="threads",
                ),
            ),
        ]


@pytest.fixture
def example_registry() -> Iterator[None]:
    """Replace the registry with the example metrics and rules for one test."""
    saved_metrics, saved_rules = dict(REGISTRY), {k: list(v) for k, v in FINDING_RULES.items()}
    REGISTRY.clear()
    FINDING_RULES.clear()
    try:
        _register_examples()
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved_metrics)
        FINDING_RULES.clear()
        FINDING_RULES.update(saved_rules)
