"""``undertow tone fit LABELS.csv -o MODEL``: adapt a tone measure to a community's own labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from undertow.cli.app import app, console, handle_errors

__all__ = ["fit", "tone_app"]

tone_app = typer.Typer(
    help="Tone measures: adapt them to a community's own hand-coded labels.",
    no_args_is_help=True,
)
app.add_typer(tone_app, name="tone")


@tone_app.command()
@handle_errors
def fit(
    labels: Annotated[
        Path,
        typer.Argument(
            help="CSV with a 'label' column (hostile/not_hostile, 1/0, or "
            "positive/neutral/negative) and 'text' or 'message_id' (then --trace)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.npz).")],
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Trace holding the labelled message ids.")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold assignment.")] = 0,
) -> None:
    """Fit hostility or polarity to your labels; print cross-validated P/R/F1/AUC.

    Then run `undertow analyze TRACE -o OUT --tone-model MODEL`: the analysis uses the
    adapted measure and its methods section states these figures.
    """
    from undertow.features.tone_fit import fit_community_tone
    from undertow.model.trace import Trace

    opened = Trace.open(trace) if trace is not None else None
    result = fit_community_tone(labels, trace=opened, folds=folds, seed=seed)
    result.model.save(out)
    figures = result.figures
    console.print(
        f"{result.measure}: {figures['n']} labelled texts with prose "
        f"({result.n_without_prose} without prose left out), {folds}-fold CV, "
        f"L2 towards the shipped model {figures['l2']:g}",
        highlight=False,
    )
    for name, label in (
        ("adapted_cv", "adapted (CV)"),
        ("shipped", "shipped model"),
        ("vader_rule", "VADER rule"),
    ):
        values = figures[name]
        parts = [
            f"{key} {values[key]:.3f}"
            for key in ("macro_f1", "precision", "recall", "f1", "auc")
            if key in values
        ]
        console.print(f"  {label:<14} " + "  ".join(parts), highlight=False)
    console.print(f"threshold {result.model.threshold_:.3f}; model → {out}", highlight=False)
