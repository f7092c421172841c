"""Findings on formal leaders: centralising appointments, chilling entries, shadow leaders."""

from __future__ import annotations

import math
from typing import Any

from undertow.themes.decision import THRESHOLDS, Decision, severity_for, wald_p
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


@finding_rule(theme="leadership")
def chilling_leader(results: Results) -> list[Finding]:
    """A formal leader after whose first message fewer non-leaders join or follow up.

    One decision per leader (or for leaders pooled when no leader has rows of their
    own): the one-sided cluster-bootstrap test of a drop, on whichever of the two
    measures has the smaller p-value, Bonferroni-adjusted for that choice of two. A
    leader with fewer threads on either side than the minimum information
    (``THRESHOLDS["chilling_leader"].min_group``) is not tested: a handful of threads
    leaves one side of the comparison without variation, and nothing can be decided.
    """
    enough = THRESHOLDS["chilling_leader"].min_group
    rows = _rows(results.get("chilling_effect"))
    own = [r for r in rows if r["actor_id"] is not None]
    candidates = own or [r for r in rows if r["actor_id"] is None]
    findings = []
    by_actor: dict[str | None, list[tuple[float, dict[str, Any]]]] = {}
    for row in candidates:
        if row["measure"] not in CHILLING_SCALE:
            continue
        if min(row["n_with"] or 0, row["n_without"] or 0) < enough:
            continue
        if not all(_finite(row[c]) for c in ("difference", "difference_lo", "difference_hi")):
            continue
        p = wald_p(
            float(row["difference"]),
            float(row["difference_lo"]),
            float(row["difference_hi"]),
            alternative="less",
        )
        if math.isfinite(p):
            by_actor.setdefault(row["actor_id"], []).append((p, row))
    for actor, measures in sorted(by_actor.items(), key=lambda item: str(item[0])):
        p_best, worst = min(measures, key=lambda item: (item[0], item[1]["measure"]))
        scale = CHILLING_SCALE[worst["measure"]]
        decision = Decision(
            test="cluster_bootstrap",
            null="participation after the leader's first message is no lower than in "
            "leaderless threads split at the same depth (threads resampled)",
            estimate=float(worst["difference"]),
            ci_low=float(worst["difference_lo"]),
            ci_high=float(worst["difference_hi"]),
            p_value=min(1.0, p_best * len(measures)),
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
                    f"threads without leaders ({relative_text}difference 95% "
                    f"CI {worst['difference_lo']:.2f} to {worst['difference_hi']:.2f}; "
                    f"{worst['n_with']} vs {worst['n_without']} threads)."
                ),
                severity=severity,
                n=decision.n,
                effect=-decision.estimate * scale,
                confidence=1.0 - (decision.p_value or 1.0),
                evidence=("leadership/chilling_effect",),
                caveat="Leaders often join threads to close them (a question answered needs "
                "no more participants); read together with thread resolution.",
                estimate=decision.estimate,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                null_model=decision.null,
                subjects=(actor,) if actor else (),
                direction="limits" if decision.estimate < 0 else "neutral",
                details={"measure": worst["measure"]},
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
