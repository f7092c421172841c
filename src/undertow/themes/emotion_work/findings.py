"""Findings of T5: emotion work concentrated on a few carers; emotion left uncontained."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.tone import tone_validity
from undertow.themes.divergence.findings import divergence_shift
from undertow.themes.emotion_work.distribution import carers
from undertow.themes.registry import Finding, Results, Severity, finding_rule
from undertow.themes.wording import count, finite, numbers

__all__ = ["emotion_work_concentrated", "uncontained_emotion"]

#: Episodes needed before containment is judged at all.
MIN_EPISODES = 20
#: Episodes needed before uncontained emotion can be called severe.
MIN_SEVERE_EPISODES = 50
#: Supportive replies needed, in the whole trace, before their distribution is judged and
#: before a lack of containment means anything (a commit log has no support language).
MIN_SUPPORT = 20
#: Threads needed on each side (contained, uncontained) before the resolution link is read.
MIN_LINK_THREADS = 10
#: Threads needed in each cell (contained or not × resolved or not) to read the link.
MIN_LINK_CELL = 5
#: Share of all support the carers must give before they are said to carry it.
MIN_CARER_SUPPORT_SHARE = 0.2


@finding_rule(theme="emotion_work")
def emotion_work_concentrated(results: Results) -> list[Finding]:
    """A few carers give most of the support, far beyond their share of the talk.

    Silent below ``MIN_SUPPORT`` (20) supportive replies or 10 repliers, or when the
    carers give less than ``MIN_CARER_SUPPORT_SHARE`` (20%) of all support. Severe only with
    at least 50 supportive replies, carers giving 2.5 times their share of the talk and a
    support Gini whose lower 95% bound is at least 0.6 and above the Gini of messages.
    """
    table = results.get("emotion_work_distribution")
    if table is None or table.num_rows == 0:
        return []
    row = table.to_pylist()[0]
    values = numbers(
        row,
        "n_supportive",
        "n",
        "n_carers",
        "carers_support_share",
        "carers_message_share",
        "gini",
        "gini_lo",
        "gini_hi",
        "message_gini",
    )
    if values is None:
        return []
    n_supportive, n, n_carers, support_share, message_share, gini, lo, hi, message_gini = values
    if n_supportive < MIN_SUPPORT or n < 10 or n_carers < 1:
        return []
    if support_share < MIN_CARER_SUPPORT_SHARE:
        # A carer giving 4% of the support is no concentration, whatever their ratio.
        return []
    ratio = support_share / message_share if message_share > 0 else float("inf")
    few = n_carers <= max(3, 0.1 * n)
    if not (few and ratio >= 1.5 and lo > message_gini):
        return []
    severity: Severity = "moderate"
    if ratio >= 2.5 and lo >= 0.6 and n_supportive >= 50:
        severity = "severe"
    subjects = tuple(carers(results.trace))
    if not subjects:
        return []
    talk = (
        f"writing {message_share:.0%} of the messages"
        if message_share >= 0.005
        else "writing under 1% of the messages"
    )
    return [
        Finding(
            theme="emotion_work",
            kind="emotion_work_concentrated",
            title=(
                f"{count(len(subjects), 'person', 'people')} "
                f"{'carries' if len(subjects) == 1 else 'carry'} a disproportionate share "
                "of the emotion work"
            ),
            statement=(
                f"{int(n_carers)} of {count(int(n), 'replier')} "
                f"{'gives' if n_carers == 1 else 'give'} {support_share:.0%} of all "
                f"{count(int(n_supportive), 'supportive reply', 'supportive replies')} while "
                f"{talk}; the Gini of support is {gini:.2f} (95% CI {lo:.2f}-{hi:.2f}) "
                f"against {message_gini:.2f} for messages."
            ),
            severity=severity,
            n=int(n_supportive),
            effect=min(ratio, 10.0) - 1.0,
            confidence=0.95,
            evidence=(
                "emotion_work/emotion_work_distribution",
                "emotion_work/emotion_work_by_group",
            ),
            caveat="Emotional support is detected from explicit phrases (EPITOME mechanisms, "
            "reassurance, encouragement); courtesy (thanks, apologies) and practical help (a "
            "fix, a link) are not counted as emotion work.",
            estimate=gini,
            ci_low=lo,
            ci_high=hi,
            subjects=subjects,
            direction="limits",
        )
    ]


@finding_rule(theme="emotion_work")
def uncontained_emotion(results: Results) -> list[Finding]:
    """Distress goes without a supportive reply, and uncontained threads are not resolved.

    Silent with fewer than ``MIN_EPISODES`` (20) episodes, or when the whole trace has
    fewer than ``MIN_SUPPORT`` (20) supportive replies (nobody there writes support in
    words, so missing support says nothing about containment), or when the upper 95%
    bound of the containment rate reaches 0.5 and containment did not fall (a month
    after which it fell by more than 10 points, permutation p < 0.05). Moderate when
    contained threads are resolved more often (odds-ratio CI above 1, with
    ``MIN_LINK_THREADS`` (10) threads on each side and ``MIN_LINK_CELL`` (5) in each cell
    of the 2x2 table); severe only when,
    in addition, there are ``MIN_SEVERE_EPISODES`` (50) episodes, the upper bound of
    containment is below 0.3 and the odds ratio is at least 2.
    """
    table = results.get("containment_rate")
    if table is None or table.num_rows == 0:
        return []
    row = table.to_pylist()[0]
    values = numbers(row, "n", "containment_rate", "containment_rate_lo", "containment_rate_hi")
    if values is None or values[0] < MIN_EPISODES:
        return []
    n, rate, rate_lo, rate_hi = values
    if _supportive_replies(results) < MIN_SUPPORT:
        return []
    at, drop = _containment_drop(results)
    if rate_hi >= 0.5 and at is None:
        return []
    odds, link = _resolution_link(results)
    linked = odds is not None and odds[1] > 1
    if at is not None:
        link += f" Containment fell by {drop * 100:.0f} percentage points from {at}."
    severity: Severity = "low"
    if linked:
        severity = "moderate"
    if linked and odds is not None and odds[0] >= 2 and rate_hi < 0.3 and n >= MIN_SEVERE_EPISODES:
        severity = "severe"
    return [
        Finding(
            theme="emotion_work",
            kind="uncontained_emotion",
            title=(
                "Emotional episodes are rarely contained"
                if rate_hi < 0.5
                else "Emotional episodes stopped being contained"
            ),
            statement=(
                f"Only {rate:.0%} of {count(int(n), 'emotional episode')} (95% CI "
                f"{rate_lo:.0%}-{rate_hi:.0%}) got a supportive reply and a recovery of tone "
                "within the thread." + link
            ),
            severity=severity,
            n=int(n),
            effect=1.0 - rate,
            confidence=0.95,
            evidence=("emotion_work/containment_rate", "emotion_work/containment_and_resolution"),
            caveat="Episodes are messages whose prose is hostile or negative by label-calibrated "
            "models (" + tone_validity("hostility") + " " + tone_validity("polarity") + ") or "
            "shows distress; support given off-list or in another thread is invisible here.",
            estimate=rate,
            ci_low=rate_lo,
            ci_high=rate_hi,
            direction="limits",
            # The agreed finding carries no date; the month containment fell is a detail.
            details={"containment_fell_at": at} if at is not None else {},
        )
    ]


def _supportive_replies(results: Results) -> int:
    """Supportive replies in the whole trace (0 when none were found)."""
    table = results.get("emotion_work_distribution")
    if table is None or table.num_rows == 0:
        return 0
    value = finite(table.column("n_supportive")[0].as_py())
    return int(value) if value is not None else 0


def _resolution_link(results: Results) -> tuple[tuple[float, float, float] | None, str]:
    """The odds ratio (estimate, lo, hi) of resolution, contained vs not, and its sentence.

    None and no sentence unless both sides have ``MIN_LINK_THREADS`` threads, every cell
    of contained-or-not by resolved-or-not has ``MIN_LINK_CELL`` threads, and every number
    is defined.
    """
    table = results.get("containment_and_resolution")
    if table is None or table.num_rows == 0:
        return None, ""
    values = numbers(
        table.to_pylist()[0],
        "n_contained",
        "n_uncontained",
        "resolved_share_contained",
        "resolved_share_uncontained",
        "odds_ratio",
        "odds_ratio_lo",
        "odds_ratio_hi",
    )
    if values is None or min(values[0], values[1]) < MIN_LINK_THREADS:
        return None, ""
    n_contained, n_uncontained, share_contained, share_uncontained, odds, lo, hi = values
    cells = (
        share_contained * n_contained,
        (1 - share_contained) * n_contained,
        share_uncontained * n_uncontained,
        (1 - share_uncontained) * n_uncontained,
    )
    if min(cells) < MIN_LINK_CELL - 0.5:
        # An empty or near-empty cell (a mailing list records few outcomes) leaves an odds
        # ratio that mostly echoes the 0.5 added to each cell.
        return None, ""
    sentence = (
        f" Threads whose first episode was contained were resolved {share_contained:.0%} of "
        f"the time ({int(n_contained)} threads) against {share_uncontained:.0%} when it was "
        f"not ({int(n_uncontained)} threads; odds ratio {odds:.1f}, 95% CI {lo:.1f}-{hi:.1f})."
    )
    return (odds, lo, hi), sentence


def _containment_drop(results: Results) -> tuple[str | None, float]:
    """The month after which containment fell most (permutation p < 0.05), and the fall."""
    table = results.get("containment_by_month")
    if table is None or table.num_rows < 6:
        return None, float("nan")
    table = table.sort_by("period")
    periods = table.column("period").cast(pa.int64()).to_numpy(zero_copy_only=False)
    rate = table.column("containment_rate").to_numpy(zero_copy_only=False).astype(np.float64)
    usable = np.isfinite(rate)
    if usable.sum() < 6:
        return None, float("nan")
    table, periods, rate = table.filter(pa.array(usable)), periods[usable], rate[usable]
    best, fall, p_value = divergence_shift(periods, -rate, periods)
    if best < 0 or not (fall > 0.1 and p_value < 0.05):
        return None, float("nan")
    return table.column("period")[best].as_py().date().isoformat(), fall
