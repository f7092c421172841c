"""Collect the findings of every registered rule and rank them by effect × confidence."""

from __future__ import annotations

import math
from collections.abc import Iterable

from undertow.diagnosis.results import Diagnosis, RuleFailure
from undertow.themes.registry import FINDING_RULES, SEVERITIES, THEMES, Finding

__all__ = ["collect_findings", "rank_findings"]


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


def collect_findings(diagnosis: Diagnosis) -> tuple[list[Finding], list[RuleFailure]]:
    """Run every registered finding rule on ``diagnosis``; a failing rule is recorded, not fatal."""
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
                findings.append(finding)
    return rank_findings(findings), failures
