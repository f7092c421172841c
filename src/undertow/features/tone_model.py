"""Linear tone models on hashed word and character n-grams, scored over whole Arrow arrays.

A tone model (hostility, polarity, or a community's own labels) is a multinomial
logistic regression on three groups of hashed features plus a few dense ones:

- word unigrams and word bigrams (lower-cased words of letters, digits and ``'``);
- character 3-, 4- and 5-grams inside each word, with word-boundary marks (they carry
  misspellings, inflections and obfuscated profanity: ``f*ck`` shares ``<f*`` with it);
- dense features: VADER compound, positive and negative shares (its MIT lexicon, read at
  run time from ``vaderSentiment``), runs of emphatic punctuation (``!!``, ``?!``), question
  marks per ten words (a help request asks many questions; a rant repeats them), the share
  of ALL-CAPS words,
  a count of profanity and insults (:data:`PROFANITY`, undertow's own list) and whether
  an insult is aimed at the reader or their work (``you idiot``, ``stupid question``,
  ``did you even try``, ``stop wasting our time``), and the text's length.

Each group is counted per text and divided by the square root of the group's count in
that text, so long texts are not more extreme by being long. Hashing (a polynomial
hash of the UTF-8 bytes, finalised by SplitMix64, into ``2**BITS`` buckets) is
computed with numpy over the bytes of all distinct words at once; a text's score is
one sparse product of its word counts with each word's weights (unigram and character
n-grams summed per distinct word) and one of its bigram counts with the bigram weights.
The word tokens of ASCII texts and their count of words in capitals come from numpy
scans of the text bytes (other texts go through the Arrow regexes and split, with the
same result). Nothing here loops over messages in Python; scoring needs numpy, pyarrow
and ``scipy.sparse``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from undertow.errors import InputError
from undertow.features.affect import vader_scores
from undertow.features.text import byte_runs, lower_case, string_bytes, word_tokens

__all__ = [
    "BITS",
    "DENSE_FEATURES",
    "PROFANITY",
    "ToneFeatures",
    "ToneModel",
    "auc",
    "best_threshold",
    "binary_figures",
    "cross_validated",
    "macro_f1",
    "shipped_model",
    "stratified_folds",
    "tone_features",
]

#: Hash buckets are ``2**BITS``.
BITS = 18
_N_BUCKETS = 1 << BITS

#: Profanity and insults (RE2 on lower-cased text): undertow's own list, no third-party lexicon.
PROFANITY = (
    r"\b(?:f+u+c+k\w*|f\*+\w*|wtf|stfu|gtfo|shit\w*|bullshit|crap\w*|damn\w*|goddamn\w*|"
    r"idiot\w*|moron\w*|stupid\w*|dumb\w*|retard\w*|imbecil\w*|cretin\w*|"
    r"ass|asshole\w*|arse\w*|bitch\w*|bastard\w*|dick\w*|suck\w*|sux|"
    r"pathetic|ridiculous|useless|garbage|trash|rubbish|lazy|incompetent|clueless|"
    r"joke|disgrac\w*|shame(?:ful|less)?|hell|piss\w*|screw (?:you|this|it)|shut up|"
    r"go away|get lost|rtfm|lmgtfy|bloody|insane|nonsense|worthless|awful|terrible|horrible)\b"
)
_AIMED_INSULT = (
    r"\b(?:you(?:'re| are)?|ur|your)\s+(?:an?\s+|so\s+|such an?\s+|really\s+|just\s+)?"
    r"(?:f+u+c+k\w*|idiot\w*|moron\w*|stupid|dumb\w*|retard\w*|clueless|incompetent|lazy|"
    r"pathetic|ignorant|ass|asshole|jerk|troll|bitch)\b"
    r"|\b(?:stupid|dumb|idiotic|pathetic|useless|lazy|ridiculous|silly|moronic|worthless|lame|"
    r"crappy|garbage)\s+(?:question|post|idea|answer|comment|patch|code|request|excuse|argument|"
    r"suggestion|reply|mail|e-?mail|report|attempt)s?\b"
    r"|\b(?:did|do|have) you (?:even|ever) (?:try|tried|read|look|looked|search|searched|google)"
    r"|\bstop wasting (?:our|my|everyone's) time|\bgo away\b|\bshut up\b"
)

#: Names of the dense features, in model order.
DENSE_FEATURES = (
    "vader_compound",
    "vader_neg",
    "vader_pos",
    "emphatic_punctuation",
    "question_density",
    "caps_share",
    "profanity",
    "aimed_insult",
    "length",
)

_P = 0x100000001B3  # FNV-1 64-bit prime (odd, so invertible modulo 2**64)
_P_INV = pow(_P, -1, 1 << 64)
_SALT_UNI = 0x9E3779B97F4A7C15
_SALT_BI = 0xC2B2AE3D27D4EB4F
_SALT_CHAR = 0x165667B19E3779F9
_GRAMS = (3, 4, 5)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def _u64(value: int) -> U64:
    return np.array([value], dtype=np.uint64)


def _mix(h: U64) -> U64:
    """SplitMix64 finaliser: every input bit affects every output bit."""
    h = h ^ (h >> np.uint64(30))
    h = h * _u64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * _u64(0x94D049BB133111EB)
    result: U64 = h ^ (h >> np.uint64(31))
    return result


def _powers(n: int, base: int) -> U64:
    """``base**i mod 2**64`` for ``i < n`` (wrapping uint64 products)."""
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    steps = np.full(n, base, dtype=np.uint64)
    steps[0] = 1
    result: U64 = np.cumprod(steps, dtype=np.uint64)
    return result


@dataclass(frozen=True)
class _Bytes:
    """The UTF-8 bytes of a string array with prefix hashes for any substring's hash."""

    starts: I64
    ends: I64
    prefix: U64
    inverse: U64

    @classmethod
    def of(cls, strings: pa.Array) -> _Bytes:
        strings = pc.cast(pc.fill_null(strings, ""), pa.large_string())
        if isinstance(strings, pa.ChunkedArray):
            strings = strings.combine_chunks()
        buffers = strings.buffers()
        n = len(strings)
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[strings.offset : strings.offset + n + 1]
        base = int(offsets[0]) if n else 0
        end = int(offsets[-1]) if n else 0
        if buffers[2] is None or end == base:
            data = np.zeros(0, dtype=np.uint64)
        else:
            data = np.frombuffer(buffers[2], dtype=np.uint8)[base:end].astype(np.uint64)
        weighted = data * _powers(data.size, _P)
        prefix = np.concatenate(
            (np.zeros(1, dtype=np.uint64), np.cumsum(weighted, dtype=np.uint64))
        )
        return cls(
            starts=(offsets[:-1] - base).astype(np.int64),
            ends=(offsets[1:] - base).astype(np.int64),
            prefix=prefix,
            inverse=_powers(data.size + 1, _P_INV),
        )

    def hash(self, start: I64, stop: I64, salt: int) -> U64:
        """Hash of the bytes ``[start, stop)`` (same bytes, same hash, wherever they are)."""
        local = (self.prefix[stop] - self.prefix[start]) * self.inverse[start]
        length = (stop - start).astype(np.uint64)
        return _mix(local ^ _u64(salt) ^ (length * _u64(0xD6E8FEB86659FD93)))


def _bucket(h: U64) -> I64:
    result: I64 = (h >> np.uint64(64 - BITS)).astype(np.int64)
    return result


@dataclass(frozen=True)
class ToneFeatures:
    """Hashed features of ``n`` texts, kept factored so scoring never expands char n-grams.

    Attributes
    ----------
    n
        Number of texts.
    token_text, token_word
        For each word token, its text and its distinct-word index.
    word_bucket
        Unigram bucket of each distinct word.
    gram_word, gram_bucket
        Character n-grams: distinct word index and bucket of each.
    n_grams_word
        Character n-grams per distinct word.
    bigram_text, bigram_bucket
        Word bigrams: text index and bucket.
    scale_uni, scale_bi, scale_char
        Per text, ``1/sqrt(count)`` of each group (0 when the group is empty).
    dense
        ``n x len(DENSE_FEATURES)`` dense features.
    """

    n: int
    token_text: I64
    token_word: I64
    word_bucket: I64
    gram_word: I64
    gram_bucket: I64
    n_grams_word: I64
    bigram_text: I64
    bigram_bucket: I64
    scale_uni: F64
    scale_bi: F64
    scale_char: F64
    dense: F64 = field(repr=False)

    def matrix(self) -> sparse.csr_matrix:
        """The full design matrix (``n x (2**BITS + dense)``), for fitting."""
        n_words = self.word_bucket.size
        tokens = sparse.csr_matrix(
            (np.ones(self.token_text.size), (self.token_text, self.token_word)),
            shape=(self.n, n_words),
        )
        uni = sparse.csr_matrix(
            (np.ones(n_words), (np.arange(n_words), self.word_bucket)),
            shape=(n_words, _N_BUCKETS),
        )
        chars = sparse.csr_matrix(
            (np.ones(self.gram_word.size), (self.gram_word, self.gram_bucket)),
            shape=(n_words, _N_BUCKETS),
        )
        bigrams = sparse.csr_matrix(
            (np.ones(self.bigram_text.size), (self.bigram_text, self.bigram_bucket)),
            shape=(self.n, _N_BUCKETS),
        )
        hashed = (
            sparse.diags(self.scale_uni) @ (tokens @ uni)
            + sparse.diags(self.scale_bi) @ bigrams
            + sparse.diags(self.scale_char) @ (tokens @ chars)
        )
        result: sparse.csr_matrix = sparse.hstack(
            [hashed, sparse.csr_matrix(self.dense)], format="csr"
        )
        return result

    @cached_property
    def _word_counts(self) -> sparse.csr_matrix:
        """Texts x distinct words, the count of each word in each text (tokens in order)."""
        indptr = np.concatenate(([0], np.cumsum(np.bincount(self.token_text, minlength=self.n))))
        ones = np.ones(self.token_text.size)
        return sparse.csr_matrix(
            (ones, self.token_word, indptr), shape=(self.n, self.word_bucket.size)
        )

    @cached_property
    def _bigram_counts(self) -> sparse.csr_matrix:
        """Texts x hash buckets, the count of each bigram bucket in each text."""
        indptr = np.concatenate(([0], np.cumsum(np.bincount(self.bigram_text, minlength=self.n))))
        ones = np.ones(self.bigram_text.size)
        return sparse.csr_matrix((ones, self.bigram_bucket, indptr), shape=(self.n, _N_BUCKETS))

    def scores(self, weights: npt.NDArray[np.float32], dense: F64, bias: F64) -> F64:
        """Linear scores ``n x K`` for hashed weights ``2**BITS x K``.

        Per distinct word: its unigram weights and the sum of its character n-grams'
        weights (one ``bincount`` over a combined word x class index). Per text: one
        sparse product of the word counts with both, one of the bigram counts with the
        weights; the sparse matrices are built once and shared by every model scored on
        these features.
        """
        k = weights.shape[1]
        w = weights.astype(np.float64)
        n_words = self.word_bucket.size
        cell = (self.gram_word[:, None] * k + np.arange(k)).ravel()
        char_word = np.bincount(
            cell, weights=w[self.gram_bucket].ravel(), minlength=n_words * k
        ).reshape(n_words, k)
        per_word = np.hstack((w[self.word_bucket], char_word))
        words = np.asarray(self._word_counts @ per_word)
        bigrams = np.asarray(self._bigram_counts @ w)
        out = np.einsum("ij,jk->ik", self.dense, dense) + bias
        out += self.scale_uni[:, None] * words[:, :k] + self.scale_char[:, None] * words[:, k:]
        out += self.scale_bi[:, None] * bigrams
        result: F64 = out
        return result


def _inverse_sqrt(counts: F64) -> F64:
    result: F64 = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1.0)), 0.0)
    return result


def tone_features(texts: pa.Array | pa.ChunkedArray) -> ToneFeatures:
    """Hashed n-gram and dense features of many texts (null counts as empty).

    Examples
    --------
    >>> import pyarrow as pa
    >>> features = tone_features(pa.array(["You are an idiot!!", "thanks", None]))
    >>> features.n, features.matrix().shape == (3, 2**BITS + len(DENSE_FEATURES))
    (3, True)
    >>> features.dense[:, DENSE_FEATURES.index("aimed_insult")].tolist()
    [1.0, 0.0, 0.0]
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(pc.cast(texts, pa.string()), "")
    n = len(texts)
    tokens, parent = word_tokens(texts)
    encoded = pc.dictionary_encode(tokens)
    words = encoded.dictionary
    token_word = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    n_words = len(words)

    plain = _Bytes.of(words)
    word_hash = plain.hash(plain.starts, plain.ends, _SALT_UNI)
    word_bucket = _bucket(word_hash)

    padded = _Bytes.of(pc.binary_join_element_wise("\x02", words, "\x03", ""))
    lengths = padded.ends - padded.starts
    gram_word_parts: list[I64] = []
    gram_bucket_parts: list[I64] = []
    n_grams_word = np.zeros(n_words, dtype=np.int64)
    for size in _GRAMS:
        counts = np.maximum(lengths - size + 1, 0)
        n_grams_word += counts
        owner = np.repeat(np.arange(n_words, dtype=np.int64), counts)
        first = np.concatenate(([0], np.cumsum(counts)[:-1])) if n_words else counts
        position = padded.starts[owner] + (np.arange(owner.size) - first[owner])
        h = padded.hash(position, position + size, _SALT_CHAR ^ size)
        gram_word_parts.append(owner)
        gram_bucket_parts.append(_bucket(h))
    gram_word = np.concatenate(gram_word_parts) if gram_word_parts else np.zeros(0, np.int64)
    gram_bucket = np.concatenate(gram_bucket_parts) if gram_bucket_parts else np.zeros(0, np.int64)

    same = parent[1:] == parent[:-1]
    left = np.flatnonzero(same)
    bigram_hash = _mix(word_hash[token_word[left]] * _u64(_P) + word_hash[token_word[left + 1]])
    bigram_bucket = _bucket(bigram_hash ^ _u64(_SALT_BI))
    bigram_text = parent[left]

    n_tokens = np.bincount(parent, minlength=n).astype(np.float64)
    n_bigrams = np.bincount(bigram_text, minlength=n).astype(np.float64)
    n_chars = np.bincount(parent, weights=n_grams_word[token_word], minlength=n).astype(np.float64)
    return ToneFeatures(
        n=n,
        token_text=parent,
        token_word=token_word,
        word_bucket=word_bucket,
        gram_word=gram_word,
        gram_bucket=gram_bucket,
        n_grams_word=n_grams_word,
        bigram_text=bigram_text,
        bigram_bucket=bigram_bucket,
        scale_uni=_inverse_sqrt(n_tokens),
        scale_bi=_inverse_sqrt(n_bigrams),
        scale_char=_inverse_sqrt(n_chars),
        dense=_dense(texts, tokens, parent, n_tokens),
    )


def _dense(texts: pa.Array, tokens: pa.Array, parent: I64, n_tokens: F64) -> F64:
    vader = vader_scores(texts)
    lowered = lower_case(texts)
    emphatic = pc.count_substring_regex(texts, r"[!?]{2,}").to_numpy().astype(np.float64)
    questions = pc.count_substring(texts, "?").to_numpy().astype(np.float64)
    profanity = pc.count_substring_regex(lowered, PROFANITY).to_numpy().astype(np.float64)
    aimed = pc.match_substring_regex(lowered, _AIMED_INSULT).to_numpy(zero_copy_only=False)
    n_raw, caps = _shouted_words(texts)
    columns = [
        vader.column("compound").to_numpy(),
        vader.column("neg").to_numpy(),
        vader.column("pos").to_numpy(),
        np.log1p(emphatic),
        np.minimum(questions / (1.0 + n_tokens / 10.0), 1.0),
        np.where(n_raw > 0, caps / np.maximum(n_raw, 1.0), 0.0),
        np.log1p(profanity),
        np.asarray(aimed, dtype=np.float64),
        np.log1p(n_tokens) / 5.0,
    ]
    result: F64 = np.column_stack(columns).astype(np.float64)
    return result


# Arrow's whitespace among ASCII bytes (what ``utf8_split_whitespace`` splits on).
_SPACE_BYTE = np.zeros(256, dtype=bool)
_SPACE_BYTE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_UPPER_BYTE = np.zeros(256, dtype=bool)
_UPPER_BYTE[ord("A") : ord("Z") + 1] = True
_LOWER_BYTE = np.zeros(256, dtype=bool)
_LOWER_BYTE[ord("a") : ord("z") + 1] = True


def _shouted_words(texts: pa.Array) -> tuple[F64, F64]:
    """Per text, its whitespace-split words and those in capitals only: ``(words, shouted)``.

    Shouted words have two characters or more (not "I", not "A"). ASCII texts are
    scanned as bytes, the others split by Arrow; both count as ``utf8_split_whitespace``
    splits (an empty word where a text starts or ends with whitespace, two after a
    trailing run of two or more, one for an empty text) and as ``utf8_is_upper``
    decides (a cased character, none in lower case).
    """
    n = len(texts)
    ascii_rows = np.asarray(pc.string_is_ascii(texts).to_numpy(zero_copy_only=False), dtype=bool)
    words = np.zeros(n)
    shouted = np.zeros(n)
    fast = np.flatnonzero(ascii_rows)
    slow = np.flatnonzero(~ascii_rows)
    if fast.size:
        subset = texts if fast.size == n else texts.take(pa.array(fast))
        words[fast], shouted[fast] = _shouted_ascii(subset)
    if slow.size:
        subset = texts if slow.size == n else texts.take(pa.array(slow))
        words[slow], shouted[slow] = _shouted_split(subset)
    return words, shouted


def _shouted_split(texts: pa.Array) -> tuple[F64, F64]:
    n = len(texts)
    split = pc.utf8_split_whitespace(texts)
    raw_tokens = pc.list_flatten(split)
    raw_parent = pc.list_parent_indices(split).to_numpy()
    shouted = pc.and_(
        pc.utf8_is_upper(raw_tokens), pc.greater_equal(pc.utf8_length(raw_tokens), 2)
    ).to_numpy(zero_copy_only=False)
    words = np.bincount(raw_parent, minlength=n).astype(np.float64)
    caps = np.bincount(raw_parent, weights=shouted.astype(np.float64), minlength=n).astype(
        np.float64
    )
    return words, caps


def _shouted_ascii(texts: pa.Array) -> tuple[F64, F64]:
    n = len(texts)
    bounds, data, _ = string_bytes(texts)
    lengths = np.diff(bounds)
    space = _SPACE_BYTE[data]
    starts, ends = byte_runs(~space, bounds)
    parent = np.searchsorted(bounds, starts, side="right") - 1
    nonempty = lengths > 0
    first = np.minimum(bounds[:-1], max(data.size - 1, 0))
    last = np.maximum(bounds[1:] - 1, 0)
    lead = nonempty & space[first] if data.size else nonempty
    trail = nonempty & space[last] if data.size else nonempty
    # Arrow gives two empty words after a trailing run of two whitespace bytes or more.
    trail_run = trail & (lengths >= 2) & space[np.maximum(last - 1, 0)] if data.size else trail
    words = np.bincount(parent, minlength=n) + lead + trail + trail_run + ~nonempty
    # Upper-case bytes are few: each marks its word; lower case is counted by prefix sums.
    upper_at = np.flatnonzero(_UPPER_BYTE[data])
    has_upper = np.zeros(starts.size, dtype=bool)
    has_upper[np.searchsorted(starts, upper_at, side="right") - 1] = True
    candidates = np.flatnonzero(has_upper & (ends - starts >= 2))
    lower_sum = np.concatenate(([0], np.cumsum(_LOWER_BYTE[data], dtype=np.int32)))
    no_lower = lower_sum[ends[candidates]] == lower_sum[starts[candidates]]
    caps = np.bincount(parent[candidates[no_lower]], minlength=n).astype(np.float64)
    return words.astype(np.float64), caps


def _softmax(z: F64) -> F64:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: F64 = e / e.sum(axis=1, keepdims=True)
    return result


def _fit(
    x: sparse.csr_matrix,
    y: I64,
    n_classes: int,
    l2: float,
    prior: F64 | None = None,
) -> tuple[F64, F64]:
    """Multinomial logistic regression, L2 towards ``prior`` (``d x K``), by L-BFGS.

    Only the columns with a non-zero entry take part in the optimisation: every other
    weight has no data term and stays at its prior (zero without one).
    """
    n, d = x.shape
    x = sparse.csr_matrix(x)
    used = np.unique(x.indices)
    compact = sparse.csr_matrix(
        (x.data, np.searchsorted(used, x.indices), x.indptr), shape=(n, used.size)
    )
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    full_centre = np.zeros((d, n_classes)) if prior is None else prior
    centre = full_centre[used]
    xt = compact.T.tocsr()
    m = used.size

    def loss(theta: F64) -> tuple[float, F64]:
        w = theta[: m * n_classes].reshape(m, n_classes)
        b = theta[m * n_classes :]
        z = np.asarray(compact @ w) + b
        z_max = z.max(axis=1, keepdims=True)
        log_norm = z_max[:, 0] + np.log(np.exp(z - z_max).sum(axis=1))
        nll = float(np.sum(log_norm - (z * onehot).sum(axis=1)))
        delta = w - centre
        value = nll + 0.5 * l2 * float(np.sum(delta * delta))
        residual = _softmax(z) - onehot
        grad_w = np.asarray(xt @ residual) + l2 * delta
        grad_b = residual.sum(axis=0)
        return value, np.concatenate((grad_w.ravel(), grad_b))

    start = np.concatenate((centre.ravel(), np.zeros(n_classes)))
    theta = _lbfgs(loss, start)
    weights = full_centre.copy()
    weights[used] = theta[: m * n_classes].reshape(m, n_classes)
    return weights, theta[m * n_classes :]


def _dot(a: F64, b: F64) -> float:
    return float(np.multiply(a, b).sum())


def _lbfgs(
    fun: Callable[[F64], tuple[float, F64]],
    start: F64,
    *,
    max_iter: int = 400,
    memory: int = 10,
    tol: float = 1e-6,
) -> F64:
    """Minimise a smooth convex ``fun`` (value, gradient) by L-BFGS with Armijo backtracking.

    A plain numpy implementation: SciPy's L-BFGS-B spends far longer per iteration than
    the loss itself on the half-million parameters of a hashed model. Dot products
    avoid BLAS, whose threads spin against each other on a busy machine. Deterministic.
    """
    x = start.copy()
    value, grad = fun(x)
    history: list[tuple[F64, F64, float]] = []
    for _ in range(max_iter):
        q = grad.copy()
        alphas: list[float] = []
        for s, y, rho in reversed(history):
            alpha = rho * _dot(s, q)
            q -= alpha * y
            alphas.append(alpha)
        if history:
            s, y, _ = history[-1]
            q *= _dot(s, y) / _dot(y, y)
        else:
            q /= max(float(np.sqrt(_dot(grad, grad))), 1.0)
        for (s, y, rho), alpha in zip(history, reversed(alphas), strict=True):
            beta = rho * _dot(y, q)
            q += s * (alpha - beta)
        direction = -q
        slope = _dot(grad, direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            history.clear()
            direction = -grad / max(float(np.sqrt(_dot(grad, grad))), 1.0)
            slope = _dot(grad, direction)
        step = 1.0
        while True:
            candidate = x + step * direction
            new_value, new_grad = fun(candidate)
            if new_value <= value + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        s_new, y_new = candidate - x, new_grad - grad
        sy = _dot(s_new, y_new)
        if sy > 1e-12:
            history.append((s_new, y_new, 1.0 / sy))
            if len(history) > memory:
                history.pop(0)
        done = value - new_value <= tol * max(1.0, abs(value))
        x, value, grad = candidate, new_value, new_grad
        if done or float(np.max(np.abs(grad))) < 1e-6:
            break
    return x


@dataclass
class ToneModel:
    """A fitted linear tone model: classes, hashed and dense weights, and its validity.

    Parameters
    ----------
    classes
        Class labels in column order (``("not_hostile", "hostile")``, or
        ``("negative", "neutral", "positive")``).
    l2
        L2 penalty of the fit.

    Attributes
    ----------
    weights_
        Hashed weights, ``2**BITS x K`` (float32).
    dense_
        Dense weights, ``len(DENSE_FEATURES) x K``.
    bias_
        Intercepts, ``K``.
    threshold_
        Probability of the positive class (the last) above which a text gets its label;
        chosen by cross-validation.
    validity_
        Figures of the model's validity and the data they were measured on.

    Examples
    --------
    >>> import pyarrow as pa
    >>> texts = pa.array(["you idiot", "thanks a lot", "this is stupid crap", "works now"] * 5)
    >>> model = ToneModel(("ok", "bad"), l2=1.0).fit(texts, [1, 0, 1, 0] * 5)
    >>> bool(model.probability(pa.array(["what an idiot"]))[0] > 0.5)
    True
    """

    classes: tuple[str, ...]
    l2: float = 1.0
    weights_: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    dense_: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    bias_: F64 = field(default_factory=lambda: np.zeros(0))
    threshold_: float = 0.5
    validity_: dict[str, Any] = field(default_factory=dict)

    def fit(
        self,
        texts: pa.Array | pa.ChunkedArray | ToneFeatures,
        labels: npt.ArrayLike,
        *,
        prior: ToneModel | None = None,
    ) -> ToneModel:
        """Fit on texts (already :func:`~undertow.features.tone_text.tone_text`) and labels.

        ``labels`` are class indices into :attr:`classes`. With ``prior``, the weights are
        pulled towards that model's (same classes) instead of towards zero: a small
        labelled sample then adapts a shipped model rather than replacing it.
        """
        features = texts if isinstance(texts, ToneFeatures) else tone_features(texts)
        return self.fit_matrix(features.matrix(), labels, prior=prior)

    def fit_matrix(
        self, x: sparse.csr_matrix, labels: npt.ArrayLike, *, prior: ToneModel | None = None
    ) -> ToneModel:
        """:meth:`fit` on a design matrix from :meth:`ToneFeatures.matrix`."""
        y = np.asarray(labels, dtype=np.int64)
        k = len(self.classes)
        if y.size and (y.min() < 0 or y.max() >= k):
            raise InputError(f"labels must be class indices 0..{k - 1}")
        centre = None
        if prior is not None:
            centre = np.vstack([prior._full(k), prior.dense_])
        w, b = _fit(x, y, k, self.l2, centre)
        self.weights_ = w[:_N_BUCKETS].astype(np.float32)
        self.dense_ = w[_N_BUCKETS:]
        self.bias_ = b
        return self

    def probabilities_matrix(self, x: sparse.csr_matrix) -> F64:
        """Class probabilities for the rows of a design matrix, ``n x K``."""
        w = np.vstack([self.weights_.astype(np.float64), self.dense_])
        return _softmax(np.asarray(x @ w) + self.bias_)

    def _full(self, k: int) -> F64:
        result: F64 = self.weights_.astype(np.float64)
        if result.shape[1] != k:
            raise InputError(f"the prior model has {result.shape[1]} classes, not {k}")
        return result

    def probabilities(self, texts: pa.Array | pa.ChunkedArray | ToneFeatures) -> F64:
        """Class probabilities, ``n x K``."""
        features = texts if isinstance(texts, ToneFeatures) else tone_features(texts)
        return _softmax(features.scores(self.weights_, self.dense_, self.bias_))

    def probability(self, texts: pa.Array | pa.ChunkedArray | ToneFeatures) -> F64:
        """Probability of the last class (``hostile``, ``positive``), ``n``."""
        result: F64 = self.probabilities(texts)[:, -1]
        return result

    def save(self, path: str | Path) -> None:
        """Write the model as a compressed ``.npz`` (only the non-zero hashed rows)."""
        used = np.flatnonzero(np.any(self.weights_ != 0, axis=1)).astype(np.uint32)
        meta = {
            "classes": list(self.classes),
            "l2": self.l2,
            "threshold": self.threshold_,
            "bits": BITS,
            "dense_features": list(DENSE_FEATURES),
            "validity": self.validity_,
        }
        with Path(path).open("wb") as handle:
            np.savez_compressed(
                handle,
                index=used,
                weight=self.weights_[used].astype(np.float32),
                dense=self.dense_.astype(np.float64),
                bias=self.bias_.astype(np.float64),
                meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
            )

    @classmethod
    def load(cls, path: str | Path | Any) -> ToneModel:
        """Read a model written by :meth:`save` (a path or a binary file object)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta.get("bits") != BITS or meta.get("dense_features") != list(DENSE_FEATURES):
                    raise InputError(f"{path}: tone model built for other features")
                classes = tuple(meta["classes"])
                weights = np.zeros((_N_BUCKETS, len(classes)), dtype=np.float32)
                weights[data["index"]] = data["weight"]
                model = cls(classes=classes, l2=float(meta["l2"]))
                model.weights_ = weights
                model.dense_ = np.asarray(data["dense"], dtype=np.float64)
                model.bias_ = np.asarray(data["bias"], dtype=np.float64)
                model.threshold_ = float(meta["threshold"])
                model.validity_ = dict(meta.get("validity", {}))
                return model
        except (OSError, KeyError, ValueError) as error:
            raise InputError(f"{path}: not a tone model ({error})") from error


def cross_validated(
    x: sparse.csr_matrix,
    labels: npt.ArrayLike,
    classes: tuple[str, ...],
    *,
    l2: float,
    folds: int = 10,
    seed: int = 0,
    prior: ToneModel | None = None,
) -> F64:
    """Out-of-fold class probabilities (``n x K``) of stratified ``folds``-fold CV.

    Examples
    --------
    >>> import pyarrow as pa
    >>> texts = pa.array(["you idiot", "thanks", "stupid crap", "works now"] * 5)
    >>> x = tone_features(texts).matrix()
    >>> cross_validated(x, [1, 0, 1, 0] * 5, ("ok", "bad"), l2=1.0, folds=5).shape
    (20, 2)
    """
    y = np.asarray(labels, dtype=np.int64)
    fold = stratified_folds(y, folds, seed)
    out = np.zeros((y.size, len(classes)))
    for f in range(folds):
        test = fold == f
        if not test.any():
            continue
        model = ToneModel(classes, l2=l2).fit_matrix(x[~test], y[~test], prior=prior)
        out[test] = model.probabilities_matrix(x[test])
    return out


def stratified_folds(labels: npt.ArrayLike, folds: int, seed: int) -> I64:
    """Fold number of each item, classes spread evenly over the folds (seeded).

    Examples
    --------
    >>> stratified_folds([0, 0, 0, 1, 1, 1], 3, seed=0).tolist().count(0)
    2
    """
    y = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    fold = np.zeros(y.size, dtype=np.int64)
    for value in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == value))
        fold[rows] = (np.arange(rows.size) + int(rng.integers(folds))) % folds
    return fold


def binary_figures(
    score: npt.ArrayLike, truth: npt.ArrayLike, threshold: float
) -> dict[str, float]:
    """Precision, recall and F1 of ``score >= threshold``, and the AUC of ``score``.

    Examples
    --------
    >>> figures = binary_figures([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], 0.5)
    >>> figures["precision"], figures["recall"], figures["auc"]
    (0.5, 0.5, 0.75)
    """
    s = np.asarray(score, dtype=np.float64)
    t = np.asarray(truth, dtype=bool)
    called = s >= threshold
    hits = float(np.sum(called & t))
    precision = hits / called.sum() if called.any() else float("nan")
    recall = hits / t.sum() if t.any() else float("nan")
    f1 = (
        2 * precision * recall / (precision + recall)
        if called.any() and t.any() and precision + recall > 0
        else 0.0
    )
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "auc": auc(s, t),
        "n": float(t.size),
        "n_positive": float(t.sum()),
    }


def auc(score: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN with one class.

    Examples
    --------
    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    from scipy.stats import rankdata

    s = np.asarray(score, dtype=np.float64)
    t = np.asarray(truth, dtype=bool)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold(score: npt.ArrayLike, truth: npt.ArrayLike, *, beta: float = 1.0) -> float:
    """The threshold on ``score`` that maximises the F-beta score of the positive class.

    ``beta < 1`` weighs precision more (``beta = 0.5``: a false alarm costs twice a miss).

    Examples
    --------
    >>> best_threshold([0.9, 0.7, 0.4, 0.1], [1, 1, 0, 0])
    0.7
    >>> best_threshold([0.9, 0.7, 0.6, 0.1], [1, 0, 1, 0], beta=0.5)
    0.9
    """
    s = np.asarray(score, dtype=np.float64)
    t = np.asarray(truth, dtype=bool)
    order = np.argsort(-s, kind="stable")
    hits = np.cumsum(t[order])
    called = np.arange(1, s.size + 1)
    b2 = beta * beta
    f = (1 + b2) * hits / (called + b2 * max(int(t.sum()), 1))
    # Only a cut between distinct scores is a threshold.
    distinct = np.append(s[order][1:] != s[order][:-1], True)
    best = int(np.argmax(np.where(distinct, f, -1.0)))
    return float(s[order][best])


def macro_f1(predicted: npt.ArrayLike, truth: npt.ArrayLike, n_classes: int) -> float:
    """Mean over classes of the F1 of each class.

    Examples
    --------
    >>> round(macro_f1([0, 1, 2, 2], [0, 1, 2, 1], 3), 3)
    0.778
    """
    p = np.asarray(predicted, dtype=np.int64)
    t = np.asarray(truth, dtype=np.int64)
    scores = []
    for c in range(n_classes):
        hits = float(np.sum((p == c) & (t == c)))
        denominator = float(np.sum(p == c) + np.sum(t == c))
        scores.append(2 * hits / denominator if denominator else 0.0)
    return float(np.mean(scores))


@cache
def shipped_model(name: str) -> ToneModel:
    """One of the models shipped with undertow: ``hostility`` or ``polarity``.

    Examples
    --------
    >>> shipped_model("hostility").classes
    ('not_hostile', 'hostile')
    """
    resource = files("undertow.features").joinpath("data", f"tone_{name}.npz")
    with resource.open("rb") as handle:
        return ToneModel.load(handle)
