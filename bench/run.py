"""Run every benchmark and write BENCHMARKS.md (machine, date, wall time and peak RSS per stage).

    python bench/run.py                       # 100k messages end to end + the peer benchmarks
    python bench/run.py --sizes 100k,1M,10M   # the scale targets (10M takes a while)
    python bench/run.py --no-peers            # stages only
    CONVOKIT_PYTHON=/path/to/convokit-venv/bin/python python bench/run.py   # + ConvoKit peer

Each stage runs in its own process, so its peak RSS is its own (``os.wait4``):

- ``generate``: the synthetic trace (``undertow.synthetic``): all six tables written as a
  trace folder, and its messages as one Parquet input file;
- ``ingest``: ``undertow ingest input.parquet --format table`` of that message table
  (identities, pseudonyms, text scrubbing, validation, atomic write);
- ``features``: the shared features (interaction edges, formal status, newcomers, core, affect,
  politeness) on the opened trace;
- ``theme:<name>``: every registered metric of one theme (on a fresh process, features included);
- ``analyze``: the whole diagnosis, ``undertow analyze TRACE -o OUT`` (metrics, findings, report)
  on the full synthetic trace (roles, outcomes, spaces included, so no metric is skipped for
  want of a table). End to end = ingest + analyze;
- ``long-thread``: the whole diagnosis on one thread of 100k messages (memory must not blow up).

Peer benchmarks are the scripts beside this one (``graph_peers.py``, ``affect.py``,
``coordination.py``, ``ingest.py``, ...); their markdown output is copied into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
UNDERTOW = str(Path(PYTHON).with_name("undertow"))

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}

#: Peer benchmarks: script, arguments, and the size they compare at.
PEERS: tuple[tuple[str, list[str]], ...] = (
    ("graph_peers.py", ["--messages", "1000000"]),
    ("affect.py", []),
    ("coordination.py", []),
    ("ingest.py", []),
    ("ingest_stackexchange.py", []),
)

GENERATE = """
import sys, pyarrow as pa, pyarrow.parquet as pq
from undertow.synthetic import synthetic_tables
from undertow.model.writer import write_trace
n, single, out, full = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4]
tables = synthetic_tables(n, seed=0, single_thread=single)
write_trace(full, tables)
m = tables["messages"]
raw = pa.table({"message_id": m["message_id"], "thread_id": m["thread_id"],
                "parent_id": m["parent_id"], "author": m["author_id"],
                "created_at": m["created_at"], "text": m["text"]})
pq.write_table(raw, out)
"""

FEATURES = """
import sys, importlib
from undertow.model.trace import Trace
trace = Trace.open(sys.argv[1])
calls = [("undertow.features.graph", "reply_edges"),
         ("undertow.features.status", "message_status"),
         ("undertow.features.newcomers", "first_messages"),
         ("undertow.features.core", "core_membership"),
         ("undertow.features.affect", "message_affect"),
         ("undertow.features.politeness", "message_politeness"),
         ("undertow.features.support", "message_support")]
for module, name in calls:
    try:
        getattr(importlib.import_module(module), name)(trace)
    except ImportError:
        print("missing", module, name)
"""

THEME = """
import sys
import undertow.themes
from undertow.themes.registry import REGISTRY, MetricSkipped
from undertow.model.trace import Trace
trace = Trace.open(sys.argv[1])
for spec in sorted(REGISTRY.values(), key=lambda s: s.name):
    if spec.theme != sys.argv[2] or spec.missing(trace) is not None:
        continue
    try:
        spec(trace, seed=0)
    except MetricSkipped:
        pass
"""


@dataclass
class Stage:
    """One measured stage."""

    size: str
    name: str
    seconds: float
    peak_rss_mib: float
    ok: bool
    note: str = ""
    load: float = 0.0


#: Stages of every size, in run order (the report is rewritten after each one, so a
#: run that is stopped still leaves the figures measured so far).
DONE: list[Stage] = []
#: Seconds after which a stage is stopped (``--timeout``); ``None`` = no limit.
TIMEOUT: list[float | None] = [None]
#: Rewrites the report with the stages so far (set by ``main``).
REPORT: list[Any] = []


def run_stage(size: str, name: str, argv: list[str], log: Path) -> Stage:
    """Run ``argv`` in its own process; return its wall time and peak RSS."""
    start = time.perf_counter()
    timed_out = threading.Event()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )

        def stop() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(TIMEOUT[0], stop) if TIMEOUT[0] else None
        if timer is not None:
            timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        if timer is not None:
            timer.cancel()
    seconds = time.perf_counter() - start
    ok = os.waitstatus_to_exitcode(status) == 0
    note = "" if ok else f"see {log.name}"
    if timed_out.is_set():
        note = f"stopped after the {TIMEOUT[0]:.0f} s limit"
    # Other users of the machine slow a stage down: the load is reported beside it.
    stage = Stage(size, name, seconds, usage.ru_maxrss / 1024, ok, note, os.getloadavg()[0])
    DONE.append(stage)
    for report in REPORT:
        report()
    mark = "ok" if ok else "FAILED"
    print(f"  {size:>5} {name:<28} {seconds:8.1f} s {stage.peak_rss_mib:9.0f} MiB  {mark}")
    return stage


def themes() -> list[str]:
    """Themes with registered metrics."""
    import importlib

    importlib.import_module("undertow.themes")  # registers every metric
    from undertow.themes.registry import REGISTRY

    return sorted({spec.theme for spec in REGISTRY.values()})


def slowest_metrics(out: Path, top: int = 8) -> str:
    """The ``top`` slowest metrics of an analyze run (from ``OUT/run.json``)."""
    try:
        run = json.loads((out / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return ""
    timed = sorted(run.get("metrics", {}).items(), key=lambda item: -item[1].get("seconds", 0))
    return "slowest: " + ", ".join(
        f"{name} {info.get('seconds', 0):.1f} s" for name, info in timed[:top]
    )


def stages_for(
    size: str, n: int, work: Path, log: Path, *, single_thread: bool, per_theme: bool = True
) -> list[Stage]:
    """Every stage for one size (``per_theme=False`` skips the per-theme processes)."""
    label = "long-thread" if single_thread else size
    raw = work / f"input-{label}.parquet"
    ingested = work / f"ingested-{label}"
    # The message table alone would leave every roles/outcomes/spaces metric skipped: the
    # analysis stages read the whole synthetic trace (all six tables), written directly.
    trace = work / f"trace-{label}"
    out = work / f"out-{label}"
    flag = "1" if single_thread else "0"
    generate = [PYTHON, "-c", GENERATE, str(n), flag, str(raw), str(trace)]
    results = [run_stage(label, "generate", generate, log)]
    ingest = [UNDERTOW, "ingest", str(raw), "--format", "table", "-o", str(ingested)]
    results.append(run_stage(label, "ingest (messages table)", ingest, log))
    shutil.rmtree(ingested, ignore_errors=True)
    if not single_thread and per_theme:
        results.append(run_stage(label, "features", [PYTHON, "-c", FEATURES, str(trace)], log))
        for theme in themes():
            argv = [PYTHON, "-c", THEME, str(trace), theme]
            results.append(run_stage(label, f"theme:{theme}", argv, log))
    analyze = [UNDERTOW, "analyze", str(trace), "-o", str(out)]
    results.append(run_stage(label, "analyze (end to end)", analyze, log))
    size_of = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.exists() else 0
    if results[-1].ok:
        results[-1].note = f"outputs {size_of / 2**20:.1f} MiB; {slowest_metrics(out)}"
        for report in REPORT:
            report()
    shutil.rmtree(work / f"out-{label}", ignore_errors=True)
    raw.unlink(missing_ok=True)
    return results


def peers(log: Path) -> list[str]:
    """Run the peer benchmarks; return their markdown output."""
    sections = []
    for script, peer_args in PEERS:
        path = HERE / script
        if not path.is_file():
            sections.append(f"## {script}\n\nnot present in this checkout.\n")
            continue
        args = list(peer_args)
        if script == "coordination.py":
            # ConvoKit lives in its own venv (its pins clash with ours).
            convokit = os.environ.get("CONVOKIT_PYTHON")
            if not convokit:
                sections.append(
                    f"## {script}\n\nnot run: set CONVOKIT_PYTHON to the python of a venv "
                    "with convokit.\n"
                )
                continue
            args = [convokit, *args]
        print(f"  peer {script} ...", flush=True)
        done = subprocess.run(
            [PYTHON, str(path), *args], capture_output=True, text=True, cwd=ROOT, check=False
        )
        with log.open("a") as sink:
            sink.write(done.stderr)
        if done.returncode == 0:
            sections.append(done.stdout)
        else:
            tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
            sections.append(f"## {script}\n\nfailed: `{tail[0]}`\n")
    return sections


def machine() -> str:
    """A one-paragraph description of the machine."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_report(stages: list[Stage], peer_sections: list[str], target: Path) -> None:
    """Write BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}. Date: {dt.date.today().isoformat()}. "
        "Command: `python bench/run.py " + " ".join(sys.argv[1:]) + "`.",
        "",
        "Each stage runs in its own process; peak RSS is that process's maximum resident set.",
        "Synthetic traces come from `undertow.synthetic` (Zipf activity, heavy-tailed threads).",
        "",
        "The load column is the machine's 1-minute load average when the stage ended",
        f"(on {os.cpu_count()} cores, a load above that count means other work competed).",
        "",
        "| size | stage | wall time (s) | peak RSS (MiB) | load | ok | note |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for s in stages:
        ok = "yes" if s.ok else "**no**"
        lines.append(
            f"| {s.size} | {s.name} | {s.seconds:.1f} | {s.peak_rss_mib:.0f} | {s.load:.1f} "
            f"| {ok} | {s.note} |"
        )
    lines += ["", *peer_sections]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Parse arguments, run the stages and peers, write BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k", help="comma-separated: 10k,100k,1M,10M")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-long-thread", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--themes-up-to",
        default="1M",
        help="largest size that also gets the features and per-theme stages",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per stage")
    args = parser.parse_args()
    TIMEOUT[0] = args.timeout
    work = Path(tempfile.mkdtemp(prefix="undertow-bench-"))
    log = args.output.with_suffix(".log")
    log.write_text("")
    stages: list[Stage] = []
    REPORT.append(lambda: write_report(DONE, ["(run in progress)"], args.output))
    try:
        for size in args.sizes.split(","):
            per_theme = SIZES[size] <= SIZES[args.themes_up_to]
            stages += stages_for(
                size, SIZES[size], work, log, single_thread=False, per_theme=per_theme
            )
        if not args.no_long_thread:
            stages += stages_for("100k", 100_000, work, log, single_thread=True)
        peer_sections = [] if args.no_peers else peers(log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    REPORT.clear()
    write_report(stages, peer_sections, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
