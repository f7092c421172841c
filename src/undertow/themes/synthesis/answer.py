"""S · The synthesis finding: where power goes with less knowledge creation, from the thread model.

The wording is associational: "threads with X are resolved less often; this is an
association, not an effect". The model controls for what a thread is and who started
it, not for what happened in it, and nothing in a trace of who wrote what rules out
confounding; the sensitivity table (``power_model_sensitivity``) shows how much each
estimate moves without each control.
"""

from __future__ import annotations

import math
from typing import Any

from undertow.features.tone import tone_validity
from undertow.themes.decision import Decision, severity_for
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.synthesis.power_model import dominant_actors

__all__ = ["power_limits_knowledge"]

#: How each power term reads after "when" in a sentence.
PHRASES = {
    "dominant_present": "a dominant actor (top 1% by messages) replies",
    "concentration": "the replies are concentrated on one person (per +10 points of share)",
    "leader_present": "a formal role holder replies",
    "newcomer_starter": "the starter is a newcomer",
    "uncontained_episode": "they open with an emotional episode left uncontained",
    "emergent_space": "the thread is in a member-created space",
}

#: What the model holds fixed, in words.
CONTROLS_TEXT = "the kind of thread, the period, and the starter's tenure and prior activity"
ALPHA = 0.05


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _phrase(row: dict[str, Any]) -> str:
    return PHRASES.get(str(row["term"]), str(row["label"]))


def _note(table: Any, term: str) -> str:
    for row in table.to_pylist():
        if row["term"] == term:
            return str(row["note"] or "")
    return ""


def _range_text(sensitivity: Any, term: str) -> str:
    """How far the odds ratio of ``term`` moves across the sensitivity specifications."""
    if sensitivity is None or sensitivity.num_rows == 0:
        return ""
    values = [float(r["odds_ratio"]) for r in sensitivity.to_pylist() if r["term"] == term]
    if len(values) < 2:
        return ""
    return (
        f" Without each control in turn, and without any, its odds ratio ranges from "
        f"{_fmt(min(values))} to {_fmt(max(values))} ({len(values)} specifications)."
    )


@finding_rule(theme="synthesis")
def power_limits_knowledge(results: Results) -> list[Finding]:
    """Answer "Where is power limiting knowledge creation here?" from ``power_knowledge_model``.

    One finding: the power features whose odds ratio's 95% CI lies below 1 (threads
    with them reach fewer knowledge outcomes; an association, not an effect), the
    strongest first, with how far its odds ratio moves across the sensitivity
    specifications; or, if none does, a neutral statement that the model finds no
    such association, with the widest interval (so "no sign" is not read as "no
    effect"), and the features that go with *more* outcomes, if any.

    Examples
    --------
    >>> from undertow.diagnosis import analyze
    >>> from undertow.testing import tiny_trace
    >>> power_limits_knowledge(analyze(tiny_trace(), progress=False))
    []
    """
    table = results.get("power_knowledge_model")
    if table is None or table.num_rows == 0:
        return []
    rows: list[dict[str, Any]] = [
        row
        for row in table.to_pylist()
        if row["role_in_model"] == "power" and row["odds_ratio"] is not None
    ]
    if not rows:
        return []
    n = int(rows[0]["n"])
    outcome = str(rows[0]["outcome"])
    outcome_text = "resolved" if outcome == "resolved" else "acknowledged by their starter"
    tested = len(rows)
    limiting = sorted(
        (r for r in rows if r["odds_ratio_hi"] < 1 and min(1.0, r["p_value"] * tested) < ALPHA),
        key=lambda r: (r["odds_ratio"], r["term"]),
    )
    helping = sorted(
        (r for r in rows if r["odds_ratio_lo"] > 1 and r["p_value"] < ALPHA),
        key=lambda r: (-r["odds_ratio"], r["term"]),
    )
    caveat = (
        "An association across threads, not an effect: threads differ in ways the model "
        f"does not see, and the model holds fixed only {CONTROLS_TEXT} (nothing that "
        f"happened after the thread started). {n:,} threads with at least one reply from "
        f"someone other than the starter; outcome = {outcome}."
    )
    left_out = [r["term"] for r in table.to_pylist() if r["note"] and r["odds_ratio"] is None]
    left_out = [t for t in left_out if t != "thread_kind" or "left out" in _note(table, t)]
    if left_out:
        caveat += " Not measurable here: " + ", ".join(sorted(left_out)) + "."
    if any(r["term"] == "uncontained_episode" for r in rows):
        # The episode term rests on the tone measures: say how valid they are.
        caveat += (
            " Emotional episodes are messages whose prose is labelled hostile or negative: "
            + tone_validity("hostility")
            + " "
            + tone_validity("polarity")
        )
    evidence = ("synthesis/power_knowledge_model", "synthesis/power_model_sensitivity")
    sensitivity = results.get("power_model_sensitivity")
    if limiting:
        top = limiting[0]
        decision = Decision(
            test="model",
            null=f"odds ratio 1 (no association), Wald test of the logit ({top['fit']}), "
            f"Bonferroni over the {tested} power terms",
            estimate=math.log(top["odds_ratio"]),
            ci_low=math.log(top["odds_ratio_lo"]),
            ci_high=math.log(top["odds_ratio_hi"]),
            p_value=min(1.0, float(top["p_value"]) * tested),
            n=n,
            unit="threads",
            n_smallest=int(top["n_with"]) if top["n_with"] is not None else n,
        )
        parts = [
            f"{_phrase(r)} (odds ratio {_fmt(r['odds_ratio'])}, 95% CI "
            f"{_fmt(r['odds_ratio_lo'])}–{_fmt(r['odds_ratio_hi'])})"
            for r in limiting[:3]
        ]
        statement = (
            f"Threads are {outcome_text} less often when "
            + "; when ".join(parts)
            + f". This is an association, not an effect: across {n:,} threads, holding "
            f"{CONTROLS_TEXT} fixed." + _range_text(sensitivity, str(top["term"]))
        )
        return [
            Finding(
                theme="synthesis",
                kind="power_limits_knowledge",
                title="Threads are less often " + outcome_text + " when " + _phrase(top),
                statement=statement,
                severity=severity_for("power_limits_knowledge", decision, concern=-1.0),
                n=n,
                effect=abs(math.log(top["odds_ratio"])),
                confidence=1 - top["p_value"],
                evidence=evidence,
                caveat=caveat,
                estimate=top["odds_ratio"],
                ci_low=top["odds_ratio_lo"],
                ci_high=top["odds_ratio_hi"],
                null_model=f"odds ratio 1 (no association), Wald test of the logit ({top['fit']})",
                direction="limits",
                subjects=tuple(dominant_actors(results.trace))
                if top["term"] == "dominant_present"
                else (),
                details={
                    "limiting_terms": [r["term"] for r in limiting],
                    "p_value": top["p_value"],
                    "fit": top["fit"],
                },
                decision=decision,
            )
        ]
    strongest = min(rows, key=lambda r: (r["p_value"], r["term"]))
    widest = max(rows, key=lambda r: (r["odds_ratio_hi"] / r["odds_ratio_lo"], r["term"]))
    statement = (
        f"No power feature goes with fewer {outcome} threads beyond chance "
        f"across {n:,} threads, holding {CONTROLS_TEXT} fixed (95% CIs of every odds "
        "ratio include or exceed 1). An interval that includes 1 is not evidence of no "
        "association: "
        f"the widest here runs from {_fmt(widest['odds_ratio_lo'])} to "
        f"{_fmt(widest['odds_ratio_hi'])} ({_phrase(widest)})."
    )
    if helping:
        statement += (
            " Threads are more often "
            + outcome_text
            + " when "
            + "; ".join(
                f"{_phrase(r)} (odds ratio {_fmt(r['odds_ratio'])}, 95% CI "
                f"{_fmt(r['odds_ratio_lo'])}–{_fmt(r['odds_ratio_hi'])})"
                for r in helping[:2]
            )
            + " (associations, not effects)."
        )
    return [
        Finding(
            theme="synthesis",
            kind="power_limits_knowledge",
            title="No clear sign that power limits knowledge creation in threads",
            statement=statement,
            severity="info",
            n=n,
            effect=abs(math.log(strongest["odds_ratio"])),
            confidence=0.0,
            evidence=evidence,
            caveat=caveat,
            estimate=strongest["odds_ratio"],
            ci_low=strongest["odds_ratio_lo"],
            ci_high=strongest["odds_ratio_hi"],
            null_model="odds ratio 1 (no association), Wald test of the logit "
            f"({strongest['fit']})",
            direction="supports" if helping else "neutral",
            details={"supporting_terms": [r["term"] for r in helping]},
            decision=Decision(
                test="estimate",
                null="odds ratio 1 (no association)",
                estimate=math.log(strongest["odds_ratio"]),
                ci_low=math.log(strongest["odds_ratio_lo"]),
                ci_high=math.log(strongest["odds_ratio_hi"]),
                p_value=None,
                n=n,
                unit="threads",
            ),
        )
    ]
