"""Benchmark: undertow's Stack Exchange reader against a plain ElementTree loop.

Three runs per input, each in a fresh process so that peak RSS is its own:

- ``plain``: ``ElementTree.iterparse`` over every dump file with ``elem.clear()``,
  counting rows (the floor: parsing only);
- ``reader``: ``ingest_stackexchange`` feeding a ``TraceBuilder`` (parsing, HTML
  splitting, @mention matching, accounting), without writing;
- ``ingest``: the same plus ``TraceBuilder.write()`` (identities, pseudonyms, thread
  resolution, scrubbing, validation, Parquet).

Inputs: the real History Meta dump (``../shared/data/stackexchange-history-meta``) and
the same dump repeated ``--repeat`` times (post, comment and vote ids shifted per
copy; users and badges once) to show throughput and memory at a larger size.

Rates (rows/s, messages/s, MB/s of uncompressed XML) are per wall-clock second.

Usage: ``.venv/bin/python bench/ingest_stackexchange.py [--repeat 20]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # noqa: S405 - our own generated/real dump files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "stackexchange-history-meta"
STEMS = ("Users", "Badges", "Posts", "Comments", "Votes")
_POST_IDS = re.compile(rb'\b(Id|ParentId|AcceptedAnswerId|PostId)="(\d+)"')


def _files(folder: Path) -> list[Path]:
    found = []
    for stem in STEMS:
        for name in (f"{stem}.xml", f"{stem}.xml.gz"):
            if (folder / name).is_file():
                found.append(folder / name)
    return found


def _open(path: Path):  # type: ignore[no-untyped-def]
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def plain(folder: Path) -> dict[str, float]:
    rows = 0
    for path in _files(folder):
        with _open(path) as stream:
            for _, element in ET.iterparse(stream, events=("end",)):  # noqa: S314
                if element.tag == "row":
                    rows += 1
                element.clear()
    return {"rows": rows}


def reader(folder: Path, write: bool) -> dict[str, float]:
    from undertow.ingest.builder import TraceBuilder
    from undertow.ingest.stackexchange import ingest_stackexchange

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        builder = TraceBuilder(Path(tmp) / "trace", key_file=Path(tmp) / "key")
        ingest_stackexchange(builder, [folder])
        sources = builder.write()["sources"] if write else builder.sources()
    messages = sum(
        s["accepted"] for s in sources if Path(s["path"]).name.startswith(("Posts", "Comments"))
    )
    return {
        "rows": sum(s["read"] for s in sources),
        "messages": messages,
        "seconds": time.perf_counter() - start,
    }


def plain_timed(folder: Path) -> dict[str, float]:
    start = time.perf_counter()
    result = plain(folder)
    result["seconds"] = time.perf_counter() - start
    return result


def child(mode: str, folder: Path) -> None:
    if mode != "plain":
        # Import time and the libraries' own memory are not the reader's: measure them apart.
        import undertow.ingest.builder
        import undertow.ingest.stackexchange  # noqa: F401
    # ru_maxrss is in KiB on Linux.
    before = resource.getrusage(resource.RUSAGE_SELF)
    base = before.ru_maxrss / 1024
    result = plain_timed(folder) if mode == "plain" else reader(folder, write=mode == "ingest")
    after = resource.getrusage(resource.RUSAGE_SELF)
    # The machine is shared: CPU seconds are the steadier figure, wall seconds the honest one.
    result["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result["base_rss_mb"] = base
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def repeated(source: Path, copies: int, out: Path) -> Path:
    """The dump with posts, comments and votes repeated ``copies`` times (ids shifted)."""
    out.mkdir(parents=True, exist_ok=True)
    for path in _files(source):
        with _open(path) as stream:
            lines = stream.read().splitlines(keepends=True)
        head = [line for line in lines if b"<row " not in line]
        rows = [line for line in lines if b"<row " in line]
        stem = path.name.split(".")[0]
        copies_here = 1 if stem in ("Users", "Badges") else copies
        with gzip.open(out / f"{stem}.xml.gz", "wb", compresslevel=1) as sink:
            sink.writelines(head[:2])
            for copy in range(copies_here):
                shift = copy * 10_000_000
                for line in rows:
                    sink.write(
                        _POST_IDS.sub(
                            lambda m, shift=shift: (
                                b'%s="%d"' % (m.group(1), int(m.group(2)) + shift)
                            ),
                            line,
                        )
                        if shift
                        else line
                    )
            sink.writelines(head[2:])
    return out


def xml_bytes(folder: Path) -> int:
    total = 0
    for path in _files(folder):
        with _open(path) as stream:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
    return total


def run(folder: Path, label: str) -> list[str]:
    size = xml_bytes(folder)
    lines = []
    for mode in ("plain", "reader", "ingest"):
        completed = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        seconds = result["seconds"]
        messages = result.get("messages")
        lines.append(
            f"| {label} | {mode} | {int(result['rows']):,} | "
            f"{'' if messages is None else f'{int(messages):,}'} | {seconds:.2f} | "
            f"{result['cpu_seconds']:.2f} | "
            f"{result['rows'] / seconds:,.0f} | "
            f"{'' if messages is None else f'{messages / seconds:,.0f}'} | "
            f"{size / seconds / 1e6:.1f} | {result['peak_rss_mb']:.0f} "
            f"| {result['base_rss_mb']:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if not args.data.is_dir():
        sys.exit(f"dataset not found: {args.data}")
    print(
        "| input | run | rows read | messages | wall s | CPU s | rows/s | messages/s "
        "| XML MB/s | peak RSS MB | RSS after imports MB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    run(args.data, "History Meta")
    if args.repeat > 1:
        with tempfile.TemporaryDirectory() as tmp:
            folder = repeated(args.data, args.repeat, Path(tmp) / "history-meta-x")
            run(folder, f"History Meta x{args.repeat}")


if __name__ == "__main__":
    main()
