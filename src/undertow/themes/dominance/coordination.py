"""Linguistic coordination given and received, and the deference gap toward formal leaders.

Danescu-Niculescu-Mizil, Lee, Pang & Kleinberg (2012), "Echoes of power: language
effects and power differences in social interaction" (WWW): for a speaker ``a``
replying to a target ``b`` and a function-word class ``m``,
``C^m(a, b) = P(a's reply uses m | b's message used m) - P(a's reply uses m)``.
People with more power *receive* more coordination.

The aggregation follows ConvoKit's ``Coordination`` exactly (its ``summarize`` with
default thresholds): a reply is an exchange between the reply's author and the
author of the message it replies to (self-replies dropped); per key (a speaker for
coordination *given*, a target for coordination *received*, with a person split by
their status at the time like ConvoKit's ``split_by_attribs``) and marker, counts
are pooled over all exchanges; a marker is scored only when the target side used it
at least ``target_thresh`` = 3 times (coordination given) or the speaker side used
it at least 3 times (received: ConvoKit swaps the thresholds); a key's score is the
mean over its scored markers (ConvoKit's aggregate 3), over the eight Echoes markers.

Markers come from the active lexicon (:mod:`undertow.features.function_words`):
undertow's own word lists by default, or a lexicon the user supplies (``undertow
analyze --markers FILE``); with ConvoKit's own pattern file, per-person scores equal
ConvoKit's exactly on the same utterances. Everything is NumPy over arrays of
exchanges: one marker bitmask per message, one parent lookup, ``bincount`` group
sums. Agreement with ConvoKit and the speed-up are measured in
``bench/coordination.py`` (``bench/RESULTS-language.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import DEFAULT_N_BOOT, percentile_interval
from undertow.features.function_words import (
    DEFAULT_LEXICON,
    ECHOES_MARKERS,
    active_lexicon,
    message_marker_bits,
)
from undertow.features.standing import message_standing
from undertow.features.text import message_own_words
from undertow.model.trace import Trace
from undertow.themes.decision import Decision, severity_for
from undertow.themes.registry import (
    Chart,
    Finding,
    Results,
    finding_rule,
    metric,
)
from undertow.themes.wording import count, numbers, p_text

__all__ = [
    "Exchanges",
    "coordination_by_group",
    "coordination_by_person",
    "coordination_scores",
    "deference_gap",
    "deference_to_power",
    "exchanges",
    "key_coordination",
]

Focus = Literal["speakers", "targets"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BitArray = npt.NDArray[np.unsignedinteger[Any]]

#: ConvoKit's default thresholds (``Coordination.__init__``).
TARGET_THRESH = 3
SPEAKER_THRESH = 0


@dataclass(frozen=True)
class Exchanges:
    """Reply exchanges as parallel arrays (one row per reply whose parent is known).

    Attributes
    ----------
    reply, parent
        Rows of the reply and of the replied-to message in the trace's message order.
    speaker, target
        Author codes (indices into ``people``) of the reply and of the replied-to message.
    reply_bits, target_bits
        Marker bitmasks (bit ``i`` = ``categories[i]``).
    people
        Pseudonym per author code.
    categories
        The lexicon's categories in bit order.
    markers
        The categories averaged into a person's coordination.
    """

    reply: IntArray
    parent: IntArray
    speaker: IntArray
    target: IntArray
    reply_bits: npt.NDArray[np.uint64]
    target_bits: npt.NDArray[np.uint64]
    people: pa.Array
    categories: tuple[str, ...] = DEFAULT_LEXICON.categories
    markers: tuple[str, ...] = ECHOES_MARKERS

    @property
    def n(self) -> int:
        """Number of exchanges."""
        return int(self.speaker.size)


def exchanges(trace: Trace) -> Exchanges:
    """Every reply with its parent: who replied to whom, and the markers both used (cached).

    Self-replies and replies whose parent is not in the trace are dropped (as ConvoKit
    does), and so are exchanges where either message has no words. Markers follow the
    active lexicon, whose digest is part of the cache key.
    """
    lexicon = active_lexicon()

    def compute() -> Exchanges:
        messages = trace.arrow("messages")
        message_id = messages.column("message_id").combine_chunks()
        # People codes follow sorted pseudonyms, so results do not depend on row order.
        authors = messages.column("author_id").combine_chunks()
        people = pc.array_sort_indices(pc.unique(authors))
        people = pc.unique(authors).take(people)
        author = pc.index_in(authors, value_set=people).to_numpy(zero_copy_only=False)
        author = author.astype(np.int64)
        parent_of = pc.index_in(messages.column("parent_id"), value_set=message_id)
        parent_row = parent_of.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        words = message_own_words(trace)
        # A message without words (a bare Acked-by trailer, an emoji reaction) cannot
        # echo or be echoed; ConvoKit would count it as using no marker.
        has_words = pc.greater(pc.utf8_length(pc.fill_null(words, "")), 0)
        has_words_np = has_words.to_numpy(zero_copy_only=False).astype(bool)
        has_parent = parent_row >= 0
        safe_parent = np.maximum(parent_row, 0)
        reply = np.flatnonzero(
            has_parent & (author[safe_parent] != author) & has_words_np & has_words_np[safe_parent]
        )
        parent = parent_row[reply]
        bits = message_marker_bits(trace)
        return Exchanges(
            reply=reply,
            parent=parent,
            speaker=author[reply],
            target=author[parent],
            reply_bits=bits[reply],
            target_bits=bits[parent],
            people=people,
            categories=lexicon.categories,
            markers=lexicon.aggregate,
        )

    result: Exchanges = trace.cached(f"coordination_exchanges:{lexicon.key}", compute)
    return result


def _status_flags(trace: Trace) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Formal role and core membership of each message's author at the time, in trace order.

    Cached: coordination by group and the deference gap both need them.
    """

    def compute() -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        standing = message_standing(trace)
        # Row of each message in the thread order of ``message_arrays``: the inverse of
        # the same stable sort (lighter and faster than hashing every message id).
        keys = ("thread_id", "created_at", "message_id")
        sorted_rows = pc.sort_indices(
            trace.arrow("messages").select(list(keys)),
            sort_keys=[(key, "ascending") for key in keys],
        ).to_numpy()
        n = sorted_rows.size
        if n == 0:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
        order = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
        order[sorted_rows] = np.arange(n, dtype=order.dtype)
        del sorted_rows
        return standing.is_formal[order], standing.is_core[order]

    flags: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] = trace.cached(
        "coordination_status_flags", compute
    )
    return flags


def coordination_scores(
    key: IntArray,
    n_keys: int,
    reply_bits: BitArray,
    target_bits: BitArray,
    *,
    focus: Focus = "speakers",
    markers: tuple[str, ...] = ECHOES_MARKERS,
    categories: tuple[str, ...] = DEFAULT_LEXICON.categories,
    speaker_thresh: int = SPEAKER_THRESH,
    target_thresh: int = TARGET_THRESH,
) -> FloatArray:
    """Per-key, per-marker coordination pooled over exchanges (ConvoKit's rule).

    Parameters
    ----------
    key
        Key code (``0..n_keys-1``) of each exchange: the speaker, the target, a
        (speaker, target) pair, or a person split by status.
    n_keys
        Number of keys.
    reply_bits, target_bits
        Marker bitmasks of the reply and of the replied-to message.
    focus
        ``speakers`` (coordination given) or ``targets`` (received); for targets the
        thresholds swap, as in ConvoKit.
    markers
        Marker categories to score.
    categories
        Categories in bit order (default: undertow's own function-word classes).
    speaker_thresh, target_thresh
        Minimum uses of a marker by the speaker side (replies) and by the target side
        (replied-to messages) for the marker to be scored.

    Returns
    -------
    numpy.ndarray
        ``(n_keys, len(markers))`` scores, NaN where a marker is not scored.

    Examples
    --------
    >>> import numpy as np
    >>> key = np.zeros(4, dtype=np.int64)
    >>> target = np.array([1, 1, 1, 0], dtype=np.uint16)  # article in 3 parent messages
    >>> reply = np.array([1, 1, 0, 0], dtype=np.uint16)
    >>> coordination_scores(key, 1, reply, target, markers=("article",)).round(3).tolist()
    [[0.167]]
    """
    if focus == "targets":
        speaker_thresh, target_thresh = target_thresh, speaker_thresh
    n_utt = np.bincount(key, minlength=n_keys).astype(np.float64)
    scores = np.full((n_keys, len(markers)), np.nan)
    replies, targets, one = (
        reply_bits.astype(np.uint64, copy=False),
        target_bits.astype(np.uint64, copy=False),
        np.uint64(1),
    )
    for column, name in enumerate(markers):
        bit = np.uint64(categories.index(name))
        in_reply = ((replies >> bit) & one).astype(bool)
        in_target = ((targets >> bit) & one).astype(bool)
        tally = np.bincount(key, weights=in_reply, minlength=n_keys)
        cond_total = np.bincount(key, weights=in_target, minlength=n_keys)
        cond_tally = np.bincount(key, weights=in_reply & in_target, minlength=n_keys)
        scored = (cond_total >= max(target_thresh, 1)) & (tally >= speaker_thresh) & (n_utt >= 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = cond_tally / cond_total - tally / n_utt
        scores[:, column] = np.where(scored, value, np.nan)
    return scores


def key_coordination(scores: FloatArray) -> tuple[FloatArray, IntArray]:
    """Mean over scored markers per key (ConvoKit's aggregate 3) and the markers it rests on."""
    n_markers = np.sum(~np.isnan(scores), axis=1)
    total = np.nansum(scores, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_markers > 0, total / np.maximum(n_markers, 1), np.nan)
    return mean, n_markers.astype(np.int64)


_PERSON_COLUMNS = ("person_id", "direction", "coordination", "n_markers", "n")


@metric(
    theme="dominance",
    columns=_PERSON_COLUMNS,
    source="Danescu-Niculescu-Mizil, Lee, Pang & Kleinberg 2012 (Echoes of power); "
    "aggregation as ConvoKit Coordination",
    chart=Chart(kind="scatter", x="n", y="coordination", group="direction"),
)
def coordination_by_person(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Linguistic coordination each person gives (in replies) and receives (from repliers).

    Returns
    -------
    pyarrow.Table
        ``person_id, direction`` (``given``/``received``), ``coordination`` (mean over
        the scored Echoes markers), ``n_markers`` (scored markers), ``n`` (exchanges).
        People with no scored marker are left out. Sorted by direction, person.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> coordination_by_person(tiny_trace()).column_names
    ['person_id', 'direction', 'coordination', 'n_markers', 'n']
    """
    ex = exchanges(trace)
    n_people = len(ex.people)
    parts = []
    directions: tuple[tuple[str, IntArray, Focus], ...] = (
        ("given", ex.speaker, "speakers"),
        ("received", ex.target, "targets"),
    )
    for direction, key, focus in directions:
        scores = coordination_scores(
            key,
            n_people,
            ex.reply_bits,
            ex.target_bits,
            focus=focus,
            markers=ex.markers,
            categories=ex.categories,
        )
        mean, n_markers = key_coordination(scores)
        counts = np.bincount(key, minlength=n_people)
        keep = np.flatnonzero(n_markers > 0)
        parts.append(
            pa.table(
                {
                    "person_id": ex.people.take(pa.array(keep, type=pa.int64())),
                    "direction": pa.array([direction] * keep.size, type=pa.string()),
                    "coordination": pa.array(mean[keep], type=pa.float64()),
                    "n_markers": pa.array(n_markers[keep], type=pa.int64()),
                    "n": pa.array(counts[keep], type=pa.int64()),
                }
            )
        )
    table = pa.concat_tables(parts) if parts else _empty_person()
    return table.sort_by([("direction", "ascending"), ("person_id", "ascending")])


def _empty_person() -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array([], pa.string()),
            "direction": pa.array([], pa.string()),
            "coordination": pa.array([], pa.float64()),
            "n_markers": pa.array([], pa.int64()),
            "n": pa.array([], pa.int64()),
        }
    )


def _split_keys(
    person: IntArray, flag: npt.NDArray[np.bool_], n_people: int
) -> tuple[IntArray, int]:
    """Key = (person, status at the time), like ConvoKit's ``split_by_attribs``."""
    return person * 2 + flag.astype(np.int64), 2 * n_people


def _bootstrap_mean(
    values: FloatArray, *, seed: int, n_boot: int = DEFAULT_N_BOOT
) -> tuple[float, float, float]:
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    # Resamples drawn in blocks of rows (the same random stream and row means as one
    # (n_boot, n) draw) so memory stays at one block, not n_boot x n indices.
    means = np.empty(n_boot)
    step = _block_rows(values.size)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        draws = rng.integers(0, values.size, size=(rows, values.size))
        means[start : start + rows] = values[draws].mean(axis=1)
    lo, hi = percentile_interval(means)
    return float(values.mean()), lo, hi


#: Elements per block of resampled rows (bootstrap and permutation draws).
_BLOCK_ELEMENTS = 1 << 20


def _block_rows(width: int) -> int:
    return max(1, _BLOCK_ELEMENTS // max(width, 1))


_GROUP_COLUMNS = (
    "grouping",
    "group",
    "direction",
    "coordination",
    "coordination_lo",
    "coordination_hi",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="dominance",
    columns=_GROUP_COLUMNS,
    source="Danescu-Niculescu-Mizil, Lee, Pang & Kleinberg 2012 (Echoes of power)",
    chart=Chart(
        kind="errorbar",
        x="group",
        y="coordination",
        group="direction",
        lo="coordination_lo",
        hi="coordination_hi",
        title="Coordination given and received by status (mean over people, 95% CI)",
    ),
)
def coordination_by_group(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Coordination given and received by formal leaders vs others, and core vs periphery.

    A person counts in the group they were in when writing (a leader before their
    appointment counts as ``other`` then). Each person-status's coordination is the
    mean over their scored markers; the group value is the mean over people, with a
    bootstrap CI resampling people. Power predicts receiving more coordination.

    Returns
    -------
    pyarrow.Table
        ``grouping`` (``formal``/``core``), ``group`` (``leader``/``other`` or
        ``core``/``periphery``), ``direction`` (``given``/``received``),
        ``coordination``, ``coordination_lo``, ``coordination_hi``, ``n`` (exchanges),
        ``n_people`` (people with a score).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> coordination_by_group(tiny_trace()).column_names[:3]
    ['grouping', 'group', 'direction']
    """
    ex = exchanges(trace)
    is_formal, is_core = _status_flags(trace)
    rows: list[dict[str, object]] = []
    groupings = (
        ("formal", is_formal[ex.reply], is_formal[ex.parent], ("other", "leader")),
        ("core", is_core[ex.reply], is_core[ex.parent], ("periphery", "core")),
    )
    for grouping, speaker_flag, target_flag, labels in groupings:
        sides: tuple[tuple[str, IntArray, npt.NDArray[np.bool_], Focus], ...] = (
            ("given", ex.speaker, speaker_flag, "speakers"),
            ("received", ex.target, target_flag, "targets"),
        )
        for direction, person, flag, focus in sides:
            key, n_keys = _split_keys(person, flag, len(ex.people))
            scores = coordination_scores(
                key,
                n_keys,
                ex.reply_bits,
                ex.target_bits,
                focus=focus,
                markers=ex.markers,
                categories=ex.categories,
            )
            mean, n_markers = key_coordination(scores)
            counts = np.bincount(key, minlength=n_keys)
            for value, label in enumerate(labels):
                chosen = (np.arange(n_keys) % 2 == value) & (n_markers > 0)
                estimate, lo, hi = _bootstrap_mean(mean[chosen], seed=seed)
                rows.append(
                    {
                        "grouping": grouping,
                        "group": label,
                        "direction": direction,
                        "coordination": estimate,
                        "coordination_lo": lo,
                        "coordination_hi": hi,
                        "n": int(counts[chosen].sum()),
                        "n_people": int(chosen.sum()),
                    }
                )
    if ex.n == 0:
        rows = []
    return pa.Table.from_pylist(rows, schema=_group_schema())


def _group_schema() -> pa.Schema:
    return pa.schema(
        [
            ("grouping", pa.string()),
            ("group", pa.string()),
            ("direction", pa.string()),
            ("coordination", pa.float64()),
            ("coordination_lo", pa.float64()),
            ("coordination_hi", pa.float64()),
            ("n", pa.int64()),
            ("n_people", pa.int64()),
        ]
    )


_GAP_COLUMNS = (
    "comparison",
    "toward_leaders",
    "toward_peers",
    "gap",
    "gap_lo",
    "gap_hi",
    "p_value",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="leadership",
    columns=_GAP_COLUMNS,
    source="Deference gap: Danescu-Niculescu-Mizil et al. 2012 (Echoes of power), "
    "coordination toward formal leaders minus toward peers",
    requires=("messages", "roles"),
    chart=Chart(
        kind="errorbar",
        x="comparison",
        y="gap",
        lo="gap_lo",
        hi="gap_hi",
        title="Coordination toward formal leaders minus toward peers (95% CI over people)",
    ),
)
def deference_gap(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How much more people without a formal role coordinate toward leaders than toward peers.

    For each person without a role at the time who replied both to formal leaders and
    to peers (people without a role), coordination given toward leaders and toward
    peers (ConvoKit's rule, pooled over each set of targets); the gap is the mean of
    the paired differences, with a bootstrap CI resampling people and a sign-flip
    permutation p-value (the null: no difference within person).

    Returns
    -------
    pyarrow.Table
        One row: ``comparison`` (the forest-plot label), ``toward_leaders,
        toward_peers, gap, gap_lo, gap_hi, p_value, n``
        (exchanges used), ``n_people`` (people with both scores).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> deference_gap(tiny_trace()).column_names[:3]
    ['comparison', 'toward_leaders', 'toward_peers']
    """
    ex = exchanges(trace)
    is_formal, _ = _status_flags(trace)
    peer_speech = ~is_formal[ex.reply]
    speaker = ex.speaker[peer_speech]
    to_leader = is_formal[ex.parent][peer_speech]
    n_people = len(ex.people)
    key, n_keys = _split_keys(speaker, to_leader, n_people)
    scores = coordination_scores(
        key,
        n_keys,
        ex.reply_bits[peer_speech],
        ex.target_bits[peer_speech],
        markers=ex.markers,
        categories=ex.categories,
    )
    mean, n_markers = key_coordination(scores)
    pairs = mean.reshape(n_people, 2)  # columns: toward peers, toward leaders
    both = ~np.isnan(pairs).any(axis=1)
    counts = np.bincount(speaker, minlength=n_people)
    toward_peers, toward_leaders = pairs[both, 0], pairs[both, 1]
    diff = toward_leaders - toward_peers
    gap, lo, hi = _bootstrap_mean(diff, seed=seed)
    p_value = _sign_flip_p(diff, seed=seed)
    row = {
        "comparison": "toward leaders minus toward peers",
        "toward_leaders": float(toward_leaders.mean()) if diff.size else float("nan"),
        "toward_peers": float(toward_peers.mean()) if diff.size else float("nan"),
        "gap": gap,
        "gap_lo": lo,
        "gap_hi": hi,
        "p_value": p_value,
        "n": int(counts[both].sum()),
        "n_people": int(both.sum()),
    }
    schema = pa.schema(
        [("comparison", pa.string())]
        + [(c, pa.float64()) for c in _GAP_COLUMNS[1:-2]]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    return pa.Table.from_pylist([row] if diff.size else [], schema=schema)


def _sign_flip_p(diff: FloatArray, *, seed: int, n_perm: int = 2000) -> float:
    if diff.size == 0:
        return float("nan")
    rng = np.random.default_rng(seed + 1)
    null = np.empty(n_perm)
    step = _block_rows(diff.size)
    for start in range(0, n_perm, step):
        rows = min(step, n_perm - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(rows, diff.size))
        null[start : start + rows] = np.abs((signs * diff).mean(axis=1))
    observed = abs(float(diff.mean()))
    return float((1 + np.sum(null >= observed - 1e-12)) / (n_perm + 1))


@finding_rule(theme="leadership")
def deference_to_power(results: Results) -> list[Finding]:
    """People without a role echo formal leaders' style more than their peers'."""
    table = results.get("deference_gap")
    if table is None or table.num_rows == 0:
        return []
    # The row may arrive suppressed (nulls) or with undefined estimates (NaN).
    values = numbers(table.to_pylist()[0], "gap", "gap_lo", "gap_hi", "p_value", "n_people")
    if values is None:
        return []
    gap, lo, hi, p, n_people = values
    if n_people < 5:
        return []
    toward = "more" if gap > 0 else "less"
    decision = Decision(
        test="permutation",
        null="people coordinate alike toward leaders and peers (sign-flip of each "
        "person's difference)",
        estimate=gap,
        ci_low=min(lo, gap),
        ci_high=max(hi, gap),
        p_value=p,
        n=int(n_people),
        unit="people",
    )
    # Deference is a sign of power, not by itself of harm: at most moderate.
    severity = severity_for("deference_to_power", decision)
    return [
        Finding(
            theme="leadership",
            kind="deference_to_power",
            title="Members echo formal leaders' language"
            if gap > 0
            else "Members do not defer to leaders",
            statement=(
                f"People without a formal role coordinate {toward} toward formal leaders than "
                f"toward peers: gap {gap:+.3f} (95% CI {lo:+.3f} to {hi:+.3f}, "
                f"permutation {p_text(p)}) over {count(int(n_people), 'person', 'people')}."
            ),
            severity=severity,
            n=int(n_people),
            effect=abs(gap) * 10,
            confidence=1.0 - p,
            evidence=("leadership/deference_gap",),
            caveat="Function-word coordination also rises with topic overlap; leaders may "
            "answer different kinds of messages than peers do.",
            estimate=gap,
            ci_low=lo,
            ci_high=hi,
            null_model="sign-flip permutation of within-person differences",
            direction="neutral",
            decision=decision,
        )
    ]
