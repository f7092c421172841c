"""Findings on knowledge creation: how much gets resolved and taken up, and whose ideas spread."""

from __future__ import annotations

import math

from undertow.themes.decision import Decision, severity_for, wald_p
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.rows import complete as _complete
from undertow.themes.rows import rows as _rows
from undertow.themes.wording import p_text

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
    """Contributions of formal leaders or core members taken up more often than others'.

    One decision per comparison: the difference of uptake rates, with the MOVER
    interval from the two groups' bootstrap intervals (Zou & Donner 2008) and the
    two-sided Wald test with the standard error that interval implies.
    """
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
        gap_lo = gap - math.hypot(
            a["uptake_rate"] - a["uptake_rate_lo"], b["uptake_rate_hi"] - b["uptake_rate"]
        )
        gap_hi = gap + math.hypot(
            a["uptake_rate_hi"] - a["uptake_rate"], b["uptake_rate"] - b["uptake_rate_lo"]
        )
        p_value = wald_p(gap, gap_lo, gap_hi)
        if not math.isfinite(p_value):
            continue
        decision = Decision(
            test="cluster_bootstrap",
            null=f"contributions by {label} and by others are taken up equally often",
            estimate=gap,
            ci_low=gap_lo,
            ci_high=gap_hi,
            p_value=p_value,
            n=int(a["n"] + b["n"]),
            unit="contributions",
            n_smallest=int(min(a["n"], b["n"])),
        )
        severity = severity_for("uptake_gap", decision)
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
                    f"({b['uptake_rate_lo']:.0%}–{b['uptake_rate_hi']:.0%}, n = {b['n']}); "
                    f"difference {gap * 100:+.0f} points (95% CI {gap_lo * 100:+.0f} to "
                    f"{gap_hi * 100:+.0f}, {p_text(p_value)})."
                ),
                severity=severity,
                n=decision.n,
                effect=abs(gap),
                confidence=1.0 - p_value,
                evidence=("knowledge/contribution_uptake", "dominance/status_uptake"),
                caveat="Unadjusted: leaders' and core members' contributions may simply be "
                "better; see the status-conditioned uptake model for controls.",
                estimate=gap,
                ci_low=gap_lo,
                ci_high=gap_hi,
                null_model=decision.null,
                direction="limits" if severity != "info" and gap > 0 else "neutral",
                decision=decision,
            )
        )
    return findings
