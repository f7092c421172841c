"""``undertow simulate``: a simulated community's trace and planted truth, or a sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from undertow.cli.app import app, console, handle_errors
from undertow.errors import InputError
from undertow.model.writer import write_trace
from undertow.simulate import SimulationResult, simulate
from undertow.simulate.scenarios import SCENARIOS
from undertow.simulate.sweep import sweep, write_sweep

__all__ = ["simulate_command", "write_simulation"]


def write_simulation(result: SimulationResult, folder: Path, *, force: bool = False) -> Path:
    """Write a simulated trace and its ``truth.json`` into ``folder``; return the folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from undertow.simulate import simulate
    >>> out = write_simulation(simulate("healthy", n_days=60), pathlib.Path(tempfile.mkdtemp()))
    >>> sorted(p.name for p in out.glob("*.json"))
    ['manifest.json', 'truth.json']
    """
    truth = result.truth
    manifest = {
        "sources": [{"kind": "simulation", "scenario": truth["scenario"]}],
        "seeds": {"simulation": truth["seed"]},
        "simulation": {"scenario": truth["scenario"], "knobs": truth["knobs"]},
    }
    body = json.dumps(truth, indent=2, sort_keys=True) + "\n"
    files = {"truth.json": body.encode()}
    write_trace(folder, result.tables, manifest=manifest, files=files, force=force)
    return Path(folder)


def _values(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise InputError(f"--values must be numbers separated by commas, got {text!r}") from exc
    if not values or any(not 0.0 <= value <= 1.0 for value in values):
        raise InputError(f"--values must be strengths within 0..1, got {text!r}")
    return values


@app.command("simulate")
@handle_errors
def simulate_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="Trace folder (or sweep folder).")],
    scenario: Annotated[
        str,
        typer.Option(help=f"Scenario: {', '.join(SCENARIOS)}, or mechanisms joined by '+'."),
    ] = "healthy",
    seed: Annotated[int, typer.Option(help="Seed of the model.")] = 0,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 540,
    strength: Annotated[float, typer.Option(help="Strength 0..1 of the mechanisms.")] = 1.0,
    sweep_knob: Annotated[
        str | None,
        typer.Option("--sweep", help="Sweep this mechanism's strength instead."),
    ] = None,
    values: Annotated[
        str, typer.Option(help="Strengths to sweep, comma-separated.")
    ] = "0,0.25,0.5,0.75,1",
    seeds: Annotated[int, typer.Option(help="Seeds per strength in a sweep.")] = 5,
    force: Annotated[
        bool, typer.Option(help="Write into a non-empty folder undertow did not write.")
    ] = False,
) -> None:
    """Simulate a community of practice with power politics and write its trace and truth."""
    if sweep_knob is not None:
        strengths = _values(values)
        if seeds < 1:
            raise InputError(f"--seeds must be at least 1, got {seeds}")
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"sweep {sweep_knob}", total=len(strengths) * seeds)
            try:
                table = sweep(
                    sweep_knob,
                    strengths,
                    seeds=seeds,
                    n_days=days,
                    on_run=lambda: bar.advance(task),
                )
            except ValueError as exc:
                raise InputError(str(exc)) from exc
        csv_path, png_path = write_sweep(table, out)
        console.print(f"{table.num_rows} runs → {csv_path} and {png_path}")
        return
    try:
        result = simulate(scenario, seed, n_days=days, strength=strength)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    write_simulation(result, out, force=force)
    messages = result.tables["messages"].num_rows
    people = result.tables["people"].num_rows
    planted = ", ".join(p["kind"] for p in result.truth["planted"]) or "nothing (healthy)"
    console.print(
        f"{scenario} (seed {seed}): {messages} messages by {people} people → {out}\n"
        f"planted: {planted} (see {out / 'truth.json'})"
    )
