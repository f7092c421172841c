"""Planted-truth benchmark: does the analysis recover what the simulator planted?

For every scenario and seed: simulate the community, run the whole diagnosis, and check
each planted pathology against the findings (same kind, direction ``limits``, a planted
pseudonym among the subjects, the planted date within two weeks). The healthy baseline
passes a run when it raises no ``severe`` finding. Writes a Markdown summary.

    .venv/bin/python bench/planted_truth.py --seeds 20 --out bench/RESULTS-planted-truth.md
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from undertow.diagnosis import analyze
from undertow.simulate import SCENARIOS, simulate
from undertow.simulate.recovery import explain_miss, recovered

TARGET = 0.9


def check_run(scenario: str, seed: int) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    result = simulate(scenario, seed)
    diagnosis = analyze(result.trace(), seed=seed, progress=False)
    findings = diagnosis.findings
    planted = result.truth["planted"]
    hits = recovered(planted, findings)
    severe = [f"{f.theme}/{f.kind}" for f in findings if f.severity == "severe"]
    return {
        "scenario": scenario,
        "seed": seed,
        "planted": [
            {"kind": p["kind"], "found": hit, "why": "" if hit else explain_miss(p, findings)}
            for p, hit in zip(planted, hits, strict=True)
        ],
        "severe": severe,
        "failed_metrics": [run.spec.name for run in diagnosis.failed],
        "seconds": time.perf_counter() - started,
    }


def summarise(runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Planted-truth recovery",
        "",
        "Each row: share of seeds in which the diagnosis reported the planted pathology "
        "(same kind, direction `limits`, a planted pseudonym among the subjects, the planted "
        "date within 14 days). For `healthy`: share of seeds without a `severe` finding. "
        f"Target ≥ {TARGET:.0%}.",
        "",
        "| scenario | planted kind | runs | recovered | rate | target met |",
        "|---|---|---|---|---|---|",
    ]
    by_kind: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for run in runs:
        if run["scenario"] == "healthy":
            by_kind[("healthy", "no severe finding")].append(not run["severe"])
        for entry in run["planted"]:
            by_kind[(run["scenario"], entry["kind"])].append(entry["found"])
    for (scenario, kind), hits in by_kind.items():
        rate = sum(hits) / len(hits)
        lines.append(
            f"| {scenario} | {kind} | {len(hits)} | {sum(hits)} | {rate:.0%} | "
            f"{'yes' if rate >= TARGET else 'no'} |"
        )
    seconds = [run["seconds"] for run in runs]
    lines += [
        "",
        f"{len(runs)} runs, {sum(seconds):.0f} s in total "
        f"({sum(seconds) / len(seconds):.1f} s per run: simulate + full diagnosis).",
        "",
        "## Misses (what the findings said instead)",
        "",
    ]
    misses = [
        f"- {run['scenario']} seed {run['seed']}: {entry['kind']}: {entry['why']}"
        for run in runs
        for entry in run["planted"]
        if not entry["found"]
    ]
    severe = [
        f"- healthy seed {run['seed']}: severe {', '.join(run['severe'])}"
        for run in runs
        if run["scenario"] == "healthy" and run["severe"]
    ]
    failed = [
        f"- {run['scenario']} seed {run['seed']}: failed metrics {', '.join(run['failed_metrics'])}"
        for run in runs
        if run["failed_metrics"]
    ]
    lines += misses or ["- none"]
    lines += ["", "## Severe findings on the healthy baseline", ""] + (severe or ["- none"])
    lines += ["", "## Metrics that failed", ""] + (failed or ["- none"])
    return "\n".join(lines) + "\n"


def _check(item: tuple[str, int]) -> dict[str, Any]:
    return check_run(*item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS-planted-truth.md"))
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = parser.parse_args()
    work = [
        (scenario, seed)
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for scenario in args.scenarios.split(",")
    ]
    runs: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for run in pool.map(_check, work):
            runs.append(run)
            found = ", ".join(
                f"{e['kind']}={'yes' if e['found'] else 'no'}" for e in run["planted"]
            )
            print(
                f"{run['scenario']} seed {run['seed']}: "
                f"{found or 'severe=' + str(run['severe'])} ({run['seconds']:.1f} s)",
                flush=True,
            )
            # Rewritten after every run, so an interrupted benchmark still leaves its results.
            ordered = sorted(runs, key=lambda r: (SCENARIOS.index(r["scenario"]), r["seed"]))
            args.out.write_text(summarise(ordered), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
