"""Calibration benchmark: false findings, timing level, coverage and power on unseen seeds.

Runs :mod:`undertow.simulate.calibration` over calibration seeds (never used while the
tests were developed) and writes a Markdown report:

    .venv/bin/python bench/calibration.py --healthy 8 --timing 20 --power 5 --jobs 2 \\
        --out bench/RESULTS-calibration.md

``--healthy`` seeds per shape (full diagnosis), ``--timing`` extra seeds per shape for
the formalisation-shock test alone, ``--power`` seeds per scenario and strength. The
report is rewritten as runs finish, so an interrupted benchmark leaves its results.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from undertow.simulate.calibration import (
    CALIBRATION_FIRST_SEED,
    POWER_SCENARIOS,
    SHAPES,
    STRENGTHS,
    healthy_run,
    power_run,
    summary,
    timing_run,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=8, help="healthy seeds per shape")
    parser.add_argument("--timing", type=int, default=20, help="timing-only seeds per shape")
    parser.add_argument("--power", type=int, default=5, help="seeds per scenario and strength")
    parser.add_argument("--first-seed", type=int, default=CALIBRATION_FIRST_SEED)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS-calibration.md"))
    args = parser.parse_args()

    # Every run gets its own seed, so no two runs share a community.
    seed = args.first_seed
    work: list[tuple[str, Callable[..., dict[str, Any]], tuple[Any, ...]]] = []
    for shape in SHAPES:
        for _ in range(args.healthy):
            work.append(("healthy", healthy_run, (shape, seed)))
            seed += 1
    for scenario in POWER_SCENARIOS:
        for strength in STRENGTHS:
            for _ in range(args.power):
                work.append(("power", power_run, (scenario, strength, seed)))
                seed += 1
    for shape in SHAPES:
        for _ in range(args.timing):
            work.append(("timing", timing_run, (shape, seed)))
            seed += 1
    seeds = f"{args.first_seed}–{seed - 1} (one community per seed)"
    results: dict[str, list[dict[str, Any]]] = {"healthy": [], "timing": [], "power": []}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(func, *arguments): part for part, func, arguments in work}
        for done, future in enumerate(as_completed(futures), start=1):
            part = futures[future]
            run = future.result()
            results[part].append(run)
            print(f"[{done}/{len(work)}] {part} {run}", flush=True)
            for runs in results.values():
                runs.sort(key=lambda r: int(r["seed"]))
            args.out.write_text(
                summary(results["healthy"], results["timing"], results["power"], seeds=seeds),
                encoding="utf-8",
            )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
