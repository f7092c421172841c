"""What a diagnosis holds: every metric's outcome, the published tables and the findings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from undertow.model.trace import Trace
from undertow.themes.registry import THEMES, Finding, MetricSpec

__all__ = ["Diagnosis", "Family", "MetricRun", "RuleFailure", "family_record", "finding_record"]

Status = Literal["ok", "skipped", "failed"]


@dataclass
class MetricRun:
    """The outcome of one registered metric in a run.

    Attributes
    ----------
    spec
        The metric's registration.
    status
        ``ok`` (table computed), ``skipped`` (requirements unmet or ``MetricSkipped``)
        or ``failed`` (an unexpected error).
    reason
        Why it was skipped or how it failed (``ErrorType: message``).
    table
        The published table (after small-cell suppression and role merging).
    seconds
        Wall time of the metric (recorded in ``run.json`` only).
    error_type
        The exception class name of a failure.
    withheld
        Which estimates of a computed table were blanked because their interval had no
        width, and how many (``undertow.diagnosis.pipeline.withhold_degenerate``).
    """

    spec: MetricSpec
    status: Status
    reason: str | None = None
    table: pa.Table | None = None
    seconds: float = 0.0
    error_type: str | None = None
    withheld: str | None = None


@dataclass(frozen=True)
class RuleFailure:
    """A finding rule that raised instead of returning findings."""

    theme: str
    rule: str
    error_type: str
    message: str


@dataclass(frozen=True)
class Family:
    """The run's family of decision tests and what false-discovery control kept.

    Attributes
    ----------
    size
        Decision tests in the run (every candidate finding with a p-value).
    level
        The q-value at or below which a finding is raised.
    raised
        Tested findings raised (q at or below ``level``).
    withheld
        Tested findings not raised (their tables remain in ``metrics/``).
    withheld_kinds
        Kinds of the withheld findings, sorted.
    """

    size: int
    level: float
    raised: int
    withheld: int
    withheld_kinds: tuple[str, ...]
    method: str = "Benjamini-Hochberg"


@dataclass
class Diagnosis:
    """The result of :func:`undertow.analyze`, and the ``Results`` that finding rules read.

    Finding rules see the *published* tables: small groups are already suppressed, rare
    roles merged and role dates coarsened, so a finding can never state a number of a
    suppressed group. Declared people counts are hidden after the rules ran, and any count
    of 1 to k-1 people in a finding's text reads "fewer than k"
    (:func:`undertow.diagnosis.pipeline.coarsen_findings`).
    """

    trace: Trace
    k: int
    seed: int
    engine: str
    allow_small_k: bool = False
    #: The coordination marker lexicon: display name and sha256 (never its path).
    markers: dict[str, str] = field(default_factory=dict)
    #: Each tone measure used (hostility, polarity) -> its validity, in one sentence.
    tone: dict[str, str] = field(default_factory=dict)
    runs: dict[str, MetricRun] = field(default_factory=dict)
    #: Findings: each from a declared test with estimate, interval, p, q and n.
    findings: list[Finding] = field(default_factory=list)
    #: Descriptive notes (``info``, no test): what was measured, never a finding.
    notes: list[Finding] = field(default_factory=list)
    rule_failures: list[RuleFailure] = field(default_factory=list)
    #: The run's family of decision tests (set when the findings are collected).
    family: Family | None = None
    out: Any = None
    #: Files written and audited clean (empty when nothing was written).
    published: list[Any] = field(default_factory=list)

    def get(self, name: str) -> pa.Table | None:
        """The published table of metric ``name``, or ``None`` if it did not run."""
        run = self.runs.get(name)
        return run.table if run is not None and run.status == "ok" else None

    @property
    def computed(self) -> list[MetricRun]:
        """Metrics that produced a table, in report order."""
        return [run for run in self._ordered() if run.status == "ok"]

    @property
    def skipped(self) -> list[MetricRun]:
        """Metrics skipped because their inputs are missing or unusable, in report order."""
        return [run for run in self._ordered() if run.status == "skipped"]

    @property
    def failed(self) -> list[MetricRun]:
        """Metrics that raised an unexpected error, in report order."""
        return [run for run in self._ordered() if run.status == "failed"]

    @property
    def ok(self) -> bool:
        """Whether every metric and finding rule ran without an unexpected error."""
        return not self.failed and not self.rule_failures

    def _ordered(self) -> list[MetricRun]:
        order = {theme: position for position, theme in enumerate(THEMES)}
        return sorted(
            self.runs.values(), key=lambda run: (order.get(run.spec.theme, 99), run.spec.name)
        )


def _plain(value: Any) -> Any:
    """JSON-safe value: NaN/inf become null, tuples lists, mappings sorted dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON object written to ``findings.json``.

    Examples
    --------
    >>> f = Finding(theme="dominance", kind="dominant_actor", title="t", statement="s",
    ...             severity="low", n=10, effect=0.5, confidence=0.9, evidence=("dominance/x",),
    ...             caveat="c")
    >>> record = finding_record(f)
    >>> record["rank_score"], record["evidence"]
    (0.45, ['dominance/x'])
    """
    return {
        "theme": finding.theme,
        "kind": finding.kind,
        "title": finding.title,
        "statement": finding.statement,
        "severity": finding.severity,
        "n": _plain(finding.n),
        "estimate": _plain(finding.estimate),
        "ci_low": _plain(finding.ci_low),
        "ci_high": _plain(finding.ci_high),
        "null_model": finding.null_model,
        "effect": _plain(finding.effect),
        "confidence": _plain(finding.confidence),
        "rank_score": _plain(round(finding.rank_score, 12)),
        "caveat": finding.caveat,
        "evidence": list(finding.evidence),
        "subjects": list(finding.subjects),
        "at": finding.at,
        "direction": finding.direction,
        "details": _plain(dict(finding.details)),
        "test": _decision_record(finding),
    }


def _decision_record(finding: Finding) -> dict[str, Any] | None:
    decision = finding.decision
    if decision is None:
        return None
    return {
        "kind": decision.test,
        "null": decision.null,
        "estimate": _plain(decision.estimate),
        "ci_low": _plain(decision.ci_low),
        "ci_high": _plain(decision.ci_high),
        "p_value": _plain(decision.p_value),
        "q_value": _plain(decision.q_value),
        "family_size": decision.family_size,
        "n": decision.n,
        "unit": decision.unit,
        "n_smallest": decision.n_smallest,
    }


def family_record(family: Family | None) -> dict[str, Any] | None:
    """The run's decision family as written to ``run.json`` and shown in the report."""
    if family is None:
        return None
    return {
        "method": family.method,
        "level": family.level,
        "size": family.size,
        "raised": family.raised,
        "withheld": family.withheld,
        "withheld_kinds": list(family.withheld_kinds),
    }
