"""Findings on the formal organisation vs the emergent community: silos, alignment, brokers."""

from __future__ import annotations

from undertow.themes.decision import Decision, severity_for
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.rows import complete as _complete
from undertow.themes.rows import rows as _rows

__all__ = ["emergent_brokers", "unit_silos"]


@finding_rule(theme="formal_vs_emergent")
def unit_silos(results: Results) -> list[Finding]:
    """Whether conversation stays inside formal units (E-I index and QAP alignment)."""
    overall = [r for r in _rows(results.get("ei_index")) if r["unit"] is None]
    if not overall:
        return []
    row = overall[0]
    if not _complete(row, "ei_index", "null_mean", "null_lo", "null_hi", "p_value", "n"):
        return []
    qap = [
        q for q in _rows(results.get("qap_correlation")) if _complete(q, "correlation", "p_value")
    ]
    inward = row["ei_index"] < row["null_mean"]
    excess = float(row["ei_index"] - row["null_mean"])
    # The permutation interval: the index minus the null's 95% range around its mean.
    decision = Decision(
        test="permutation",
        null="unit labels exchangeable among people (labels shuffled)",
        estimate=excess,
        ci_low=min(excess, float(row["ei_index"] - row["null_hi"])),
        ci_high=max(excess, float(row["ei_index"] - row["null_lo"])),
        p_value=float(row["p_value"]),
        n=int(row["n"]),
        unit="reply ties",
        n_smallest=int(row["n_people"]),
    )
    severity = severity_for("unit_silos", decision, concern=-1.0)
    beyond = severity != "info"
    statement = (
        f"The E-I index of reply ties across formal units is {row['ei_index']:+.2f} "
        f"(random unit labels: {row['null_mean']:+.2f}, 95% range {row['null_lo']:+.2f} to "
        f"{row['null_hi']:+.2f}; p = {row['p_value']:.3f}; {row['n']} ties among "
        f"{row['n_people']} people)."
    )
    if qap:
        q = qap[0]
        statement += (
            f" Same-unit membership correlates with reply volume at r = {q['correlation']:.2f} "
            f"(QAP p = {q['p_value']:.3f})."
        )
    return [
        Finding(
            theme="formal_vs_emergent",
            kind="unit_silos" if inward else "cross_unit_community",
            title="More conversation inside formal units than chance"
            if inward and beyond
            else "The community talks across formal units as much as chance",
            statement=statement,
            severity=severity,
            n=int(row["n"]),
            effect=abs(excess),
            confidence=1.0 - float(row["p_value"]),
            evidence=("formal_vs_emergent/ei_index", "formal_vs_emergent/qap_correlation"),
            caveat="Units may map onto topics (a subsystem's list); inward ties can be "
            "specialisation rather than a barrier.",
            estimate=float(row["ei_index"]),
            ci_low=float(row["ei_index"]) + decision.ci_low - excess,
            ci_high=float(row["ei_index"]) + decision.ci_high - excess,
            null_model="unit labels shuffled among people (up to 1,000 permutations)",
            direction="limits" if inward and beyond else "neutral",
            decision=decision,
        )
    ]


@finding_rule(theme="formal_vs_emergent")
def emergent_brokers(results: Results) -> list[Finding]:
    """Whether the people who connect units are the formally appointed ones."""
    rows = {r["group"]: r for r in _rows(results.get("broker_formal_roles"))}
    if "brokers" not in rows or "others" not in rows:
        return []
    brokers, others = rows["brokers"], rows["others"]
    if not (_complete(brokers, "formal_share", "n") and _complete(others, "formal_share", "n")):
        return []
    if brokers["formal_share"] is None or others["formal_share"] is None:
        return []  # a group below the small-cell threshold: nothing can be said
    return [
        Finding(
            theme="formal_vs_emergent",
            kind="emergent_brokers",
            title="Who connects the formal units",
            statement=(
                f"{brokers['formal_share']:.0%} of the top-decile brokers between units "
                f"({brokers['n']} people) hold a formal role, vs {others['formal_share']:.0%} "
                f"of the other {others['n']} people with a unit."
            ),
            severity="info",
            n=int(brokers["n"] + others["n"]),
            effect=abs(float(brokers["formal_share"] - others["formal_share"])),
            confidence=0.5,
            evidence=("formal_vs_emergent/brokerage", "formal_vs_emergent/broker_formal_roles"),
            caveat="Brokerage is counted on reply ties only; people may broker in meetings "
            "or code review the trace does not show.",
            estimate=float(brokers["formal_share"]),
        )
    ]
