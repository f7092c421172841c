"""Planted truth against findings: whether the analysis recovered what the simulator planted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from undertow.themes.registry import Finding

__all__ = ["DATE_TOLERANCE_DAYS", "explain_miss", "matches", "recovered"]

#: How far a finding's date may be from the planted date (days).
DATE_TOLERANCE_DAYS = 14


def matches(planted: Mapping[str, Any], finding: Finding) -> bool:
    """Whether ``finding`` reports the ``planted`` pathology.

    Same ``kind``, ``direction == "limits"``, at least one planted subject among the
    finding's subjects (when subjects were planted), and the finding's date within
    :data:`DATE_TOLERANCE_DAYS` of the planted date (when a date was planted).

    Examples
    --------
    >>> from undertow.themes.registry import Finding
    >>> planted = {"kind": "gatekeeping", "subjects": ["p_1"], "at": None, "direction": "limits"}
    >>> finding = Finding(theme="novices_masters", kind="gatekeeping", title="t", statement="s",
    ...     severity="moderate", n=10, effect=1.0, confidence=0.9, evidence=(), caveat="",
    ...     subjects=("p_1", "p_2"), direction="limits")
    >>> matches(planted, finding)
    True
    """
    if finding.kind != planted["kind"] or finding.direction != planted["direction"]:
        return False
    subjects = set(planted.get("subjects") or ())
    if subjects and not subjects & set(finding.subjects):
        return False
    at = planted.get("at")
    if at is not None:
        if finding.at is None:
            return False
        delta = date.fromisoformat(str(finding.at)[:10]) - date.fromisoformat(str(at)[:10])
        if abs(delta.days) > DATE_TOLERANCE_DAYS:
            return False
    return True


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
            f"{finding.kind} severity={finding.severity} direction={finding.direction} "
            f"subjects={list(finding.subjects)} at={finding.at}"
        )
    return "; ".join(parts)
