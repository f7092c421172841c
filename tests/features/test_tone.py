"""Tone models: hashing and scoring kernels against plain references; shipped models on labels."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from undertow.cli import app
from undertow.diagnosis import analyze
from undertow.features.affect import vader_scores
from undertow.features.tone import (
    TONE_COLUMNS,
    active_tone_model,
    load_tone_model,
    message_tone,
    tone_scores,
    tone_validity,
    use_tone_models,
)
from undertow.features.tone_model import (
    BITS,
    DENSE_FEATURES,
    ToneModel,
    auc,
    best_threshold,
    binary_figures,
    macro_f1,
    shipped_model,
    tone_features,
)
from undertow.features.tone_text import tone_text
from undertow.testing import make_trace, tiny_trace


def test_hashing_is_deterministic_and_position_free() -> None:
    a = tone_features(pa.array(["alpha beta"]))
    b = tone_features(pa.array(["zzz", "beta alpha"]))
    # Distinct words in order of appearance: a = alpha, beta; b = zzz, beta, alpha.
    assert sorted(a.word_bucket.tolist()) == sorted(b.word_bucket[1:].tolist())
    grams_b = b.gram_bucket[b.gram_word > 0]
    assert sorted(a.gram_bucket.tolist()) == sorted(grams_b.tolist())
    # With boundary marks: "alpha" has 5 + 4 + 3 character n-grams, "beta" 4 + 3 + 2.
    assert a.n_grams_word.tolist() == [12, 9]
    assert a.bigram_text.tolist() == [0] and b.bigram_text.tolist() == [1]


def test_fast_scores_equal_the_design_matrix_product() -> None:
    texts = pa.array(["You are an IDIOT!!", "thanks, works now", "", None, "f*ck this crap"])
    features = tone_features(texts)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(2**BITS, 3)).astype(np.float32)
    dense = rng.normal(size=(len(DENSE_FEATURES), 3))
    bias = rng.normal(size=3)
    fast = features.scores(weights, dense, bias)
    reference = features.matrix() @ np.vstack([weights.astype(np.float64), dense]) + bias
    assert np.allclose(fast, reference)


def test_fit_save_load_roundtrip(tmp_path: Path) -> None:
    texts = pa.array(["you idiot", "thanks a lot", "stupid crap", "works now"] * 5)
    model = ToneModel(("ok", "bad"), l2=1.0).fit(texts, [1, 0, 1, 0] * 5)
    model.threshold_ = 0.4
    model.validity_ = {"note": "tiny"}
    model.save(tmp_path / "m.npz")
    again = ToneModel.load(tmp_path / "m.npz")
    assert again.classes == ("ok", "bad") and again.threshold_ == 0.4
    assert np.allclose(again.probabilities(texts), model.probabilities(texts))


def test_figures_known_answers() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert best_threshold([0.9, 0.7, 0.4, 0.1], [1, 1, 0, 0]) == 0.7
    figures = binary_figures([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], 0.5)
    assert (figures["precision"], figures["recall"], figures["f1"]) == (0.5, 0.5, 0.5)
    assert macro_f1([0, 0, 1], [0, 0, 1], 2) == 1.0


def test_shipped_models_read_technical_tone() -> None:
    texts = pa.array(
        [
            "You are a f***ing idiot, stop wasting everyone's time.",
            "Thanks for the report, sorry for the late reply.",
            "Failed to query UVC control, the device returns an error.",
            None,
        ]
    )
    table = tone_scores(texts)
    assert table.column("is_hostile").to_pylist() == [True, False, False, None]
    assert table.column("has_tone").to_pylist() == [True, True, True, False]
    valence = table.column("valence").to_pylist()
    assert valence[1] > valence[0]


def test_message_tone_columns_and_log_only_message() -> None:
    trace = make_trace(
        [
            {
                "message_id": "m1",
                "author_id": "a",
                "text": "[ 1.0] uvcvideo: Failed to query (129)",
            },
            {"message_id": "m2", "author_id": "b", "text": "Great, thanks, it works!"},
        ]
    )
    tone = message_tone(trace)
    assert tuple(tone.column_names) == TONE_COLUMNS
    assert tone.column("hostility").to_pylist()[0] is None
    assert tone.column("vader_compound").to_pylist()[0] < 0  # VADER called the log negative
    assert tone.column("is_positive").to_pylist() == [None, True]
    assert message_tone(make_trace([])).num_rows == 0


def _write_labels(path: Path) -> None:
    hostile = [
        "you are an idiot",
        "this is stupid crap",
        "what a useless moron",
        "shut up already",
        "your code is garbage",
        "go away troll",
        "stop being so dumb",
        "pathetic answer",
    ]
    calm = [
        "thanks, that works",
        "I will test it tomorrow",
        "the patch looks fine",
        "which kernel do you run",
        "please send the log",
        "good idea, applied",
        "it works with 2.6.24",
        "I see the same on my laptop",
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for text in hostile:
            writer.writerow([text, "hostile"])
        for text in calm:
            writer.writerow([text, "not_hostile"])
        writer.writerow(["[ 1.0] usb 1-1: reset", "not_hostile"])


def test_tone_fit_cli_and_analyze_uses_the_model(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    _write_labels(labels)
    out = tmp_path / "community.npz"
    result = CliRunner().invoke(app, ["tone", "fit", str(labels), "-o", str(out), "--folds", "4"])
    assert result.exit_code == 0, result.output
    assert "16 labelled texts with prose (1 without prose left out)" in result.output
    assert "adapted (CV)" in result.output and "VADER rule" in result.output
    measure, model = load_tone_model(out)
    assert measure == "hostility" and "labels.csv" in model.validity_["training_data"]
    with use_tone_models({"hostility": model}):
        assert active_tone_model("hostility") is model
        assert "labels.csv" in tone_validity("hostility")
    diagnosis = analyze(tiny_trace(), progress=False, tone_models=[out])
    assert "labels.csv" in diagnosis.tone["hostility"]
    assert "Senti4SD" in diagnosis.tone["polarity"]


def test_tone_fit_rejects_unknown_labels(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("text,label\nhello,maybe\n")
    result = CliRunner().invoke(app, ["tone", "fit", str(labels), "-o", str(tmp_path / "m.npz")])
    assert result.exit_code == 2
    assert "labels must be" in result.output


def _strudel(shared_data: Path, name: str) -> tuple[list[str], np.ndarray]:
    path = shared_data / "tone-labelled-technical" / f"{name}.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row.get("text") or f"{row['title']}\n{row['total_text']}" for row in rows]
    return texts, np.array([row["toxicity"].strip() == "y" for row in rows])


@pytest.mark.realdata
def test_hostility_beats_vader_on_held_out_strudel_issues(shared_data: Path) -> None:
    texts, truth = _strudel(shared_data, "strudel_labeled_test_issues")
    prepared = tone_text(pa.array(texts))
    model = shipped_model("hostility")
    ours = binary_figures(model.probability(prepared), truth, model.threshold_)
    compound = vader_scores(prepared).column("compound").to_numpy()
    vader = binary_figures(-compound, truth, 0.5)
    assert ours["f1"] > vader["f1"] and ours["auc"] > vader["auc"]


@pytest.mark.realdata
def test_polarity_beats_vader_on_senti4sd_test_split(shared_data: Path) -> None:
    classes = ("positive", "neutral", "negative")
    texts: list[str] = []
    labels: list[int] = []
    path = shared_data / "tone-labelled-technical" / "senti4sd_test1326itemPOLARITY.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\r\n").split(";", 2)
            if len(parts) == 3 and parts[1] in classes:
                texts.append(parts[2])
                labels.append(classes.index(parts[1]))
    assert len(texts) == 1326
    prepared = tone_text(pa.array(texts))
    ours = shipped_model("polarity").probabilities(prepared).argmax(axis=1)
    compound = vader_scores(prepared).column("compound").to_numpy()
    vader = np.where(compound >= 0.05, 0, np.where(compound <= -0.05, 2, 1))
    assert macro_f1(ours, labels, 3) > macro_f1(vader, labels, 3) + 0.05
