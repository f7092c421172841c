"""``undertow simulate`` and ``undertow demo`` from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from undertow.cli import app
from undertow.model.trace import Trace

runner = CliRunner()


def test_simulate_writes_trace_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "trace"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--scenario",
            "emotion_collapse",
            "--seed",
            "3",
            "--days",
            "120",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    trace = Trace.open(out)
    assert trace.n_messages > 100
    truth = json.loads((out / "truth.json").read_text())
    assert truth["scenario"] == "emotion_collapse" and truth["seed"] == 3
    kinds = [p["kind"] for p in truth["planted"]]
    assert kinds == ["emotion_work_concentrated"]
    # Support goes only to distress there: no contrast with other messages to plant.
    assert [e["kind"] for e in truth["not_measurable"]] == ["uncontained_emotion"]
    people = set(trace.arrow("people")["person_id"].to_pylist())
    assert set(truth["planted"][0]["subjects"]) <= people
    assert all(p["direction"] == "limits" for p in truth["planted"])


def test_simulate_rejects_unknown_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--scenario", "utopia", "-o", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert "unknown scenario" in result.output


def test_sweep_writes_table_and_plot(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--sweep",
            "gatekeeping",
            "--values",
            "0,1",
            "--seeds",
            "2",
            "--days",
            "90",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "sweep-gatekeeping.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["strength"], r["seed"]) for r in rows] == [
        ("0.0", "0"),
        ("0.0", "1"),
        ("1.0", "0"),
        ("1.0", "1"),
    ]
    assert (tmp_path / "sweep-gatekeeping.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_rejects_bad_values(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["simulate", "--sweep", "gatekeeping", "--values", "0,2", "-o", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_demo_writes_trace_and_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "-o", str(tmp_path), "--no-progress"])
    assert result.exit_code in (0, 1), result.output  # 1 = a metric failed (reported)
    assert (tmp_path / "trace" / "truth.json").is_file()
    assert (tmp_path / "report.html").is_file()
    assert "Report:" in result.output
    assert "centralising_leader" in result.output and "gatekeeping" in result.output
