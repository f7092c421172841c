"""Text preparation: the author's own words, and word tokens, computed over whole Arrow arrays.

Everything here works on a ``pyarrow`` string array at once (RE2 regexes in Arrow
compute kernels), never message by message: a mailing list of a million mails is
cleaned in a few passes over its buffers.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.parallel import CHUNK_ROWS, map_chunks, thread_map
from undertow.model.trace import Trace

__all__ = ["message_own_words", "own_words", "word_tokens"]

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
    # Texts are cleaned independently: row slices run in threads.
    table = map_chunks(lambda part: pa.table({"text": _own_words_slice(part)}), texts)
    return table.column("text").combine_chunks()


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
