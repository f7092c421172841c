"""Findings on knowledge creation: how much gets resolved and taken up, and whose ideas spread."""

from __future__ import annotations

from undertow.themes.registry import Finding, Results, Severity, finding_rule
from undertow.themes.rows import complete as _complete
from undertow.themes.rows import rows as _rows

__all__ = ["knowledge_creation", "uptake_gap"]


@finding_rule(theme="knowledge")
def knowledge_creation(results: Results) -> list[Finding]:
    """Baseline: share of threads resolved and of new ideas adopted (context for all themes)."""
    findings = []
    for row in _rows(results.get("thread_resolution")):
        if not _complete(row, "resolved_share", "resolved_share_lo", "resolved_share_hi"):
            continue
        findings.append(
            Finding(
                theme="knowledge",
                kind="thread_resolution",
                title="How many questions and issues reach an outcome",
                statement=(
                    f"{row['resolved_share']:.0%} of {row['n']} question/issue threads reach an "
                    f"outcome (95% CI {row['resolved_share_lo']:.0%}–"
                    f"{row['resolved_share_hi']:.0%}); median time to it "
                    f"{row['median_hours_to_outcome']:.1f} h."
                ),
                severity="info",
                n=int(row["n"]),
                effect=0.0,
                confidence=0.5,
                evidence=("knowledge/thread_resolution",),
                caveat="Outcomes are only as complete as the source records them "
                "(many mailing lists never mark a question solved).",
                estimate=float(row["resolved_share"]),
                ci_low=float(row["resolved_share_lo"]),
                ci_high=float(row["resolved_share_hi"]),
            )
        )
    for row in _rows(results.get("idea_uptake_summary")):
        if not _complete(row, "adoption_rate", "adoption_rate_lo", "adopted_ideas_gini"):
            continue
        findings.append(
            Finding(
                theme="knowledge",
                kind="idea_uptake",
                title="How many new ideas spread",
                statement=(
                    f"{row['adoption_rate']:.1%} of {row['n_terms']} new terms introduced by "
                    f"{row['n_people']} people were adopted by at least two others (95% CI "
                    f"{row['adoption_rate_lo']:.1%}–{row['adoption_rate_hi']:.1%}); adopted "
                    f"ideas are spread across introducers with a Gini of "
                    f"{row['adopted_ideas_gini']:.2f}."
                ),
                severity="info",
                n=int(row["n"]),
                effect=float(row["adopted_ideas_gini"]),
                confidence=0.5,
                evidence=("knowledge/idea_uptake_summary", "knowledge/idea_uptake"),
                caveat="Terms are a proxy for ideas: jargon, code identifiers and typos count too.",
                estimate=float(row["adoption_rate"]),
                ci_low=float(row["adoption_rate_lo"]),
                ci_high=float(row["adoption_rate_hi"]),
            )
        )
    return findings


@finding_rule(theme="knowledge")
def uptake_gap(results: Results) -> list[Finding]:
    """Contributions of formal leaders or core members taken up more often than others'."""
    rows = {r["group"]: r for r in _rows(results.get("contribution_uptake"))}
    findings = []
    for high, low, label in (
        ("formal:leader", "formal:none", "formal leaders"),
        ("core:core", "core:periphery", "core members"),
    ):
        if high not in rows or low not in rows:
            continue
        a, b = rows[high], rows[low]
        needed = ("uptake_rate", "uptake_rate_lo", "uptake_rate_hi", "n")
        if not (_complete(a, *needed) and _complete(b, *needed)):
            continue  # a suppressed (small) group: no comparison to state
        gap = float(a["uptake_rate"] - b["uptake_rate"])
        clear = a["uptake_rate_lo"] > b["uptake_rate_hi"]
        severity: Severity = "moderate" if clear and gap >= 0.2 else ("low" if clear else "info")
        findings.append(
            Finding(
                theme="knowledge",
                kind="uptake_gap",
                title=f"Contributions by {label} are taken up more often"
                if gap > 0
                else f"Contributions by {label} are not favoured",
                statement=(
                    f"{a['uptake_rate']:.0%} of contributions by {label} are taken up "
                    f"(95% CI {a['uptake_rate_lo']:.0%}–{a['uptake_rate_hi']:.0%}, "
                    f"n = {a['n']}) vs {b['uptake_rate']:.0%} for others "
                    f"({b['uptake_rate_lo']:.0%}–{b['uptake_rate_hi']:.0%}, n = {b['n']})."
                ),
                severity=severity,
                n=int(a["n"] + b["n"]),
                effect=abs(gap),
                confidence=0.95 if clear else 0.5,
                evidence=("knowledge/contribution_uptake", "dominance/status_uptake"),
                caveat="Unadjusted: leaders' and core members' contributions may simply be "
                "better; see the status-conditioned uptake model for controls.",
                estimate=gap,
                direction="limits" if clear and gap > 0 else "neutral",
            )
        )
    return findings
