"""kill -9 at many points of ingest and analyze, then rerun: identical to a clean run.

A child process runs the command with ``os.fsync`` and ``os.replace`` counted; at the
N-th call it ends itself with ``os._exit`` (no ``finally``, no cleanup: what kill -9
leaves). The rerun in a fresh process must then give exactly the files of an
uninterrupted run (``run.json`` aside, which records wall times) and leave no
temporary file or staging folder anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = r"""
import json, os, sys
from pathlib import Path

stop_at = int(sys.argv[1])
calls = [0]

def counted(original):
    def call(*args, **kwargs):
        calls[0] += 1
        if calls[0] == stop_at:
            os._exit(137)
        return original(*args, **kwargs)
    return call

os.fsync = counted(os.fsync)
os.replace = counted(os.replace)

from typer.testing import CliRunner
from undertow.cli import app

result = CliRunner().invoke(app, json.loads(sys.argv[2]), catch_exceptions=False)
print(json.dumps({"exit_code": result.exit_code, "calls": calls[0]}))
"""

CSV_HEADER = "message_id,parent_id,author,created_at,text\n"


def _messages() -> str:
    rows = [CSV_HEADER]
    people = [f"Person{i} <p{i}@example.org>" for i in range(8)]
    for i in range(1, 121):
        parent = "" if i % 4 == 1 else str(i - 1)
        rows.append(
            f"{i},{parent},{people[i % 8]},2024-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z,"
            f"message {i} about the build\n"
        )
    rows.append("121,1,short row\n")  # a rejection, so the quarantine is written too
    return "".join(rows)


def _run(stop_at: int, args: list[str], cwd: Path) -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "UNDERTOW_SKIP_BROWSER": "1"}
    done = subprocess.run(  # noqa: S603 - the test's own interpreter and driver
        [sys.executable, "-c", DRIVER, str(stop_at), json.dumps(args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode == 137:
        return {"exit_code": 137, "calls": stop_at}
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _files(
    folder: Path, skip: frozenset[str] = frozenset(), *, temporary: bool = True
) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.name not in skip
        and (temporary or not _leftover(p.relative_to(folder)))
    }


def _leftover(path: Path) -> bool:
    """A killed run's temporary file or staging folder (removed by the next run)."""
    return path.name.endswith(".tmp") or any(
        part.startswith(".undertow-staging-") for part in path.parts
    )


def _leftovers(folder: Path) -> list[str]:
    return [p.as_posix() for p in folder.rglob("*") if _leftover(p)]


def _points(total: int, n: int = 10) -> list[int]:
    """``n`` distinct kill points spread over the ``total`` counted calls."""
    assert total >= n, f"only {total} write points"
    return sorted({1 + (total - 1) * i // (n - 1) for i in range(n)})


@pytest.mark.slow
def test_ingest_killed_at_ten_points_then_rerun_is_identical(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(_messages())
    args = ["ingest", "m.csv", "-o", "trace", "--key-file", "key", "--no-progress"]
    # The key is made once, so every run below writes the same files in the same order.
    assert _run(0, args, tmp_path)["exit_code"] == 0
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "m.csv").write_text(_messages())
    (clean / "key").write_bytes((tmp_path / "key").read_bytes())
    (clean / "key").chmod(0o600)
    first = _run(0, args, clean)
    assert first["exit_code"] == 0
    reference = _files(clean)
    points = _points(first["calls"])
    assert len(points) >= 10
    for point in points:
        work = tmp_path / f"kill-{point}"
        work.mkdir()
        (work / "m.csv").write_text(_messages())
        (work / "key").write_bytes((clean / "key").read_bytes())
        (work / "key").chmod(0o600)
        killed = _run(point, args, work)
        assert killed["exit_code"] == 137, point
        if (work / "trace").exists():
            # What a kill leaves is never a complete-looking trace unless it is one (a
            # temporary file beside it is removed by the next run, checked below).
            manifest = work / "trace" / "manifest.json"
            assert not manifest.exists() or (
                _files(work / "trace", temporary=False) == _files(clean / "trace")
            )
        rerun = _run(0, args, work)
        assert rerun["exit_code"] == 0, point
        assert _files(work) == reference, point
        assert _leftovers(work) == [], point


@pytest.mark.slow
def test_analyze_killed_at_ten_points_then_rerun_is_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.csv").write_text(_messages())
    _run(0, ["ingest", "m.csv", "-o", "trace", "--key-file", "key", "--no-progress"], tmp_path)
    monkeypatch.setenv("UNDERTOW_KEY_FILE", str(tmp_path / "key"))
    first = _run(0, ["analyze", "trace", "-o", "clean", "-q"], tmp_path)
    assert first["exit_code"] == 0
    reference = _files(tmp_path / "clean", frozenset({"run.json"}))
    points = _points(first["calls"])
    assert len(points) >= 10
    for index, point in enumerate(points):
        # Half the kills hit a folder holding a finished earlier run, half a new folder.
        name = "out" if index % 2 else f"out-{point}"
        args = ["analyze", "trace", "-o", name, "-q"]
        killed = _run(point, args, tmp_path)
        assert killed["exit_code"] == 137, point
        out = tmp_path / name
        if (out / "run.json").exists():
            # run.json present means the run had published everything.
            assert _files(out, frozenset({"run.json"}), temporary=False) == reference, point
        rerun = _run(0, args, tmp_path)
        assert rerun["exit_code"] == 0, point
        assert _files(out, frozenset({"run.json"})) == reference, point
        assert _leftovers(tmp_path) == [], point
