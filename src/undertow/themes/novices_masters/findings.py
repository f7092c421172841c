"""Finding rules for novices and masters: ignored newcomers, gatekeepers, the core."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

from undertow.themes.decision import THRESHOLDS, Decision, severity_for, wald_p, wilson_interval
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.wording import finite, numbers, p_text

__all__ = [
    "MIN_UNANSWERED",
    "core_periphery_findings",
    "gatekeeping_findings",
    "newcomers_ignored_findings",
]

#: The claim "newcomers' first messages go unanswered" needs at least this share of
#: them unanswered (the point estimate); below it there is nothing to claim.
MIN_UNANSWERED = 0.3


def _row(table: pa.Table | None, column: str, value: str) -> dict[str, object] | None:
    if table is None:
        return None
    for row in table.to_pylist():
        if row[column] == value:
            return dict(row)
    return None


@finding_rule(theme="novices_masters")
def newcomers_ignored_findings(results: Results) -> list[Finding]:
    """``newcomers_ignored``: many first messages go unanswered, and it costs returns.

    Claimed only when at least :data:`MIN_UNANSWERED` of newcomers' first messages got
    no reply. The decision is the return gap (replied newcomers' rate of starting a new
    thread minus ignored newcomers'), one-sided cluster-bootstrap test of a gap above 0.
    """
    reception = results.get("newcomer_reception")
    replied = _row(reception, "measure", "replied_share")
    if replied is None or numbers(replied, "value", "value_lo", "value_hi", "n") is None:
        return []
    unanswered = 1.0 - float(replied["value"])  # type: ignore[arg-type]
    lo = 1.0 - float(replied["value_hi"])  # type: ignore[arg-type]
    hi = 1.0 - float(replied["value_lo"])  # type: ignore[arg-type]
    n = int(replied["n"])  # type: ignore[call-overload]
    if unanswered < MIN_UNANSWERED or not n:
        return []
    returns = results.get("return_by_reception")
    groups = {
        row["group"]: row
        for row in (returns.to_pylist() if returns is not None else [])
        if row["measure"] == "new_thread"
    }
    gap_row = groups.get("difference")
    if gap_row is None:
        return []
    values = numbers(gap_row, "return_rate", "return_rate_lo", "return_rate_hi")
    if values is None:
        return []
    gap, gap_lo, gap_hi = values
    p_gap = wald_p(gap, gap_lo, gap_hi, alternative="greater")
    if not math.isfinite(p_gap):
        return []
    sizes = [int(r["n"]) for g, r in groups.items() if g != "difference" and r["n"] is not None]
    decision = Decision(
        test="cluster_bootstrap",
        null="replied and ignored newcomers return equally often (people resampled)",
        estimate=gap,
        ci_low=gap_lo,
        ci_high=gap_hi,
        p_value=p_gap,
        n=n,
        unit="newcomers",
        n_smallest=min(sizes) if sizes else n,
    )
    gap_text = (
        f"replied newcomers came back {abs(gap) * 100:.0f} points "
        f"{'more' if gap >= 0 else 'less'} often than ignored ones "
        f"(95% CI {gap_lo * 100:+.0f} to {gap_hi * 100:+.0f}, {p_text(p_gap)})"
    )
    return [
        Finding(
            theme="novices_masters",
            kind="newcomers_ignored",
            title="Newcomers' first messages go unanswered",
            statement=(
                f"{unanswered:.0%} of newcomers' first messages got no reply from anyone "
                f"(95% CI {lo:.0%}–{hi:.0%}, n = {n}); {gap_text}."
            ),
            severity=severity_for("newcomers_ignored", decision),
            n=n,
            effect=gap,
            confidence=1.0 - p_gap,
            evidence=("novices_masters/newcomer_reception", "novices_masters/return_by_reception"),
            caveat=(
                "Replies are matched by parent_id, so a reply the source did not link counts "
                "as no reply. Returning is observational: newcomers who ask answerable "
                "questions may both get replies and stay."
            ),
            estimate=gap,
            ci_low=gap_lo,
            ci_high=gap_hi,
            null_model=decision.null,
            direction="limits" if gap > 0 else "neutral",
            details={"unanswered_share": unanswered, "unanswered_lo": lo, "unanswered_hi": hi},
            decision=decision,
        )
    ]


@finding_rule(theme="novices_masters")
def gatekeeping_findings(results: Results) -> list[Finding]:
    """``gatekeeping``: masters whose hostile first replies precede newcomers not returning.

    One decision per master (core or formal role when replying) whose newcomers return
    less often (``return_gap > 0``): the one-sided Fisher test of their share of hostile
    first replies against everyone else's; the effect is the excess share with the
    person's Wilson interval. ``severe`` also needs the return gap's interval above 0.
    One decision per community-wide outcome (novices' odds of a hostile reply or of
    being ignored vs masters', stratified by kind and year). A master with fewer first
    replies than the minimum information (``THRESHOLDS["gatekeeping"].min_group``) is
    not tested.
    """
    findings: list[Finding] = []
    enough = THRESHOLDS["gatekeeping"].min_group
    for r in _rows_of(results.get("gatekeepers")):
        if not (r["is_master"] and (finite(r["return_gap"]) or 0.0) > 0):
            continue
        if (finite(r["n"]) or 0) < enough:
            continue  # too few first replies to test a person
        values = numbers(r, "hostile_p_value", "hostile_share", "hostile_share_others", "n")
        if values is None:
            continue
        p_value, share, others, n = values
        low, high = wilson_interval(share * n, n)
        decision = Decision(
            test="exact",
            null="the person's first replies to newcomers are no more often hostile than "
            "everyone else's (one-sided Fisher)",
            estimate=share - others,
            ci_low=min(low - others, share - others),
            ci_high=max(high - others, share - others),
            p_value=p_value,
            n=int(n),
            unit="first replies",
        )
        severity = severity_for("gatekeeping", decision)
        harm = (finite(r["return_gap_lo"]) or 0.0) > 0
        if severity == "severe" and not harm:
            severity = "moderate"
        gap_text = (
            f"gap {r['return_gap'] * 100:.0f} points, 95% CI {r['return_gap_lo'] * 100:.0f} "
            f"to {r['return_gap_hi'] * 100:.0f}"
            if numbers(r, "return_gap_lo", "return_gap_hi") is not None
            else f"gap {r['return_gap'] * 100:.0f} points"
        )
        findings.append(
            Finding(
                theme="novices_masters",
                kind="gatekeeping",
                title=f"{r['person_id']} answers newcomers with hostility",
                statement=(
                    f"{share:.0%} of {r['person_id']}'s first replies to newcomers are hostile "
                    f"vs {others:.0%} of everyone else's ({int(n)} replies; "
                    f"{p_text(p_value)}); the newcomers they answer return less often "
                    f"({gap_text})."
                ),
                severity=severity,
                n=int(n),
                effect=decision.estimate,
                confidence=1.0 - p_value,
                evidence=("novices_masters/gatekeepers", "novices_masters/gatekeeping"),
                caveat=(
                    "Hostility is a lexicon score (VADER) of the reply's own words; "
                    "terse technical replies can read as negative. Newcomers answered by "
                    "a given master may differ in what they asked."
                ),
                estimate=decision.estimate,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                null_model=decision.null,
                subjects=(str(r["person_id"]),),
                direction="limits",
                decision=decision,
            )
        )
    for row in _rows_of(results.get("gatekeeping")):
        if row["outcome"] not in ("hostile_reply", "ignored"):
            continue
        values = numbers(row, "odds_ratio", "odds_ratio_lo", "odds_ratio_hi", "p_value")
        if values is None or min(values[:3]) <= 0:
            continue
        odds, low, high, p_value = values
        decision = Decision(
            test="exact",
            null="novices' and masters' messages fare alike within kind and year "
            "(Mantel-Haenszel odds ratio 1)",
            estimate=math.log(odds),
            ci_low=math.log(low),
            ci_high=math.log(high),
            p_value=p_value,
            n=int(row["n"]),
            unit="messages",
            n_smallest=int(min(row["n_novice"] or 0, row["n_master"] or 0)),
        )
        findings.append(
            Finding(
                theme="novices_masters",
                kind="gatekeeping",
                title="Novices' messages fare worse than masters'",
                statement=(
                    f"Novices' messages are {odds:.1f} times as likely (odds) as masters' to "
                    f"be {row['outcome'].replace('_', ' ')} (95% CI {low:.1f}–"
                    f"{high:.1f}; {p_text(p_value)}; like-for-like by kind and year; "
                    f"{row['novice_rate']:.0%} vs {row['master_rate']:.0%})."
                ),
                severity=severity_for("gatekeeping_odds", decision),
                n=decision.n,
                effect=decision.estimate,
                confidence=1.0 - p_value,
                evidence=("novices_masters/gatekeeping",),
                caveat=(
                    "Novices may ask questions that are harder to answer; strata control only "
                    "for message kind and year."
                ),
                estimate=odds,
                ci_low=low,
                ci_high=high,
                null_model=decision.null,
                direction="limits" if odds > 1 else "neutral",
                details={"outcome": row["outcome"]},
                decision=decision,
            )
        )
    return findings


def _rows_of(table: pa.Table | None) -> list[dict[str, Any]]:
    return [] if table is None else table.to_pylist()


@finding_rule(theme="novices_masters")
def core_periphery_findings(results: Results) -> list[Finding]:
    """``core_periphery`` (info): how often the community has a core beyond chance."""
    table = results.get("core_periphery")
    if table is None or table.num_rows == 0:
        return []
    rows = [r for r in table.to_pylist() if r["p_value"] is not None and r["n_null"]]
    if not rows:
        return []
    significant = [r for r in rows if r["p_value"] <= 0.05]
    sizes = sorted(int(r["n_core"]) for r in significant)
    median_size = sizes[len(sizes) // 2] if sizes else 0
    trajectory = results.get("trajectory_summary")
    inbound = _row(trajectory, "trajectory", "inbound")
    tail = (
        f" {inbound['share']:.0%} of people moved from the periphery into the core."
        if inbound and inbound["share"] is not None
        else ""
    )
    return [
        Finding(
            theme="novices_masters",
            kind="core_periphery",
            title="Core and periphery",
            statement=(
                f"In {len(significant)} of {len(rows)} quarters the interaction network had a "
                f"core tighter than its degree sequence alone would give (configuration model, "
                f"p ≤ 0.05); median core size {median_size}.{tail}"
            ),
            severity="info",
            n=len(rows),
            effect=len(significant) / len(rows),
            confidence=1.0,
            evidence=("novices_masters/core_periphery", "novices_masters/trajectory_summary"),
            caveat="With 19 rewirings the smallest attainable p-value is 0.05.",
            null_model="degree-preserving rewiring (configuration model)",
        )
    ]
