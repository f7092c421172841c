"""Row-chunked threaded evaluation gives the same result as one call."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import undertow.features.text as text_module
import undertow.themes.divergence.terms as terms_module
from undertow.features.affect import _vader_slice, vader_scores
from undertow.features.text import word_tokens
from undertow.model.parallel import map_chunks, thread_map, workers

TEXTS = pa.array(
    [
        "I love this, thanks!",
        None,
        "This is NOT good at all :(",
        "",
        "Could you please check? Ann's patch broke it.",
        "kind of sort of ok",
        "Straße is not STRASSE",
        "fine.",
    ]
)


def test_map_chunks_equals_one_call() -> None:
    whole = vader_scores(TEXTS)
    assert map_chunks(_vader_slice, TEXTS, chunk_rows=3).equals(whole)
    assert map_chunks(_vader_slice, pa.chunked_array([TEXTS]), chunk_rows=1).equals(whole)


def test_thread_map_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNDERTOW_THREADS", "3")
    assert workers() == 3
    assert thread_map(lambda x: x * x, range(10)) == [x * x for x in range(10)]


def test_sliced_tokens_equal_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens, parent = word_tokens(TEXTS)
    content = terms_module._content(TEXTS)
    monkeypatch.setattr(text_module, "CHUNK_ROWS", 3)
    monkeypatch.setattr(terms_module, "CHUNK_ROWS", 3)
    sliced_tokens, sliced_parent = word_tokens(TEXTS)
    assert sliced_tokens.equals(tokens)
    assert np.array_equal(sliced_parent, parent)
    sliced = terms_module._content(TEXTS)
    assert len(sliced[0]) > 1  # the texts were really cut into slices
    assert _flat_terms(*sliced) == _flat_terms(*content)


def _flat_terms(
    parts: list[terms_module._Slice], starts: list[int]
) -> tuple[list[str], list[int], list[bool], list[bool] | None]:
    """Words, their rows in the whole column and case flags, across the slices."""
    words: list[str] = []
    rows: list[int] = []
    lower_upper: list[bool] = []
    upper: list[bool] = []
    for part, start in zip(parts, starts, strict=True):
        words += part.dictionary.take(pa.array(part.code)).to_pylist()
        rows += (part.row + start).tolist()
        lower_upper += part.lower_upper.tolist()
        upper += part.upper.tolist()
    aligned = all(part.aligned for part in parts)
    return words, rows, lower_upper, upper if aligned else None
