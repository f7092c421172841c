"""Divergence terms split over bytes equal the regex definition, row for row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from undertow.features.text import message_own_words, own_words, word_tokens
from undertow.testing import make_trace
from undertow.themes.divergence import terms
from undertow.themes.divergence.terms import message_terms

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "features"))
from _real_messages import irc_lines, mailing_list_bodies, stackexchange_comments  # noqa: E402


def _reference(texts: pa.Array, chunk: int) -> tuple[list[str], list[int], list[bool]]:
    """Content tokens by regex: lower-case split, original split paired by position."""
    tokens: list[str] = []
    rows: list[int] = []
    upper: list[bool] = []
    lower_upper: list[bool] = []
    aligned = True
    for start in range(0, len(texts), chunk):
        part = texts.slice(start, chunk)
        lower, parent = word_tokens(part)
        original, _ = terms._split_words(part)
        keep = pc.and_(
            pc.match_substring_regex(lower, terms._TERM),
            pc.invert(pc.is_in(lower, value_set=pa.array(sorted(terms._STOP)))),
        )
        kept = lower.filter(keep)
        tokens += kept.to_pylist()
        rows += (parent[keep.to_numpy(zero_copy_only=False)] + start).tolist()
        lower_upper += [w[:1].isupper() for w in kept.to_pylist()]
        if len(original) == len(lower):
            upper += [w[:1].isupper() for w in original.filter(keep).to_pylist()]
        else:
            aligned = False
    return tokens, rows, upper if aligned else lower_upper


_AWKWARD = [
    None,
    "",
    "  ",
    "The İstanbul KELVIN Kelvin test",
    "ÉCOLE école Straße naïve café",
    "don't 'quoted' words' 'tis ''' x' 'yes rock'n'roll",
    "'Hello' World's END",
    "x86_64 v2.0.1 ABC123 abc-def",
    "🙂 emoji🙂between 😀words",
    "Tab\tNew\nLine",
    "ΑΒΓ ελληνικά Кириллица 中文字符",
    "McDonald iPhone USA NASA",
    "workaround kludge Workaround KLUDGE hack",
]


def _check(texts: list[str | None], monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(terms, "CHUNK_ROWS", chunk)
    rows = [
        {"message_id": str(i), "author_id": f"a{i % 7}", "text": t} for i, t in enumerate(texts)
    ]
    documents = [{"document_id": "d", "text": "Follow the Release process; don't 'skip' it."}]
    trace: Any = make_trace(rows, documents=documents)
    result = message_terms(trace)
    tokens, token_rows, upper = _reference(message_own_words(trace), chunk)
    assert result.vocabulary.take(pa.array(result.message_term)).to_pylist() == tokens
    assert result.message_row.tolist() == token_rows
    vocabulary = result.vocabulary.to_pylist()
    assert vocabulary == sorted(vocabulary)
    counts = np.bincount(result.message_term, minlength=len(vocabulary))
    capital = np.bincount(
        result.message_term, weights=np.array(upper, float), minlength=len(vocabulary)
    )
    expected = np.where(counts > 0, capital / np.maximum(counts, 1), 0.0)
    assert np.array_equal(result.capitalised, expected)
    document_words, _, _ = _reference(own_words(trace.arrow("documents").column("text")), chunk)
    assert result.vocabulary.take(pa.array(result.document_term)).to_pylist() == document_words


@pytest.mark.parametrize("chunk", [1_000_000, 37])
@pytest.mark.parametrize("subset", [slice(0, None), slice(4, 12), slice(5, 8)])
def test_awkward_texts(monkeypatch: pytest.MonkeyPatch, chunk: int, subset: slice) -> None:
    pool = _AWKWARD[subset]
    rng = np.random.default_rng(chunk)
    _check([pool[i] for i in rng.integers(0, len(pool), size=400)], monkeypatch, chunk)


@pytest.mark.parametrize("reader", [mailing_list_bodies, stackexchange_comments, irc_lines])
def test_real_texts(shared_data: Path, monkeypatch: pytest.MonkeyPatch, reader: Any) -> None:
    _check(reader(shared_data, 1500), monkeypatch, 400)
