"""Benchmark: undertow's mbox reader against a plain loop over Python's ``mailbox.mbox``.

Run from the repository root: ``.venv/bin/python bench/ingest.py [--gib 1.0]``.

Input: the real linux-uvc-devel archive (74 monthly pipermail files, decompressed
once into a temporary folder so both readers see the same plain files), and a
~1 GiB mbox made by repeating it, written to a temporary folder and deleted after.

Each measurement runs in its own child process, so the peak RSS it reports
(``ru_maxrss``) belongs to that reader alone:

- ``undertow``: :func:`undertow.ingest.mbox.read_mbox` — split, parse headers with
  ``email.policy.default`` (``compat32`` fallback), decode the body, separate own words,
  quotes, signature and patch;
- ``stdlib``: ``for message in mailbox.mbox(path)`` reading ``From``, ``Date``,
  ``Message-ID``, ``In-Reply-To`` and the decoded payload (``compat32`` parsing, no
  body splitting) — less work per message, so it is the floor, not a peer;
- ``ingest``: the whole adapter into a :class:`TraceBuilder` and ``write()`` on the
  real archive (pseudonymising, merging, threading, scrubbing, Parquet).

``--table FILE...`` instead measures the scale of the whole table ingest
(:func:`undertow.ingest.table.read_table` and ``write()``) on each given Parquet table
of messages (e.g. one made with ``undertow.synthetic``), one child per file, and
prints messages, wall and CPU seconds (all threads) and peak RSS.

The machine is shared, so throughput is given per CPU second of the child
(``time.process_time``) as well as wall time. Results go to stdout as a Markdown
table; the figures of a run are kept in ``bench/RESULTS-ingest.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import mailbox
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARCHIVE = DATA / "mailinglist-linux-uvc-devel" / "mbox"


def child(method: str, paths: list[Path], out: Path | None) -> dict[str, float]:
    size = sum(p.stat().st_size for p in paths)
    start = time.perf_counter()
    cpu_start = time.process_time()
    messages = 0
    if method == "undertow":
        from undertow.ingest.mbox import Mail, read_mbox

        for path in paths:
            for item in read_mbox(path):
                messages += isinstance(item, Mail)
    elif method == "stdlib":
        for path in paths:
            box = mailbox.mbox(path, create=False)
            try:
                for message in box:
                    for header in ("From", "Date", "Message-ID", "In-Reply-To"):
                        message.get(header)
                    message.get_payload(decode=True)
                    messages += 1
            finally:
                box.close()
    elif method == "ingest":
        from undertow.ingest.builder import TraceBuilder
        from undertow.ingest.mbox import ingest_mbox

        assert out is not None
        builder = TraceBuilder(out / "trace", key_file=out / "key")
        ingest_mbox(builder, paths)
        manifest = builder.write()
        messages = manifest["totals"]["accepted"]
    elif method == "table":
        from undertow.ingest.builder import TraceBuilder
        from undertow.ingest.table import read_table

        assert out is not None
        builder = TraceBuilder(out / "trace", key_file=out / "key")
        read_table(builder, paths)
        manifest = builder.write()
        messages = manifest["totals"]["accepted"]
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "messages": messages,
        "seconds": seconds,
        "cpu": cpu,
        "mb": size / 1e6,
        "peak_rss_mb": peak_kib / 1024,
    }


def measure(method: str, paths: list[Path], out: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", method, *map(str, paths)]
    if out is not None:
        command += ["--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def row(label: str, method: str, r: dict[str, float]) -> str:
    return (
        f"| {label} | {method} | {int(r['messages']):,} | {r['mb']:,.0f} | {r['seconds']:.1f} | "
        f"{r['cpu']:.1f} | {r['messages'] / r['cpu']:,.0f} | {r['mb'] / r['cpu']:.2f} | "
        f"{r['peak_rss_mb']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--gib", type=float, default=1.0, help="size of the repeated mbox")
    parser.add_argument("--skip-stdlib-big", action="store_true")
    parser.add_argument("--table", nargs="+", type=Path, help="Parquet tables to ingest")
    args = parser.parse_args()
    if args.child:
        method, *paths = args.child
        print(json.dumps(child(method, [Path(p) for p in paths], args.out)))
        return
    if args.table:
        lines = [
            "| input | messages | MB | wall s | CPU s | messages/CPU s | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for path in args.table:
            with tempfile.TemporaryDirectory(prefix="undertow-bench-") as tmp:
                r = measure("table", [path], Path(tmp))
            lines.append(
                f"| {path.name} | {int(r['messages']):,} | {r['mb']:,.0f} | {r['seconds']:.1f} "
                f"| {r['cpu']:.1f} | {r['messages'] / r['cpu']:,.0f} | {r['peak_rss_mb']:.0f} |"
            )
        print("\n".join(lines))
        return
    if not ARCHIVE.is_dir():
        raise SystemExit(f"real archive not found at {ARCHIVE}")
    with tempfile.TemporaryDirectory(prefix="undertow-bench-") as tmp:
        work = Path(tmp)
        plain = work / "plain"
        plain.mkdir()
        for path in sorted(ARCHIVE.glob("*.gz")):
            (plain / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
        files = sorted(plain.iterdir())
        big = work / "big.mbox"
        target = int(args.gib * (1 << 30))
        with big.open("wb") as handle:
            while handle.tell() < target:
                for path in files:
                    with path.open("rb") as source:
                        shutil.copyfileobj(source, handle)
        lines = [
            "| input | reader | messages | MB | wall s | CPU s | messages/CPU s | MB/CPU s "
            "| peak RSS MB |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        real = "linux-uvc-devel (74 files)"
        lines.append(row(real, "undertow", measure("undertow", files)))
        lines.append(row(real, "stdlib mailbox.mbox", measure("stdlib", files)))
        lines.append(row(real, "undertow ingest + write", measure("ingest", files, work)))
        repeated = f"repeated to {big.stat().st_size / (1 << 30):.2f} GiB (1 file)"
        lines.append(row(repeated, "undertow", measure("undertow", [big])))
        if not args.skip_stdlib_big:
            lines.append(row(repeated, "stdlib mailbox.mbox", measure("stdlib", [big])))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
