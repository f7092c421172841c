"""Batch runs: knowledge creation against the strength of one power mechanism.

Like Mesa's ``batch_run``, but each run keeps only the raw knowledge quantities, so a
sweep of a few hundred runs stays small; the table and the plot go to a folder.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from undertow.simulate import knowledge_creation, simulate
from undertow.simulate.scenarios import MECHANISMS

__all__ = ["KNOWLEDGE_COLUMNS", "plot_sweep", "sweep", "write_sweep"]

#: Knowledge quantities recorded per run.
KNOWLEDGE_COLUMNS = ("resolution_rate", "idea_uptake", "containment_rate", "newcomer_return_rate")


def sweep(
    knob: str,
    values: Sequence[float],
    *,
    seeds: int = 5,
    n_days: int = 540,
    on_run: Callable[[], None] | None = None,
) -> pa.Table:
    """Simulate every (strength, seed) pair of mechanism ``knob`` and measure knowledge creation.

    Parameters
    ----------
    knob
        A mechanism of :data:`~undertow.simulate.scenarios.MECHANISMS`.
    values
        Strengths 0..1.
    seeds
        Seeds ``0 .. seeds-1`` per strength.
    n_days
        Simulated days per run.
    on_run
        Called after each run (progress bars).

    Returns
    -------
    pyarrow.Table
        ``knob, strength, seed, n_messages`` and :data:`KNOWLEDGE_COLUMNS`, one row per run.

    Examples
    --------
    >>> table = sweep("gatekeeping", [0.0, 1.0], seeds=1, n_days=60)
    >>> table.column("strength").to_pylist()
    [0.0, 1.0]
    """
    if knob not in MECHANISMS:
        raise ValueError(f"unknown knob {knob!r}; choose from {', '.join(MECHANISMS)}")
    rows = []
    for value in values:
        for seed in range(seeds):
            result = simulate(knob, seed, n_days=n_days, strength=float(value))
            rows.append(
                {
                    "knob": knob,
                    "strength": float(value),
                    "seed": seed,
                    "n_messages": result.tables["messages"].num_rows,
                    **knowledge_creation(result.daily),
                }
            )
            if on_run is not None:
                on_run()
    return pa.Table.from_pylist(rows)


def write_sweep(table: pa.Table, folder: str | Path) -> tuple[Path, Path]:
    """Write the sweep as ``sweep-<knob>.csv`` and ``sweep-<knob>.png``; return both paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    knob = table.column("knob")[0].as_py() if table.num_rows else "knob"
    csv_path = out / f"sweep-{knob}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=table.column_names)
        writer.writeheader()
        writer.writerows(table.to_pylist())
    png_path = out / f"sweep-{knob}.png"
    plot_sweep(table, png_path)
    return csv_path, png_path


def plot_sweep(table: pa.Table, path: Path) -> None:
    """Plot mean resolution rate and idea uptake (± 1 standard error) against strength."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table.to_pylist()
    knob = rows[0]["knob"] if rows else "knob"
    strengths = sorted({row["strength"] for row in rows})
    figure, axis = plt.subplots(figsize=(6, 4), dpi=100)
    for column, label in (
        ("resolution_rate", "questions resolved"),
        ("idea_uptake", "ideas taken up"),
    ):
        means, errors = [], []
        for strength in strengths:
            values = [
                row[column]
                for row in rows
                if row["strength"] == strength and not math.isnan(row[column])
            ]
            mean = sum(values) / len(values) if values else math.nan
            spread = (
                math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values))
                if len(values) > 1
                else 0.0
            )
            means.append(mean)
            errors.append(spread)
        axis.errorbar(strengths, means, yerr=errors, marker="o", capsize=3, label=label)
    axis.set_xlabel(f"strength of {knob.replace('_', ' ')}")
    axis.set_ylabel("share")
    axis.set_ylim(0, 1)
    axis.set_title("Knowledge creation against the power mechanism")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
