"""Benchmark: peak memory and CPU of ``undertow ingest`` per adapter, against input size.

For each adapter a synthetic input of the given size is written (streamed, never held
whole) to a temporary folder, then ``undertow ingest`` runs on it in its own process;
``os.wait4`` gives that process's peak RSS (``ru_maxrss``) and its user + system CPU
seconds. The ratio is peak RSS over input size (the target is at most 3). A run on a
two-message CSV gives the interpreter's own footprint (``baseline``), shown apart.

Shapes: ordinary records for every adapter, plus the hostile ones of issue 17: one
GitHub page holding every issue in one JSON array, and a Stack Exchange ``Posts.xml``
whose one row carries a 100 MB ``Body`` attribute (refused by the record cap as soon
as the stream passes it, so it shows the cost of the refusal).

Usage: ``nice -n 10 .venv/bin/python bench/ingest_memory.py [--mb 50] [--github-mb 300]
[--only github,mbox] [--markdown]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_SENTENCE = (
    "the patch looks fine to me but could you rebase it on the current branch and add a "
    "test for the empty case before we merge it thanks for the quick turnaround"
)
_WORDS = tuple(_SENTENCE.split())


def _text(i: int, words: int = 24) -> str:
    start = i % len(_WORDS)
    return " ".join((_WORDS * 2)[start : start + words]) + f" #{i}"


def _fill(path: Path, megabytes: float, piece: Callable[[int], str], head: str = "") -> None:
    """Write ``head`` then ``piece(i)`` for i = 0, 1, ... until ``megabytes`` are written."""
    target = int(megabytes * 1_000_000)
    with path.open("w", encoding="utf-8") as out:
        written = out.write(head)
        i = 0
        while written < target:
            written += out.write(piece(i))
            i += 1


def _stamp(i: int) -> str:
    day, second = divmod(i, 86_400)
    when = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(days=day % 3650, seconds=second)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_csv(folder: Path, mb: float) -> list[str]:
    path = folder / "m.csv"
    _fill(
        path,
        mb,
        lambda i: f"{i},{i - 1 if i % 3 else ''},user{i % 5000}@x.org,{_stamp(i)},{_text(i)}\n",
        "message_id,parent_id,author,created_at,text\n",
    )
    return [str(path)]


def make_jsonl(folder: Path, mb: float) -> list[str]:
    path = folder / "m.jsonl"

    def row(i: int) -> str:
        record = {"message_id": str(i), "author": f"user{i % 5000}@x.org"}
        record |= {"created_at": _stamp(i), "text": _text(i)}
        return json.dumps(record) + "\n"

    _fill(path, mb, row)
    return [str(path)]


def make_parquet(folder: Path, mb: float) -> list[str]:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    make_csv(folder, mb)
    path = folder / "m.parquet"
    pq.write_table(pcsv.read_csv(folder / "m.csv"), path, compression="none")
    (folder / "m.csv").unlink()
    return [str(path)]


def make_mbox(folder: Path, mb: float) -> list[str]:
    path = folder / "list.mbox"

    def mail(i: int) -> str:
        return (
            f"From user{i % 5000}@x.org  Mon Jan  1 10:00:00 2007\n"
            f"From: User {i % 5000} <user{i % 5000}@x.org>\n"
            f"Date: Mon, 01 Jan 2007 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0000\n"
            f"Subject: thread {i // 10}\nMessage-ID: <{i}@x.org>\n"
            + (f"In-Reply-To: <{i - 1}@x.org>\n" if i % 10 else "")
            + f"\n{_text(i, 60)}\n\n"
        )

    _fill(path, mb, mail)
    return [str(path), "--format", "mbox"]


def make_irc(folder: Path, mb: float) -> list[str]:
    path = folder / "#dev.2012-01-02.log"
    _fill(
        path,
        mb,
        lambda i: f"[{i // 60 % 24:02d}:{i % 60:02d}] <nick{i % 300}> {_text(i, 12)}\n",
    )
    return [str(path), "--format", "irc"]


def make_git(folder: Path, mb: float) -> list[str]:
    path = folder / "commits.jsonl"

    def commit(i: int) -> str:
        who = {"name": f"Dev {i % 800}", "email": f"dev{i % 800}@x.org", "date": _stamp(i)}
        return (
            json.dumps(
                {
                    "hash": f"{i:040x}",
                    "parents": [f"{i - 1:040x}"] if i else [],
                    "author_name": who["name"],
                    "author_email": who["email"],
                    "author_date": who["date"],
                    "committer_name": who["name"],
                    "committer_email": who["email"],
                    "committer_date": who["date"],
                    "message": _text(i, 30),
                    "trailers": [],
                }
            )
            + "\n"
        )

    _fill(path, mb, commit)
    return [str(path), "--format", "git"]


def _se_site(folder: Path) -> Path:
    site = folder / "demo.stackexchange.com"
    site.mkdir()
    return site


def make_stackexchange(folder: Path, mb: float) -> list[str]:
    site = _se_site(folder)

    def post(i: int) -> str:
        kind = '"1"' if i % 4 == 0 else f'"2" ParentId="{i - i % 4 + 1}"'
        return (
            f'  <row Id="{i + 1}" PostTypeId={kind} CreationDate="{_stamp(i)[:-1]}.000" '
            f'OwnerUserId="{i % 5000 + 1}" Body="&lt;p&gt;{_text(i, 30)}&lt;/p&gt;" />\n'
        )

    head = '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
    _fill(site / "Posts.xml", mb, post, head)
    with (site / "Posts.xml").open("a") as out:
        out.write("</posts>\n")
    return [str(site), "--format", "stackexchange"]


def make_se_attribute(folder: Path, mb: float) -> list[str]:
    site = _se_site(folder)
    with (site / "Posts.xml").open("w") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        out.write('  <row Id="1" PostTypeId="1" CreationDate="2014-01-01T10:00:00.000" ')
        out.write('OwnerUserId="5" Body="q" />\n  <row Id="2" PostTypeId="1" ')
        out.write('CreationDate="2014-01-01T11:00:00.000" OwnerUserId="6" Body="')
        block = "x" * 1_000_000
        for _ in range(int(mb)):
            out.write(block)
        out.write('" />\n</posts>\n')
    return [str(site), "--format", "stackexchange"]


def _github_issue(i: int) -> dict[str, object]:
    return {
        "url": f"https://api.github.com/repos/o/r/issues/{i + 1}",
        "number": i + 1,
        "title": f"issue {i}",
        "body": _text(i, 80),
        "user": {"login": f"dev{i % 800}", "id": i % 800 + 1},
        "created_at": _stamp(i),
        "state": "open",
        "author_association": "CONTRIBUTOR",
    }


def make_github(folder: Path, mb: float) -> list[str]:
    path = folder / "issues.json"
    target = int(mb * 1_000_000)
    with path.open("w") as out:
        written = out.write("[")
        i = 0
        while written < target:
            written += out.write(("," if i else "") + json.dumps(_github_issue(i)))
            i += 1
        out.write("]")
    return [str(path), "--format", "github"]


def _slack_days(mb: float) -> Iterator[tuple[str, bytes]]:
    target, written, i, day = int(mb * 1_000_000), 0, 0, 0
    while written < target:
        messages = []
        for _ in range(4000):
            ts = f"{1_500_000_000 + i * 7}.{i % 1_000_000:06d}"
            messages.append({"type": "message", "user": f"U{i % 400}", "text": _text(i), "ts": ts})
            i += 1
        data = json.dumps(messages).encode()
        written += len(data)
        yield f"general/{date(2015, 1, 1) + timedelta(days=day)}.json", data
        day += 1


def make_slack(folder: Path, mb: float) -> list[str]:
    path = folder / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        users = [{"id": f"U{k}", "name": f"user{k}"} for k in range(400)]
        archive.writestr("users.json", json.dumps(users))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        for name, data in _slack_days(mb):
            archive.writestr(name, data)
    return [str(path), "--format", "slack"]


def make_discourse(folder: Path, mb: float) -> list[str]:
    topics = folder / "t"
    topics.mkdir()
    target, written, topic = int(mb * 1_000_000), 0, 0
    while written < target:
        posts = [
            {
                "id": topic * 1000 + n + 1,
                "post_number": n + 1,
                "username": f"user{(topic + n) % 700}",
                "user_id": (topic + n) % 700 + 1,
                "created_at": _stamp(topic * 50 + n)[:-1] + ".000Z",
                "cooked": f"<p>{_text(topic + n, 40)}</p>",
                "post_type": 1,
                "trust_level": 1,
            }
            for n in range(50)
        ]
        data = json.dumps({"id": topic + 1, "category_id": 1, "post_stream": {"posts": posts}})
        written += (topics / f"{topic + 1}.json").write_text(data)
        topic += 1
    return [str(topics), "--format", "discourse"]


def make_bomb(folder: Path, mb: float) -> list[str]:
    """A ``.gz`` of ``mb`` MB of newlines (1 GB ~ 1 MB compressed): refused, not read."""
    path = folder / "list.mbox.gz"
    block = b"\n" * 1_000_000
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(int(mb)):
            out.write(block)
    return [str(path), "--format", "mbox"]


@dataclass(frozen=True)
class Shape:
    name: str
    make: Callable[[Path, float], list[str]]
    size: str  # which --*-mb option sets its size


SHAPES = [
    Shape("table (CSV)", make_csv, "mb"),
    Shape("table (JSONL)", make_jsonl, "mb"),
    Shape("table (Parquet)", make_parquet, "mb"),
    Shape("mbox", make_mbox, "mb"),
    Shape("irc", make_irc, "mb"),
    Shape("git (commits.jsonl)", make_git, "mb"),
    Shape("stackexchange", make_stackexchange, "mb"),
    Shape("stackexchange, one 100 MB attribute", make_se_attribute, "attr_mb"),
    Shape("github, one page", make_github, "github_mb"),
    Shape("slack (zip)", make_slack, "mb"),
    Shape("discourse", make_discourse, "mb"),
    Shape("mbox .gz of newlines (bomb)", make_bomb, "bomb_mb"),
]


def _size(paths: list[str]) -> int:
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.exists():
            total += path.stat().st_size
    return total


def run(folder: Path, args: list[str]) -> tuple[float, float, float, int, str]:
    """Run one ingest; return (peak MiB, CPU s, wall s, exit code, last output line)."""
    command = [sys.executable, "-c", "from undertow.cli import main; main()", "ingest", *args]
    command += ["-o", str(folder / "trace")]
    command += ["--key-file", str(folder / "key"), "--no-progress", "--force"]
    env = {**os.environ, "PYTHONPATH": str(_ROOT / "src"), "COLUMNS": "200"}
    log = folder / "ingest.log"
    start = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    lines = [line.strip() for line in log.read_text().splitlines() if line.strip()]
    return (
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
        wall,
        os.waitstatus_to_exitcode(status),
        lines[-1] if lines else "",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of ordinary inputs")
    parser.add_argument("--github-mb", type=float, default=300.0, help="the one GitHub page")
    parser.add_argument("--attr-mb", type=float, default=100.0, help="the SE attribute")
    parser.add_argument("--bomb-mb", type=float, default=1000.0, help="newlines in the .gz")
    parser.add_argument("--only", default="", help="comma-separated name prefixes")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    options = parser.parse_args()
    chosen = [
        s for s in SHAPES if not options.only or s.name.startswith(tuple(options.only.split(",")))
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        (base / "m.csv").write_text(
            "message_id,author,created_at,text\n1,a@x.org,2024-01-01T10:00:00Z,hi\n"
            "2,b@x.org,2024-01-01T11:00:00Z,hello\n"
        )
        baseline = run(base, [str(base / "m.csv")])[0]
        print(f"baseline (two-row CSV): {baseline:.0f} MiB", flush=True)
        for shape in chosen:
            folder = Path(tmp) / shape.make.__name__
            folder.mkdir()
            args = shape.make(folder, getattr(options, shape.size))
            size_mb = _size(args[:1]) / 2**20
            peak, cpu, wall, code, last = run(folder, args)
            # The temporary folder's path says nothing; the file name is kept.
            last = last.replace(f"{folder}{os.sep}", "").removeprefix("error: ")
            outcome = "ok" if code == 0 else f"exit {code}: {last[:90]}"
            row = (
                shape.name,
                size_mb,
                peak,
                peak / size_mb,
                (peak - baseline) / size_mb,
                cpu,
                wall,
                outcome,
            )
            rows.append(row)
            print(
                f"{shape.name:38s} {size_mb:8.1f} MiB in  peak {peak:7.0f} MiB  "
                f"x{peak / size_mb:5.2f} (net x{(peak - baseline) / size_mb:5.2f})  "
                f"cpu {cpu:6.1f} s  wall {wall:6.1f} s  {outcome}",
                flush=True,
            )
            shutil.rmtree(folder)
    if options.markdown:
        print(f"\nbaseline {baseline:.0f} MiB\n")
        header = ["adapter (shape)", "input MiB", "peak MiB", "peak / input"]
        header += ["(peak - baseline) / input", "CPU s", "wall s", "outcome"]
        print("| " + " | ".join(header) + " |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, size, peak, ratio, net, cpu, wall, outcome in rows:
            cells = [name, f"{size:.0f}", f"{peak:.0f}", f"{ratio:.2f}", f"{net:.2f}"]
            cells += [f"{cpu:.1f}", f"{wall:.1f}", outcome]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
