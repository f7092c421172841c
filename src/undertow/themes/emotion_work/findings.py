"""Findings of T5: emotion work concentrated on a few carers; emotion left uncontained."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from undertow.features.tone import tone_validity
from undertow.themes.decision import Decision, severity_for, wald_p
from undertow.themes.divergence.findings import divergence_shift
from undertow.themes.emotion_work.distribution import carers
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.wording import count, finite, numbers, p_text

__all__ = ["emotion_work_concentrated", "uncontained_emotion"]

#: Supportive replies needed, in the whole trace, before a lack of containment means
#: anything (a commit log has no support language).
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

    Claimed when a few carers (at most 3, or 10% of repliers) give at least
    :data:`MIN_CARER_SUPPORT_SHARE` of all support. The decision is the Gini of support
    minus the Gini of messages across repliers (people-bootstrap interval of the
    support Gini; one-sided test that support is no more concentrated than talk).
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
    if n_carers < 1 or support_share < MIN_CARER_SUPPORT_SHARE:
        # A carer giving 4% of the support is no concentration, whatever their ratio.
        return []
    if n_carers > max(3, 0.1 * n):
        return []
    p_value = wald_p(gini, lo, hi, null=message_gini, alternative="greater")
    if not math.isfinite(p_value):
        return []
    subjects = tuple(carers(results.trace))
    if not subjects:
        return []
    decision = Decision(
        test="cluster_bootstrap",
        null="support is no more concentrated across repliers than messages are (people resampled)",
        estimate=gini - message_gini,
        ci_low=min(lo, gini) - message_gini,
        ci_high=max(hi, gini) - message_gini,
        p_value=p_value,
        n=int(n_supportive),
        unit="supportive replies",
        n_smallest=int(n),
    )
    ratio = support_share / message_share if message_share > 0 else float("inf")
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
                f"against {message_gini:.2f} for messages ({p_text(p_value)})."
            ),
            severity=severity_for("emotion_work_concentrated", decision),
            n=int(n_supportive),
            effect=decision.estimate,
            confidence=1.0 - p_value,
            evidence=(
                "emotion_work/emotion_work_distribution",
                "emotion_work/emotion_work_by_group",
            ),
            caveat="Emotional support is detected from explicit phrases (EPITOME mechanisms, "
            "reassurance, encouragement); courtesy (thanks, apologies) and practical help (a "
            "fix, a link) are not counted as emotion work.",
            estimate=decision.estimate,
            ci_low=decision.ci_low,
            ci_high=decision.ci_high,
            null_model=decision.null,
            subjects=subjects,
            direction="limits" if decision.estimate > 0 else "neutral",
            details={"support_to_talk_ratio": min(ratio, 1e6), "support_gini": gini},
            decision=decision,
        )
    ]


@finding_rule(theme="emotion_work")
def uncontained_emotion(results: Results) -> list[Finding]:
    """Distress is met with containment less often than other messages of the same threads.

    Silent when the whole trace has fewer than :data:`MIN_SUPPORT` supportive replies
    (nobody there writes support in words, so missing support says nothing about
    containment) or when the source cannot show containment (``containment_contrast``
    skipped: no reply links). The decision is the containment rate after comparable
    non-episode messages of the same threads minus the rate after episodes
    (:func:`undertow.themes.emotion_work.containment.containment_contrast`: thread
    bootstrap interval, within-thread permutation p-value); a community whose support
    is unrelated to distress has a difference near zero, so a low containment rate
    alone is no finding. ``severe`` also needs contained threads to be resolved more
    often (odds-ratio CI above 1, with :data:`MIN_LINK_THREADS` threads on each side and
    :data:`MIN_LINK_CELL` in each cell of the 2x2 table).
    """
    table = results.get("containment_contrast")
    if table is None or table.num_rows == 0:
        return []
    row = table.to_pylist()[0]
    values = numbers(
        row,
        "difference",
        "difference_lo",
        "difference_hi",
        "p_value",
        "rate_episodes",
        "rate_others",
        "n_episodes",
        "n_others",
        "n_threads",
    )
    if values is None or _supportive_replies(results) < MIN_SUPPORT:
        return []
    difference, lo, hi, p_value, rate_episodes, rate_others, n, n_others, n_threads = values
    decision = Decision(
        test="permutation",
        null="containment falls on episodes and other messages of the same thread alike "
        "(episode labels permuted within threads; interval over threads resampled)",
        estimate=difference,
        ci_low=min(lo, difference),
        ci_high=max(hi, difference),
        p_value=p_value,
        n=int(n),
        unit="episodes",
        n_smallest=int(min(n, n_others)),
    )
    less = difference > 0
    odds, link = _resolution_link(results)
    linked = odds is not None and odds[1] > 1
    at, drop = _containment_drop(results)
    if at is not None:
        link += f" Containment of episodes fell by {drop * 100:.0f} percentage points from {at}."
    severity = severity_for("uncontained_emotion", decision) if less else "info"
    if severity == "severe" and not linked:
        severity = "moderate"
    title = (
        "Emotional episodes are contained less often than other messages"
        if less
        else "Emotional episodes are contained no less often than other messages"
    )
    return [
        Finding(
            theme="emotion_work",
            kind="uncontained_emotion",
            title=title,
            statement=(
                f"{rate_episodes:.1%} of {count(int(n), 'emotional episode')} got a supportive "
                f"reply and a recovery of tone within the thread, against {rate_others:.1%} of "
                f"{count(int(n_others), 'other message')} in the same "
                f"{count(int(n_threads), 'thread')}: a difference of "
                f"{difference * 100:.1f} points (95% CI {lo * 100:.1f} to {hi * 100:.1f}; "
                f"{p_text(p_value)}, episodes permuted within threads)." + link
            ),
            severity=severity,
            n=int(n),
            effect=decision.estimate,
            confidence=1.0 - p_value,
            evidence=(
                "emotion_work/containment_contrast",
                "emotion_work/containment_rate",
                "emotion_work/containment_and_resolution",
            ),
            caveat="Episodes are messages whose prose is hostile or negative by label-calibrated "
            "models (" + tone_validity("hostility") + " " + tone_validity("polarity") + ") or "
            "shows distress; in technical talk many are reports of a failing device rather "
            "than distress. Support is read from explicit phrases, and support given "
            "off-list or in another thread is invisible here.",
            estimate=decision.estimate,
            ci_low=decision.ci_low,
            ci_high=decision.ci_high,
            null_model=decision.null,
            direction="limits" if less else "neutral",
            # The agreed finding carries no date; the month containment fell is a detail.
            details={"containment_fell_at": at} if at is not None else {},
            decision=decision,
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
