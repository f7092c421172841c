"""Findings on formal leaders: centralising appointments, chilling entries, shadow leaders."""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from undertow.themes.decision import THRESHOLDS, Decision, holm, severity_for
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.rows import rows as _rows
from undertow.themes.wording import p_text

__all__ = ["centralising_leader", "chilling_leader", "emergent_leaders"]

#: At most this many shadow (and paper) leaders named as subjects of one finding.
MAX_SUBJECTS = 10
#: The appointee's share of reply ties must rise by this much for the centralisation
#: to count as being around them (the claim names the appointee).
MIN_SHARE_GAIN = 0.05
#: Chilling measures, and the factor putting each on the threshold's scale (a drop of
#: 0.1 in the follow-up rate counts as 0.2 participants per thread).
CHILLING_SCALE = {"new_participants_after": 1.0, "follow_up_rate": 2.0}
#: A leader is tested only against at least this many activity-matched non-holders.
MIN_MATCHED = 10

_Z95 = 1.959963984540054


def _finite(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@finding_rule(theme="leadership")
def centralising_leader(results: Results) -> list[Finding]:
    """A formal leader whose appointment made the reply network more centralised.

    One decision per appointment whose appointee's share of reply ties rose by at least
    :data:`MIN_SHARE_GAIN`: the change in degree centralisation against the changes at
    placebo dates of the same community (``placebo_p_value``, placebo interval).
    """
    findings = []
    for row in _rows(results.get("appointment_centralisation")):
        if not all(
            _finite(row[c])
            for c in (
                "change",
                "change_lo",
                "change_hi",
                "placebo_p_value",
                "leader_degree_share_before",
                "leader_degree_share_after",
            )
        ):
            continue
        change, p_value = float(row["change"]), float(row["placebo_p_value"])
        share_before = float(row["leader_degree_share_before"])
        share_after = float(row["leader_degree_share_after"])
        if share_after - share_before < MIN_SHARE_GAIN:
            continue  # the network may have centralised, but not around the appointee
        decision = Decision(
            test="placebo",
            null=f"centralisation changes no more than around {row['n_placebo']} placebo "
            "dates of the same community",
            estimate=change,
            ci_low=float(row["change_lo"]),
            ci_high=float(row["change_hi"]),
            p_value=p_value,
            n=int(row["n"]),
            unit="reply ties",
            n_smallest=int(row["n_placebo"]),
        )
        severity = severity_for("centralising_leader", decision)
        person = str(row["person_id"])
        at = row["appointed_at"]
        when = at.date().isoformat() if hasattr(at, "date") else str(at)
        findings.append(
            Finding(
                theme="leadership",
                kind="centralising_leader",
                title=f"The network centralised around {person} after their appointment",
                statement=(
                    f"In the 90 days after {person} was appointed ({when}), degree "
                    f"centralisation of the reply network rose from "
                    f"{row['centralisation_before']:.2f} to {row['centralisation_after']:.2f} "
                    f"({change:+.2f}; placebo interval {decision.ci_low:+.2f} to "
                    f"{decision.ci_high:+.2f}, placebo {p_text(p_value)}); their share of "
                    f"reply ties went from {share_before:.0%} to {share_after:.0%} "
                    f"(n = {row['n']} ties)."
                ),
                severity=severity,
                n=decision.n,
                effect=change,
                confidence=1.0 - p_value,
                evidence=("leadership/appointment_centralisation",),
                caveat="Appointments often follow rising activity; seasonal or release "
                "cycles can also centralise a network. Compare with the timing theme.",
                estimate=change,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                null_model=decision.null,
                subjects=(person,),
                at=when,
                direction="limits" if change > 0 else "neutral",
                decision=decision,
            )
        )
    return findings


def _se(low: float, high: float) -> float:
    """Standard error from a 95% interval."""
    return (high - low) / (2 * _Z95)


def _matched_test(row: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The leader's difference beyond activity-matched non-holders': excess, interval, p.

    Per leader, the excess is the leader's difference minus the mean of the matched
    non-holders' differences; the leader is one more draw from their distribution if
    the role changes nothing, so the interval is the t prediction interval (their
    standard deviation × √(1 + 1/m), m - 1 degrees of freedom) and the p-value the
    one-sided t test of a drop. For the pooled row (one pooled matched difference) the
    two bootstrap standard errors are combined and the test is normal. ``None`` when
    the matched null is missing or has fewer than :data:`MIN_MATCHED` people.
    """
    if not all(_finite(row.get(c)) for c in ("matched_difference", "matched_sd", "n_matched")):
        return None
    excess = float(row["difference"]) - float(row["matched_difference"])
    sd, m = float(row["matched_sd"]), int(row["n_matched"])
    if row["actor_id"] is None:
        own = _se(float(row["difference_lo"]), float(row["difference_hi"]))
        se = math.sqrt(own * own + sd * sd)
        if not se > 0:
            return None
        half = _Z95 * se
        p = float(stats.norm.cdf(excess / se))
    else:
        if m < MIN_MATCHED or not sd > 0:
            return None
        se = sd * math.sqrt(1.0 + 1.0 / m)
        half = float(stats.t.ppf(0.975, m - 1)) * se
        p = float(stats.t.cdf(excess / se, m - 1))
    return excess, excess - half, excess + half, p


def _self_test(row: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The leader's difference beyond their own before the role: excess, interval, p.

    The same design with the leader's messages from before they held a role as the
    actor's; the two bootstrap standard errors are combined and the one-sided normal
    test is of a drop. ``None`` when the leader entered too few threads without the role.
    """
    if not all(_finite(row.get(c)) for c in ("self_difference", "self_difference_lo")):
        return None
    excess = float(row["difference"]) - float(row["self_difference"])
    se = math.hypot(
        _se(float(row["difference_lo"]), float(row["difference_hi"])),
        _se(float(row["self_difference_lo"]), float(row["self_difference_hi"])),
    )
    if not se > 0:
        return None
    half = _Z95 * se
    return excess, excess - half, excess + half, float(stats.norm.cdf(excess / se))


def _role_test(row: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The weaker of the matched-member and the own-past comparisons (intersection-union).

    A drop is put down to the role only when the leader differs both from members of
    similar activity and from themselves before the role; the test with the larger
    p-value is reported, which keeps the level (Berger 1982). A leader never seen
    entering threads without the role is compared with matched members alone.
    """
    matched = _matched_test(row)
    if matched is None:
        return None
    own = _self_test(row)
    return matched if own is None or own[3] <= matched[3] else own


@finding_rule(theme="leadership")
def chilling_leader(results: Results) -> list[Finding]:
    """A formal leader after whose first message fewer non-leaders join or follow up.

    The null is members of the same community of similar activity who hold no role
    (``chilling_effect``'s matched columns): a leader's drop against leaderless threads
    counts only beyond the drops those members show in the same design
    (:func:`_matched_test`). One decision per leader (or for leaders pooled when no
    leader has rows of their own): the measure with the smaller p-value,
    Bonferroni-adjusted for that choice of two, then Holm-adjusted over the leaders
    tested (naming one of several leaders is one claim made several times). A leader
    with fewer threads on either side than the minimum information
    (``THRESHOLDS["chilling_leader"].min_group``) is not tested: a handful of threads
    leaves one side of the comparison without variation, and nothing can be decided.
    """
    enough = THRESHOLDS["chilling_leader"].min_group
    rows = _rows(results.get("chilling_effect"))
    own = [r for r in rows if r["actor_id"] is not None]
    candidates = own or [r for r in rows if r["actor_id"] is None]
    by_actor: dict[str | None, list[tuple[float, dict[str, Any], tuple[float, float, float]]]] = {}
    for row in candidates:
        if row["measure"] not in CHILLING_SCALE:
            continue
        if min(row["n_with"] or 0, row["n_without"] or 0) < enough:
            continue
        if not all(_finite(row[c]) for c in ("difference", "difference_lo", "difference_hi")):
            continue
        if not float(row["difference_hi"]) > float(row["difference_lo"]):
            continue  # a bootstrap interval without width decides nothing
        tested = _role_test(row)
        if tested is None or not math.isfinite(tested[3]):
            continue
        excess, low, high, p = tested
        by_actor.setdefault(row["actor_id"], []).append((p, row, (excess, low, high)))
    picked = []
    for actor, measures in sorted(by_actor.items(), key=lambda item: str(item[0])):
        p_best, worst, interval = min(measures, key=lambda item: (item[0], item[1]["measure"]))
        picked.append((actor, min(1.0, p_best * len(measures)), worst, interval))
    adjusted = holm([p for _, p, _, _ in picked])
    findings = []
    for (actor, _, worst, (excess, low, high)), p_value in zip(picked, adjusted, strict=True):
        scale = CHILLING_SCALE[worst["measure"]]
        matched = int(worst["n_matched"])
        decision = Decision(
            test="placebo",
            null="the drop after the leader's first message is no larger than the drops of "
            + (
                f"{matched} members of similar activity without a role"
                if actor is not None
                else "the leaders' activity-matched members without a role, pooled"
            )
            + ", nor than the leader's own before the role (the weaker comparison; threads "
            f"resampled; Holm over {len(picked)} leader(s) tested)",
            estimate=excess,
            ci_low=low,
            ci_high=high,
            p_value=p_value,
            n=int(worst["n_with"] + worst["n_without"]),
            unit="threads",
            n_smallest=int(min(worst["n_with"], worst["n_without"])),
        )
        severity = severity_for("chilling_leader", decision, concern=-scale)
        who = actor or "formal leaders"
        label = {
            "new_participants_after": "new non-leader participants per thread",
            "follow_up_rate": "share of earlier participants who write again",
        }[worst["measure"]]
        relative = worst["relative_change"]
        relative_text = f"{relative:+.0%}; " if _finite(relative) else ""
        findings.append(
            Finding(
                theme="leadership",
                kind="chilling_leader",
                title=f"Fewer people take part after {who} joins a thread",
                statement=(
                    f"After {who}'s first message in a thread, the {label} is "
                    f"{worst['with_actor']:.2f} vs {worst['without_actor']:.2f} in comparable "
                    f"threads without leaders ({relative_text}{worst['n_with']} vs "
                    f"{worst['n_without']} threads); members of similar activity without a "
                    f"role differ by {worst['matched_difference']:+.2f} in the same design"
                    + (
                        f", and {who} before the role by {worst['self_difference']:+.2f}"
                        if _finite(worst.get("self_difference"))
                        else ""
                    )
                    + f"; beyond the weaker of these the role goes with {excess:+.2f} "
                    f"(95% interval {low:+.2f} to {high:+.2f}; {p_text(p_value)})."
                ),
                severity=severity,
                n=decision.n,
                effect=-decision.estimate * scale,
                confidence=1.0 - p_value,
                evidence=("leadership/chilling_effect",),
                caveat="Leaders often join threads to close them (a question answered needs "
                "no more participants); read together with thread resolution.",
                estimate=decision.estimate,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                null_model=decision.null,
                subjects=(actor,) if actor else (),
                direction="limits" if decision.estimate < 0 else "neutral",
                details={"measure": worst["measure"], "leader_difference": worst["difference"]},
                decision=decision,
            )
        )
    return findings


@finding_rule(theme="leadership")
def emergent_leaders(results: Results) -> list[Finding]:
    """Shadow leaders (central without a role) and paper leaders (role without centrality)."""
    rows = _rows(results.get("shadow_leaders"))
    if not rows:
        return []
    shadow = [r["person_id"] for r in rows if r["category"] == "shadow_leader"]
    paper = [r["person_id"] for r in rows if r["category"] == "paper_leader"]
    central = [r["person_id"] for r in rows if r["category"] == "formal_and_central"]
    n = int(rows[0]["n"])
    formal = len(paper) + len(central)
    return [
        Finding(
            theme="leadership",
            kind="shadow_leaders",
            title="Informal and formal leadership diverge"
            if shadow or paper
            else "Formal leaders are the informal centre",
            statement=(
                f"Of the top decile by informal centrality (PageRank on replies, {n} people), "
                f"{len(shadow)} hold no formal role (shadow leaders); {len(paper)} of {formal} "
                f"formal leaders are outside both that decile and the informal core "
                f"(paper leaders)."
            ),
            severity="info",
            n=n,
            effect=len(paper) / formal if formal else 0.0,
            confidence=0.5,
            evidence=("leadership/shadow_leaders",),
            caveat="Centrality in replies is one face of leadership; reviewers and maintainers "
            "may lead through code rather than discussion.",
            # The most central shadow leaders and the paper leaders listed first (rows are
            # sorted by PageRank); a finding naming a hundred people is not readable.
            subjects=tuple(shadow[:MAX_SUBJECTS] + paper[:MAX_SUBJECTS]),
        )
    ]
