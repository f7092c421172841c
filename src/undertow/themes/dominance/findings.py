"""Findings on dominant actors: who captures the replies, and whether others go quiet."""

from __future__ import annotations

import math
from typing import Any

from undertow.themes.registry import Finding, Results, Severity, finding_rule
from undertow.themes.rows import complete as _complete
from undertow.themes.rows import rows as _rows

__all__ = ["concentrated_voice", "dominant_actor"]

#: A person receiving at least this share of all replies is a hub worth examining.
HUB_SHARE = 0.25
#: So is one receiving at least :data:`HUB_MIN_SHARE` of the replies and this many times
#: the share of the next person (one expert answering a help list: a hub by any reading).
HUB_LEAD = 3.0
HUB_MIN_SHARE = 0.1
#: A relative drop in others' participation at least this large counts as large.
LARGE_DROP = 0.3


#: Smallest absolute differences that count as others going quiet, per silencing measure.
MIN_DIFFERENCE = {
    "others_messages_after": 0.2,
    "new_participants_after": 0.2,
    "follow_up_rate": 0.1,
    "newcomer_return_rate": 0.1,
}

_LABELS = {
    "others_messages_after": "others write {with_actor:.2f} further messages per thread",
    "new_participants_after": "{with_actor:.2f} new people join per thread",
    "follow_up_rate": "{with_actor:.0%} of those already present write again",
    "newcomer_return_rate": "{with_actor:.0%} of newcomers in the thread ever write again",
}


def _silencing_row(rows: list[dict[str, Any]], actor: str | None) -> dict[str, Any] | None:
    """The clearest silencing measure for the actor (or pooled dominant actors).

    A measure is clear when its CI lies below zero and the drop is at least
    :data:`MIN_DIFFERENCE`; among clear ones the largest relative drop is chosen.
    Without any, the others'-messages row is returned for the statement.
    """
    for wanted in (actor, None):
        mine = [r for r in rows if r["actor_id"] == wanted]
        if not mine:
            continue
        clear = [
            r
            for r in mine
            if r["difference_hi"] is not None
            and r["difference_hi"] < 0
            and -r["difference"] >= MIN_DIFFERENCE.get(r["measure"], 0.0)
            and r["relative_change"] is not None
            and not math.isnan(r["relative_change"])
        ]
        if clear:
            return min(clear, key=lambda r: r["relative_change"])
        for row in mine:
            if row["measure"] == "others_messages_after":
                return row
    return None


@finding_rule(theme="dominance")
def dominant_actor(results: Results) -> list[Finding]:
    """A person capturing a large share of replies, with others going quiet when they enter.

    A hub is a person with at least :data:`HUB_SHARE` of all replies, or with at least
    :data:`HUB_MIN_SHARE` and :data:`HUB_LEAD` times the share of anyone else.
    """
    capture = _rows(results.get("reply_capture"))
    if not capture:
        return []
    # Published tables are sorted by their columns, not by share: pick the maximum.
    ranked = [r for r in capture if r["reply_share"] is not None]
    if not ranked:
        return []
    top = min(ranked, key=lambda r: (-float(r["reply_share"]), str(r["person_id"])))
    share = float(top["reply_share"])
    share_lo = top["reply_share_lo"]
    share_lo = share if share_lo is None or math.isnan(share_lo) else float(share_lo)
    others = [float(r["reply_share"]) for r in ranked if r is not top]
    runner_up = max(others, default=0.0)
    leads = share >= HUB_MIN_SHARE and share >= HUB_LEAD * runner_up
    if share < HUB_SHARE and not leads:
        return []
    person = str(top["person_id"])
    silencing = _silencing_row(_rows(results.get("silencing")), person)
    ignored = {(r["dimension"], r["group"]): r for r in _rows(results.get("ignored_rate"))}
    silenced = (
        silencing is not None
        and silencing["difference_hi"] is not None
        and silencing["difference_hi"] < 0
        and -silencing["difference"] >= MIN_DIFFERENCE.get(silencing["measure"], 0.0)
    )
    drop = -float(silencing["relative_change"]) if silencing is not None else 0.0
    drop = 0.0 if math.isnan(drop) else drop
    newcomers = ignored.get(("tenure", "first_message"))
    regulars = ignored.get(("tenure", "90_days_plus"))
    neglect = (
        _complete(newcomers, "ignored_rate_lo")
        and _complete(regulars, "ignored_rate_hi")
        and newcomers is not None
        and regulars is not None
        and newcomers["ignored_rate_lo"] > regulars["ignored_rate_hi"]
    )
    severity: Severity
    if silenced and drop >= LARGE_DROP and silencing is not None and silencing["n_with"] >= 10:
        severity = "severe"
    elif silenced or neglect:
        severity = "moderate"
    else:
        severity = "low"
    parts = [
        f"{person} receives {share:.0%} of all replies "
        f"(95% CI {share_lo:.0%}–{float(top['reply_share_hi'] or share):.0%}, "
        f"n = {top['n']} replies)."
    ]
    if silencing is not None:
        label = _LABELS[silencing["measure"]].format(with_actor=silencing["with_actor"])
        rate = silencing["measure"] in ("follow_up_rate", "newcomer_return_rate")
        baseline = (
            f"{silencing['without_actor']:.0%}" if rate else f"{silencing['without_actor']:.2f}"
        )
        parts.append(
            f"After they enter a thread, {label}, vs {baseline} in comparable threads "
            f"without them ({silencing['relative_change']:+.0%}; difference 95% CI "
            f"{silencing['difference_lo']:.2f} to {silencing['difference_hi']:.2f}, "
            f"{silencing['n_with']} vs {silencing['n_without']} threads)."
        )
    if newcomers is not None and _complete(newcomers, "ignored_rate", "n"):
        parts.append(
            f"{newcomers['ignored_rate']:.0%} of newcomers' first thread starts get no reply "
            f"(n = {newcomers['n']})."
        )
    confidence = 0.95 if silenced else (0.8 if neglect else 0.5)
    return [
        Finding(
            theme="dominance",
            kind="dominant_actor",
            title=f"{person} captures {share:.0%} of the replies",
            statement=" ".join(parts),
            severity=severity,
            n=int(top["n"]),
            effect=max(drop, share),
            confidence=confidence,
            evidence=("dominance/reply_capture", "dominance/silencing", "dominance/ignored_rate"),
            caveat=(
                "A single very active helper is normal in healthy communities; the concern is "
                "the drop in others' participation after this person enters, which is "
                "observational (they may join threads that were ending anyway)."
            ),
            estimate=share,
            ci_low=share_lo,
            ci_high=top["reply_share_hi"],
            null_model="matched threads without dominant actors, split at the same depth",
            subjects=(person,),
            direction="limits" if silenced or neglect else "neutral",
            details={"others_drop": drop, "newcomers_neglected": neglect},
        )
    ]


@finding_rule(theme="dominance")
def concentrated_voice(results: Results) -> list[Finding]:
    """How unequal participation is (context for every other finding)."""
    rows = _rows(results.get("concentration"))
    if not rows:
        return []
    row = rows[0]
    statement = (
        f"Messages per person have a Gini of {row['gini']:.2f} "
        f"(95% CI {row['gini_lo']:.2f}–{row['gini_hi']:.2f}); {row['onion_core_size']:.0f} "
        f"people (CI {row['onion_core_size_lo']:.0f}–{row['onion_core_size_hi']:.0f}, "
        f"{row['onion_core_share']:.1%} of {row['n']}) write 80% of the messages; the most "
        f"active person writes {row['top1_share']:.0%}; bus factor {row['bus_factor']}."
    )
    return [
        Finding(
            theme="dominance",
            kind="concentrated_voice",
            title="How concentrated the voice is",
            statement=statement,
            severity="info",
            n=int(row["n"]),
            effect=float(row["gini"]),
            confidence=0.5,
            evidence=("dominance/concentration",),
            caveat="Heavy-tailed participation is typical of online communities; "
            "compare with communities of similar size.",
            estimate=float(row["gini"]),
            ci_low=float(row["gini_lo"]),
            ci_high=float(row["gini_hi"]),
        )
    ]
