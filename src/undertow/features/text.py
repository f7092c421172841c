"""Text preparation: the author's own words, and word tokens, computed over whole Arrow arrays.

Everything here works on a ``pyarrow`` string array at once (RE2 regexes in Arrow
compute kernels), never message by message: a mailing list of a million mails is
cleaned in a few passes over its buffers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["own_words", "word_tokens"]

# Order matters: the tail-cutting rules (signature, patch, forwarded original) go
# first so the line rules never see text that is about to be dropped anyway.
_TAIL_RULES = (
    # A patch or diff runs to the end of the mail: everything from its first header.
    r"(?s)(^|\n)(diff --git |Index: [^\n]*\n====|--- a/|\+\+\+ b/|@@ -\d).*$",
    # Signature: the conventional "-- " separator line (RFC 3676), or a bare "--".
    r"(?s)(^|\n)-- ?\r?\n.*$",
    # Outlook-style forwarded or replied original.
    r"(?s)(^|\n)-{2,} ?(Original Message|Forwarded message) ?-{2,}.*$",
    # Mailing-list footers added by the list software.
    r"(?s)(^|\n)_{10,}\r?\n.*$",
)
_LINE_RULES = (
    # Fenced code blocks (Markdown) and Stack Exchange style <code>/<pre> blocks.
    r"(?s)```.*?(```|$)",
    r"(?s)<pre>.*?(</pre>|$)",
    r"(?s)<code>.*?(</code>|$)",
    # Quoted lines (any depth, also "|" quoting some clients use).
    r"(?m)^[ \t]*>[^\n]*(\n|$)",
    # Attribution lines: "On Mon, 1 Jan 2001, Someone wrote:" (possibly wrapped over 2 lines).
    r"(?m)^[^\n]*\n?[^\n]*\b(wrote|writes|schrieb|a écrit|escribió)\s*:[ \t]*\r?$",
)


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
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    cleaned = pc.cast(texts, pa.string())
    for pattern in _TAIL_RULES + _LINE_RULES:
        cleaned = pc.replace_substring_regex(cleaned, pattern=pattern, replacement="")
    cleaned = pc.replace_substring_regex(cleaned, pattern=r"\n{3,}", replacement="\n\n")
    result: pa.Array = pc.utf8_trim_whitespace(cleaned)
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
