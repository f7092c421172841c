"""Findings on formal leaders: centralising appointments, chilling entries, shadow leaders."""

from __future__ import annotations

import math
from typing import Any

from undertow.themes.registry import Finding, Results, Severity, finding_rule
from undertow.themes.rows import rows as _rows

__all__ = ["centralising_leader", "chilling_leader", "emergent_leaders"]

#: A relative drop at least this large in non-leader participation is large.
LARGE_DROP = 0.3
#: An increase of the degree centralisation at least this large is large.
LARGE_CENTRALISATION = 0.15
#: Threads a leader must have joined for a severe finding.
MIN_THREADS_SEVERE = 10
#: Smallest absolute differences worth reporting: 0.2 new participants per thread, and
#: 10 percentage points of follow-up (a -100 % change of a 3 % rate is not a finding).
MIN_DIFFERENCE = {"new_participants_after": 0.2, "follow_up_rate": 0.1}
#: At most this many shadow (and paper) leaders named as subjects of one finding.
MAX_SUBJECTS = 10
#: At most this many chilling findings (the largest), so one pattern is not listed 40 times.
MAX_CHILLING_FINDINGS = 3
#: The appointee's share of reply ties must rise by this much for the centralisation
#: to count as being around them.
MIN_SHARE_GAIN = 0.05


def _finite(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@finding_rule(theme="leadership")
def centralising_leader(results: Results) -> list[Finding]:
    """A formal leader whose appointment made the reply network more centralised."""
    findings = []
    for row in _rows(results.get("appointment_centralisation")):
        change, p_value = row["change"], row["placebo_p_value"]
        share_before = row["leader_degree_share_before"]
        share_after = row["leader_degree_share_after"]
        if not (_finite(change) and _finite(p_value)) or change <= 0 or p_value > 0.05:
            continue
        if not (_finite(share_before) and _finite(share_after)):
            continue
        if share_after - share_before < MIN_SHARE_GAIN:
            continue  # the network centralised, but not around the appointee
        severity: Severity = "severe" if change >= LARGE_CENTRALISATION else "moderate"
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
                    f"(+{change:.2f}; placebo p = {p_value:.3f}); their share of reply ties "
                    f"went from {share_before:.0%} to {share_after:.0%} (n = {row['n']} ties)."
                ),
                severity=severity,
                n=int(row["n"]),
                effect=float(change),
                confidence=1.0 - float(p_value),
                evidence=("leadership/appointment_centralisation",),
                caveat="Appointments often follow rising activity; seasonal or release "
                "cycles can also centralise a network. Compare with the timing theme.",
                estimate=float(change),
                null_model="changes in centralisation around 40 evenly spread placebo dates",
                subjects=(person,),
                at=when,
                direction="limits",
            )
        )
    return findings


@finding_rule(theme="leadership")
def chilling_leader(results: Results) -> list[Finding]:
    """A formal leader after whose first message fewer non-leaders join or follow up."""
    rows = _rows(results.get("chilling_effect"))
    own = [r for r in rows if r["actor_id"] is not None]
    candidates = own or [r for r in rows if r["actor_id"] is None]
    findings = []
    by_actor: dict[str | None, list[dict[str, Any]]] = {}
    for row in candidates:
        if row["measure"] in ("new_participants_after", "follow_up_rate"):
            by_actor.setdefault(row["actor_id"], []).append(row)
    for actor, measures in sorted(by_actor.items(), key=lambda item: str(item[0])):
        clear = [
            r
            for r in measures
            if _finite(r["difference_hi"])
            and r["difference_hi"] < 0
            and -r["difference"] >= MIN_DIFFERENCE[r["measure"]]
            and _finite(r["relative_change"])
        ]
        if not clear:
            continue
        worst = min(clear, key=lambda r: r["relative_change"])
        drop = -float(worst["relative_change"])
        beyond = -worst["difference_hi"] >= MIN_DIFFERENCE[worst["measure"]]
        severity: Severity = (
            "severe"
            if drop >= LARGE_DROP and worst["n_with"] >= MIN_THREADS_SEVERE and beyond
            else "moderate"
            if drop >= LARGE_DROP
            else "low"
        )
        who = actor or "formal leaders"
        label = {
            "new_participants_after": "new non-leader participants per thread",
            "follow_up_rate": "share of earlier participants who write again",
        }[worst["measure"]]
        findings.append(
            Finding(
                theme="leadership",
                kind="chilling_leader",
                title=f"Fewer people take part after {who} joins a thread",
                statement=(
                    f"After {who}'s first message in a thread, the {label} is "
                    f"{worst['with_actor']:.2f} vs {worst['without_actor']:.2f} in comparable "
                    f"threads without leaders ({worst['relative_change']:+.0%}; difference 95% "
                    f"CI {worst['difference_lo']:.2f} to {worst['difference_hi']:.2f}; "
                    f"{worst['n_with']} vs {worst['n_without']} threads)."
                ),
                severity=severity,
                n=int(worst["n"]),
                effect=drop,
                confidence=0.95,
                evidence=("leadership/chilling_effect",),
                caveat="Leaders often join threads to close them (a question answered needs "
                "no more participants); read together with thread resolution.",
                estimate=float(worst["difference"]),
                ci_low=float(worst["difference_lo"]),
                ci_high=float(worst["difference_hi"]),
                null_model="leaderless threads split at the same depth",
                subjects=(actor,) if actor else (),
                direction="limits",
            )
        )
    findings.sort(key=lambda f: (-f.effect * min(f.n, 100), f.subjects))
    return findings[:MAX_CHILLING_FINDINGS]


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
