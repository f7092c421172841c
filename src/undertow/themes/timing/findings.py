"""Finding rules for the timing of the community's development."""

from __future__ import annotations

import math

from undertow.themes.registry import Finding, Results, finding_rule

__all__ = ["change_point_findings", "formalisation_shock_findings", "phase_findings"]

#: Series where a fall means knowledge creation is limited (a rise, for the top voice).
_LIMITS_IF_DOWN = ("messages", "active_members", "newcomers", "reply_rate", "resolution_rate")

#: At most this many appointment dates get a finding (the strongest).
MAX_SHOCKS = 3

#: A weaker shock within this many weeks of a stronger one is not reported separately.
SEPARATION_WEEKS = 8


@finding_rule(theme="timing")
def formalisation_shock_findings(results: Results) -> list[Finding]:
    """``formalisation_shock``: a weekly metric jumps when formal roles arrive.

    p-values are Bonferroni-adjusted over every appointment × series tested. Per
    appointment date, among series with adjusted p < 0.05, the largest standardised
    level change in a direction that limits the community (less activity, fewer
    replies, resolutions or newcomers, a larger top voice) is reported, else the
    largest change. A change that does not limit the community is ``info``;
    a limiting one is ``severe`` when the adjusted p < 0.01 and the level change is at
    least one pre-period SD, ``moderate`` when at least half an SD, else ``low``. At
    most :data:`MAX_SHOCKS` dates, strongest first, at least :data:`SEPARATION_WEEKS`
    weeks apart.
    """
    table = results.get("formalisation_shock")
    if table is None or table.num_rows == 0:
        return []
    rows = [row for row in table.to_pylist() if row["p_level"] is not None]
    tests = len(rows)
    best: dict[object, dict[str, object]] = {}
    for row in rows:
        p_adjusted = min(1.0, float(row["p_level"]) * tests)
        size = row["standardised_level_change"]
        if p_adjusted >= 0.05 or size is None or not math.isfinite(size):
            continue
        limiting = (size < 0) if row["series"] in _LIMITS_IF_DOWN else (size > 0)
        row = {**row, "p_adjusted": p_adjusted, "rank": (limiting, abs(size))}
        current = best.get(row["at"])
        if current is None or row["rank"] > current["rank"]:
            best[row["at"]] = row
    ranked = sorted(
        best.values(),
        key=lambda r: r["rank"],  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    # Appointments weeks apart share their windows: keep the strongest of a cluster.
    chosen: list[dict[str, object]] = []
    for row in ranked:
        at = row["at"]
        if all(abs((at - other["at"]).days) > 7 * SEPARATION_WEEKS for other in chosen):  # type: ignore[operator]
            chosen.append(row)
        if len(chosen) == MAX_SHOCKS:
            break
    findings = []
    for row in chosen:
        size = float(row["standardised_level_change"])  # type: ignore[arg-type]
        p_adjusted = float(row["p_adjusted"])  # type: ignore[arg-type]
        series = str(row["series"])
        worse = (size < 0) if series in _LIMITS_IF_DOWN else (size > 0)
        if not worse:
            # More activity, replies or newcomers after an appointment is worth knowing
            # but is not a power problem.
            severity = "info"
        elif p_adjusted < 0.01 and abs(size) >= 1.0:
            severity = "severe"
        elif abs(size) >= 0.5:
            severity = "moderate"
        else:
            severity = "low"
        date = row["at"].date().isoformat()  # type: ignore[attr-defined]
        level = float(row["level_change"])  # type: ignore[arg-type]
        findings.append(
            Finding(
                theme="timing",
                kind="formalisation_shock",
                title=f"{series.replace('_', ' ').capitalize()} changed when formal roles arrived",
                statement=(
                    f"When {row['n_appointed']} formal role(s) began in the week of {date}, "
                    f"weekly {series.replace('_', ' ')} {'rose' if level > 0 else 'fell'} by "
                    f"{abs(level):.3g} at once (95% CI {row['level_change_lo']:.3g} to "
                    f"{row['level_change_hi']:.3g}; {abs(size):.1f} pre-period SDs; "
                    f"Bonferroni-adjusted p = {p_adjusted:.2g})."
                ),
                severity=severity,  # type: ignore[arg-type]
                n=int(row["n"]),  # type: ignore[call-overload]
                effect=size,
                confidence=1.0 - p_adjusted,
                evidence=("timing/formalisation_shock", "timing/weekly_activity"),
                caveat=(
                    "An interrupted time series shows a break at the appointment, not its "
                    "cause: releases, holidays or other events in the same week can break "
                    "the series too."
                ),
                estimate=level,
                ci_low=float(row["level_change_lo"]),  # type: ignore[arg-type]
                ci_high=float(row["level_change_hi"]),  # type: ignore[arg-type]
                at=date,
                direction="limits" if worse else "supports",
                details={"series": series, "slope_change": row["slope_change"]},
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
