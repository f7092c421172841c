"""Idea uptake: new terms a person introduces and whether others adopt them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.byte_words import byte_runs, encode_runs
from undertow.features.inequality import gini
from undertow.features.threads import distinct
from undertow.model.parallel import thread_map
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["STOP_WORDS", "idea_uptake", "idea_uptake_summary", "term_introductions"]

_STOP_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don
    down during each even few for from further get got had hadn has hasn have haven having he
    her here hers herself him himself his how however i if in into is isn it its itself just
    let like ll me might more most must mustn my myself no nor not now of off on once one only
    or other ought our ours ourselves out over own re same shall shan she should shouldn so
    some such than that the their theirs them themselves then there these they this those
    through thus to too under until up us ve very was wasn we were weren what when where which
    while who whom why will with won would wouldn yes yet you your yours yourself yourselves
    thanks thank please hi hello regards best cheers sorry ok okay well still think know see
    want need use used using way make made much many really something anything maybe sure
"""

#: English function and filler words removed before forming terms.
STOP_WORDS = tuple(_STOP_TEXT.split())

#: Terms first seen in this leading share of the trace's time span predate the archive
#: and are not credited to whoever happened to write first.
BURN_IN = 0.1

#: An introduced term is adopted when at least this many other people use it later.
MIN_ADOPTERS = 2

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

_STOP_ARRAY = pa.array(sorted(w for w in STOP_WORDS if len(w) >= 3), pa.large_string())

# Lower-casing maps ASCII A-Z to a-z, and no other character to an ASCII letter except
# these two (checked over every code point against DuckDB's ``lower``).
_LOWER_TO_ASCII = (("\u0130", "i"), ("\u212a", "k"))

#: Byte -> its lower-case letter; every other byte (ASCII or part of a multi-byte
#: character) -> space.
_LETTER_BYTES = np.full(256, ord(" "), dtype=np.uint8)
_LETTER_BYTES[ord("a") : ord("z") + 1] = np.arange(ord("a"), ord("z") + 1)
_LETTER_BYTES[ord("A") : ord("Z") + 1] = np.arange(ord("a"), ord("z") + 1)

#: Messages tokenised and reduced at a time (bounds the memory of the word arrays).
_SLICE_ROWS = 250_000

#: (term, author) keys must stay below this (64-bit integers).
_KEY_LIMIT = 2**63


def _words(texts: pa.Array) -> tuple[Int32Array, Int32Array, pa.Array]:
    """Words of ``texts``: codes into a dictionary, their text's row, and the dictionary.

    A word is a run of the letters a-z in the lower-cased text (any other character
    separates words) of three or more letters that is not a stop word; words keep
    their text order. Vectorised over the UTF-8 bytes: letters come from a lookup
    table, runs from comparing neighbours, codes from one dictionary encoding.
    """
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    if len(texts) and not pc.all(pc.string_is_ascii(texts)).as_py():
        for character, letter in _LOWER_TO_ASCII:
            texts = pc.replace_substring(texts, character, letter)
    runs = byte_runs(texts, _LETTER_BYTES)
    mapped, starts, ends = runs.mapped, runs.starts, runs.ends
    long_enough = ends - starts >= 3
    starts, ends = starts[long_enough], ends[long_enough]
    row = runs.rows(starts, dtype=np.int32)
    wide, dictionary = encode_runs(mapped, starts, ends)
    codes = wide.astype(np.int32)
    stop = np.asarray(
        pc.is_in(dictionary, value_set=_STOP_ARRAY).to_numpy(zero_copy_only=False), dtype=bool
    )
    keep = ~stop[codes]
    return codes[keep], row[keep], dictionary


def _earliest(key: IntArray, time: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct keys and the earliest time of each."""
    codes, unique = pd.factorize(key)
    earliest = np.full(len(unique), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, codes, time)
    return np.asarray(unique, dtype=np.int64), earliest


def _introductions(
    texts: pa.Array, author: IntArray, time: IntArray, n_people: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Per term: introducer (author code), first use (µs) and adopters; in no set order.

    Terms are the words of :func:`_words` and pairs of adjacent words. Author codes
    must follow the order of the pseudonyms (a tie in time goes to the smallest).
    """
    starts = list(range(0, len(texts), _SLICE_ROWS))
    parts = thread_map(lambda start: _words(texts.slice(start, _SLICE_ROWS)), starts)
    empty = np.zeros(0, dtype=np.int64)
    if not parts:
        return empty, empty, empty
    vocabulary = pc.unique(pa.concat_arrays([part[2] for part in parts]))
    size = len(vocabulary)

    def words(
        part: tuple[Int32Array, Int32Array, pa.Array], start: int
    ) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """Vocabulary codes, messages, word-pair codes ``u * size + w``, pair mask."""
        codes, row, dictionary = part
        recode = pc.index_in(dictionary, value_set=vocabulary).to_numpy(zero_copy_only=False)
        word = np.asarray(recode, dtype=np.int64)[codes]
        message = row.astype(np.int64) + start
        pair = message[1:] == message[:-1]
        return word, message, word[:-1][pair] * size + word[1:][pair], pair

    # Word ``w`` is term ``w``, a pair is term ``size + its code``; a (term, author) key
    # is ``term * n_people + author``. Pair codes are made dense first when the key
    # could overflow 64 bits (millions of distinct words).
    dense: IntArray | None = None
    if (size + 1) * size * max(n_people, 1) >= _KEY_LIMIT:
        dense = distinct(
            np.concatenate(
                [empty, *(words(part, start)[2] for part, start in zip(parts, starts, strict=True))]
            )
        )
        if (size + dense.size) * max(n_people, 1) >= _KEY_LIMIT:
            raise ValueError("too many distinct terms to code (term, author) in 64 bits")

    def firsts(
        part: tuple[Int32Array, Int32Array, pa.Array], start: int
    ) -> tuple[IntArray, IntArray]:
        word, message, pairs, pair = words(part, start)
        if dense is not None:
            pairs = np.searchsorted(dense, pairs)
        term = np.concatenate([word, size + pairs])
        used_in = np.concatenate([message, message[:-1][pair]])
        return _earliest(term * n_people + author[used_in], time[used_in])

    # Slice by slice (each slice's words are dropped once reduced).
    reduced = [firsts(parts.pop(0), start) for start in starts]
    key, first = _earliest(
        np.concatenate([part[0] for part in reduced]),
        np.concatenate([part[1] for part in reduced]),
    )
    term, terms = pd.factorize(key // n_people)
    person = key % n_people
    t0 = np.full(len(terms), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(t0, term, first)
    earliest = first == t0[term]
    introducer = np.full(len(terms), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(introducer, term[earliest], person[earliest])
    adopters = np.bincount(term[first > t0[term]], minlength=len(terms)).astype(np.int64)
    return introducer, t0, adopters


def term_introductions(trace: Trace) -> pa.Table:
    """One row per term: who introduced it, when (µs), and how many others adopted it later.

    Terms are words (runs of the letters a-z after lower-casing) of three or more letters
    and adjacent word pairs after stop-word removal, tokenised over the texts' bytes
    (vectorised, in row slices). Memoised; the terms themselves are not
    returned, so no output can carry a name that slipped through masking.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([
    ...     {"message_id": "1", "author_id": "a", "text": "flux capacitor"},
    ...     {"message_id": "2", "author_id": "b", "text": "the flux"},
    ...     {"message_id": "3", "author_id": "c", "text": "flux!"},
    ... ])
    >>> sorted(term_introductions(trace)["adopters"].to_pylist())
    [0, 0, 2]
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        authors = messages.column("author_id")
        people = pc.unique(authors)
        people = people.take(pc.array_sort_indices(people))
        author = np.asarray(
            pc.index_in(authors, value_set=people).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        created = messages.column("created_at").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        time = np.asarray(created.to_numpy(zero_copy_only=False), dtype=np.int64)
        texts = messages.column("text").combine_chunks()
        introducer, t0, adopters = _introductions(texts, author, time, len(people))
        return pa.table(
            {
                "person_id": people.take(pa.array(introducer)),
                "t0": pa.array(t0, pa.int64()),
                "adopters": pa.array(adopters, pa.int64()),
            }
        )

    return trace.cached("term_introductions", compute)


def _introductions_after_burn_in(trace: Trace) -> pa.Table:
    table = term_introductions(trace)
    if table.num_rows == 0:
        return table
    created = trace.arrow("messages").column("created_at").cast(pa.int64())
    times = np.asarray(created.to_numpy(), dtype=np.int64)
    cutoff = times.min() + BURN_IN * (times.max() - times.min())
    t0 = table.column("t0").to_numpy()
    return table.filter(pa.array(t0 >= cutoff))


def _per_person(trace: Trace) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    table = _introductions_after_burn_in(trace)
    if table.num_rows == 0:
        return pa.array([], pa.string()), np.zeros(0), np.zeros(0)
    # Introducers sorted by pseudonym (UTF-8 byte order is code point order).
    introducer = table.column("person_id")
    people = pc.unique(introducer)
    people = people.take(pc.array_sort_indices(people))
    inverse = np.asarray(
        pc.index_in(introducer, value_set=people).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    adopted = table.column("adopters").to_numpy() >= MIN_ADOPTERS
    introduced = np.bincount(inverse, minlength=len(people)).astype(np.float64)
    n_adopted = np.bincount(inverse, weights=adopted.astype(np.float64), minlength=len(people))
    return people.cast(pa.string()), introduced, n_adopted


@metric(
    theme="knowledge",
    columns=("person_id", "n_introduced", "n_adopted", "adoption_rate", "n"),
    source="Idea uptake as diffusion of new terms (cf. Demszky et al. 2021, conversational uptake)",
)
def idea_uptake(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Per person: new terms introduced, how many others adopted, and the adoption rate.

    A term (word or adjacent word pair after stop-word removal) is introduced by the
    first person to use it, unless that falls in the first 10 % of the trace's time
    span; it is adopted when at least two other people use it later. Only counts are
    returned, never the terms.

    Returns
    -------
    pyarrow.Table
        ``person_id, n_introduced, n_adopted, adoption_rate, n`` (``n`` = terms introduced),
        sorted by ideas adopted.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> idea_uptake(make_trace([])).num_rows
    0
    """
    people, introduced, adopted = _per_person(trace)
    order = np.lexsort((np.arange(introduced.size), -introduced, -adopted))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(introduced > 0, adopted / np.maximum(introduced, 1), np.nan)
    return pa.table(
        {
            "person_id": people.take(pa.array(order, pa.int64())),
            "n_introduced": pa.array(introduced[order].astype(np.int64), pa.int64()),
            "n_adopted": pa.array(adopted[order].astype(np.int64), pa.int64()),
            "adoption_rate": pa.array(rate[order], pa.float64()),
            "n": pa.array(introduced[order].astype(np.int64), pa.int64()),
        }
    )


@metric(
    seeded=True,
    theme="knowledge",
    columns=(
        "n_terms",
        "n_adopted",
        "adoption_rate",
        "adoption_rate_lo",
        "adoption_rate_hi",
        "adopted_ideas_gini",
        "n",
        "n_people",
    ),
    source="Idea uptake as diffusion of new terms (cf. Demszky et al. 2021, conversational uptake)",
)
def idea_uptake_summary(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Community-level idea uptake: terms introduced, share adopted, and who gets adopted.

    ``adoption_rate`` has a CI resampling introducers; ``adopted_ideas_gini`` is the Gini
    of adopted ideas across introducers (high = a few people's ideas spread).

    Returns
    -------
    pyarrow.Table
        One row: ``n_terms, n_adopted, adoption_rate, adoption_rate_lo,
        adoption_rate_hi, adopted_ideas_gini, n`` (= ``n_terms``), ``n_people`` (introducers).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> idea_uptake_summary(make_trace([])).num_rows
    0
    """
    _, introduced, adopted = _per_person(trace)
    schema = pa.schema(
        [pa.field("n_terms", pa.int64()), pa.field("n_adopted", pa.int64())]
        + [
            pa.field(c, pa.float64())
            for c in ("adoption_rate", "adoption_rate_lo", "adoption_rate_hi", "adopted_ideas_gini")
        ]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    if introduced.size == 0:
        return schema.empty_table()
    rate, lo, hi = bootstrap_ratio_ci(adopted, introduced, seed=seed)
    row = {
        "n_terms": int(introduced.sum()),
        "n_adopted": int(adopted.sum()),
        "adoption_rate": rate,
        "adoption_rate_lo": lo,
        "adoption_rate_hi": hi,
        "adopted_ideas_gini": gini(adopted),
        "n": int(introduced.sum()),
        "n_people": int(introduced.size),
    }
    return pa.Table.from_pylist([row], schema=schema)
