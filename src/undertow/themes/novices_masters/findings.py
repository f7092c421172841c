"""Finding rules for novices and masters: ignored newcomers, gatekeepers, the core."""

from __future__ import annotations

import math

import pyarrow as pa
from scipy import stats

from undertow.themes.registry import Finding, Results, finding_rule

__all__ = [
    "MIN_HOSTILE_EXCESS",
    "core_periphery_findings",
    "gatekeeping_findings",
    "newcomers_ignored_findings",
]

_Z = 1.959963984540054

#: A gatekeeper's hostile share must exceed everyone else's by this much (proportion).
MIN_HOSTILE_EXCESS = 0.2


def _row(table: pa.Table | None, column: str, value: str) -> dict[str, object] | None:
    if table is None:
        return None
    for row in table.to_pylist():
        if row[column] == value:
            return dict(row)
    return None


def _p_from_interval(estimate: float, low: float, high: float) -> float:
    """Two-sided p-value of ``estimate`` = 0 from a 95% interval (normal approximation)."""
    se = (high - low) / (2 * _Z)
    if not (se > 0 and math.isfinite(estimate)):
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate) / se))


@finding_rule(theme="novices_masters")
def newcomers_ignored_findings(results: Results) -> list[Finding]:
    """``newcomers_ignored``: many first messages go unanswered, and it costs returns.

    Severity: ``severe`` when at least half of first messages are unanswered and
    replied newcomers return at least 15 points more often than ignored ones with the
    95% interval above 5 points; ``moderate`` when at least 30% are unanswered and the
    return gap's interval excludes 0; ``low`` when at least 30% are unanswered;
    otherwise no finding.
    """
    reception = results.get("newcomer_reception")
    replied = _row(reception, "measure", "replied_share")
    if replied is None or not replied["n"]:
        return []
    unanswered = 1.0 - float(replied["value"])  # type: ignore[arg-type]
    lo = 1.0 - float(replied["value_hi"])  # type: ignore[arg-type]
    hi = 1.0 - float(replied["value_lo"])  # type: ignore[arg-type]
    n = int(replied["n"])  # type: ignore[call-overload]
    returns = results.get("return_by_reception")
    gap_row = None
    if returns is not None:
        gap_row = next(
            (
                row
                for row in returns.to_pylist()
                if row["measure"] == "new_thread" and row["group"] == "difference"
            ),
            None,
        )
    gap = gap_lo = gap_hi = float("nan")
    if gap_row is not None:
        gap = float(gap_row["return_rate"])
        gap_lo = float(gap_row["return_rate_lo"])
        gap_hi = float(gap_row["return_rate_hi"])
    gap_clear = math.isfinite(gap_lo) and gap_lo > 0
    if unanswered >= 0.5 and gap >= 0.15 and gap_lo > 0.05:
        severity = "severe"
    elif unanswered >= 0.3 and gap_clear:
        severity = "moderate"
    elif unanswered >= 0.3:
        severity = "low"
    else:
        return []
    p_gap = _p_from_interval(gap, gap_lo, gap_hi)
    gap_text = (
        f"replied newcomers came back {abs(gap) * 100:.0f} points "
        f"{'more' if gap >= 0 else 'less'} often than ignored ones "
        f"(95% CI {gap_lo * 100:+.0f} to {gap_hi * 100:+.0f})"
        if math.isfinite(gap)
        else "the return rates of replied and ignored newcomers could not be compared"
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
            severity=severity,  # type: ignore[arg-type]
            n=n,
            effect=unanswered * (max(gap, 0.0) if math.isfinite(gap) else 0.0) * 10,
            confidence=1.0 - p_gap if math.isfinite(p_gap) else 0.5,
            evidence=("novices_masters/newcomer_reception", "novices_masters/return_by_reception"),
            caveat=(
                "Replies are matched by parent_id, so a reply the source did not link counts "
                "as no reply. Returning is observational: newcomers who ask answerable "
                "questions may both get replies and stay."
            ),
            estimate=unanswered,
            ci_low=lo,
            ci_high=hi,
            direction="limits",
            details={"return_gap": gap, "return_gap_lo": gap_lo, "return_gap_hi": gap_hi},
        )
    ]


@finding_rule(theme="novices_masters")
def gatekeeping_findings(results: Results) -> list[Finding]:
    """``gatekeeping``: masters whose hostile first replies precede newcomers not returning.

    A subject is a master (core or formal role when replying) whose first replies to
    newcomers are more often hostile than everyone else's (one-sided Fisher p below
    0.05 after Bonferroni over the repliers assessed) by at least
    :data:`MIN_HOSTILE_EXCESS` (20 points), and whose newcomers return less often
    (``return_gap > 0``). ``severe`` when some
    subject's return gap interval excludes 0 and their hostile share is at least 30%;
    otherwise ``moderate``. Without subjects, a community-wide gap (novices' odds of a
    hostile reply or of being ignored at least 1.5 times masters', CI above 1) gives
    a ``low`` finding.
    """
    table = results.get("gatekeepers")
    findings: list[Finding] = []
    if table is not None and table.num_rows:
        rows = table.to_pylist()
        assessed = len(rows)
        subjects = [
            r
            for r in rows
            if r["is_master"]
            and r["hostile_p_value"] is not None
            and math.isfinite(r["hostile_p_value"])
            and r["hostile_p_value"] * assessed < 0.05
            and r["hostile_share"] - (r["hostile_share_others"] or 0.0) >= MIN_HOSTILE_EXCESS
            and (r["return_gap"] or 0.0) > 0
        ]
        if subjects:
            subjects.sort(key=lambda r: (-r["hostile_share"], r["person_id"]))
            clear = [
                r
                for r in subjects
                if math.isfinite(r["return_gap_lo"] or float("nan"))
                and r["return_gap_lo"] > 0
                and r["hostile_share"] >= 0.3
            ]
            worst = subjects[0]
            n = sum(int(r["n"]) for r in subjects)
            p_value = min(1.0, worst["hostile_p_value"] * assessed)
            findings.append(
                Finding(
                    theme="novices_masters",
                    kind="gatekeeping",
                    title="Masters who answer newcomers with hostility",
                    statement=(
                        f"{len(subjects)} master(s) answer newcomers' first messages with "
                        f"hostility far more often than others (up to "
                        f"{worst['hostile_share']:.0%} vs {worst['hostile_share_others']:.0%}); "
                        f"the newcomers they answer return less often (gap "
                        f"{worst['return_gap'] * 100:.0f} points, 95% CI "
                        f"{worst['return_gap_lo'] * 100:.0f} to "
                        f"{worst['return_gap_hi'] * 100:.0f})."
                    ),
                    severity="severe" if clear else "moderate",
                    n=n,
                    effect=float(worst["hostile_share"] - worst["hostile_share_others"]) * 5,
                    confidence=1.0 - p_value,
                    evidence=("novices_masters/gatekeepers", "novices_masters/gatekeeping"),
                    caveat=(
                        "Hostility is a lexicon score (VADER) of the reply's own words; "
                        "terse technical replies can read as negative. Newcomers answered by "
                        "a given master may differ in what they asked."
                    ),
                    estimate=float(worst["hostile_share"]),
                    null_model="one-sided Fisher exact test against all other first replies",
                    subjects=tuple(r["person_id"] for r in subjects),
                    direction="limits",
                )
            )
    if findings:
        return findings
    comparison = results.get("gatekeeping")
    if comparison is None:
        return []
    for row in comparison.to_pylist():
        if row["outcome"] not in ("hostile_reply", "ignored"):
            continue
        odds, low = row["odds_ratio"], row["odds_ratio_lo"]
        if odds is None or low is None or not (odds >= 1.5 and low > 1.0):
            continue
        findings.append(
            Finding(
                theme="novices_masters",
                kind="gatekeeping",
                title="Novices' messages fare worse than masters'",
                statement=(
                    f"Novices' messages are {odds:.1f} times as likely (odds) as masters' to "
                    f"be {row['outcome'].replace('_', ' ')} (95% CI {low:.1f}–"
                    f"{row['odds_ratio_hi']:.1f}; like-for-like by kind and year; "
                    f"{row['novice_rate']:.0%} vs {row['master_rate']:.0%})."
                ),
                severity="low",
                n=int(row["n"]),
                effect=math.log(odds),
                confidence=1.0 - float(row["p_value"]) if row["p_value"] is not None else 0.5,
                evidence=("novices_masters/gatekeeping",),
                caveat=(
                    "Novices may ask questions that are harder to answer; strata control only "
                    "for message kind and year."
                ),
                estimate=float(odds),
                ci_low=float(low),
                ci_high=float(row["odds_ratio_hi"]),
                direction="limits",
            )
        )
    return findings


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
