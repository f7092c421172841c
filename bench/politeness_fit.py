"""Fit and cross-validate the politeness weights on the Stanford Politeness Corpus (Wikipedia).

Run from the repository root: ``.venv/bin/python bench/politeness_fit.py``. Reads
``../shared/data/politeness-stanford/wikipedia_requests.csv.gz`` (not committed),
fits an L2-penalised logistic regression of the paper's binary label (top vs bottom
quartile of the normalised human score) on the strategy indicators, reports 10-fold
cross-validated accuracy and the correlation of out-of-fold scores with the human
score, and prints the weights to paste into ``undertow.features.politeness``.

Transfer (:func:`transfer`): the shared data hold one human-labelled politeness corpus
only, so true cross-domain transfer cannot be measured. Two substitutes are printed:
(1) a vocabulary split of the Wikipedia requests: requests that use Wikipedia's own
vocabulary (:data:`WIKI_VOCABULARY`) vs those that do not, fit on one and test on the
other, against 10-fold CV within each; (2) a weak proxy on technical text, STRUDEL's
GitHub comments and issues (``../shared/data/tone-labelled-technical``): the rank
correlation of undertow's score with the Stanford classifier's score the STRUDEL authors
computed (a model's output, not human ratings), and how well low politeness separates
the human toxicity labels (toxicity is not impoliteness).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy import optimize, stats

from undertow.features.politeness import POLITENESS_WEIGHTS, politeness_strategies

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "politeness-stanford"
TONE = DATA.parent / "tone-labelled-technical"
PENALTY = 1.0  # L2 strength (on the sum of squared weights, intercept unpenalised)
#: Words of Wikipedia's own trade: a request using any of them is "wiki-vocabulary".
WIKI_VOCABULARY = re.compile(
    r"(?i)\b(?:articles?|edit\w*|pages?|wiki\w*|templates?|categor\w*|talk|admins?\w*|"
    r"vandal\w*|revert\w*|sources?|citations?|cite|stubs?|afd|deletion|delete\w*|"
    r"images?|infobox\w*|sections?|userpage|usernames?|sandbox|policy|policies|<url>)\b"
)


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


def _auc(score: np.ndarray, truth: np.ndarray) -> float:
    ranks = stats.rankdata(score)
    positives = truth.astype(bool)
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _cv_accuracy(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    folds = np.random.default_rng(seed).permutation(len(y)) % 10
    correct = 0
    for fold in range(10):
        beta = fit(x[folds != fold], y[folds != fold])
        test = folds == fold
        correct += int(np.sum((beta[0] + x[test] @ beta[1:] > 0) == (y[test] == 1)))
    return correct / len(y)


def strudel() -> tuple[list[str], np.ndarray, np.ndarray]:
    """STRUDEL train comments: texts, the Stanford classifier's score, the toxicity label."""
    with gzip.open(TONE / "strudel_train_comments.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    stanford = np.array([float(row["stanford_polite"] or "nan") for row in rows])
    toxic = np.array([row["toxicity"].strip() == "y" for row in rows])
    return texts, stanford, toxic


def transfer() -> None:
    texts, scores = load()
    names = list(POLITENESS_WEIGHTS)
    table = politeness_strategies(pa.array(texts))
    x = np.column_stack([table.column(n).to_numpy(zero_copy_only=False) for n in names])
    x = x.astype(float)
    low, high = np.quantile(scores, [0.25, 0.75])
    labelled = (scores <= low) | (scores >= high)
    y = (scores >= high).astype(float)
    wiki = np.array([bool(WIKI_VOCABULARY.search(t)) for t in texts])
    print("vocabulary split (top vs bottom quartile, Wikipedia requests):")
    for name, train_mask in (("wiki-vocabulary", wiki), ("other", ~wiki)):
        train, test = labelled & train_mask, labelled & ~train_mask
        beta = fit(x[train], y[train])
        across = np.mean((beta[0] + x[test] @ beta[1:] > 0) == (y[test] == 1))
        within = _cv_accuracy(x[test], y[test])
        print(
            f"  fit on {name} (n={int(train.sum())}), test on the rest (n={int(test.sum())}): "
            f"accuracy {across:.3f}; 10-fold CV within the test group {within:.3f}"
        )
    g_texts, stanford, toxic = strudel()
    ours = politeness_strategies(pa.array(g_texts)).column("politeness").to_numpy()
    known = np.isfinite(stanford)
    print(f"weak proxy, STRUDEL GitHub comments (n={int(known.sum())}, toxic {int(toxic.sum())}):")
    print(
        "  Spearman with the Stanford classifier's score: "
        f"{stats.spearmanr(ours[known], stanford[known])[0]:.3f}"
    )
    print(
        f"  AUC of low politeness for the toxicity label: undertow {_auc(-ours, toxic):.3f}, "
        f"Stanford classifier {_auc(-stanford[known], toxic[known]):.3f}"
    )


if __name__ == "__main__":
    main()
    transfer()
