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

from undertow.features.byte_words import byte_runs, encode_runs
from undertow.features.function_words import FUNCTION_WORD_CLASSES
from undertow.features.text import message_own_words, own_words, word_tokens
from undertow.features.threads import distinct
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


#: Byte -> lower-case letter, digit or apostrophe (the word characters of ASCII text);
#: every other byte -> space.
_WORD_BYTES = np.full(256, ord(" "), dtype=np.uint8)
for _first, _last in (("a", "z"), ("0", "9"), ("'", "'")):
    _WORD_BYTES[ord(_first) : ord(_last) + 1] = np.arange(ord(_first), ord(_last) + 1)
_WORD_BYTES[ord("A") : ord("Z") + 1] = np.arange(ord("a"), ord("z") + 1)
_STOP_ARRAY = pa.array(sorted(_STOP), pa.large_string())

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Slice:
    """Content tokens of a row slice, in row order.

    ``code`` indexes ``dictionary`` (lower-case words); ``row`` is the token's row in
    the slice; ``upper`` whether the original word starts with a capital (paired by
    position, valid when ``aligned``); ``lower_upper`` the same test on the lower-case
    token (the fallback when any slice is not aligned).
    """

    code: IntArray
    row: IntArray
    upper: BoolArray
    lower_upper: BoolArray
    dictionary: pa.Array
    aligned: bool


def _content(texts: pa.Array | pa.ChunkedArray) -> tuple[list[_Slice], list[int]]:
    """Content tokens of every row slice of ``texts`` and the slices' first rows."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if len(texts) <= CHUNK_ROWS:
        return [_content_slice(texts)], [0]
    # Row slices run in threads and bound the token arrays.
    starts = list(range(0, len(texts), CHUNK_ROWS))
    parts = thread_map(lambda start: _content_slice(texts.slice(start, CHUNK_ROWS)), starts)
    return parts, starts


def _ascii_words(texts: pa.Array) -> tuple[IntArray, IntArray, BoolArray, pa.Array, BoolArray]:
    """Word tokens split over the texts' bytes, and the rows where that split is exact.

    A word is a run of ASCII letters, digits and apostrophes. Returns codes into a
    dictionary of the lower-cased words, each word's row, whether it starts with a
    capital, the dictionary, and per row whether the split equals :func:`_split_words`:
    ASCII text with no apostrophe at a word's edge (the regex split trims those).
    """
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    runs = byte_runs(texts, _WORD_BYTES)
    raw, mapped, starts, ends = runs.raw, runs.mapped, runs.starts, runs.ends
    exact = np.asarray(pc.string_is_ascii(texts).to_numpy(zero_copy_only=False), dtype=bool)
    row = runs.rows()
    apostrophe = ord("'")
    edge = (mapped[starts] == apostrophe) | (mapped[ends - 1] == apostrophe)
    exact[row[edge]] = False
    code, dictionary = encode_runs(mapped, starts, ends)
    initial = raw[starts]
    upper = (initial >= ord("A")) & (initial <= ord("Z"))
    return code, row, upper, dictionary, exact


def _initial_capital(words: pa.Array) -> BoolArray:
    """Whether each word's first character is upper case."""
    first = pc.utf8_slice_codeunits(words, 0, 1)
    return np.asarray(
        pc.fill_null(pc.utf8_is_upper(first), False).to_numpy(zero_copy_only=False), dtype=bool
    )


def _content_slice(texts: pa.Array) -> _Slice:
    """Content tokens of a slice: rows split over their bytes where exact, else by regex.

    The tokens, their order and the case pairing equal splitting every row by regex:
    lower-case tokens by :func:`word_tokens`, original words by :func:`_split_words`,
    paired by position across the slice (``aligned`` when both have as many words).
    """
    code, row, upper, dictionary, exact = _ascii_words(texts)
    fast = exact[row]
    code, row, upper = code[fast], row[fast], upper[fast]
    lower_upper = np.zeros(code.size, dtype=bool)
    slow_rows = np.flatnonzero(~exact)
    aligned = True
    if slow_rows.size:
        slow_texts = texts.take(pa.array(slow_rows))
        tokens, token_parent = word_tokens(slow_texts)
        original, original_parent = _split_words(slow_texts)
        aligned = len(original) == len(tokens)
        encoded = pc.dictionary_encode(tokens.cast(pa.large_string()))
        slow_code = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        dictionary = pa.concat_arrays([dictionary, encoded.dictionary])
        # Merge into row order (rows are either fast or slow, so a row's words keep
        # their order).
        token_row = np.concatenate([row, slow_rows[token_parent]])
        order = np.argsort(token_row, kind="stable")
        code = np.concatenate([code, slow_code + (len(dictionary) - len(encoded.dictionary))])
        code, row = code[order], token_row[order]
        lower_upper = np.concatenate([lower_upper, _initial_capital(tokens)])[order]
        original_row = np.concatenate([token_row[: upper.size], slow_rows[original_parent]])
        original_upper = np.concatenate([upper, _initial_capital(original)])
        upper = original_upper[np.argsort(original_row, kind="stable")] if aligned else lower_upper
    keep_entry = np.asarray(
        pc.and_(
            pc.match_substring_regex(dictionary, _TERM),
            pc.invert(pc.is_in(dictionary, value_set=_STOP_ARRAY)),
        ).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    keep = keep_entry[code]
    return _Slice(code[keep], row[keep], upper[keep], lower_upper[keep], dictionary, aligned)


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
        parts, starts = _content(message_own_words(trace))
        if trace.has("documents"):
            d_parts, d_starts = _content(own_words(trace.arrow("documents").column("text")))
        else:
            d_parts, d_starts = [], []
        # The vocabulary: every kept word, sorted.
        used = [part.dictionary.take(pa.array(distinct(part.code))) for part in [*parts, *d_parts]]
        vocabulary = pc.unique(pa.concat_arrays([pa.array([], pa.large_string()), *used])).cast(
            pa.string()
        )
        vocabulary = vocabulary.take(pc.array_sort_indices(vocabulary))

        # As the words' case pairs by position: any misaligned slice drops it everywhere.
        aligned = all(part.aligned for part in parts)
        upper = np.concatenate(
            [np.zeros(0, dtype=bool), *(p.upper if aligned else p.lower_upper for p in parts)]
        )

        def coded(slices: list[_Slice], first_rows: list[int]) -> tuple[IntArray, IntArray]:
            # Filled slice by slice into arrays of the final size, each slice let go once
            # coded: the token arrays are never held twice (10M messages: ~100M tokens).
            total = sum(part.code.size for part in slices)
            codes = np.empty(total, dtype=np.int64)
            rows = np.empty(total, dtype=np.int64)
            at = 0
            for start in first_rows:
                part = slices.pop(0)
                lookup = np.asarray(
                    pc.index_in(part.dictionary.cast(pa.string()), value_set=vocabulary)
                    .fill_null(-1)
                    .to_numpy(zero_copy_only=False),
                    dtype=np.int64,
                )
                end = at + part.code.size
                codes[at:end] = lookup[part.code]
                rows[at:end] = part.row
                rows[at:end] += start
                at = end
            return codes, rows

        m_code, m_parent = coded(parts, starts)
        d_code, d_parent = coded(d_parts, d_starts)
        counts = np.bincount(m_code, minlength=len(vocabulary)).astype(np.float64)
        # Integer counts of capitalised uses (exact in float64, as the 0/1 weights were).
        capital = np.bincount(m_code[upper], minlength=len(vocabulary)).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            capitalised = np.where(counts > 0, capital / np.maximum(counts, 1), 0.0)
        return Terms(
            vocabulary=vocabulary,
            message_row=m_parent,
            message_term=m_code,
            document_row=d_parent,
            document_term=d_code,
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
