"""Collect the findings of every registered rule, control the false-discovery rate, rank them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import replace

from undertow.diagnosis.results import Diagnosis, Family, RuleFailure
from undertow.themes.decision import FDR_LEVEL, benjamini_hochberg
from undertow.themes.registry import FINDING_RULES, SEVERITIES, THEMES, Finding

__all__ = [
    "Family",
    "collect_findings",
    "control_fdr",
    "is_tested",
    "rank_findings",
    "with_observation_caveat",
]


def _score(finding: Finding) -> float:
    score = finding.rank_score
    return score if math.isfinite(score) else 0.0


def rank_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings by effect × confidence, most important first.

    Descriptive findings (severity ``info``) come after every finding that flags
    something (``low`` and above), each tier ranked by effect × confidence. Ties (and
    findings without a finite score) fall back to severity, theme order, kind and
    title, so the order is the same on every run.

    Examples
    --------
    >>> def make(kind, effect):
    ...     return Finding(theme="dominance", kind=kind, title=kind, statement="", severity="low",
    ...                    n=1, effect=effect, confidence=1.0, evidence=(), caveat="")
    >>> [f.kind for f in rank_findings([make("small", 0.1), make("big", 2.0)])]
    ['big', 'small']
    """
    theme_order = {theme: position for position, theme in enumerate(THEMES)}
    return sorted(
        findings,
        key=lambda f: (
            f.severity == "info",
            -round(_score(f), 12),
            -SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 0,
            theme_order.get(f.theme, len(theme_order)),
            f.kind,
            f.title,
            f.subjects,
        ),
    )


def control_fdr(
    candidates: Iterable[Finding], *, level: float = FDR_LEVEL
) -> tuple[list[Finding], Family]:
    """Benjamini–Hochberg over every tested candidate; those above ``level`` are not raised.

    Each tested finding gets its q-value and the family size in its decision, and
    ``confidence = 1 - q``. Descriptive findings (``info`` without a test) pass as they
    are. A p-value that is not a number counts as 1.

    Examples
    --------
    >>> from undertow.themes.decision import Decision
    >>> def make(kind, p):
    ...     d = Decision(test="permutation", null="none", estimate=1.0, ci_low=0.5, ci_high=2.0,
    ...                  p_value=p, n=10, unit="people")
    ...     return Finding(theme="dominance", kind=kind, title=kind, statement="",
    ...                    severity="low", n=10, effect=1.0, confidence=0.0, evidence=(),
    ...                    caveat="", decision=d)
    >>> kept, family = control_fdr([make("a", 0.001), make("b", 0.04), make("c", 0.9)])
    >>> [f.kind for f in kept], family.size, family.withheld, round(kept[0].q_value, 3)
    (['a'], 3, 2, 0.003)
    """
    candidates = list(candidates)
    tested = [
        index
        for index, finding in enumerate(candidates)
        if finding.decision is not None and finding.decision.tested
    ]
    p_values = []
    for index in tested:
        p = candidates[index].p_value
        p_values.append(p if p is not None and math.isfinite(p) else 1.0)
    q_values = benjamini_hochberg(p_values)
    size = len(tested)
    adjusted = dict(zip(tested, q_values, strict=True))
    kept: list[Finding] = []
    withheld: list[str] = []
    for index, finding in enumerate(candidates):
        if index not in adjusted:
            kept.append(finding)
            continue
        q = adjusted[index]
        decision = finding.decision
        assert decision is not None  # noqa: S101 - tested findings carry a decision
        finding = replace(finding, decision=decision.with_q(q, size), confidence=1.0 - q)
        if q <= level:
            kept.append(finding)
        else:
            withheld.append(finding.kind)
    family = Family(
        size=size,
        level=level,
        raised=size - len(withheld),
        withheld=len(withheld),
        withheld_kinds=tuple(sorted(withheld)),
    )
    return kept, family


def with_observation_caveat(finding: Finding, caveat: str) -> Finding:
    """The finding with what the source could not record added to its caveat.

    Examples
    --------
    >>> f = Finding(theme="dominance", kind="k", title="t", statement="", severity="low",
    ...             n=1, effect=1.0, confidence=1.0, evidence=(), caveat="Observational.")
    >>> with_observation_caveat(f, "9% of messages carry a reply link.").caveat
    'Observational. Source: 9% of messages carry a reply link.'
    """
    if not caveat or caveat in finding.caveat:
        return finding
    joined = f"{finding.caveat} Source: {caveat}" if finding.caveat else f"Source: {caveat}"
    return dataclasses.replace(finding, caveat=joined)


def _undecided(finding: Finding) -> bool:
    """Whether a finding flags something (above ``info``) without a declared test."""
    return finding.severity != "info" and not is_tested(finding)


def is_tested(finding: Finding) -> bool:
    """Whether ``finding`` rests on a declared test: an estimate, a finite 95% interval, p, n.

    Only such findings are *findings* (they enter the run's false-discovery family);
    the rest are descriptive notes.

    Examples
    --------
    >>> from undertow.themes.decision import Decision
    >>> d = Decision(test="exact", null="none", estimate=1.0, ci_low=0.5, ci_high=2.0,
    ...              p_value=0.01, n=10, unit="people")
    >>> f = Finding(theme="dominance", kind="k", title="t", statement="", severity="low",
    ...             n=10, effect=1.0, confidence=0.9, evidence=(), caveat="", decision=d)
    >>> is_tested(f), is_tested(replace(f, decision=None))
    (True, False)
    >>> is_tested(replace(f, decision=replace(d, ci_low=-math.inf)))
    False
    """
    decision = finding.decision
    return (
        decision is not None
        and decision.tested
        and all(math.isfinite(v) for v in (decision.estimate, decision.ci_low, decision.ci_high))
    )


def collect_findings(
    diagnosis: Diagnosis,
) -> tuple[list[Finding], list[Finding], list[RuleFailure], Family]:
    """Run every registered finding rule on ``diagnosis``: findings, notes, failures, family.

    A rule's output that rests on a declared test (:func:`is_tested`: estimate, finite
    95% interval, p-value, n) is a *finding*: it enters the run's Benjamini–Hochberg
    family and is raised only at q <= ``FDR_LEVEL``, so every finding carries p, q, n
    and an interval. Everything else a rule returns (``info`` only) is a descriptive
    *note*: what was measured, with no test and no claim of harm, kept apart
    (``notes.json``, the report's descriptive section) and never counted as a finding.

    A failing rule is recorded, not fatal; so is a rule that returns something above
    ``info`` without a declared test (it is dropped). Each caveat ends with what the
    trace's sources could not record (its observation model: reply-link coverage,
    unobservable outcomes, a tail outside the coverage window), so the caveat fits the
    source rather than a fixed text.
    """
    observed = diagnosis.trace.observation.caveat()
    candidates: list[Finding] = []
    notes: list[Finding] = []
    failures: list[RuleFailure] = []
    for theme in THEMES:
        for rule in FINDING_RULES.get(theme, []):
            name = getattr(rule, "__qualname__", repr(rule))
            try:
                produced = list(rule(diagnosis))
            except Exception as exc:  # noqa: BLE001 - one rule must not sink the run
                failures.append(RuleFailure(theme, name, type(exc).__name__, str(exc)[:300]))
                continue
            for finding in produced:
                if not isinstance(finding, Finding):
                    failures.append(
                        RuleFailure(theme, name, "TypeError", "a rule returned a non-Finding")
                    )
                    break
                if _undecided(finding):
                    failures.append(
                        RuleFailure(
                            theme,
                            name,
                            "ValueError",
                            f"{finding.kind} is {finding.severity} without a declared test",
                        )
                    )
                    continue
                finding = with_observation_caveat(finding, observed)
                (candidates if is_tested(finding) else notes).append(finding)
    kept, family = control_fdr(candidates)
    return rank_findings(kept), rank_findings(notes), failures, family
