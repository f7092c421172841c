"""Text preparation: the author's own words, and word tokens, computed over whole Arrow arrays.

Everything here works on a ``pyarrow`` string array at once (RE2 regexes in Arrow
compute kernels), never message by message: a mailing list of a million mails is
cleaned in a few passes over its buffers.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.parallel import CHUNK_ROWS, thread_map, workers
from undertow.model.trace import Trace

__all__ = ["contains_patterns", "lower_case", "message_own_words", "own_words", "word_tokens"]

# Each rule is (literals, pattern, replacement): the regex runs only on texts containing
# one of the literals (a fast substring scan), so clean texts cost one cheap pass per rule.
# Order matters: the tail-cutting rules (patch, signature, forwarded original, list
# footer) go first so the line rules never see text that is about to be dropped anyway.
# The patterns avoid capture groups and use ``\A``/``\z`` and runs of lines where that
# lets RE2 find the same matches with less work.
_RULES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # A patch or diff runs to the end of the mail: everything from its first header.
    (
        ("diff --git ", "Index: ", "--- a/", "+++ b/", "@@ -"),
        r"(?s)(?:\A|\n)(?:diff --git |Index: [^\n]*\n====|--- a/|\+\+\+ b/|@@ -\d).*\z",
        "",
    ),
    # Signature: the conventional "-- " separator line (RFC 3676), or a bare "--".
    (("--",), r"(?s)(?:\A|\n)-- ?\r?\n.*\z", ""),
    # Outlook-style forwarded or replied original.
    (
        ("Original Message", "Forwarded message"),
        r"(?s)(?:\A|\n)-{2,} ?(?:Original Message|Forwarded message) ?-{2,}.*\z",
        "",
    ),
    # Mailing-list footers added by the list software.
    (("__________",), r"(?s)(?:\A|\n)_{10,}\r?\n.*\z", ""),
    # Fenced code blocks (Markdown) and Stack Exchange style <code>/<pre> blocks.
    (("```",), r"(?s)```.*?(?:```|\z)", ""),
    (("<pre>",), r"(?s)<pre>.*?(?:</pre>|\z)", ""),
    (("<code>",), r"(?s)<code>.*?(?:</code>|\z)", ""),
    # Quoted lines (any depth), a run of consecutive ones at a time.
    ((">",), r"(?m)(?:^[ \t]*>[^\n]*(?:\n|$))+", ""),
    # Attribution lines: "On Mon, 1 Jan 2001, Someone wrote:" (possibly wrapped over 2 lines).
    (
        ("wrote", "writes", "schrieb", "a écrit", "escribió"),
        r"(?m)^[^\n]*\n?[^\n]*\b(?:wrote|writes|schrieb|a écrit|escribió)\s*:[ \t]*\r?$",
        "",
    ),
    (("\n\n\n",), r"\n\n\n+", "\n\n"),
)

# Any literal of any rule: texts without one (most short messages) are left as they are.
_ANY_LITERAL = "|".join(re.escape(literal) for rule in _RULES for literal in rule[0])


def own_words(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    r"""The author's own words: quotes, attributions, signatures, code and patches removed.

    Parameters
    ----------
    texts
        Message texts (nulls allowed).

    Returns
    -------
    pyarrow.Array
        Cleaned texts of the same length (null stays null), whitespace-trimmed.

    Examples
    --------
    >>> import pyarrow as pa
    >>> mail = "On Mon, Ann wrote:\n> is it broken?\nYes, sorry.\n-- \nBob, ACME"
    >>> own_words(pa.array([mail, None])).to_pylist()
    ['Yes, sorry.', None]
    """
    # Texts are cleaned independently: row slices run in threads. A chunked column is
    # sliced as it is (no combined copy of all texts first) and the cleaned slices are
    # joined once.
    if isinstance(texts, pa.Array):
        texts = pa.chunked_array([texts], type=texts.type)
    bounds = _text_slices(texts)
    if len(bounds) <= 1:
        return _own_words_slice(texts.combine_chunks())
    parts = thread_map(lambda bound: _own_words_slice(texts.slice(*bound).combine_chunks()), bounds)
    return pa.concat_arrays(parts)


#: Text bytes per slice of :func:`own_words` (long mails make rows a poor bound).
_SLICE_BYTES = 16 * 2**20
#: Below this many bytes the texts are cleaned in one slice.
_MIN_SPLIT_BYTES = 2**20


def _text_slices(texts: pa.ChunkedArray) -> list[tuple[int, int]]:
    """Row slices ``(start, length)`` for :func:`own_words`.

    At most ``CHUNK_ROWS`` rows and about ``_SLICE_BYTES`` bytes each, and at least one
    per worker thread when there is enough text to share.
    """
    n = len(texts)
    sizes = pc.fill_null(pc.binary_length(texts), 0).to_numpy()
    ends = np.cumsum(sizes, dtype=np.int64)
    total = int(ends[-1]) if n else 0
    if total < _MIN_SPLIT_BYTES:
        return [(start, CHUNK_ROWS) for start in range(0, n, CHUNK_ROWS)]
    target = min(_SLICE_BYTES, total // workers() + 1)
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n:
        done = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, done + target, side="right"))
        stop = min(max(stop, start + 1), start + CHUNK_ROWS, n)
        bounds.append((start, stop - start))
        start = stop
    return bounds


def _own_words_slice(texts: pa.Array) -> pa.Array:
    cleaned = pc.cast(texts, pa.string())
    marked = pc.fill_null(pc.match_substring_regex(cleaned, _ANY_LITERAL), False)
    n_marked = pc.sum(marked).as_py() or 0
    if n_marked == len(cleaned):
        cleaned = _apply_rules(cleaned)
    elif n_marked:
        cleaned = pc.replace_with_mask(cleaned, marked, _apply_rules(cleaned.filter(marked)))
    result: pa.Array = pc.utf8_trim_whitespace(cleaned)
    return result


def _apply_rules(cleaned: pa.Array) -> pa.Array:
    """Every rule in turn, each on the texts that contain one of its literals."""
    for literals, pattern, replacement in _RULES:
        hit = _contains_any(cleaned, literals)
        n_hit = pc.sum(hit).as_py() or 0
        if n_hit == 0:
            continue
        if n_hit == len(cleaned):
            cleaned = pc.replace_substring_regex(cleaned, pattern=pattern, replacement=replacement)
            continue
        subset = pc.replace_substring_regex(
            cleaned.filter(hit), pattern=pattern, replacement=replacement
        )
        cleaned = pc.replace_with_mask(cleaned, hit, subset)
    return cleaned


def _contains_any(texts: pa.Array, literals: tuple[str, ...]) -> pa.Array:
    """Whether each text contains one of ``literals`` (null counts as not)."""
    if all(literal.isascii() for literal in literals):
        # One RE2 scan per ASCII literal skips ahead with memchr; an alternation of
        # literals cannot, and is slower than a few such scans.
        hit = pc.match_substring_regex(texts, re.escape(literals[0]))
        for literal in literals[1:]:
            hit = pc.or_(hit, pc.match_substring_regex(texts, re.escape(literal)))
    else:
        hit = pc.match_substring_regex(texts, "|".join(re.escape(lit) for lit in literals))
    result: pa.Array = pc.fill_null(hit, False)
    return result


def lower_case(texts: pa.Array) -> pa.Array:
    """``utf8_lower``, by the cheaper ASCII kernel when every text is ASCII (same result).

    Examples
    --------
    >>> import pyarrow as pa
    >>> lower_case(pa.array(["ÀB", None])).to_pylist(), lower_case(pa.array(["AB"])).to_pylist()
    (['àb', None], ['ab'])
    """
    ascii_only = pc.all(pc.string_is_ascii(texts)).as_py() is not False
    result: pa.Array = pc.ascii_lower(texts) if ascii_only else pc.utf8_lower(texts)
    return result


#: Texts on which :func:`contains_patterns` estimates how often each pattern matches.
_SAMPLE_ROWS = 2_000

_Tree = int | tuple["_Tree", "_Tree"]


def contains_patterns(texts: pa.Array, patterns: Sequence[str]) -> list[npt.NDArray[np.bool_]]:
    r"""For each RE2 pattern, whether each text contains a match (null never matches).

    The same as one ``match_substring_regex`` pass per pattern, with fewer passes: a text
    is first searched for the alternation of all patterns (RE2 runs an alternation at
    the speed of one pattern), and only texts that match a group of patterns are
    searched for its sub-groups. Rare patterns are grouped together (a Huffman tree
    over their match rates in a sample), so most texts leave the tree after one or two
    searches. The grouping only decides the work, never the result: a text contains a
    match of ``(?:a)|(?:b)`` exactly when it contains one of ``a`` or of ``b``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> hits = contains_patterns(pa.array(["thanks!", "sorry", None]), [r"\bthanks", "sorry"])
    >>> [h.tolist() for h in hits]
    [[True, False, False], [False, True, False]]
    """
    n = len(texts)
    found = [np.zeros(n, dtype=bool) for _ in patterns]
    if n == 0 or not patterns:
        return found
    if len(patterns) == 1 or n <= _SAMPLE_ROWS:
        return [_matches(texts, [pattern]) for pattern in patterns]
    sample = texts.take(pa.array(np.linspace(0, n - 1, _SAMPLE_ROWS).astype(np.int64)))
    rates = [float(_matches(sample, [pattern]).mean()) for pattern in patterns]
    hit = _matches(texts, list(patterns))
    rows = np.flatnonzero(hit)
    if rows.size:
        subset = texts.filter(pa.array(hit)) if rows.size < n else texts
        _search_tree(_huffman(rates), patterns, subset, rows, found)
    return found


def _matches(texts: pa.Array, patterns: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Whether each text contains a match of any of ``patterns``."""
    pattern = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
    hit = pc.fill_null(pc.match_substring_regex(texts, pattern), False)
    result: npt.NDArray[np.bool_] = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    return result


def _huffman(rates: list[float]) -> _Tree:
    """Binary tree over pattern indices; rarely matching patterns end up deep, together."""
    heap: list[tuple[float, int, _Tree]] = [(rate, i, i) for i, rate in enumerate(rates)]
    heapq.heapify(heap)
    order = len(rates)
    while len(heap) > 1:
        rate_a, _, a = heapq.heappop(heap)
        rate_b, _, b = heapq.heappop(heap)
        # The more frequent side is searched first: the other side is then known to
        # match wherever it does not.
        heapq.heappush(heap, (min(1.0, rate_a + rate_b + 1e-4), order, (b, a)))
        order += 1
    return heap[0][2]


def _leaves(tree: _Tree) -> list[int]:
    return [tree] if isinstance(tree, int) else _leaves(tree[0]) + _leaves(tree[1])


def _search_tree(
    tree: _Tree,
    patterns: Sequence[str],
    texts: pa.Array,
    rows: npt.NDArray[np.int64],
    found: list[npt.NDArray[np.bool_]],
) -> None:
    """Resolve ``tree`` on ``texts`` (each known to match some pattern of the tree)."""
    if isinstance(tree, int):
        found[tree][rows] = True
        return
    left, right = tree
    in_left = _matches(texts, [patterns[i] for i in _leaves(left)])
    left_texts = texts.filter(pa.array(in_left))
    # Where no left pattern matches, a right one must; elsewhere it has to be searched.
    in_right = ~in_left
    if len(left_texts):
        in_right[in_left] = _matches(left_texts, [patterns[i] for i in _leaves(right)])
        _search_tree(left, patterns, left_texts, rows[in_left], found)
    if in_right.any():
        right_texts = texts.filter(pa.array(in_right)) if not in_right.all() else texts
        _search_tree(right, patterns, right_texts, rows[in_right], found)


def word_tokens(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """Lower-case word tokens of every text, flattened, with the index of their text.

    A word is a run of letters, digits and apostrophes (``don't`` stays one word).

    Returns
    -------
    tuple
        ``(tokens, parent)``: a flat string array and, for each token, the position
        of the text it came from.

    Examples
    --------
    >>> import pyarrow as pa
    >>> tokens, parent = word_tokens(pa.array(["I don't know.", None, "Yes!"]))
    >>> tokens.to_pylist(), parent.tolist()
    (['i', "don't", 'know', 'yes'], [0, 0, 0, 2])
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if len(texts) <= CHUNK_ROWS:
        return _word_tokens_slice(texts)
    # Row slices run in threads and bound the intermediate token lists.
    starts = range(0, len(texts), CHUNK_ROWS)
    parts = thread_map(lambda start: _word_tokens_slice(texts.slice(start, CHUNK_ROWS)), starts)
    tokens = pa.concat_arrays([part[0] for part in parts])
    parent = np.concatenate([part[1] + start for part, start in zip(parts, starts, strict=True)])
    return tokens, parent


def _word_tokens_slice(texts: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    ascii_rows = np.asarray(pc.string_is_ascii(texts).to_numpy(zero_copy_only=False), dtype=bool)
    if ascii_rows.all():
        return _ascii_word_tokens(texts)
    if not ascii_rows.any():
        return _regex_word_tokens(texts)
    # Mixed slice: ASCII rows by the byte scanner, the others by the regexes, then the
    # tokens of both are put back in text order (each text's tokens stay in sequence).
    fast_rows = np.flatnonzero(ascii_rows)
    slow_rows = np.flatnonzero(~ascii_rows)
    fast_tokens, fast_parent = _ascii_word_tokens(texts.take(pa.array(fast_rows)))
    slow_tokens, slow_parent = _regex_word_tokens(texts.take(pa.array(slow_rows)))
    parent = np.concatenate((fast_rows[fast_parent], slow_rows[slow_parent]))
    order = np.argsort(parent, kind="stable")
    tokens = pa.concat_arrays([fast_tokens, slow_tokens.cast(fast_tokens.type)])
    result: pa.Array = tokens.take(pa.array(order))
    return result, parent[order]


def _regex_word_tokens(texts: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """:func:`word_tokens` by RE2 on the Unicode classes (any text; the reference)."""
    lowered = pc.utf8_lower(pc.fill_null(pc.cast(texts, pa.string()), ""))
    spaced = pc.replace_substring_regex(lowered, pattern=r"[^\p{L}\p{N}']+", replacement=" ")
    spaced = pc.replace_substring_regex(spaced, pattern=r"(^| )'+|'+( |$)", replacement=" ")
    lists = pc.utf8_split_whitespace(spaced)
    tokens = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    # Splitting leaves empty strings where a text starts or ends with a separator.
    keep = pc.greater(pc.utf8_length(tokens), 0)
    kept: pa.Array = tokens.filter(keep)
    return kept, parent[keep.to_numpy(zero_copy_only=False)]


# ASCII bytes that belong to a word (letters, digits, apostrophe) and their lower case.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[[*range(ord("0"), ord("9") + 1), *range(ord("A"), ord("Z") + 1)]] = True
_WORD_BYTE[[*range(ord("a"), ord("z") + 1), ord("'")]] = True
_LOWER_BYTE = np.arange(256, dtype=np.uint8)
_LOWER_BYTE[ord("A") : ord("Z") + 1] += 32
_APOSTROPHE = ord("'")


def string_bytes(texts: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], int]:
    """The bytes of a string array (no nulls).

    Returns the text bounds into the bytes, the bytes, and where they start in the
    array's data buffer.
    """
    n = len(texts)
    buffers = texts.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[texts.offset : texts.offset + n + 1]
    base, stop = (int(offsets[0]), int(offsets[-1])) if n else (0, 0)
    if buffers[2] is None or stop == base:
        return offsets.astype(np.int64) - base, np.zeros(0, dtype=np.uint8), base
    data = np.frombuffer(buffers[2], dtype=np.uint8)[base:stop]
    return offsets.astype(np.int64) - base, data, base


def byte_runs(
    member: npt.NDArray[np.bool_], bounds: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Starts and ends of the maximal runs of ``member`` bytes, split at text ``bounds``."""
    size = member.size
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    text_start = np.zeros(size + 1, dtype=bool)
    text_start[bounds] = True
    joined = np.empty(size, dtype=bool)
    joined[0] = False
    np.logical_and(member[1:], member[:-1], out=joined[1:])
    joined &= ~text_start[:size]
    starts = np.flatnonzero(member & ~joined)
    continues = np.empty(size, dtype=bool)
    continues[-1] = False
    continues[:-1] = joined[1:]
    ends = np.flatnonzero(member & ~continues) + 1
    return starts, ends


def _ascii_word_tokens(texts: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """:func:`word_tokens` of ASCII texts (no nulls), by numpy over the UTF-8 buffer.

    Gives exactly what the regexes give: runs of ``[A-Za-z0-9']`` lower-cased, with the
    apostrophes the second regex removes. That regex (``(^| )'+|'+( |$)``) strips a
    word's trailing apostrophes together with the space after it, so the next word keeps
    its leading apostrophes (``x' 'y`` -> ``x``, ``'y``); a word of apostrophes only
    vanishes and passes on whether its own leading space was taken. Only byte-sized
    masks span the whole buffer; everything else is per word or per apostrophe.
    """
    lowered = pc.ascii_lower(texts)
    bounds, data, base = string_bytes(lowered)
    if not data.size:
        return pa.array([], type=pa.string()), np.zeros(0, dtype=np.int64)
    starts, ends = byte_runs(_WORD_BYTE[data], bounds)
    parent = np.searchsorted(bounds, starts, side="right") - 1

    # Runs of apostrophes: a word's leading (trailing) run ends (starts) where its
    # first (last) letter is.
    quote = np.flatnonzero(data == _APOSTROPHE)
    run_first = np.ones(quote.size, dtype=bool)
    run_first[1:] = np.diff(quote) != 1
    run_start = quote[run_first]
    run_last = np.append(np.flatnonzero(run_first)[1:] - 1, quote.size - 1)[: quote.size]
    run_end = quote[run_last] + 1
    starts_quoted = data[starts] == _APOSTROPHE
    ends_quoted = data[ends - 1] == _APOSTROPHE
    first = starts.copy()
    lead_run = np.searchsorted(run_start, starts[starts_quoted], side="right") - 1
    first[starts_quoted] = run_end[lead_run] if lead_run.size else first[starts_quoted]
    only_apostrophes = first >= ends
    last_end = ends.copy()
    trail_run = np.searchsorted(run_start, ends[ends_quoted] - 1, side="right") - 1
    last_end[ends_quoted] = run_start[trail_run] if trail_run.size else last_end[ends_quoted]

    # Whether the space after each word is taken by the stripping of its apostrophes: a
    # word ending in one (not a word of apostrophes only), or a word of apostrophes only
    # whose own leading space was taken (then the state passes through it unchanged).
    m = starts.size
    first_of_text = np.ones(m, dtype=bool)
    first_of_text[1:] = parent[1:] != parent[:-1]
    anchor = ~only_apostrophes | first_of_text
    taken = ends_quoted & ~only_apostrophes
    if not anchor.all():
        taken = taken[np.maximum.accumulate(np.where(anchor, np.arange(m), 0))]
    lead_stripped = first_of_text.copy()
    lead_stripped[1:] |= ~taken[:-1]
    keep = ~only_apostrophes
    new_start = np.where(lead_stripped, first, starts)[keep]
    new_end = last_end[keep]

    # Word i is element 2i of a string array over the lowered buffer whose odd elements
    # are the gaps between words; taking the even elements copies the words compactly.
    m = new_start.size
    if m == 0:
        return pa.array([], type=pa.string()), np.zeros(0, dtype=np.int64)
    interleaved = np.empty(2 * m, dtype=np.int32)
    interleaved[0::2] = new_start + base
    interleaved[1::2] = new_end + base
    spans = pa.Array.from_buffers(
        pa.string(), 2 * m - 1, [None, pa.py_buffer(interleaved), lowered.buffers()[2]]
    )
    tokens: pa.Array = spans.take(pa.array(np.arange(0, 2 * m, 2)))
    return tokens, parent[keep].astype(np.int64)


def message_own_words(trace: Trace) -> pa.Array:
    r""":func:`own_words` of every message, in the trace's message order (cached on the trace).

    Every text feature (affect, politeness, support, function words) reads this, so
    the cleaning runs once per trace.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "> q\nYes."}])
    >>> message_own_words(trace).to_pylist()
    ['Yes.']
    """

    def compute() -> pa.Array:
        return own_words(trace.arrow("messages").column("text"))

    result: pa.Array = trace.cached("own_words", compute)
    return result
