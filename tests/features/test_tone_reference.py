"""The fast tone paths against straightforward reference implementations.

The byte-level tokeniser and capitals count must give exactly what the Arrow regexes and
whitespace split give, and the
scores of the shipped models must be the probabilities of the plain design-matrix
product on features built with those regex tokens, on a few thousand texts.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.features import text as text_module
from undertow.features import tone_model
from undertow.features.tone_model import shipped_model, tone_features
from undertow.features.tone_text import tone_text

_WORDS = [
    "you",
    "are",
    "an",
    "idiot",
    "this",
    "is",
    "stupid",
    "crap",
    "thanks",
    "a",
    "lot",
    "works",
    "now",
    "f*ck",
    "shit",
    "don't",
    "it's",
    "'quoted'",
    "rock'n'roll",
    "'''",
    "o'brien",
    "users'",
    "WHY",
    "NOT?!",
    "Zürich",
    "café",
    "naïve",
    "ünd",
    "straße",
    "42",
    "v4l2",
    "uvcvideo",
    "did",
    "you",
    "even",
    "try",
    "go",
    "away",
    "shut",
    "up",
    "please",
    "help",
    "!!!",
    "??",
]
_GLUE = (" ", "  ", ", ", ". ", "\n", "' '", " '", "' ", "-", "!! ", "?", "\t", "…", " — ")


def generated_texts(n: int, seed: int = 0) -> list[str | None]:
    """Texts of random words and separators, heavy on apostrophes, capitals and non-ASCII."""
    rng = np.random.default_rng(seed)
    texts: list[str | None] = []
    for i in range(n):
        if i % 97 == 0:
            texts.append(None)
            continue
        k = int(rng.integers(0, 40))
        words = rng.choice(_WORDS, size=k)
        glue = rng.choice(_GLUE, size=k)
        texts.append("".join(f"{w}{g}" for w, g in zip(words, glue, strict=True)))
    return texts + ["", "'", "''", " ' ", "x' 'y", "a' ''' 'b", "'a' ''' 'b'", "''x''"]


def _regex_tokens(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    return text_module._regex_word_tokens(pc.fill_null(pc.cast(texts, pa.string()), ""))


def _assert_same_tokens(texts: list[str | None]) -> None:
    array = pa.array(texts, type=pa.string())
    fast, fast_parent = text_module.word_tokens(array)
    slow, slow_parent = _regex_tokens(array)
    assert fast.cast(pa.string()).to_pylist() == slow.to_pylist()
    assert fast_parent.tolist() == slow_parent.tolist()


def _assert_same_probabilities(texts: list[str | None], monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = tone_text(pa.array(texts, type=pa.string()))
    fast = tone_features(prepared)
    with monkeypatch.context() as patch:
        patch.setattr(tone_model, "word_tokens", _regex_tokens)
        patch.setattr(tone_model, "_shouted_words", tone_model._shouted_split)
        reference = tone_features(prepared).matrix()
    for name in ("hostility", "polarity"):
        model = shipped_model(name)
        expected = model.probabilities_matrix(reference)
        np.testing.assert_allclose(model.probabilities(fast), expected, rtol=0, atol=1e-12)


def test_tokens_equal_the_regex_tokens_on_generated_texts() -> None:
    _assert_same_tokens(generated_texts(5_000))
    # All-ASCII and all-non-ASCII slices take the single paths.
    _assert_same_tokens([t for t in generated_texts(2_000, seed=1) if t and t.isascii()])
    _assert_same_tokens([t for t in generated_texts(2_000, seed=2) if t and not t.isascii()])


def test_shouted_words_equal_arrows_split() -> None:
    edges = [
        "",
        " ",
        "  ",
        "a  ",
        "  a  ",
        " \t ",
        "\n\n\n",
        "AB",
        "I,",
        "12",
        "A1 b",
        "\x1cAB\x1c",
    ]
    for texts in (generated_texts(5_000, seed=4), edges):
        array = pc.fill_null(pa.array(texts, type=pa.string()), "")
        fast = tone_model._shouted_words(array)
        slow = tone_model._shouted_split(array)
        assert fast[0].tolist() == slow[0].tolist() and fast[1].tolist() == slow[1].tolist()


def test_probabilities_equal_the_reference_on_generated_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _assert_same_probabilities(generated_texts(5_000, seed=3), monkeypatch)


def _senti4sd(shared_data: Path) -> list[str | None]:
    texts: list[str | None] = []
    for name in ("senti4sd_train3098itemPOLARITY", "senti4sd_test1326itemPOLARITY"):
        path = shared_data / "tone-labelled-technical" / f"{name}.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            texts += [line.rstrip("\r\n").split(";", 2)[-1] for line in handle]
    return texts


@pytest.mark.realdata
def test_fast_paths_equal_the_reference_on_senti4sd(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _senti4sd(shared_data)
    assert len(texts) > 4_000
    _assert_same_tokens(texts)
    _assert_same_probabilities(texts, monkeypatch)
