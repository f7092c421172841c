"""Findings of T5: emotion work concentrated on a few carers; emotion left uncontained."""

from __future__ import annotations

import pyarrow as pa

from undertow.themes.divergence.findings import divergence_shift
from undertow.themes.emotion_work.distribution import carers
from undertow.themes.registry import Finding, Results, Severity, finding_rule

__all__ = ["emotion_work_concentrated", "uncontained_emotion"]

#: Episodes needed before containment is judged.
MIN_EPISODES = 20
#: Supportive replies needed before their distribution is judged.
MIN_SUPPORT = 20


@finding_rule(theme="emotion_work")
def emotion_work_concentrated(results: Results) -> list[Finding]:
    """A few carers give most of the support, far beyond their share of the talk."""
    table = results.get("emotion_work_distribution")
    if table is None or table.num_rows == 0:
        return []
    row = table.to_pylist()[0]
    if row["n_supportive"] < MIN_SUPPORT or row["n"] < 10:
        return []
    support_share, message_share = row["carers_support_share"], row["carers_message_share"]
    ratio = support_share / message_share if message_share > 0 else float("inf")
    few = row["n_carers"] <= max(3, 0.1 * row["n"])
    if not (few and ratio >= 1.5 and row["gini_lo"] > row["message_gini"]):
        return []
    severity: Severity = "moderate"
    if ratio >= 2.5 and row["gini_lo"] >= 0.6 and row["n_supportive"] >= 50:
        severity = "severe"
    subjects = tuple(carers(results.trace))
    if not subjects:
        return []
    return [
        Finding(
            theme="emotion_work",
            kind="emotion_work_concentrated",
            title=f"{len(subjects)} people carry a disproportionate share of the emotion work",
            statement=(
                f"{row['n_carers']} of {row['n']} repliers give {support_share:.0%} of all "
                f"supportive replies while writing {message_share:.0%} of the messages; the "
                f"Gini of support is {row['gini']:.2f} (95% CI {row['gini_lo']:.2f}-"
                f"{row['gini_hi']:.2f}) against {row['message_gini']:.2f} for messages."
            ),
            severity=severity,
            n=int(row["n_supportive"]),
            effect=min(ratio, 10.0) - 1.0,
            confidence=0.95,
            evidence=(
                "emotion_work/emotion_work_distribution",
                "emotion_work/emotion_work_by_group",
            ),
            caveat="Support is detected from explicit phrases; quiet, practical help (a fix, a "
            "link) is not counted as emotion work.",
            estimate=row["gini"],
            ci_low=row["gini_lo"],
            ci_high=row["gini_hi"],
            subjects=subjects,
            direction="limits",
        )
    ]


@finding_rule(theme="emotion_work")
def uncontained_emotion(results: Results) -> list[Finding]:
    """Distress goes without a supportive reply, and uncontained threads are not resolved."""
    table = results.get("containment_rate")
    if table is None or table.num_rows == 0:
        return []
    row = table.to_pylist()[0]
    if row["n"] < MIN_EPISODES or row["containment_rate_hi"] >= 0.5:
        return []
    resolution = results.get("containment_and_resolution")
    linked = False
    link = ""
    if resolution is not None and resolution.num_rows:
        res = resolution.to_pylist()[0]
        linked = res["odds_ratio_lo"] > 1
        link = (
            " Threads whose episode was contained were resolved "
            f"{res['resolved_share_contained']:.0%} of the time against "
            f"{res['resolved_share_uncontained']:.0%} (odds ratio {res['odds_ratio']:.1f}, "
            f"95% CI {res['odds_ratio_lo']:.1f}-{res['odds_ratio_hi']:.1f})."
        )
    at, drop = _containment_drop(results)
    if at is not None:
        link += f" Containment fell by {drop * 100:.0f} percentage points from {at}."
    severity: Severity = "low"
    if linked:
        severity = "moderate"
    if row["containment_rate_hi"] < 0.3 and linked and row["n"] >= 50:
        severity = "severe"
    return [
        Finding(
            theme="emotion_work",
            kind="uncontained_emotion",
            title="Emotional episodes are rarely contained",
            statement=(
                f"Only {row['containment_rate']:.0%} of {row['n']} emotional episodes (95% CI "
                f"{row['containment_rate_lo']:.0%}-{row['containment_rate_hi']:.0%}) got a "
                f"supportive reply and a recovery of tone within the thread." + link
            ),
            severity=severity,
            n=int(row["n"]),
            effect=1.0 - row["containment_rate"],
            confidence=0.95,
            evidence=("emotion_work/containment_rate", "emotion_work/containment_and_resolution"),
            caveat="Episodes and support are detected from wording; support given off-list "
            "or in another thread is invisible here.",
            estimate=row["containment_rate"],
            ci_low=row["containment_rate_lo"],
            ci_high=row["containment_rate_hi"],
            direction="limits",
            # The agreed finding carries no date; the month containment fell is a detail.
            details={"containment_fell_at": at} if at is not None else {},
        )
    ]


def _containment_drop(results: Results) -> tuple[str | None, float]:
    """The month after which containment fell most (permutation p < 0.05), and the fall."""
    table = results.get("containment_by_month")
    if table is None or table.num_rows < 6:
        return None, float("nan")
    table = table.sort_by("period")
    periods = table.column("period").cast(pa.int64()).to_numpy()
    rate = table.column("containment_rate").to_numpy()
    best, fall, p_value = divergence_shift(periods, -rate, periods)
    if best < 0 or not (fall > 0.1 and p_value < 0.05):
        return None, float("nan")
    return table.column("period")[best].as_py().date().isoformat(), fall
