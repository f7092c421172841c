"""Affect per message: a vectorised re-implementation of VADER's rule-based sentiment scores.

VADER (Hutto & Gilbert 2014, "VADER: A Parsimonious Rule-based Model for Sentiment
Analysis of Social Media Text", ICWSM) scores a text by summing lexicon valences
adjusted by rules: boosters/dampeners, negation within three tokens, "but",
ALL-CAPS emphasis, ``!``/``?`` amplification, "kind of", "least" and a few idioms.
The lexicon and emoji descriptions are read at run time from the installed
``vaderSentiment`` package (MIT licence); nothing is bundled or downloaded.

The reference implementation loops over messages and tokens in Python (about 12k
short messages per second). Here every message of a batch is tokenised once into
one flat token array, each rule becomes a numpy expression over that array and its
shifted copies (previous 1-3 tokens), and message scores are segment sums
(``numpy.bincount``). Scores agree with ``vaderSentiment`` (tested on real messages).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.text import message_own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = ["AFFECT_COLUMNS", "NEGATIVE_THRESHOLD", "message_affect", "vader_scores"]

#: Columns of :func:`message_affect`.
AFFECT_COLUMNS = ("message_id", "compound", "pos", "neg", "neu", "is_negative")

#: VADER's conventional cut-off for a negative text (Hutto & Gilbert 2014).
NEGATIVE_THRESHOLD = -0.05

# VADER's empirically derived constants (vaderSentiment 3.3.2).
_B_INCR = 0.293
_B_DECR = -0.293
_C_INCR = 0.733
_N_SCALAR = -0.74
_ALPHA = 15.0

_NEGATE = [
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
]

_BOOST_UP = [
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
]
_BOOST_DOWN = [
    "almost",
    "barely",
    "hardly",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sorta",
    "sortof",
    "sort-of",
]
# Multi-word dampeners, matched on the joined preceding tokens.
_BOOST_PHRASES = ("just enough", "kind of", "sort of")

_SPECIAL_CASES = {
    "the shit": 3.0,
    "the bomb": 3.0,
    "bad ass": 1.5,
    "badass": 1.5,
    "bus stop": 0.0,
    "yeah right": -2.0,
    "kiss of death": -1.5,
    "to die for": 3.0,
    "beating heart": 3.5,
}

# Words the rules compare against, coded as small integers for numpy comparisons.
_WORDS: tuple[str, ...] = (
    *("no", "or", "nor", "least", "at", "very", "never", "so", "this", "without", "doubt"),
    *("but", "kind", "of"),
)
_CODE = {word: code for code, word in enumerate(_WORDS)}


@dataclass(frozen=True)
class _Lexicon:
    """Every word a rule looks up, with its attributes (the last row is "not found")."""

    vocabulary: pa.Array
    valence: npt.NDArray[np.float64]  # NaN when not in VADER's lexicon
    booster: npt.NDArray[np.float64]  # 0 when not a booster/dampener
    is_booster: npt.NDArray[np.bool_]
    negates: npt.NDArray[np.bool_]
    code: npt.NDArray[np.int64]  # index in _WORDS, -1 otherwise
    emoji_pattern: str
    emojis: dict[str, str]


@cache
def _lexicon() -> _Lexicon:
    package = files("vaderSentiment")
    lexicon: dict[str, float] = {}
    for line in package.joinpath("vader_lexicon.txt").read_text("utf-8").rstrip("\n").split("\n"):
        if line:
            word, measure = line.strip().split("\t")[0:2]
            lexicon[word] = float(measure)
    emojis: dict[str, str] = {}
    emoji_text = package.joinpath("emoji_utf8_lexicon.txt").read_text("utf-8")
    for line in emoji_text.rstrip("\n").split("\n"):
        emoji, description = line.strip().split("\t")[0:2]
        emojis[emoji] = description
    # VADER replaces emoji one code point at a time, so only one-code-point keys ever match.
    singles = sorted(e for e in emojis if len(e) == 1)
    pattern = "[" + "".join(f"\\x{{{ord(e):x}}}" for e in singles) + "]"

    boosters = {word: _B_INCR for word in _BOOST_UP} | {word: _B_DECR for word in _BOOST_DOWN}
    words = list(dict.fromkeys([*lexicon, *boosters, *_NEGATE, *_WORDS]))
    sentinel = 1  # one extra row for tokens found nowhere (index -1)
    valence = np.full(len(words) + sentinel, np.nan)
    booster = np.zeros(len(words) + sentinel)
    negates = np.zeros(len(words) + sentinel, dtype=bool)
    code = np.full(len(words) + sentinel, -1, dtype=np.int64)
    negate_set = set(_NEGATE)
    for i, word in enumerate(words):
        valence[i] = lexicon.get(word, np.nan)
        booster[i] = boosters.get(word, 0.0)
        negates[i] = word in negate_set or "n't" in word
        code[i] = _CODE.get(word, -1)
    return _Lexicon(
        vocabulary=pa.array(words, type=pa.string()),
        valence=valence,
        booster=booster,
        is_booster=booster != 0,
        negates=negates,
        code=code,
        emoji_pattern=pattern,
        emojis=emojis,
    )


def _replace_emoji(texts: pa.Array, lexicon: _Lexicon) -> pa.Array:
    """Replace emoji by their descriptions, exactly as VADER does (only texts that have any)."""
    candidates = np.flatnonzero(~pc.string_is_ascii(texts).to_numpy(zero_copy_only=False))
    if candidates.size == 0:
        return texts
    subset = texts.take(pa.array(candidates))
    has_emoji = pc.match_substring_regex(subset, lexicon.emoji_pattern).to_numpy(
        zero_copy_only=False
    )
    rows = candidates[has_emoji]
    if rows.size == 0:
        return texts
    values = texts.to_pylist()
    for row in rows:
        # Few texts carry emoji; VADER's character scan is reproduced only for them.
        out: list[str] = []
        prev_space = True
        for char in values[row]:
            description = lexicon.emojis.get(char)
            if description is not None:
                if not prev_space:
                    out.append(" ")
                out.append(description)
                prev_space = False
            else:
                out.append(char)
                prev_space = char == " "
        values[row] = "".join(out)
    return pa.array(values, type=pa.string())


def vader_scores(texts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """VADER polarity scores of many texts at once.

    Parameters
    ----------
    texts
        Texts to score (null scores as empty).

    Returns
    -------
    pyarrow.Table
        ``compound, pos, neg, neu`` per text, rounded as ``vaderSentiment`` rounds them.

    Examples
    --------
    >>> import pyarrow as pa
    >>> scores = vader_scores(pa.array(["VADER is smart, handsome, and funny!", "", None]))
    >>> scores.column("compound").to_pylist()
    [0.8439, 0.0, 0.0]
    """
    _lexicon()  # built once, before the threads share it
    # Texts are scored independently: slices run in threads and bound the token arrays.
    return map_chunks(_vader_slice, texts)


def _vader_slice(texts: pa.Array) -> pa.Table:
    lex = _lexicon()
    n_texts = len(texts)
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    texts = pc.utf8_trim_whitespace(_replace_emoji(texts, lex))
    # Arrow's Unicode whitespace split matches Python's str.split().
    # An empty text has no tokens (Arrow would give it one empty token).
    nonempty = pc.if_else(pc.equal(pc.utf8_length(texts), 0), pa.scalar(None, pa.string()), texts)
    lists = pc.utf8_split_whitespace(nonempty)
    offsets = lists.offsets.to_numpy().astype(np.int64)
    n_tokens = np.diff(offsets)
    raw = lists.values

    # Word frequencies are heavy-tailed: the per-token string work runs once per
    # distinct raw token (the dictionary) and is spread back by the codes.
    encoded = pc.dictionary_encode(raw)
    words = encoded.dictionary
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    # VADER strips surrounding punctuation unless that leaves 2 characters or fewer.
    stripped = pc.utf8_trim(words, characters=string.punctuation)
    distinct = pc.if_else(pc.less_equal(pc.utf8_length(stripped), 2), words, stripped)
    distinct_lowered = pc.utf8_lower(distinct)

    def lowered(positions: npt.NDArray[np.int64]) -> pa.Array:
        """Lower-cased, stripped tokens at flat token ``positions``."""
        return distinct_lowered.take(pa.array(codes[positions]))

    upper = pc.utf8_is_upper(distinct).to_numpy(zero_copy_only=False)[codes]
    cum_upper = np.concatenate(([0], np.cumsum(upper.astype(np.int64))))
    n_upper = cum_upper[offsets[1:]] - cum_upper[offsets[:-1]]
    # ALL-CAPS emphasis only counts when some, but not all, tokens are in capitals.
    cap_diff = (n_upper > 0) & (n_upper < n_tokens)

    vid_distinct = pc.fill_null(pc.index_in(distinct_lowered, value_set=lex.vocabulary), -1)
    vid = vid_distinct.to_numpy().astype(np.int64)[codes]
    n = len(vid)
    in_lex = ~np.isnan(lex.valence[vid])
    word_code = lex.code[vid]
    kind_at = np.flatnonzero(word_code == _CODE["kind"])
    kind_of = np.zeros(n, dtype=bool)
    if kind_at.size:
        follows = np.minimum(kind_at + 1, n - 1)
        kind_of[kind_at] = (word_code[follows] == _CODE["of"]) & (follows > kind_at)
        kind_of[kind_at] &= _message_of(kind_at, offsets) == _message_of(follows, offsets)
    idx = np.flatnonzero(in_lex & ~lex.is_booster[vid] & ~kind_of)
    msg_i = _message_of(idx, offsets)
    pos_i = idx - offsets[msg_i]
    rem_i = n_tokens[msg_i] - pos_i - 1
    caps_i = cap_diff[msg_i]

    def before(k: int) -> npt.NDArray[np.int64]:
        """Vocabulary ids of the k-th preceding token (-1 when there is none)."""
        return np.where(pos_i >= k, vid[np.maximum(idx - k, 0)], -1)

    prev_vid = {k: before(k) for k in (1, 2, 3)}
    c1, c2, c3 = (lex.code[prev_vid[k]] for k in (1, 2, 3))
    next_vid = np.where(rem_i > 0, vid[np.minimum(idx + 1, n - 1)], -1)

    base = lex.valence[vid[idx]]
    valence = base.copy()
    # "no" followed by a lexicon word is a negator, not a negative word.
    no_code = _CODE["no"]
    no_here = (lex.code[vid[idx]] == no_code) & (rem_i > 0) & ~np.isnan(lex.valence[next_vid])
    no_here &= next_vid >= 0
    valence = np.where(no_here, 0.0, valence)
    no_before = (
        (c1 == no_code)
        | (c2 == no_code)
        | ((c3 == no_code) & ((c1 == _CODE["or"]) | (c1 == _CODE["nor"])))
    )
    valence = np.where(no_before, base * _N_SCALAR, valence)
    own_caps = upper[idx] & caps_i
    valence = np.where(
        own_caps, np.where(valence > 0, valence + _C_INCR, valence - _C_INCR), valence
    )

    so_this = (_CODE["so"], _CODE["this"])
    for start in range(3):
        k = start + 1
        j = np.maximum(idx - k, 0)
        pv = prev_vid[k]
        active = (pos_i > start) & np.isnan(lex.valence[pv])
        scalar = lex.booster[pv]
        scalar = np.where(valence < 0, -scalar, scalar)
        booster_caps = upper[j] & caps_i & lex.is_booster[pv]
        scalar = np.where(
            booster_caps, np.where(valence > 0, scalar + _C_INCR, scalar - _C_INCR), scalar
        )
        if start == 1:
            scalar = scalar * 0.95
        elif start == 2:
            scalar = scalar * 0.9
        valence = np.where(active, valence + scalar, valence)
        negates = lex.negates[pv]
        unknown = active & (pv < 0)
        if unknown.any():
            # Words outside every list can still negate by containing "n't" (e.g. "shouldn't've").
            rows = np.flatnonzero(unknown)
            found = pc.match_substring(lowered(j[rows]), "n't")
            negates = negates.copy()
            negates[rows] = found.to_numpy(zero_copy_only=False)
        if start == 0:
            factor = np.where(negates, _N_SCALAR, 1.0)
        elif start == 1:
            factor = np.where(
                (c2 == _CODE["never"]) & np.isin(c1, so_this),
                1.25,
                np.where(
                    (c2 == _CODE["without"]) & (c1 == _CODE["doubt"]),
                    1.0,
                    np.where(negates, _N_SCALAR, 1.0),
                ),
            )
        else:
            factor = np.where(
                ((c3 == _CODE["never"]) & np.isin(c2, so_this)) | np.isin(c1, so_this),
                1.25,
                np.where(
                    (c3 == _CODE["without"]) & ((c2 == _CODE["doubt"]) | (c1 == _CODE["doubt"])),
                    1.0,
                    np.where(negates, _N_SCALAR, 1.0),
                ),
            )
        valence = np.where(active, valence * factor, valence)
        if start == 2:
            # Idioms need one of their distinctive words nearby: without any in the
            # slice, no token can be part of one.
            idiom_distinct = pc.is_in(distinct_lowered, value_set=_idiom_words())
            if pc.any(idiom_distinct).as_py():
                idiom_word = idiom_distinct.to_numpy(zero_copy_only=False)[codes]
                valence = _idioms(valence, active, idx, lowered, idiom_word, pos_i, rem_i)

    least_code = _CODE["least"]
    least_1 = (pos_i > 0) & np.isnan(lex.valence[prev_vid[1]]) & (c1 == least_code)
    least_neg = least_1 & ((pos_i == 1) | ((c2 != _CODE["at"]) & (c2 != _CODE["very"])))
    valence = np.where(least_neg, valence * _N_SCALAR, valence)

    # "but": sentiment before the first "but" halves, after it grows by half.
    but_at = np.flatnonzero(word_code == _CODE["but"])
    none = np.iinfo(np.int64).max
    first_but = np.full(n_texts, none, dtype=np.int64)
    but_msg = _message_of(but_at, offsets)
    # but_at is ascending: a text's first entry is its first "but".
    with_but, first = np.unique(but_msg, return_index=True)
    first_but[with_but] = but_at[first] - offsets[with_but]
    fb = first_but[msg_i]
    but_factor = np.where(
        fb == none, 1.0, np.where(pos_i < fb, 0.5, np.where(pos_i > fb, 1.5, 1.0))
    )
    valence = valence * but_factor

    return _score(valence, msg_i, n_tokens, texts)


@cache
def _idiom_words() -> pa.Array:
    """Distinctive words of the idioms and dampener phrases.

    The common words (``the``, ``of``, ``to``, ``for``) are left out: every idiom and
    phrase still has at least one word here.
    """
    common = {"the", "of", "to", "for"}
    words = {word for phrase in (*_SPECIAL_CASES, *_BOOST_PHRASES) for word in phrase.split()}
    return pa.array(sorted(words - common), type=pa.string())


def _message_of(
    token: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Index of the text each flat token position belongs to."""
    result: npt.NDArray[np.int64] = np.searchsorted(offsets, token, side="right") - 1
    return result


def _idioms(
    valence: npt.NDArray[np.float64],
    active: npt.NDArray[np.bool_],
    idx: npt.NDArray[np.int64],
    lowered: Callable[[npt.NDArray[np.int64]], pa.Array],
    idiom_word: npt.NDArray[np.bool_],
    pos_i: npt.NDArray[np.int64],
    rem_i: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """VADER's special-case idioms and multi-word dampeners, for tokens with 3 predecessors.

    Only tokens with a distinctive idiom word (``idiom_word``, per flat token) among the
    words the look-ups join can change: every idiom and dampener phrase contains one.
    """
    n = len(idiom_word)
    rows = np.flatnonzero(active & (pos_i >= 3))
    near = np.zeros(rows.size, dtype=bool)
    for offset in (-3, -2, -1, 0, 1, 2):
        near |= idiom_word[np.clip(idx[rows] + offset, 0, n - 1)]
    rows = rows[near]
    if rows.size == 0:
        return valence
    at = idx[rows]

    def word(offset: int) -> pa.Array:
        return lowered(np.clip(at + offset, 0, n - 1))

    w0, w1, w2, w3 = word(0), word(-1), word(-2), word(-3)
    joined = {
        "onezero": pc.binary_join_element_wise(w1, w0, " "),
        "twoonezero": pc.binary_join_element_wise(w2, w1, w0, " "),
        "twoone": pc.binary_join_element_wise(w2, w1, " "),
        "threetwoone": pc.binary_join_element_wise(w3, w2, w1, " "),
        "threetwo": pc.binary_join_element_wise(w3, w2, " "),
    }
    special_keys = pa.array(list(_SPECIAL_CASES))
    special_values = np.array(list(_SPECIAL_CASES.values()))

    def lookup(strings: pa.Array) -> npt.NDArray[np.float64]:
        index = pc.fill_null(pc.index_in(strings, value_set=special_keys), -1).to_numpy()
        return np.where(index >= 0, special_values[np.maximum(index, 0)], np.nan)

    current = valence[rows]
    # The first matching preceding sequence wins, in VADER's order.
    chosen = np.full(rows.size, np.nan)
    for name in ("onezero", "twoonezero", "twoone", "threetwoone", "threetwo"):
        found = lookup(joined[name])
        chosen = np.where(np.isnan(chosen), found, chosen)
    current = np.where(np.isnan(chosen), current, chosen)
    r = rem_i[rows]
    w_next1, w_next2 = word(1), word(2)
    zeroone = lookup(pc.binary_join_element_wise(w0, w_next1, " "))
    current = np.where((r >= 1) & ~np.isnan(zeroone), zeroone, current)
    zeroonetwo = lookup(pc.binary_join_element_wise(w0, w_next1, w_next2, " "))
    current = np.where((r >= 2) & ~np.isnan(zeroonetwo), zeroonetwo, current)
    phrases = pa.array(list(_BOOST_PHRASES))
    for name in ("threetwoone", "threetwo", "twoone"):
        hit = pc.fill_null(pc.is_in(joined[name], value_set=phrases), False).to_numpy(
            zero_copy_only=False
        )
        current = np.where(hit, current + _B_DECR, current)
    out = valence.copy()
    out[rows] = current
    return out


def _score(
    valence: npt.NDArray[np.float64],
    msg: npt.NDArray[np.int64],
    n_tokens: npt.NDArray[np.int64],
    texts: pa.Array,
) -> pa.Table:
    """Sum token sentiments per text into VADER's compound, pos, neg and neu."""
    n_texts = len(n_tokens)
    total = np.bincount(msg, weights=valence, minlength=n_texts)
    bangs = np.minimum(_count_byte(texts, b"!"), 4) * 0.292
    questions = _count_byte(texts, b"?")
    qm = np.where(questions > 1, np.where(questions <= 3, questions * 0.18, 0.96), 0.0)
    amplifier = bangs + qm
    total = np.where(total > 0, total + amplifier, np.where(total < 0, total - amplifier, total))
    compound = np.clip(total / np.sqrt(total * total + _ALPHA), -1.0, 1.0)

    positive = np.where(valence > 0, valence + 1, 0.0)
    negative = np.where(valence < 0, valence - 1, 0.0)
    pos_sum = np.bincount(msg, weights=positive, minlength=n_texts)
    neg_sum = np.bincount(msg, weights=negative, minlength=n_texts)
    # Every token that is not a scored non-zero sentiment counts as neutral.
    nonzero = np.bincount(msg, weights=(valence != 0).astype(np.float64), minlength=n_texts)
    neu_count = n_tokens - nonzero
    more_positive = pos_sum > np.abs(neg_sum)
    more_negative = pos_sum < np.abs(neg_sum)
    pos_sum = np.where(more_positive, pos_sum + amplifier, pos_sum)
    neg_sum = np.where(more_negative, neg_sum - amplifier, neg_sum)
    denominator = pos_sum + np.abs(neg_sum) + neu_count
    empty = n_tokens == 0
    safe = np.where(empty, 1.0, denominator)
    zero = np.zeros(n_texts)
    return pa.table(
        {
            "compound": np.where(empty, zero, np.round(compound, 4)),
            "pos": np.where(empty, zero, np.round(np.abs(pos_sum / safe), 3)),
            "neg": np.where(empty, zero, np.round(np.abs(neg_sum / safe), 3)),
            "neu": np.where(empty, zero, np.round(np.abs(neu_count / safe), 3)),
        }
    )


def _count_byte(texts: pa.Array, char: bytes) -> npt.NDArray[np.int64]:
    """Occurrences of an ASCII character in each text (``count_substring``, on the bytes).

    In UTF-8 an ASCII byte is always that character, never part of another one.
    """
    n = len(texts)
    if texts.null_count or texts.type != pa.string():
        counts: npt.NDArray[np.int64] = pc.count_substring(texts, char.decode()).to_numpy()
        return counts.astype(np.int64)
    buffers = texts.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[texts.offset : texts.offset + n + 1]
    if n == 0 or buffers[2] is None or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    at = np.flatnonzero(data == char[0]) + offsets[0]
    text = np.searchsorted(offsets, at, side="right") - 1
    result: npt.NDArray[np.int64] = np.bincount(text, minlength=n).astype(np.int64)
    return result


def message_affect(trace: Trace) -> pa.Table:
    """VADER-compatible affect of every message's own words.

    Quoted text, attributions, signatures, code and patches are stripped first
    (:func:`undertow.features.text.own_words`). Cached on the trace.

    Returns
    -------
    pyarrow.Table
        ``message_id, compound, pos, neg, neu, is_negative`` (``compound <= -0.05``),
        one row per message, in the trace's message order.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "This is awful."}])
    >>> message_affect(trace).column("is_negative").to_pylist()
    [True]
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        scores = vader_scores(message_own_words(trace))
        compound = scores.column("compound")
        return pa.table(
            {
                "message_id": messages.column("message_id"),
                "compound": compound,
                "pos": scores.column("pos"),
                "neg": scores.column("neg"),
                "neu": scores.column("neu"),
                "is_negative": pc.less_equal(compound, NEGATIVE_THRESHOLD),
            }
        )

    result: pa.Table = trace.cached("message_affect", compute)
    return result
