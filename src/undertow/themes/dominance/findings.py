"""Findings on dominant actors: who captures the replies, and whether others go quiet."""

from __future__ import annotations

import math
from typing import Any

from undertow.themes.decision import Decision, severity_for
from undertow.themes.dominance.replies import RUNNERS_UP
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.rows import complete as _complete
from undertow.themes.rows import rows as _rows
from undertow.themes.wording import p_text

__all__ = ["concentrated_voice", "dominant_actor"]

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
    """The top recipient of replies, tested against the people ranked just below them.

    The decision is the top recipient's excess share of all replies over the mean share
    of the next :data:`~undertow.themes.dominance.replies.RUNNERS_UP` recipients (thread
    bootstrap; one-sided p from the bootstrap SE). Severity follows the excess and its
    interval (:func:`~undertow.themes.decision.severity_for`); ``severe`` also needs
    others to go quiet after the person enters a thread (silencing interval below zero
    by at least :data:`MIN_DIFFERENCE`), a busy helper alone is at most ``moderate``.
    """
    capture = _rows(results.get("reply_capture"))
    top = next((r for r in capture if r["rank"] == 1 and _complete(r, "excess_p_value")), None)
    if top is None or not _complete(
        top, "reply_share", "reply_share_lo", "reply_share_hi", "excess_share"
    ):
        return []
    share = float(top["reply_share"])
    share_lo, share_hi = float(top["reply_share_lo"]), float(top["reply_share_hi"])
    person = str(top["person_id"])
    decision = Decision(
        test="cluster_bootstrap",
        null=f"the top recipient receives no larger share of replies than the next "
        f"{RUNNERS_UP} recipients on average (threads resampled)",
        estimate=float(top["excess_share"]),
        ci_low=float(top["excess_share_lo"]),
        ci_high=float(top["excess_share_hi"]),
        p_value=float(top["excess_p_value"]),
        n=int(top["n"]),
        unit="replies",
        n_smallest=int(top["replies_received"]),
    )
    silencing = _silencing_row(_rows(results.get("silencing")), person)
    if not _complete(
        silencing,
        "with_actor",
        "without_actor",
        "difference",
        "difference_lo",
        "difference_hi",
        "relative_change",
    ):
        # A row whose estimate was withheld (no usable interval) says nothing either way.
        silencing = None
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
    severity = severity_for("dominant_actor", decision)
    if severity == "severe" and not silenced:
        severity = "moderate"
    runners_up = share - decision.estimate
    parts = [
        f"{person} receives {share:.1%} of all replies (95% CI {share_lo:.1%}–{share_hi:.1%}, "
        f"n = {top['n']} replies), {decision.estimate * 100:.1f} points more than the next "
        f"{RUNNERS_UP} most-replied people on average ({runners_up:.1%}; excess 95% CI "
        f"{decision.ci_low * 100:.1f} to {decision.ci_high * 100:.1f} points, "
        f"{p_text(float(top['excess_p_value']))})."
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
    # A hub that is not established (info) makes no claim about knowledge creation.
    limits = severity in ("moderate", "severe") or (severity == "low" and (silenced or neglect))
    return [
        Finding(
            theme="dominance",
            kind="dominant_actor",
            title=f"{person} captures {share:.0%} of the replies",
            statement=" ".join(parts),
            severity=severity,
            n=decision.n,
            effect=decision.estimate,
            confidence=1.0 - decision.p_value if decision.p_value is not None else 0.0,
            evidence=("dominance/reply_capture", "dominance/silencing", "dominance/ignored_rate"),
            caveat=(
                "A single very active helper is normal in healthy communities; the concern is "
                "that answers go through one person, and the drop in others' participation "
                "after they enter, which is observational (they may join threads that were "
                "ending anyway)."
            ),
            estimate=decision.estimate,
            ci_low=decision.ci_low,
            ci_high=decision.ci_high,
            null_model=decision.null,
            subjects=(person,),
            direction="limits" if limits else "neutral",
            details={
                "reply_share": share,
                "reply_share_lo": share_lo,
                "reply_share_hi": share_hi,
                "others_drop": drop,
                "silenced": silenced,
                "newcomers_neglected": neglect,
            },
            decision=decision,
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
