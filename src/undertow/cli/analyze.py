"""``undertow analyze TRACE -o OUT``: the diagnosis and its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from undertow.cli.app import (
    FORCE_OPTION,
    KEY_FILE_OPTION,
    app,
    check_key_of,
    console,
    err_console,
    handle_errors,
)
from undertow.diagnosis import analyze as run_analysis
from undertow.engine import Engine

__all__ = ["analyze"]


@app.command()
@handle_errors
def analyze(
    trace: Annotated[Path, typer.Argument(help="Trace folder (from `undertow ingest`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    k: Annotated[
        int, typer.Option("--k", help="Small-cell threshold: no group of fewer people is shown.")
    ] = 5,
    allow_small_k: Annotated[
        bool, typer.Option("--allow-small-k", help="Permit --k below 5 (the report is stamped).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for bootstraps and permutations.")] = 0,
    engine: Annotated[
        str, typer.Option("--engine", help="Where the tables are computed: duckdb or spark.")
    ] = "duckdb",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    markers: Annotated[
        Path | None,
        typer.Option(
            "--markers",
            help="Marker lexicon for linguistic coordination (e.g. ConvoKit's pattern file; "
            "see docs/lexicons.md). Default: undertow's own function-word lists.",
        ),
    ] = None,
    tone_model: Annotated[
        list[Path] | None,
        typer.Option(
            "--tone-model",
            help="Tone model from `undertow tone fit` (your community's labels); repeatable.",
        ),
    ] = None,
    key_file: Annotated[Path | None, KEY_FILE_OPTION] = None,
    force: Annotated[bool, FORCE_OPTION] = False,
    allow_empty: Annotated[
        bool, typer.Option(help="Diagnose a trace without messages (otherwise exit 2).")
    ] = False,
) -> None:
    """Diagnose a community: every metric, the findings, and a self-contained report.

    Writes OUT/report.html, OUT/findings.json, OUT/skipped.json, OUT/run.json and
    OUT/metrics/<theme>/<metric>.parquet. Exits 1 if a metric or finding rule failed
    (all other outputs are still written) or the output audit found a raw identifier;
    exits 2 if the project key's fingerprint is not the trace's.
    """
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter("choose duckdb or spark", param_hint="--engine")
    chosen: Engine = "spark" if engine == "spark" else "duckdb"
    check_key_of(trace, key_file)
    diagnosis = run_analysis(
        trace,
        out,
        k=k,
        seed=seed,
        engine=chosen,
        progress=not quiet,
        allow_small_k=allow_small_k,
        markers=markers,
        tone_models=tone_model or (),
        key_file=key_file,
        force=force,
        allow_empty=allow_empty,
    )
    computed, skipped, failed = diagnosis.computed, diagnosis.skipped, diagnosis.failed
    console.print(
        f"{len(computed)} metrics computed, {len(skipped)} skipped, {len(failed)} failed; "
        f"{len(diagnosis.findings)} findings → {out / 'report.html'}",
        highlight=False,
    )
    console.print(
        f"output audit: 0 e-mail patterns or raw identifiers in {len(diagnosis.published)} files",
        highlight=False,
    )
    problems = [f"{run.spec.key}: {run.reason}" for run in failed] + [
        f"{f.theme} rule {f.rule}: {f.error_type}: {f.message}" for f in diagnosis.rule_failures
    ]
    if problems:
        for problem in problems:
            err_console.print(f"[bold red]failed:[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
