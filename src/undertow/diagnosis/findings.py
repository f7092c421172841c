"""Collect the findings of every registered rule and rank them by effect × confidence."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from undertow.diagnosis.results import Diagnosis, RuleFailure
from undertow.themes.registry import FINDING_RULES, SEVERITIES, THEMES, Finding

__all__ = ["collect_findings", "rank_findings", "with_observation_caveat"]


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


def collect_findings(diagnosis: Diagnosis) -> tuple[list[Finding], list[RuleFailure]]:
    """Run every registered finding rule on ``diagnosis``; a failing rule is recorded, not fatal.

    Each finding's caveat ends with what the trace's sources could not record (its
    observation model: reply-link coverage, unobservable outcomes, a tail outside the
    coverage window), so the caveat fits the source rather than a fixed text.
    """
    observed = diagnosis.trace.observation.caveat()
    findings: list[Finding] = []
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
                findings.append(with_observation_caveat(finding, observed))
    return rank_findings(findings), failures
