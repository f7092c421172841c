"""Words as runs of bytes: a vectorised tokeniser over a string column's UTF-8 buffer.

A 256-entry table maps every byte either to a word byte (e.g. a lower-cased letter) or to
a space; the words are the maximal runs of word bytes inside each text. Runs come from
comparing neighbouring bytes, rows from the text offsets, word codes from one dictionary
encoding: no Python loop over texts or words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ByteRuns", "byte_runs", "encode_runs"]

IntArray = npt.NDArray[np.int64]
ByteArray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class ByteRuns:
    """Word runs of a column of texts.

    ``raw`` holds the texts' bytes and ``mapped`` the same bytes through the table;
    ``bounds`` are the texts' offsets into them (``len(texts) + 1``); word ``i`` is
    ``mapped[starts[i]:ends[i]]``, in text order.
    """

    raw: ByteArray
    mapped: ByteArray
    bounds: IntArray
    starts: IntArray
    ends: IntArray

    def rows(
        self, starts: IntArray | None = None, dtype: type[np.signedinteger] = np.int64
    ) -> npt.NDArray[np.signedinteger]:
        """The text (row) of every run, or of the runs beginning at ``starts`` (ascending)."""
        begins = self.starts if starts is None else starts
        per_text = np.diff(np.searchsorted(begins, self.bounds))
        return np.repeat(np.arange(self.bounds.size - 1, dtype=dtype), per_text)


def byte_runs(texts: pa.Array, table: ByteArray) -> ByteRuns:
    """Runs of bytes that ``table`` maps to something other than a space, per text.

    Parameters
    ----------
    texts
        A ``large_string`` array without nulls.
    table
        256 bytes: the word byte each byte stands for, or ``ord(" ")`` for a separator.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> table = np.full(256, ord(" "), dtype=np.uint8)
    >>> table[ord("a") : ord("z") + 1] = np.arange(ord("a"), ord("z") + 1)
    >>> runs = byte_runs(pa.array(["ab c", "de"], pa.large_string()), table)
    >>> runs.starts.tolist(), runs.ends.tolist(), runs.rows().tolist()
    ([0, 3, 4], [2, 4, 6], [0, 0, 1])
    """
    _, offsets_buffer, data = texts.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    begin = int(offsets[0])
    n_bytes = int(offsets[-1]) - begin
    raw = (
        np.frombuffer(data, dtype=np.uint8, count=n_bytes, offset=begin)
        if data is not None and n_bytes
        else np.zeros(0, dtype=np.uint8)
    )
    mapped = table[raw]
    word = mapped != ord(" ")
    # Runs of word bytes: changes between neighbours alternate start, end, start, ...
    changes = np.flatnonzero(word[1:] != word[:-1]) + 1
    if word.size and word[0]:
        changes = np.concatenate([[0], changes])
    if word.size and word[-1]:
        changes = np.concatenate([changes, [word.size]])
    starts, ends = changes[0::2], changes[1::2]
    # A run across the end of one text and the start of the next is two words.
    bounds = offsets - begin
    cuts = bounds[1:-1]
    cuts = cuts[(cuts > 0) & (cuts < word.size)]
    cuts = cuts[word[cuts] & word[cuts - 1]]
    if cuts.size:
        starts = np.insert(starts, np.searchsorted(starts, cuts), cuts)
        ends = np.insert(ends, np.searchsorted(ends, cuts), cuts)
    return ByteRuns(raw=raw, mapped=mapped, bounds=bounds, starts=starts, ends=ends)


def encode_runs(mapped: ByteArray, starts: IntArray, ends: IntArray) -> tuple[IntArray, pa.Array]:
    """Dictionary codes of the words ``mapped[starts[i]:ends[i]]``, and the dictionary.

    Examples
    --------
    >>> import numpy as np
    >>> mapped = np.frombuffer(b"ab ab cd", dtype=np.uint8)
    >>> codes, words = encode_runs(mapped, np.array([0, 3, 6]), np.array([2, 5, 8]))
    >>> codes.tolist(), words.to_pylist()
    ([0, 0, 2], ['ab', ' ', 'cd'])
    """
    # The words and the gaps between them as one string array over the mapped bytes:
    # the words are its even elements.
    bounds = np.empty(2 * starts.size, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = ends
    pieces = pa.LargeStringArray.from_buffers(
        max(bounds.size - 1, 0), pa.py_buffer(bounds), pa.py_buffer(mapped)
    )
    encoded = pc.dictionary_encode(pieces)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    codes = indices[0::2] if starts.size else np.zeros(0, dtype=np.int64)
    return codes, encoded.dictionary
