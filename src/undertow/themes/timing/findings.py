"""Finding rules for the timing of the community's development."""

from __future__ import annotations

from typing import Any

from undertow.themes.decision import Decision, holm, severity_for
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.wording import finite, numbers, p_text

__all__ = ["change_point_findings", "formalisation_shock_findings", "phase_findings"]

#: Series where a fall means knowledge creation is limited (a rise, for the top voice).
_LIMITS_IF_DOWN = ("messages", "active_members", "newcomers", "reply_rate", "resolution_rate")

#: A weaker shock within this many weeks of a stronger one is the same event (the
#: windows overlap) and is not reported separately.
SEPARATION_WEEKS = 8


def _strongest(rows: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    """The series reported at one date, and its p-value Bonferroni-adjusted over the date's series.

    Among series clear after the adjustment, the largest standardised change in a
    direction that limits the community, else the largest change; without any clear
    series, the smallest p-value. Bonferroni holds whichever series is chosen.
    """
    tested = len(rows)

    def limiting(row: dict[str, Any]) -> bool:
        down = row["series"] in _LIMITS_IF_DOWN
        return bool(row["level_change"] < 0) if down else bool(row["level_change"] > 0)

    clear = [r for r in rows if float(r["p_level"]) * tested < 0.05]
    if clear:
        best = max(
            clear,
            key=lambda r: (limiting(r), abs(float(r["level_change"]) / float(r["pre_sd"]))),
        )
    else:
        best = min(rows, key=lambda r: (float(r["p_level"]), str(r["series"])))
    return min(1.0, float(best["p_level"]) * tested), best


@finding_rule(theme="timing")
def formalisation_shock_findings(results: Results) -> list[Finding]:
    """``formalisation_shock``: a weekly metric jumps when formal roles arrive.

    One decision per appointment date: the series :func:`_strongest` picks, its
    level-change p-value Bonferroni-adjusted over the series tested at that date and
    Holm-adjusted over the appointment dates tested. The effect is the
    level change in pre-period SDs with its interval; a change that does not limit the
    community (more activity, replies, resolutions or newcomers, a smaller top voice)
    is ``info``. Dates within :data:`SEPARATION_WEEKS` weeks of a stronger one are the
    same event and are left out.
    """
    table = results.get("formalisation_shock")
    if table is None or table.num_rows == 0:
        return []
    by_date: dict[object, list[dict[str, Any]]] = {}
    for row in table.to_pylist():
        values = numbers(row, "p_level", "level_change", "level_change_lo", "level_change_hi")
        if values is None or not (finite(row["pre_sd"]) or 0.0) > 0:
            continue
        by_date.setdefault(row["at"], []).append(row)
    ranked = sorted(
        ((min(float(r["p_level"]) for r in rows), at, rows) for at, rows in by_date.items()),
        key=lambda item: (item[0], str(item[1])),
    )
    strongest = [(*_strongest(rows), len(rows)) for _, _, rows in ranked]
    # Every appointment date is a test of the same claim (the roster's arrival broke the
    # series): Holm over the dates tested, so a roster of many dates does not raise a
    # shock at one of them by chance more often than one date would.
    tested_dates = len(strongest)
    adjusted = holm([p for p, _, _ in strongest])
    chosen: list[tuple[float, dict[str, Any], int]] = []
    for (_, row, tested), p_value in zip(strongest, adjusted, strict=True):
        if all(
            abs((row["at"] - other["at"]).days) > 7 * SEPARATION_WEEKS for _, other, _ in chosen
        ):
            chosen.append((p_value, row, tested))
    findings = []
    for p_value, row, tested in chosen:
        sd = float(row["pre_sd"])
        series = str(row["series"])
        level = float(row["level_change"])
        decision = Decision(
            test="placebo",
            null="the level change at the appointment is like those at placebo dates of the "
            f"same series ({row['n_placebo']} dates), Bonferroni over the {tested} series "
            f"tested at that date, Holm over the {tested_dates} appointment dates tested",
            estimate=level / sd,
            ci_low=float(row["level_change_lo"]) / sd,
            ci_high=float(row["level_change_hi"]) / sd,
            p_value=p_value,
            n=int(row["n"]),
            unit="weeks",
            n_smallest=int(row["n_placebo"]) if row["n_placebo"] is not None else None,
        )
        concern = -1.0 if series in _LIMITS_IF_DOWN else 1.0
        worse = concern * level > 0
        severity = severity_for("formalisation_shock", decision, concern=concern)
        date = row["at"].date().isoformat()
        findings.append(
            Finding(
                theme="timing",
                kind="formalisation_shock",
                title=f"{series.replace('_', ' ').capitalize()} changed when formal roles arrived",
                statement=(
                    f"When {row['n_appointed']} formal role(s) began in the week of {date}, "
                    f"weekly {series.replace('_', ' ')} {'rose' if level > 0 else 'fell'} by "
                    f"{abs(level):.3g} at once (95% CI {row['level_change_lo']:.3g} to "
                    f"{row['level_change_hi']:.3g}; {abs(decision.estimate):.1f} pre-period "
                    f"SDs; adjusted over series and dates {p_text(p_value)})."
                ),
                severity=severity if worse else "info",
                n=decision.n,
                effect=decision.estimate,
                confidence=1.0 - p_value,
                evidence=("timing/formalisation_shock", "timing/weekly_activity"),
                caveat=(
                    "An interrupted time series shows a break at the appointment, not its "
                    "cause: releases, holidays or other events in the same week can break "
                    "the series too."
                ),
                estimate=decision.estimate,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                null_model=decision.null,
                at=date,
                direction="limits" if worse else "supports",
                details={
                    "series": series,
                    "level_change": level,
                    "slope_change": row["slope_change"],
                },
                decision=decision,
            )
        )
    return findings


@finding_rule(theme="timing")
def change_point_findings(results: Results) -> list[Finding]:
    """``change_point`` (info): where activity and newcomer inflow shifted level."""
    table = results.get("change_points")
    if table is None or table.num_rows == 0:
        return []
    findings = []
    for row in table.to_pylist():
        if row["series"] not in ("active_members", "newcomers"):
            continue
        date = row["at"].date().isoformat()
        change = row["relative_change"]
        change_text = f" ({change:+.0%})" if change is not None else ""
        findings.append(
            Finding(
                theme="timing",
                kind="change_point",
                title=f"{row['series'].replace('_', ' ').capitalize()} shifted {row['direction']}",
                statement=(
                    f"Weekly {row['series'].replace('_', ' ')} went from {row['before']:.1f} to "
                    f"{row['after']:.1f} on average from the week of {date}{change_text}."
                ),
                severity="info",
                n=int(row["n"]),
                effect=float(row["shift_sd"] or 0.0),
                confidence=1.0,
                evidence=("timing/change_points", "timing/weekly_activity"),
                caveat=(
                    f"PELT with a BIC-like penalty ({row['penalty']:.1f} on the standardised "
                    "series); the location is exact only for clean shifts."
                ),
                at=date,
            )
        )
    return findings


@finding_rule(theme="timing")
def phase_findings(results: Results) -> list[Finding]:
    """``development_phase`` (info): the stages the community went through."""
    table = results.get("development_phases")
    if table is None or table.num_rows == 0:
        return []
    rows = table.to_pylist()
    path = " → ".join(
        f"{r['stage']} (from {r['start'].date().isoformat()}, {r['mean_active']:.0f} active/week)"
        for r in rows
    )
    return [
        Finding(
            theme="timing",
            kind="development_phase",
            title="Stages of development",
            statement=f"The community went through: {path}.",
            severity="info",
            n=sum(int(r["n"]) for r in rows),
            effect=0.0,
            confidence=1.0,
            evidence=("timing/development_phases",),
            caveat=(
                "Stages are labelled from the level of weekly active members only "
                "(Wenger, McDermott & Snyder 2002 describe them qualitatively)."
            ),
            at=rows[-1]["start"].date().isoformat(),
        )
    ]
