"""Emotional episodes and their containment, as thread-ordered arrays shared by the T5 metrics.

An *emotional episode* is a message whose prose is hostile or negative by an absolute,
label-calibrated criterion (:mod:`undertow.features.tone`: hostility probability, or
negative-polarity probability, at or above the threshold chosen by cross-validation
on human labels), or that carries an explicit distress marker. A message without prose
(a log, a patch) is never an episode. It is *contained* when, within ``k`` messages
and ``T`` hours in the same thread, someone else replies with emotional support
(:mod:`undertow.features.support`) and the thread's valence (``p_positive -
p_negative``) recovers to its baseline (the mean valence of the thread's messages with
tone before the episode, or neutral when there are none): the mean valence of the
supportive reply and the next ``k`` messages with tone is at least the baseline.

The same rule is applied to every message with prose (``answered``), so that the
containment of episodes can be compared with how often the same response follows
other messages of the same threads
(:func:`~undertow.themes.emotion_work.containment.containment_contrast`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.support import message_support
from undertow.features.text import lower_case
from undertow.features.threads import MessageArrays, message_arrays
from undertow.features.tone import message_tone
from undertow.features.tone_text import message_tone_text
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "CONTAINMENT_HOURS",
    "CONTAINMENT_MESSAGES",
    "DISTRESS",
    "Emotion",
    "message_emotion",
    "trace_rows",
]

#: Messages after an episode within which support must come (``k``).
CONTAINMENT_MESSAGES = 5
#: Hours after an episode within which support must come (``T``).
CONTAINMENT_HOURS = 72.0

#: Explicit distress markers (RE2, lower-cased own words).
DISTRESS = (
    r"\b(?:frustrat\w*|desperate\w*|hopeless|give up|giving up|fed up|upset|miserable|"
    r"anxious|worried sick|at my wits|pulling my hair|losing my mind|i'm stuck|i am stuck|"
    r"so stuck|sick of|tired of|nothing (?:i try )?works|driving me (?:crazy|nuts|mad))"
)

_US_PER_HOUR = 3_600_000_000

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Emotion:
    """Per-message affect, support and episodes in :func:`message_arrays` order.

    Attributes
    ----------
    compound
        VADER compound of the message's own words (for comparison only).
    valence
        ``p_positive - p_negative`` of the message's prose (NaN without prose).
    has_tone
        The message has prose to measure.
    hostile
        The message is hostile (False without prose).
    supportive
        The message shows emotional support (not mere courtesy).
    support_reply
        Supportive *and* a reply to someone else's message.
    episode
        The message is an emotional episode.
    contained
        The episode was contained (False for non-episodes).
    answered
        The message, episode or not, was followed by the containing response: a
        supportive message from someone else within the window and a recovery of
        valence to the baseline (False without prose).
    support_row
        Row of the containing supportive reply, or -1.
    hours_to_containment
        Hours from the episode to its supportive reply (NaN when not contained).
    """

    compound: FloatArray
    valence: FloatArray
    has_tone: BoolArray
    hostile: BoolArray
    supportive: BoolArray
    support_reply: BoolArray
    episode: BoolArray
    contained: BoolArray
    support_row: IntArray
    hours_to_containment: FloatArray
    answered: BoolArray


def trace_rows(trace: Trace) -> IntArray:
    """For each message in :func:`message_arrays` order, its row in the trace.

    Per-message feature tables are in trace order: ``column[trace_rows(trace)]`` puts
    one in thread order without looking up message ids (the permutation kept by
    :func:`message_arrays`).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> ids = trace.arrow("messages").column("message_id").take(trace_rows(trace))
    >>> ids.to_pylist() == message_arrays(trace).message_id.to_pylist()
    True
    """
    rows: IntArray = message_arrays(trace).trace_row
    return rows


def _distress(texts: pa.Array) -> pa.Table:
    lowered = lower_case(pc.fill_null(texts, ""))
    return pa.table({"distress": pc.match_substring_regex(lowered, DISTRESS)})


def message_emotion(trace: Trace) -> Emotion:
    """Episodes and containment of every message (memoised on the trace).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([
    ...     {"message_id": "q", "author_id": "a", "text": "I am so frustrated, this is awful."},
    ...     {"message_id": "r", "author_id": "b", "parent_id": "q",
    ...      "text": "Don't worry, happens to everyone. Great that you asked!"},
    ... ])
    >>> emotion = message_emotion(trace)
    >>> emotion.episode.tolist(), emotion.contained.tolist()
    ([True, False], [True, False])
    """

    def compute() -> Emotion:
        arrays = message_arrays(trace)
        n = arrays.n
        if n == 0:
            empty_b, empty_f = np.zeros(0, dtype=bool), np.zeros(0)
            return Emotion(
                empty_f,
                empty_f,
                empty_b,
                empty_b,
                empty_b,
                empty_b,
                empty_b,
                empty_b,
                np.zeros(0, np.int64),
                empty_f,
                empty_b,
            )
        rows = trace_rows(trace)
        tone = message_tone(trace)

        def flag(name: str) -> BoolArray:
            values = pc.fill_null(tone.column(name), False).to_numpy(zero_copy_only=False)
            result: BoolArray = np.asarray(values, dtype=bool)[rows]
            return result

        compound = tone.column("vader_compound").to_numpy().astype(np.float64)[rows]
        valence = np.asarray(
            pc.fill_null(tone.column("valence"), np.nan).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )[rows]
        has_tone = flag("has_tone")
        hostile = flag("is_hostile")
        support = message_support(trace).column("is_supportive")
        supportive = support.to_numpy().astype(bool)[rows]
        # Row slices bound the lower-cased copy of the texts.
        distress_table = map_chunks(_distress, message_tone_text(trace))
        distress = distress_table.column("distress").to_numpy().astype(bool)[rows]
        has_parent = arrays.parent >= 0
        support_reply = supportive & has_parent & (arrays.parent_author != arrays.author)
        episode = has_tone & (hostile | flag("is_negative") | distress)
        # The rule is per message, so one pass over every message with prose gives both
        # the episodes' containment and the same response after other messages.
        emotion = _contain(arrays, valence, supportive, has_tone)
        contained = emotion.contained & episode
        return Emotion(
            compound=compound,
            valence=valence,
            has_tone=has_tone,
            hostile=hostile,
            supportive=supportive,
            support_reply=support_reply,
            episode=episode,
            contained=contained,
            support_row=np.where(contained, emotion.support_row, -1),
            hours_to_containment=np.where(contained, emotion.hours_to_containment, np.nan),
            answered=emotion.contained,
        )

    result: Emotion = trace.cached("message_emotion", compute)
    return result


@dataclass(frozen=True)
class _Containment:
    contained: BoolArray
    support_row: IntArray
    hours_to_containment: FloatArray


def _contain(
    arrays: MessageArrays,
    valence: FloatArray,
    supportive: BoolArray,
    episode: BoolArray,
) -> _Containment:
    """The containment rule for the messages flagged in ``episode`` (others: not contained)."""
    n = arrays.n
    thread_end = (arrays.thread_start + arrays.thread_size)[arrays.thread]  # exclusive
    toned = np.isfinite(valence)
    # Means over the messages that have tone: sums of valence and counts of such messages.
    cumulative = np.concatenate(([0.0], np.cumsum(np.where(toned, valence, 0.0))))
    counted = np.concatenate(([0], np.cumsum(toned.astype(np.int64))))
    rows = np.flatnonzero(episode)
    support_row = np.full(n, -1, dtype=np.int64)
    found = np.full(rows.size, -1, dtype=np.int64)
    for offset in range(1, CONTAINMENT_MESSAGES + 1):
        # One pass per offset (k is a small constant), all episodes at once.
        candidate = rows + offset
        inside = candidate < thread_end[rows]
        safe = np.minimum(candidate, n - 1)
        hours = (arrays.created[safe] - arrays.created[rows]) / _US_PER_HOUR
        ok = (
            inside
            & (found < 0)
            & (hours <= CONTAINMENT_HOURS)
            & supportive[safe]
            & (arrays.author[safe] != arrays.author[rows])
        )
        found = np.where(ok, safe, found)
    start = arrays.thread_start[arrays.thread[rows]]
    before = counted[rows] - counted[start]
    baseline = np.where(
        before > 0, (cumulative[rows] - cumulative[start]) / np.maximum(before, 1), 0.0
    )
    has_support = found >= 0
    window_start = np.where(has_support, found, 0)
    window_end = np.minimum(window_start + CONTAINMENT_MESSAGES + 1, thread_end[rows])
    window_end = np.where(has_support, window_end, window_start + 1)
    n_after = counted[window_end] - counted[window_start]
    after_mean = np.where(
        n_after > 0,
        (cumulative[window_end] - cumulative[window_start]) / np.maximum(n_after, 1),
        0.0,
    )
    contained_rows = has_support & (after_mean >= baseline)
    contained = np.zeros(n, dtype=bool)
    contained[rows] = contained_rows
    support_row[rows] = np.where(contained_rows, found, -1)
    hours = np.full(n, np.nan)
    safe_found = np.maximum(found, 0)
    hours[rows] = np.where(
        contained_rows, (arrays.created[safe_found] - arrays.created[rows]) / _US_PER_HOUR, np.nan
    )
    return _Containment(contained=contained, support_row=support_row, hours_to_containment=hours)
