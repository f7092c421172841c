"""``undertow demo``: simulate a community with known power problems and analyse it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from undertow.cli.app import app, console, handle_errors
from undertow.cli.simulate import write_simulation
from undertow.diagnosis import analyze
from undertow.model.writer import OWNER_MARKER, claim_folder, write_marker
from undertow.simulate import simulate
from undertow.simulate.recovery import recovered

__all__ = ["DEMO_SCENARIO", "DEMO_SEED", "demo"]

#: The demo community: a manager appointed late who centralises the conversation, masters
#: who meet newcomers with hostility, and a few carers who burn out. (A dominant actor is
#: left out: with one already at the centre, a late manager moves the hub rather than
#: centralising the network further, which hides the timing effect the demo shows.)
DEMO_SCENARIO = "late_manager+gatekeeping+emotion_collapse"
DEMO_SEED = 7


@app.command()
@handle_errors
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Seed of the simulated community.")] = DEMO_SEED,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Simulate a community with known power problems, analyse it and write the report."""
    started = time.perf_counter()
    owned = claim_folder(out, "output")
    if not (out / OWNER_MARKER).is_file():
        # The output folder is undertow's before its trace/ is written into it.
        out.mkdir(parents=True, exist_ok=True)
        write_marker(out, "output", owned.files)
    result = simulate(DEMO_SCENARIO, seed)
    trace_path = write_simulation(result, out / "trace")
    messages = result.tables["messages"]
    console.print(
        f"Simulated {messages.num_rows} messages by {result.tables['people'].num_rows} people "
        f"over {result.truth['knobs']['n_days']} days (scenario {DEMO_SCENARIO}, seed {seed}) "
        f"→ {trace_path}"
    )
    diagnosis = analyze(trace_path, out, seed=seed, progress=progress)
    findings = diagnosis.findings
    table = Table(title="Top findings", show_lines=False)
    for column in ("severity", "theme", "finding"):
        table.add_column(column)
    for finding in findings[:5]:
        table.add_row(finding.severity, finding.theme, finding.title)
    console.print(table)
    planted = result.truth["planted"]
    found = recovered(planted, findings)
    truth = Table(title="What the simulator planted, and whether the analysis found it")
    for column in ("planted", "who / when", "found"):
        truth.add_column(column)
    for entry, hit in zip(planted, found, strict=True):
        who = ", ".join(entry["subjects"]) or "—"
        when = entry["at"] or "from the start"
        if entry["kind"] == "uncontained_emotion":
            # The agreed finding carries no date; the carers burn out at this one.
            when = f"after {result.truth['knobs']['burnout_date']}"
        truth.add_row(entry["kind"], f"{who} / {when}", "yes" if hit else "no")
    console.print(truth)
    console.print(
        f"Report: {out / 'report.html'}  ({len(findings)} findings, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    if not diagnosis.ok:
        raise typer.Exit(1)
