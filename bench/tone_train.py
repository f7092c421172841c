"""Train and validate undertow's shipped tone models on human-labelled technical text.

Run from the repository root: ``.venv/bin/python bench/tone_train.py [--write]``.
Reads ``../shared/data/tone-labelled-technical/`` (not committed):

- STRUDEL GitHub comments and issues labelled toxic / not toxic (Raman et al. 2020,
  MIT licence) -> the **hostility** model;
- Senti4SD Stack Overflow posts labelled positive / neutral / negative (Calefato et al.
  2018, MIT licence), published train/test split -> the **polarity** model.

Every text goes through :func:`undertow.features.tone_text.tone_text` first, as at run
time. The L2 penalty is chosen by 10-fold stratified CV on the training data (AUC for
hostility, macro-F1 for polarity) and the label threshold by the F0.5-best cut of the
out-of-fold probabilities (precision weighted: a false "hostile" accuses someone); VADER's
best threshold is chosen the same way. The script prints every figure of ``bench/RESULTS-tone.md``
(in-domain CV, held-out test, cross-corpus; against VADER on the same texts) and, with
``--write``, writes the models to ``src/undertow/features/data/tone_*.npz``.
Deterministic: fold assignment is seeded and L-BFGS is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from undertow.features.affect import vader_scores
from undertow.features.text import own_words
from undertow.features.tone_model import (
    ToneModel,
    auc,
    best_threshold,
    binary_figures,
    cross_validated,
    macro_f1,
    tone_features,
)
from undertow.features.tone_text import tone_text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tone-labelled-technical"
OUT = ROOT / "src" / "undertow" / "features" / "data"
L2_GRID = (0.3, 1.0, 3.0, 10.0)
HOSTILE = ("not_hostile", "hostile")
POLARITY = ("positive", "neutral", "negative")
SEED = 0
#: Thresholds maximise F-beta of the out-of-fold probabilities with beta = 0.5: labelling a
#: message hostile or negative when it is not (an accusation) costs twice a miss.
BETA = 0.5


def read_strudel(name: str) -> tuple[list[str], np.ndarray]:
    with gzip.open(DATA / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if "text" in rows[0]:
        texts = [row["text"] for row in rows]
    else:
        texts = [f"{row['title']}\n{row['total_text']}" for row in rows]
    labels = np.array([row["toxicity"].strip() == "y" for row in rows], dtype=np.int64)
    return texts, labels


def read_senti4sd(name: str) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    labels: list[int] = []
    with gzip.open(DATA / f"{name}.csv.gz", "rb") as handle:
        for line in io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline=""):
            parts = line.rstrip("\r\n").split(";", 2)
            if len(parts) < 3 or parts[1].strip() not in POLARITY:
                continue
            labels.append(POLARITY.index(parts[1].strip()))
            texts.append(parts[2])
    return texts, np.array(labels, dtype=np.int64)


def prepared(texts: list[str]) -> pa.Array:
    return tone_text(own_words(pa.array(texts, type=pa.string())), own=True)


def vader_compound(texts: pa.Array) -> np.ndarray:
    result: np.ndarray = vader_scores(texts).column("compound").to_numpy()
    return result


def vader_polarity(compound: np.ndarray) -> np.ndarray:
    return np.where(compound >= 0.05, 0, np.where(compound <= -0.05, 2, 1))


def fmt(figures: dict[str, float]) -> str:
    return (
        f"P {figures['precision']:.3f}  R {figures['recall']:.3f}  F1 {figures['f1']:.3f}  "
        f"AUC {figures['auc']:.3f}"
    )


def choose_l2(x: Any, y: np.ndarray, classes: tuple[str, ...]) -> tuple[float, np.ndarray]:
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in L2_GRID:
        oof = cross_validated(x, y, classes, l2=l2, folds=10, seed=SEED)
        if len(classes) == 2:
            value = auc(oof[:, 1], y)
        else:
            value = macro_f1(oof.argmax(axis=1), y, len(classes))
        print(f"    l2 {l2:>4}: CV {'AUC' if len(classes) == 2 else 'macro-F1'} {value:.3f}")
        if best is None or value > best[0]:
            best = (value, l2, oof)
    assert best is not None
    return best[1], best[2]


def hostility_figures(
    name: str,
    prob: np.ndarray,
    compound: np.ndarray,
    y: np.ndarray,
    threshold: float,
    vader_threshold: float,
) -> dict[str, Any]:
    model = binary_figures(prob, y, threshold)
    rule = binary_figures(-compound, y, 0.5)  # compound <= -0.5
    tuned = binary_figures(-compound, y, vader_threshold)
    print(f"  {name} (n={len(y)}, hostile {int(y.sum())})")
    print(f"    undertow hostility (p >= {threshold:.3f}): {fmt(model)}")
    print(f"    VADER rule (compound <= -0.5):       {fmt(rule)}")
    print(f"    VADER best threshold ({-vader_threshold:+.3f}):  {fmt(tuned)}")
    return {"model": model, "vader_rule": rule, "vader_tuned": tuned}


def hostility(write: bool) -> dict[str, Any]:
    comments, y_comments = read_strudel("strudel_train_comments")
    issues, y_issues = read_strudel("strudel_train_issues")
    test, y_test = read_strudel("strudel_labeled_test_issues")
    train_texts = prepared(comments + issues)
    y = np.concatenate([y_comments, y_issues])
    x = tone_features(train_texts).matrix()
    print("hostility: STRUDEL train comments + train issues")
    l2, oof = choose_l2(x, y, HOSTILE)
    threshold = best_threshold(oof[:, 1], y, beta=BETA)
    compound = vader_compound(train_texts)
    vader_cut = best_threshold(-compound, y, beta=BETA)
    results: dict[str, Any] = {"l2": l2, "threshold": threshold}
    results["cv"] = hostility_figures("10-fold CV", oof[:, 1], compound, y, threshold, vader_cut)
    model = ToneModel(HOSTILE, l2=l2).fit_matrix(x, y)
    model.threshold_ = threshold
    test_texts = prepared(test)
    results["test"] = hostility_figures(
        "held-out STRUDEL test issues",
        model.probability(test_texts),
        vader_compound(test_texts),
        y_test,
        threshold,
        vader_cut,
    )
    # Cross-corpus: comments -> issues, issues -> comments (threshold from the source's CV).
    for source, target, key in (
        (
            (comments, y_comments),
            (issues + test, np.concatenate([y_issues, y_test])),
            "comments_to_issues",
        ),
        ((issues, y_issues), (comments, y_comments), "issues_to_comments"),
    ):
        sx = tone_features(prepared(source[0])).matrix()
        s_oof = cross_validated(sx, source[1], HOSTILE, l2=l2, folds=10, seed=SEED)
        s_threshold = best_threshold(s_oof[:, 1], source[1], beta=BETA)
        s_vader = best_threshold(-vader_compound(prepared(source[0])), source[1], beta=BETA)
        s_model = ToneModel(HOSTILE, l2=l2).fit_matrix(sx, source[1])
        t_texts = prepared(target[0])
        results[key] = hostility_figures(
            f"cross-corpus {key}",
            s_model.probability(t_texts),
            vader_compound(t_texts),
            target[1],
            s_threshold,
            s_vader,
        )
    model.validity_ = {
        "measure": "hostility (toxic vs not, STRUDEL labels)",
        "training_data": "STRUDEL GitHub comments (1,597) and issues (309), Raman et al. 2020, "
        "CMUSTRUDEL/toxicity-detector, MIT licence (c) 2020 STRUDEL",
        "threshold": threshold,
        "cv_10fold": results["cv"]["model"],
        "heldout_test_issues": results["test"]["model"],
        "vader_rule_cv": results["cv"]["vader_rule"],
    }
    if write:
        model.save(OUT / "tone_hostility.npz")
    return results


def polarity(write: bool) -> dict[str, Any]:
    train, y = read_senti4sd("senti4sd_train3098itemPOLARITY")
    test, y_test = read_senti4sd("senti4sd_test1326itemPOLARITY")
    train_texts = prepared(train)
    x = tone_features(train_texts).matrix()
    print(f"polarity: Senti4SD train (n={len(y)})")
    l2, oof = choose_l2(x, y, POLARITY)
    negative = (y == 2).astype(np.int64)
    threshold = best_threshold(oof[:, 2], negative, beta=BETA)
    compound = vader_compound(train_texts)
    results: dict[str, Any] = {"l2": l2, "negative_threshold": threshold}
    results["cv"] = {
        "model_macro_f1": macro_f1(oof.argmax(axis=1), y, 3),
        "vader_macro_f1": macro_f1(vader_polarity(compound), y, 3),
        "negative": binary_figures(oof[:, 2], negative, threshold),
        "vader_negative": binary_figures(-compound, negative, 0.05),
    }
    model = ToneModel(POLARITY, l2=l2).fit_matrix(x, y)
    model.threshold_ = threshold
    test_texts = prepared(test)
    probs = model.probabilities(test_texts)
    t_compound = vader_compound(test_texts)
    t_negative = (y_test == 2).astype(np.int64)
    results["test"] = {
        "model_macro_f1": macro_f1(probs.argmax(axis=1), y_test, 3),
        "vader_macro_f1": macro_f1(vader_polarity(t_compound), y_test, 3),
        "negative": binary_figures(probs[:, 2], t_negative, threshold),
        "vader_negative": binary_figures(-t_compound, t_negative, 0.05),
    }
    for key in ("cv", "test"):
        r = results[key]
        print(
            f"  {key}: macro-F1 undertow {r['model_macro_f1']:.3f}  VADER {r['vader_macro_f1']:.3f}"
        )
        print(f"    negative class, undertow (p >= {threshold:.3f}): {fmt(r['negative'])}")
        print(f"    negative class, VADER (compound <= -0.05): {fmt(r['vader_negative'])}")
    # Cross-corpus: does the Stack Overflow polarity model's negativity find GitHub toxicity?
    texts, labels = [], []
    for name in ("strudel_train_comments", "strudel_train_issues", "strudel_labeled_test_issues"):
        t, lab = read_strudel(name)
        texts += t
        labels.append(lab)
    s_texts = prepared(texts)
    s_y = np.concatenate(labels)
    s_neg = model.probabilities(s_texts)[:, 2]
    s_compound = vader_compound(s_texts)
    results["cross_strudel"] = {
        "model": binary_figures(s_neg, s_y, threshold),
        "vader": binary_figures(-s_compound, s_y, 0.05),
    }
    r = results["cross_strudel"]
    print(f"  cross-corpus: polarity negativity on STRUDEL toxicity (n={len(s_y)})")
    print(f"    undertow p_negative: {fmt(r['model'])}")
    print(f"    VADER compound <= -0.05: {fmt(r['vader'])}")
    model.validity_ = {
        "measure": "polarity (positive / neutral / negative, Senti4SD labels)",
        "training_data": "Senti4SD Stack Overflow gold standard, published train split (3,097), "
        "Calefato et al. 2018, collab-uniba/Senti4SD, MIT licence (c) 2017 Collaborative "
        "Development Group",
        "negative_threshold": threshold,
        "test_macro_f1": results["test"]["model_macro_f1"],
        "vader_test_macro_f1": results["test"]["vader_macro_f1"],
        "test_negative": results["test"]["negative"],
    }
    if write:
        model.save(OUT / "tone_polarity.npz")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the shipped models")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args()
    if args.write:
        OUT.mkdir(parents=True, exist_ok=True)
    figures = {"hostility": hostility(args.write), "polarity": polarity(args.write)}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
