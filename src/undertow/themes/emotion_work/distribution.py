"""Who does the emotion work: concentration, shares by status, and unreciprocated support."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.inequality import gini_ci
from undertow.features.standing import message_standing
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.emotion_work.episodes import message_emotion
from undertow.themes.registry import Chart, PeopleCount, metric

__all__ = [
    "CARER_SHARE",
    "DISPROPORTION",
    "carers",
    "emotion_work_by_group",
    "emotion_work_distribution",
    "unreciprocated_emotion_work",
]

#: Carers: the smallest set of people giving this share of all supportive replies.
CARER_SHARE = 0.8
#: A carer's share of support is at least this multiple of their share of messages.
DISPROPORTION = 2.0

_SOURCE = (
    "Emotion work (Hochschild 1983; Pemberton, Mavin & Stalker 2007, T5); support markers "
    "after Sharma et al. 2020 (EPITOME)"
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _support_given(trace: Trace) -> tuple[FloatArray, FloatArray]:
    """Supportive replies and all replies to others, per author code."""
    arrays = message_arrays(trace)
    emotion = message_emotion(trace)
    n_people = arrays.n_people
    reply = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    given = np.bincount(
        arrays.author, weights=emotion.support_reply.astype(np.float64), minlength=n_people
    )
    replies = np.bincount(arrays.author, weights=reply.astype(np.float64), minlength=n_people)
    return given.astype(np.float64), replies.astype(np.float64)


def carers(trace: Trace) -> list[str]:
    """Pseudonyms of the people carrying the emotion work.

    Among the smallest set of people giving 80% of all supportive replies, those whose
    share of support is at least twice their share of messages.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> carers(tiny_trace())
    []
    """
    arrays = message_arrays(trace)
    given, _ = _support_given(trace)
    total = given.sum()
    if total == 0:
        return []
    # Most support first; ties broken by pseudonym so the set is deterministic.
    order = np.lexsort((np.arange(given.size), -given))
    cumulative = np.cumsum(given[order])
    size = int(np.searchsorted(cumulative, CARER_SHARE * total - 1e-9) + 1)
    top = order[:size]
    # Of those, the carers are the ones whose share of support is at least twice their
    # share of messages: people who are simply very active are not singled out.
    messages = np.bincount(arrays.author, minlength=arrays.n_people).astype(np.float64)
    ratio = (given[top] / total) / (messages[top] / messages.sum())
    chosen: list[str] = arrays.people.take(top[ratio >= DISPROPORTION]).to_pylist()
    return sorted(chosen)


_DISTRIBUTION_COLUMNS = (
    "measure",
    "gini",
    "gini_lo",
    "gini_hi",
    "message_gini",
    "n_carers",
    "carers_support_share",
    "carers_message_share",
    "n_supportive",
    "n",
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_DISTRIBUTION_COLUMNS,
    source=_SOURCE,
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="gini",
        lo="gini_lo",
        hi="gini_hi",
        title="Concentration (Gini) of supportive replies across repliers (95% CI)",
    ),
    people=(PeopleCount("n_carers", covers=("carers_support_share", "carers_message_share")),),
)
def emotion_work_distribution(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How concentrated supportive replies are, compared with how concentrated talk is.

    The Gini of supportive replies across people who replied to someone (bootstrap CI
    resampling people) beside the Gini of their messages; the *carers* (:func:`carers`:
    people among those giving half of all support whose support share is at least
    twice their message share), with their share of support and of messages.

    Returns
    -------
    pyarrow.Table
        One row: ``measure`` (the forest-plot label), ``gini, gini_lo, gini_hi,
        message_gini, n_carers,
        carers_support_share, carers_message_share, n_supportive`` (supportive
        replies), ``n`` (people who replied). Empty without supportive replies.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> emotion_work_distribution(tiny_trace()).num_rows
    0
    """
    arrays = message_arrays(trace)
    given, replies = _support_given(trace)
    schema = pa.schema(
        [
            (
                c,
                pa.string()
                if c == "measure"
                else pa.int64()
                if c in ("n_carers", "n_supportive", "n")
                else pa.float64(),
            )
            for c in _DISTRIBUTION_COLUMNS
        ]
    )
    repliers = replies > 0
    if given.sum() == 0:
        return schema.empty_table()
    messages = np.bincount(arrays.author, minlength=arrays.n_people).astype(np.float64)
    g, lo, hi = gini_ci(given[repliers], seed=seed)
    message_g, _, _ = gini_ci(messages[repliers], seed=seed, n_boot=1)
    chosen = carers(trace)
    is_carer = np.isin(arrays.people.to_numpy(zero_copy_only=False), chosen)
    row = {
        "measure": "supportive replies per replier",
        "gini": g,
        "gini_lo": lo,
        "gini_hi": hi,
        "message_gini": message_g,
        "n_carers": len(chosen),
        "carers_support_share": float(given[is_carer].sum() / given.sum()),
        "carers_message_share": float(messages[is_carer].sum() / messages.sum()),
        "n_supportive": int(given.sum()),
        "n": int(repliers.sum()),
    }
    return pa.Table.from_pylist([row], schema=schema)


_GROUP_COLUMNS = (
    "grouping",
    "group",
    "support_share",
    "reply_share",
    "support_rate",
    "support_rate_lo",
    "support_rate_hi",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_GROUP_COLUMNS,
    source=_SOURCE,
    chart=Chart(
        kind="errorbar",
        x="group",
        y="support_rate",
        group="grouping",
        lo="support_rate_lo",
        hi="support_rate_hi",
        title="Supportive replies per reply, by status (95% CI over people)",
    ),
)
def emotion_work_by_group(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Who performs the supportive replies: by formal role, core/periphery and formal unit.

    A reply counts in the group its author was in when writing it. ``support_share``
    is the group's share of all supportive replies, ``reply_share`` its share of all
    replies (the fair share), ``support_rate`` its supportive replies per reply with a
    bootstrap CI resampling people. Units come from the roster only when supplied;
    the pipeline suppresses groups of fewer than k people (``n_people``).

    Returns
    -------
    pyarrow.Table
        ``grouping`` (``formal``, ``core``, ``unit``), ``group``, ``support_share``,
        ``reply_share``, ``support_rate`` (``_lo``/``_hi``), ``n`` (replies),
        ``n_people``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> sorted(set(emotion_work_by_group(tiny_trace()).column("grouping").to_pylist()))
    ['core', 'formal', 'unit']
    """
    arrays = message_arrays(trace)
    emotion = message_emotion(trace)
    standing = message_standing(trace)
    reply = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    rows: list[dict[str, object]] = []
    total_support = float(emotion.support_reply.sum())
    total_replies = float(reply.sum())
    # Each grouping as integer label codes and the label names (no per-message strings).
    groupings: list[tuple[str, IntArray, list[str]]] = [
        ("formal", np.where(standing.is_formal, 0, 1), ["leader", "other"]),
        ("core", np.where(standing.is_core, 0, 1), ["core", "periphery"]),
    ]
    if trace.has("roles", "unit"):
        units = pc.dictionary_encode(arrays.formal_unit.fill_null("(none)"))
        unit_codes = np.asarray(units.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        groupings.append(("unit", unit_codes, [str(u) for u in units.dictionary.to_pylist()]))
    for grouping, codes, names in groupings:
        present = np.unique(codes[reply]).tolist()
        for code in sorted(present, key=lambda c: names[c]):
            label = names[code]
            in_group = reply & (codes == code)
            people, inverse = np.unique(arrays.author[in_group], return_inverse=True)
            support = np.bincount(inverse, weights=emotion.support_reply[in_group].astype(float))
            count = np.bincount(inverse).astype(np.float64)
            rate, lo, hi = bootstrap_ratio_ci(support, count, seed=seed)
            rows.append(
                {
                    "grouping": grouping,
                    "group": str(label),
                    "support_share": float(support.sum() / total_support)
                    if total_support
                    else float("nan"),
                    "reply_share": float(count.sum() / total_replies),
                    "support_rate": rate,
                    "support_rate_lo": lo,
                    "support_rate_hi": hi,
                    "n": int(count.sum()),
                    "n_people": int(people.size),
                }
            )
    schema = pa.schema(
        [("grouping", pa.string()), ("group", pa.string())]
        + [(c, pa.float64()) for c in _GROUP_COLUMNS[2:7]]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


_UNRECIPROCATED_COLUMNS = (
    "person_id",
    "support_given",
    "support_received",
    "unreciprocated",
    "n",
)


@metric(
    theme="emotion_work",
    columns=_UNRECIPROCATED_COLUMNS,
    source=_SOURCE,
    chart=Chart(kind="scatter", x="support_received", y="support_given"),
)
def unreciprocated_emotion_work(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Support each supporter gave and received: who gives support but never gets any.

    Returns
    -------
    pyarrow.Table
        One row per person who gave at least one supportive reply: ``person_id``,
        ``support_given``, ``support_received`` (supportive replies to their
        messages), ``unreciprocated`` (gave, never received), ``n`` (their replies).
        Sorted by support given (descending), then person.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> unreciprocated_emotion_work(tiny_trace()).num_rows
    0
    """
    arrays = message_arrays(trace)
    emotion = message_emotion(trace)
    given, replies = _support_given(trace)
    received = np.bincount(
        np.maximum(arrays.parent_author[emotion.support_reply], 0), minlength=arrays.n_people
    ).astype(np.float64)
    if not emotion.support_reply.any():
        received = np.zeros(arrays.n_people)
    keep = np.flatnonzero(given > 0)
    order = (
        keep[np.lexsort((arrays.people.take(keep).to_pylist(), -given[keep]))]
        if keep.size
        else keep
    )
    return pa.table(
        {
            "person_id": arrays.people.take(pa.array(order, type=pa.int64())),
            "support_given": pa.array(given[order].astype(np.int64)),
            "support_received": pa.array(received[order].astype(np.int64)),
            "unreciprocated": pa.array(received[order] == 0),
            "n": pa.array(replies[order].astype(np.int64)),
        }
    )
