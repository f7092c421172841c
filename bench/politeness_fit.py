"""Fit and cross-validate the politeness weights on the Stanford Politeness Corpus (Wikipedia).

Run from the repository root: ``.venv/bin/python bench/politeness_fit.py``. Reads
``../shared/data/politeness-stanford/wikipedia_requests.csv.gz`` (not committed),
fits an L2-penalised logistic regression of the paper's binary label (top vs bottom
quartile of the normalised human score) on the strategy indicators, reports 10-fold
cross-validated accuracy and the correlation of out-of-fold scores with the human
score, and prints the weights to paste into ``undertow.features.politeness``.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy import optimize, stats

from undertow.features.politeness import POLITENESS_WEIGHTS, politeness_strategies

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "politeness-stanford"
PENALTY = 1.0  # L2 strength (on the sum of squared weights, intercept unpenalised)


def load() -> tuple[list[str], np.ndarray]:
    with gzip.open(DATA / "wikipedia_requests.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["Request"] for row in rows]
    scores = np.array([float(row["Normalized Score"].strip()) for row in rows])
    return texts, scores


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), x])

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ beta
        nll = np.sum(np.logaddexp(0.0, z) - y * z) + PENALTY * np.sum(beta[1:] ** 2)
        grad = design.T @ (1.0 / (1.0 + np.exp(-z)) - y)
        grad[1:] += 2 * PENALTY * beta[1:]
        return float(nll), grad

    result = optimize.minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B")
    beta: np.ndarray = result.x
    return beta


def main() -> None:
    texts, scores = load()
    table = politeness_strategies(pa.array(texts))
    names = list(POLITENESS_WEIGHTS)
    x = np.column_stack([table.column(n).to_numpy(zero_copy_only=False) for n in names]).astype(
        float
    )
    low, high = np.quantile(scores, [0.25, 0.75])
    labelled = (scores <= low) | (scores >= high)
    y_all = (scores >= high).astype(float)
    rng = np.random.default_rng(0)
    folds = rng.permutation(len(texts)) % 10
    oof = np.zeros(len(texts))
    for fold in range(10):
        train = (folds != fold) & labelled
        beta = fit(x[train], y_all[train])
        test = folds == fold
        oof[test] = beta[0] + x[test] @ beta[1:]
    accuracy = np.mean((oof[labelled] > 0) == (y_all[labelled] == 1))
    print(f"n requests {len(texts)}, labelled (top/bottom quartile) {int(labelled.sum())}")
    print(f"10-fold CV accuracy top vs bottom quartile: {accuracy:.3f}")
    print(f"10-fold CV Spearman with normalised score (all): {stats.spearmanr(oof, scores)[0]:.3f}")
    print(f"10-fold CV Pearson with normalised score (all): {stats.pearsonr(oof, scores)[0]:.3f}")
    shipped = politeness_strategies(pa.array(texts)).column("politeness").to_numpy()
    print(
        "shipped weights: accuracy "
        f"{np.mean((shipped[labelled] > 0) == (y_all[labelled] == 1)):.3f}"
        f" spearman {stats.spearmanr(shipped, scores)[0]:.3f}"
        f" pearson {stats.pearsonr(shipped, scores)[0]:.3f}"
    )
    beta = fit(x[labelled], y_all[labelled])
    print(f"POLITENESS_INTERCEPT = {beta[0]:.3f}")
    for name, weight in zip(names, beta[1:], strict=True):
        share = x[:, names.index(name)].mean()
        print(f'    "{name}": {weight:.3f},  # used by {share:.1%}')
    sys.stdout.flush()


if __name__ == "__main__":
    main()
