"""Planted truth against findings: whether the analysis recovered what the simulator planted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from undertow.themes.decision import FDR_LEVEL, SEVERITY_ORDER, Severity
from undertow.themes.registry import Finding

__all__ = [
    "DATE_TOLERANCE_DAYS",
    "RECOVERY_LEVEL",
    "counts_for_recovery",
    "explain_miss",
    "matches",
    "recovered",
]

#: How far a finding's date may be from the planted date (days).
DATE_TOLERANCE_DAYS = 14

#: The lowest severity at which a finding recovers a planted pathology: the level the
#: calibration reports its power and its false findings at ("above ``info``"). A
#: finding below it describes the pattern without flagging it, so it recovers nothing.
RECOVERY_LEVEL: Severity = "low"


def counts_for_recovery(finding: Finding) -> bool:
    """Whether ``finding`` is at the level recovery (and the calibration) counts.

    At least :data:`RECOVERY_LEVEL`, from a declared test whose Benjamini–Hochberg
    q-value is at most :data:`~undertow.themes.decision.FDR_LEVEL` (what the diagnosis
    raises).

    Examples
    --------
    >>> from dataclasses import replace
    >>> from undertow.themes.decision import Decision
    >>> d = Decision(test="permutation", null="none", estimate=1.0, ci_low=0.5, ci_high=2.0,
    ...              p_value=0.001, n=50, unit="threads", q_value=0.01, family_size=3)
    >>> f = Finding(theme="dominance", kind="k", title="t", statement="", severity="low",
    ...             n=50, effect=1.0, confidence=0.99, evidence=(), caveat="", decision=d)
    >>> counts_for_recovery(f), counts_for_recovery(replace(f, severity="info"))
    (True, False)
    """
    if finding.severity not in SEVERITY_ORDER:
        return False
    if SEVERITY_ORDER.index(finding.severity) < SEVERITY_ORDER.index(RECOVERY_LEVEL):
        return False
    q = finding.q_value
    return q is not None and q <= FDR_LEVEL


def matches(planted: Mapping[str, Any], finding: Finding) -> bool:
    """Whether ``finding`` reports the ``planted`` pathology.

    The finding is at the level recovery counts (:func:`counts_for_recovery`) and has the
    same ``kind``, ``direction == "limits"``, at least one planted subject among the
    finding's subjects (when subjects were planted), and the finding's date within
    :data:`DATE_TOLERANCE_DAYS` of the planted date, or of the month it names when it is
    shown to the month (when a date was planted; see :func:`_near`).

    Examples
    --------
    >>> from undertow.themes.registry import Finding
    >>> planted = {"kind": "gatekeeping", "subjects": ["p_1"], "at": None, "direction": "limits"}
    >>> from dataclasses import replace
    >>> from undertow.themes.decision import Decision
    >>> d = Decision(test="exact", null="none", estimate=1.0, ci_low=0.5, ci_high=2.0,
    ...              p_value=0.001, n=10, unit="replies", q_value=0.002, family_size=2)
    >>> finding = Finding(theme="novices_masters", kind="gatekeeping", title="t", statement="s",
    ...     severity="moderate", n=10, effect=1.0, confidence=0.9, evidence=(), caveat="",
    ...     subjects=("p_1", "p_2"), direction="limits", decision=d)
    >>> matches(planted, finding), matches(planted, replace(finding, severity="info"))
    (True, False)
    """
    if not counts_for_recovery(finding):
        return False
    if finding.kind != planted["kind"] or finding.direction != planted["direction"]:
        return False
    subjects = set(planted.get("subjects") or ())
    if subjects and not subjects & set(finding.subjects):
        return False
    at = planted.get("at")
    if at is not None:
        if finding.at is None:
            return False
        if not _near(date.fromisoformat(str(finding.at)[:10]), date.fromisoformat(str(at)[:10])):
            return False
    return True


def _near(reported: date, planted: date) -> bool:
    """Whether a finding's date reports a planted date.

    Within :data:`DATE_TOLERANCE_DAYS`, or, for a date on the first of a month (shareable
    outputs show an individual's role events to the month only), within that tolerance of
    the month the finding names.

    Examples
    --------
    >>> _near(date(2024, 11, 1), date(2024, 11, 18)), _near(date(2024, 11, 2), date(2024, 11, 18))
    (True, False)
    >>> _near(date(2024, 11, 1), date(2024, 12, 20))
    False
    """
    if abs((reported - planted).days) <= DATE_TOLERANCE_DAYS:
        return True
    if reported.day != 1:
        return False
    month_end = (reported.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    tolerance = timedelta(days=DATE_TOLERANCE_DAYS)
    return reported - tolerance <= planted <= month_end + tolerance


def recovered(planted: Iterable[Mapping[str, Any]], findings: Iterable[Finding]) -> list[bool]:
    """For each planted pathology, whether some finding reports it.

    Examples
    --------
    >>> recovered([{"kind": "gatekeeping", "subjects": [], "at": None, "direction": "limits"}], [])
    [False]
    """
    findings = list(findings)
    return [any(matches(entry, finding) for finding in findings) for entry in planted]


def explain_miss(planted: Mapping[str, Any], findings: Iterable[Finding]) -> str:
    """Why no finding matched ``planted``: what the findings of that kind or theme said.

    Examples
    --------
    >>> explain_miss({"kind": "gatekeeping", "theme": "novices_masters"}, [])
    'no gatekeeping finding; novices_masters findings: none'
    """
    findings = list(findings)
    same = [f for f in findings if f.kind == planted["kind"]]
    if not same:
        theme = [f.kind for f in findings if f.theme == planted.get("theme")]
        return (
            f"no {planted['kind']} finding; {planted.get('theme')} findings: "
            f"{', '.join(sorted(set(theme))) or 'none'}"
        )
    parts = []
    for finding in same:
        parts.append(
            f"{finding.kind} severity={finding.severity} q={finding.q_value} "
            f"counted={counts_for_recovery(finding)} direction={finding.direction} "
            f"subjects={list(finding.subjects)} at={finding.at}"
        )
    return "; ".join(parts)
