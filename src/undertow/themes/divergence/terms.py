"""Content terms of messages and official documents, and the divergence of their distributions.

Terms are lower-cased words of three or more letters that are not function words or
common stop words (the function-word lists of :mod:`undertow.features.function_words`
plus a short stop list), from the author's own words. Message terms come with their
message row, documents' with their document row, both coded against one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.function_words import FUNCTION_WORD_CLASSES
from undertow.features.text import message_own_words, own_words, word_tokens
from undertow.model.parallel import CHUNK_ROWS, thread_map
from undertow.model.trace import Trace

__all__ = ["Terms", "jensen_shannon", "message_terms"]

_STOP = set(
    [
        "also",
        "any",
        "are",
        "but",
        "can",
        "could",
        "did",
        "does",
        "get",
        "got",
        "has",
        "have",
        "hello",
        "here",
        "how",
        "just",
        "know",
        "like",
        "make",
        "may",
        "maybe",
        "more",
        "most",
        "much",
        "need",
        "now",
        "one",
        "only",
        "other",
        "out",
        "please",
        "see",
        "should",
        "some",
        "still",
        "such",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "think",
        "this",
        "those",
        "try",
        "use",
        "used",
        "using",
        "want",
        "was",
        "way",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "yet",
        "you",
        "your",
        "regards",
        "best",
        "cheers",
        "wrote",
        "writes",
        "hi",
        "hey",
        "dear",
    ]
)
_STOP |= {word.rstrip("*") for words in FUNCTION_WORD_CLASSES.values() for word in words}
_TERM = r"^[a-z][a-z'\-]*[a-z]$"

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Terms:
    """Term occurrences of messages and documents, coded against one vocabulary.

    Attributes
    ----------
    vocabulary
        The distinct terms (Arrow strings).
    message_row, message_term
        For each term occurrence in a message: the message's row (trace order) and term code.
    document_row, document_term
        The same for the documents table (empty without documents).
    capitalised
        Per vocabulary term: share of its message occurrences written with an initial
        capital (proper names and product names score high).
    """

    vocabulary: pa.Array
    message_row: IntArray
    message_term: IntArray
    document_row: IntArray
    document_term: IntArray
    capitalised: npt.NDArray[np.float64]


def _content(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, IntArray, pa.Array]:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if len(texts) <= CHUNK_ROWS:
        tokens, parent, original, aligned = _content_slice(texts)
        return tokens, parent, original if aligned else tokens
    # Row slices run in threads and bound the token lists of both tokenisations.
    starts = range(0, len(texts), CHUNK_ROWS)
    parts = thread_map(lambda start: _content_slice(texts.slice(start, CHUNK_ROWS)), starts)
    tokens = pa.concat_arrays([part[0] for part in parts])
    parent = np.concatenate([part[1] + start for part, start in zip(parts, starts, strict=True)])
    # As for one slice: any misaligned slice drops the case information everywhere.
    aligned = all(part[3] for part in parts)
    original = pa.concat_arrays([part[2] for part in parts]) if aligned else tokens
    return tokens, parent, original


def _split_words(texts: pa.Array) -> tuple[pa.Array, IntArray]:
    """Word tokens in their original case, with their text's row (as :func:`word_tokens`)."""
    spaced = pc.replace_substring_regex(
        pc.fill_null(pc.cast(texts, pa.string()), ""), pattern=r"[^\p{L}\p{N}']+", replacement=" "
    )
    spaced = pc.replace_substring_regex(spaced, pattern=r"(^| )'+|'+( |$)", replacement=" ")
    lists = pc.utf8_split_whitespace(spaced)
    words = pc.list_flatten(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    nonempty = pc.greater(pc.utf8_length(words), 0)
    return words.filter(nonempty), parent[nonempty.to_numpy(zero_copy_only=False)]


def _in_row_order(
    parts: list[tuple[pa.Array, IntArray]], rows: list[IntArray]
) -> tuple[pa.Array, IntArray]:
    """Merge token lists of disjoint row subsets back into row order (stable within a row)."""
    parent = np.concatenate([subset[p] for (_, p), subset in zip(parts, rows, strict=True)])
    order = np.argsort(parent, kind="stable")
    merged = pa.concat_arrays([tokens for tokens, _ in parts]).take(pa.array(order))
    return merged, parent[order]


def _tokens_and_original(texts: pa.Array) -> tuple[pa.Array, IntArray, pa.Array]:
    """:func:`word_tokens` of ``texts`` and the same split on the original case.

    For ASCII text, lower-casing maps letters to letters and nothing else, so the
    lower-case tokens are the original-case tokens lower-cased: one split serves both.
    Other texts are split twice, as lower-casing may move a token boundary there.
    """
    ascii_rows = np.asarray(
        pc.fill_null(pc.string_is_ascii(pc.cast(texts, pa.string())), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    if ascii_rows.all():
        original, parent = _split_words(texts)
        return pc.utf8_lower(original), parent, original
    fast_rows, slow_rows = np.flatnonzero(ascii_rows), np.flatnonzero(~ascii_rows)
    fast_original, fast_parent = _split_words(texts.take(pa.array(fast_rows)))
    slow_texts = texts.take(pa.array(slow_rows))
    slow_tokens, slow_parent = word_tokens(slow_texts)
    slow_original, slow_original_parent = _split_words(slow_texts)
    rows = [fast_rows, slow_rows]
    tokens, parent = _in_row_order(
        [(pc.utf8_lower(fast_original), fast_parent), (slow_tokens, slow_parent)], rows
    )
    original, _ = _in_row_order(
        [(fast_original, fast_parent), (slow_original, slow_original_parent)], rows
    )
    return tokens, parent, original


def _content_slice(texts: pa.Array) -> tuple[pa.Array, IntArray, pa.Array, bool]:
    """Content tokens, their text's row, their original case, and whether case aligned."""
    # The original case tells names (mostly capitalised) from words.
    tokens, parent, original = _tokens_and_original(texts)
    keep = pc.and_(
        pc.match_substring_regex(tokens, _TERM),
        pc.invert(pc.is_in(tokens, value_set=pa.array(sorted(_STOP)))),
    )
    keep_np = keep.to_numpy(zero_copy_only=False)
    if len(original) != len(tokens):
        # Lower-casing changed a token boundary (rare scripts): no case information then.
        kept = tokens.filter(keep)
        return kept, parent[keep_np], kept, False
    return tokens.filter(keep), parent[keep_np], original.filter(keep), True


def message_terms(trace: Trace) -> Terms:
    """Content terms of every message and official document (memoised on the trace).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": "m", "author_id": "a", "text": "The workaround is a kludge."}],
    ...     documents=[{"document_id": "d", "text": "Follow the release process."}])
    >>> terms = message_terms(trace)
    >>> terms.vocabulary.take(terms.message_term).to_pylist()
    ['workaround', 'kludge']
    """

    def compute() -> Terms:
        m_tokens, m_parent, m_original = _content(message_own_words(trace))
        if trace.has("documents"):
            d_tokens, d_parent, _ = _content(own_words(trace.arrow("documents").column("text")))
        else:
            d_tokens, d_parent = pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
        vocabulary = pc.unique(pa.concat_arrays([m_tokens, d_tokens]))
        vocabulary = vocabulary.take(pc.array_sort_indices(vocabulary))
        m_code = pc.index_in(m_tokens, value_set=vocabulary).to_numpy(zero_copy_only=False)
        d_code = pc.index_in(d_tokens, value_set=vocabulary).to_numpy(zero_copy_only=False)
        m_code = m_code.astype(np.int64)
        first = pc.utf8_slice_codeunits(m_original, 0, 1)
        upper = pc.utf8_is_upper(first).to_numpy(zero_copy_only=False).astype(np.float64)
        counts = np.bincount(m_code, minlength=len(vocabulary)).astype(np.float64)
        capital = np.bincount(m_code, weights=upper, minlength=len(vocabulary))
        with np.errstate(invalid="ignore", divide="ignore"):
            capitalised = np.where(counts > 0, capital / np.maximum(counts, 1), 0.0)
        return Terms(
            vocabulary=vocabulary,
            message_row=m_parent,
            message_term=m_code,
            document_row=d_parent,
            document_term=d_code.astype(np.int64),
            capitalised=capitalised,
        )

    result: Terms = trace.cached("divergence_terms", compute)
    return result


def jensen_shannon(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) between two count vectors.

    Examples
    --------
    >>> jensen_shannon([1, 0], [0, 1]), jensen_shannon([2, 2], [1, 1])
    (1.0, 0.0)
    """
    p_arr = np.asarray(p, dtype=np.float64)
    q_arr = np.asarray(q, dtype=np.float64)
    if p_arr.sum() == 0 or q_arr.sum() == 0:
        return float("nan")
    p_arr, q_arr = p_arr / p_arr.sum(), q_arr / q_arr.sum()
    m = (p_arr + q_arr) / 2

    def entropy(x: npt.NDArray[np.float64]) -> float:
        nonzero = x[x > 0]
        return float(-(nonzero * np.log2(nonzero)).sum())

    value = entropy(m) - (entropy(p_arr) + entropy(q_arr)) / 2
    return float(min(max(value, 0.0), 1.0))
