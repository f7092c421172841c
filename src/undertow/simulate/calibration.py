"""Calibration of the diagnosis on simulated communities: false findings, level, coverage, power.

Each unit of work is one simulated community analysed end to end:

- :func:`healthy_run`: a healthy community of a given shape (nothing planted): the
  findings above ``info`` it raises (all of them false), the family-wise error of the
  formalisation-shock test at its appointment (a placebo: the healthy appointment
  changes nothing), and whether intervals cover effects that are zero by construction;
- :func:`timing_run`: the same community, only the formalisation-shock test (cheap,
  so the family-wise rate can rest on more runs);
- :func:`power_run`: one mechanism planted at a strength: whether each planted kind
  is recovered by a finding above ``info`` (:func:`undertow.simulate.recovery.matches`),
  and how many unplanted findings above ``info`` the run raises.

:func:`summary` turns the runs into the Markdown of ``bench/RESULTS-calibration.md``.
Seeds from :data:`CALIBRATION_FIRST_SEED` on are kept for calibration only; the
choices of the tests (the placebo null of :mod:`undertow.themes.timing.formalisation`)
were made on :data:`DEVELOPMENT_SEEDS`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scipy import stats

from undertow.simulate import simulate
from undertow.simulate.recovery import RECOVERY_LEVEL, counts_for_recovery, matches
from undertow.themes.registry import Finding

__all__ = [
    "CALIBRATION_FIRST_SEED",
    "DEVELOPMENT_SEEDS",
    "POWER_SCENARIOS",
    "SHAPES",
    "STRENGTHS",
    "healthy_run",
    "power_run",
    "summary",
    "timing_run",
]

#: Community shapes: simulator knobs beyond the scenario (see ``docs/simulate.md``).
SHAPES: dict[str, dict[str, Any]] = {
    "baseline": {},
    "short": {"n_days": 180},
    "large": {"n_founders": 70, "arrival_rate": 0.8},
    "skewed": {"activity_skew": 2.0},
    "many_spaces": {"n_spaces": 12},
}

#: Seeds the tests' calibration choices were made on (never reported as calibration).
DEVELOPMENT_SEEDS = range(5000, 5300)

#: Calibration seeds start here: disjoint from development, tests and other benchmarks.
CALIBRATION_FIRST_SEED = 910_000

#: The scenarios whose planted kinds get a power curve.
POWER_SCENARIOS = (
    "dominant_actor",
    "late_manager",
    "gatekeeping",
    "emotion_collapse",
    "divergence",
)

#: Strengths of the power curves.
STRENGTHS = (0.2, 0.4, 0.6, 0.8, 1.0)

_ALPHA = 0.05

#: Synthesis terms whose association with the outcome is zero by construction in a
#: healthy community (threads go to spaces independently of their kind and outcome).
_NULL_TERMS = ("emergent_space",)


def _simulate(scenario: str, seed: int, shape: str, strength: float = 1.0) -> Any:
    knobs = dict(SHAPES[shape])
    n_days = int(knobs.pop("n_days", 540))
    return simulate(scenario, seed, n_days=n_days, strength=strength, **knobs)


def _timing(table: Any) -> dict[str, Any]:
    """Family-wise decision of the formalisation-shock table (Bonferroni over its rows)."""
    if table is None:
        return {"timing_tests": 0, "timing_reject": False, "timing_p": [], "timing_cover": []}
    rows = [r for r in table.to_pylist() if r["p_level"] is not None]
    p_values = [float(r["p_level"]) for r in rows]
    reject = bool(p_values) and min(p_values) * len(p_values) < _ALPHA
    cover = [
        bool(r["level_change_lo"] <= 0.0 <= r["level_change_hi"])
        for r in rows
        if r["level_change_lo"] is not None
    ]
    return {
        "timing_tests": len(p_values),
        "timing_reject": reject,
        "timing_p": p_values,
        "timing_cover": cover,
    }


def _raised(findings: Iterable[Finding]) -> list[Finding]:
    """Findings at the level the calibration counts (the one recovery counts)."""
    return [f for f in findings if counts_for_recovery(f)]


def _background(finding: Finding, truth: Mapping[str, Any]) -> bool:
    """Whether ``finding`` reports only an effect every simulated community has.

    A synthesis finding whose limiting terms are all built-in effects of the simulator
    (``truth.json`` ``background``) is true, not false, though nothing was planted.
    """
    terms = {e["term"] for e in truth.get("background", ()) if e["kind"] == finding.kind}
    limiting = set(finding.details.get("limiting_terms", ())) if finding.details else set()
    return bool(terms) and bool(limiting) and limiting <= terms


def healthy_run(shape: str, seed: int) -> dict[str, Any]:
    """Analyse one healthy community of ``shape``: false findings, timing level, coverage."""
    from undertow.diagnosis import analyze

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    result = _simulate("healthy", seed, shape)
    diagnosis = analyze(result.trace(), seed=seed, progress=False)
    everything = _raised(diagnosis.findings)
    raised = [f for f in everything if not _background(f, result.truth)]
    model = diagnosis.get("power_knowledge_model")
    cover: dict[str, bool] = {}
    if model is not None:
        for row in model.to_pylist():
            if row["term"] in _NULL_TERMS and row["odds_ratio"] is not None:
                cover[str(row["term"])] = bool(row["odds_ratio_lo"] <= 1.0 <= row["odds_ratio_hi"])
    return {
        "shape": shape,
        "seed": seed,
        "messages": result.tables["messages"].num_rows,
        "raised": [f"{f.theme}/{f.kind}" for f in raised],
        "moderate": [f"{f.theme}/{f.kind}" for f in raised if f.severity in ("moderate", "severe")],
        "severe": [f"{f.theme}/{f.kind}" for f in raised if f.severity == "severe"],
        "background": [f"{f.theme}/{f.kind}" for f in everything if f not in raised],
        "null_cover": cover,
        **_timing(diagnosis.get("formalisation_shock")),
        "seconds": time.perf_counter() - started,
    }


def timing_run(shape: str, seed: int) -> dict[str, Any]:
    """The formalisation-shock test alone on one healthy community of ``shape``."""
    from undertow.themes.registry import MetricSkipped
    from undertow.themes.timing.formalisation import formalisation_shock

    warnings.simplefilter("ignore")
    result = _simulate("healthy", seed, shape)
    try:
        table = formalisation_shock(result.trace())
    except MetricSkipped:
        table = None
    return {"shape": shape, "seed": seed, **_timing(table)}


def power_run(scenario: str, strength: float, seed: int, shape: str = "baseline") -> dict[str, Any]:
    """Analyse one community with ``scenario`` planted at ``strength``: recovery per kind."""
    from undertow.diagnosis import analyze

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    result = _simulate(scenario, seed, shape, strength)
    diagnosis = analyze(result.trace(), seed=seed, progress=False)
    raised = [f for f in _raised(diagnosis.findings) if not _background(f, result.truth)]
    planted = result.truth["planted"]
    kinds = {p["kind"] for p in planted} | {e["kind"] for e in result.truth["not_measurable"]}
    return {
        "scenario": scenario,
        "strength": strength,
        "seed": seed,
        "shape": shape,
        "recovered": {
            str(p["kind"]): any(matches(p, finding) for finding in raised) for p in planted
        },
        "not_measurable": [str(e["kind"]) for e in result.truth["not_measurable"]],
        "unplanted": [f"{f.theme}/{f.kind}" for f in raised if f.kind not in kinds],
        "seconds": time.perf_counter() - started,
    }


def _rate(hits: int, n: int) -> str:
    """``k/n (share, 95% Clopper–Pearson interval)``."""
    if n == 0:
        return "–"
    low = float(stats.beta.ppf(0.025, hits, n - hits + 1)) if hits > 0 else 0.0
    high = float(stats.beta.ppf(0.975, hits + 1, n - hits)) if hits < n else 1.0
    return f"{hits}/{n} ({hits / n:.0%}; {low:.0%}–{high:.0%})"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def summary(
    healthy: Sequence[Mapping[str, Any]],
    timing: Sequence[Mapping[str, Any]],
    power: Sequence[Mapping[str, Any]],
    *,
    seeds: str,
) -> str:
    """The calibration report (Markdown) from the runs."""
    lines = [
        "# Calibration of the diagnosis on simulated communities",
        "",
        f"Seeds: {seeds}. The tests' calibration choices (the placebo-date null of the "
        "formalisation-shock test) were made on development seeds "
        f"{DEVELOPMENT_SEEDS.start}–{DEVELOPMENT_SEEDS.stop - 1}, never on these.",
        "",
        "Shapes (simulator knobs beyond the scenario; defaults: 540 days, 40 founders, "
        "0.45 newcomers a day, activity skew 1, 5 spaces):",
        "",
    ]
    lines += [
        f"- `{name}`: "
        + (", ".join(f"{key} = {value}" for key, value in knobs.items()) or "defaults")
        for name, knobs in SHAPES.items()
    ]
    lines += [
        "",
        "## False findings on healthy communities",
        "",
        "Nothing is planted, so every finding above `info` is false. Per shape: runs, mean "
        "findings above `info` per run, mean `moderate` or `severe` per run, runs with a "
        "`severe` finding, runs with any finding above `info`.",
        "",
        "| shape | runs | messages (mean) | above info / run | moderate+ / run | runs with severe "
        "| runs with any |",
        "|---|---|---|---|---|---|---|",
    ]
    by_shape: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for run in healthy:
        by_shape[str(run["shape"])].append(run)
    groups = [*by_shape.items(), ("all", list(healthy))]
    for name, runs in groups:
        if not runs:
            continue
        lines.append(
            f"| {name} | {len(runs)} | {_mean([r['messages'] for r in runs]):,.0f} | "
            f"{_mean([len(r['raised']) for r in runs]):.2f} | "
            f"{_mean([len(r['moderate']) for r in runs]):.2f} | "
            f"{_rate(sum(bool(r['severe']) for r in runs), len(runs))} | "
            f"{_rate(sum(bool(r['raised']) for r in runs), len(runs))} |"
        )
    kinds: dict[str, int] = defaultdict(int)
    for run in healthy:
        for kind in run["raised"]:
            kinds[kind] += 1
    lines += ["", "False findings above `info` by kind (all healthy runs):", ""]
    lines += [
        f"- `{kind}`: {count}" for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])
    ] or ["- none"]
    background = sum(len(r.get("background", ())) for r in healthy)
    lines += [
        "",
        "Not counted as false: findings that report only an effect the simulator builds into "
        "every community (`truth.json` `background`: distress nobody supports lowers the "
        f"chance of a resolution): {background} in {len(healthy)} healthy runs.",
    ]

    lines += [
        "",
        "## Timing test at a placebo appointment",
        "",
        "The healthy community's appointment changes nothing, so it is a placebo date. A run "
        "rejects when any series' placebo-null p-value, Bonferroni-adjusted over the run's "
        "series, is below 0.05 (the family-wise error; nominal 5%). Runs without a "
        "calibrated test (too few placebo dates, e.g. 180-day communities) are counted "
        "apart. Coverage: share of level-change intervals that contain 0 (the truth).",
        "",
        "| shape | runs | runs tested | family-wise rejections | series p < 0.05 | "
        "intervals covering 0 |",
        "|---|---|---|---|---|---|",
    ]
    timing_all = [*timing, *healthy]
    timing_by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for run in timing_all:
        timing_by[str(run["shape"])].append(run)
    for name, runs in [*timing_by.items(), ("all", timing_all)]:
        tested = [r for r in runs if r["timing_tests"]]
        p_values = [p for r in tested for p in r["timing_p"]]
        cover = [c for r in tested for c in r["timing_cover"]]
        lines.append(
            f"| {name} | {len(runs)} | {len(tested)} | "
            f"{_rate(sum(bool(r['timing_reject']) for r in tested), len(tested))} | "
            f"{_rate(sum(p < 0.05 for p in p_values), len(p_values))} | "
            f"{_rate(sum(cover), len(cover))} |"
        )

    lines += [
        "",
        "## Interval coverage of effects that are zero by construction",
        "",
        "In a healthy community threads go to official or member-created spaces "
        "independently of their kind and outcome, so the synthesis model's odds ratio for "
        "`emergent_space` is 1; its 95% interval should contain 1 in about 95% of runs.",
        "",
    ]
    for term in _NULL_TERMS:
        hits = [r["null_cover"][term] for r in healthy if term in r["null_cover"]]
        lines.append(f"- `{term}`: interval contains 1 in {_rate(sum(hits), len(hits))}")

    lines += [
        "",
        "## Power: planted kinds recovered by a finding above `info`",
        "",
        "A planted kind is recovered when a raised finding of severity "
        f"`{RECOVERY_LEVEL}` or above (from a declared test, q ≤ 0.05 across the run; "
        "`undertow.simulate.recovery.counts_for_recovery`, the same level as the false "
        "findings above) has its kind, direction "
        "`limits`, a planted subject and the planted date within 14 days; `info` findings "
        "recover nothing. Runs where the "
        "kind was switched on but left nothing measurable (`truth.json` `not_measurable`) "
        "are not counted. Target: ≥ 80% at strength 0.6, ≥ 95% at 1.0.",
        "",
        "| scenario | kind | " + " | ".join(f"strength {s}" for s in STRENGTHS) + " |",
        "|---|---|" + "---|" * len(STRENGTHS),
    ]
    curves: dict[tuple[str, str], dict[float, list[bool]]] = defaultdict(lambda: defaultdict(list))
    unplanted: list[int] = []
    for run in power:
        unplanted.append(len(run["unplanted"]))
        for kind, hit in run["recovered"].items():
            curves[(str(run["scenario"]), kind)][float(run["strength"])].append(bool(hit))
    for (scenario, kind), by_strength in sorted(curves.items()):
        cells = [_rate(sum(by_strength.get(s, [])), len(by_strength.get(s, []))) for s in STRENGTHS]
        lines.append(f"| {scenario} | {kind} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Unplanted findings above `info` in these runs: {_mean(unplanted):.2f} per run "
        f"({len(unplanted)} runs).",
        "",
        "## Cost",
        "",
        f"{len(healthy)} healthy and {len(power)} planted runs (simulate + full diagnosis), "
        f"{len(timing)} timing-only runs; "
        f"{_mean([float(r['seconds']) for r in [*healthy, *power]]):.1f} s per full run on "
        "a shared 2-core machine.",
    ]
    return "\n".join(lines) + "\n"
