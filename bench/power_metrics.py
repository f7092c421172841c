"""Time the power-structure metrics (themes K, T2, T3, T4) on synthetic traces.

    python bench/power_metrics.py                 # 100k and 1M messages
    python bench/power_metrics.py --sizes 100k    # one size
    python bench/power_metrics.py --markdown out.md

Each size runs in its own process (peak RSS is that process's own). The trace comes from
:mod:`undertow.synthetic` (heavy-tailed authors and thread sizes, reply trees, roles with
units and dates, official and emergent spaces, outcomes, text). Shared features
(thread arrays, formal status, core membership, affect, politeness) are computed once
per trace and are included in the total, attributed to the first metric that needs them.
The coordination metrics registered under T4 belong to the language work and are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

OTHER_MODULES = ("undertow.themes.dominance.coordination",)
THEMES = ("knowledge", "dominance", "leadership", "formal_vs_emergent")


def _size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def run_one(n_messages: int, seed: int) -> dict[str, object]:
    """Generate a trace and time every power metric on it (in this process)."""
    import undertow.themes  # noqa: F401 - registers the metrics
    from undertow.model.trace import Trace
    from undertow.synthetic import synthetic_tables
    from undertow.themes.registry import REGISTRY, MetricSkipped

    started = time.perf_counter()
    tables = synthetic_tables(n_messages, seed=seed)
    trace = Trace(tables)
    generated = time.perf_counter() - started
    timings: list[dict[str, object]] = []
    total_started = time.perf_counter()
    specs = sorted(
        (
            s
            for s in REGISTRY.values()
            if s.theme in THEMES and s.func.__module__ not in OTHER_MODULES
        ),
        key=lambda s: (s.theme, s.name),
    )
    for spec in specs:
        t0 = time.perf_counter()
        reason = spec.missing(trace)
        rows: int | None = None
        if reason is None:
            try:
                rows = spec(trace, seed=seed).num_rows
            except MetricSkipped as signal:
                reason = signal.reason
        timings.append(
            {
                "metric": spec.key,
                "seconds": round(time.perf_counter() - t0, 2),
                "rows": rows,
                "skipped": reason,
            }
        )
    total = time.perf_counter() - total_started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n_messages": n_messages,
        "n_people": tables["people"].num_rows,
        "n_threads": int(tables["messages"].column("thread_id").unique().__len__()),
        "generate_seconds": round(generated, 2),
        "total_seconds": round(total, 2),
        "peak_rss_mib": round(peak_kib / 1024, 0),
        "metrics": timings,
    }


def _markdown(results: list[dict[str, object]]) -> str:
    lines = [
        "| metric | " + " | ".join(f"{r['n_messages']:,} msgs (s)" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    names = [m["metric"] for m in results[0]["metrics"]]  # type: ignore[index]
    for i, name in enumerate(names):
        cells = []
        for r in results:
            m = r["metrics"][i]  # type: ignore[index]
            cells.append(f"{m['seconds']}" + (" (skipped)" if m["skipped"] else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| **all power metrics** | "
        + " | ".join(f"**{r['total_seconds']}**" for r in results)
        + " |"
    )
    lines.append(
        "| peak RSS (MiB) | " + " | ".join(f"{r['peak_rss_mib']:.0f}" for r in results) + " |"
    )
    lines.append(
        "| people / threads | "
        + " | ".join(f"{r['n_people']:,} / {r['n_threads']:,}" for r in results)
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(_size(args.one), args.seed)))
        return
    results = []
    for size in args.sizes.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", size, "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{size}: {result['total_seconds']} s, peak {result['peak_rss_mib']} MiB", flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    header = f"Machine: {machine}, Python {platform.python_version()}\n\n"
    table = header + _markdown(results)
    print(table)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(table + "\n")


if __name__ == "__main__":
    main()
