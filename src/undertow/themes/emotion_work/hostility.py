"""Hostile replies: who they target (newcomers? people without status?) and how often they recur.

A reply is hostile when the hostility model (:mod:`undertow.features.tone`, trained on
human-labelled GitHub toxicity) puts its prose at or above the cross-validated
threshold. Replies without prose (a log, a patch) are not counted at all.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.standing import message_standing
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.emotion_work.episodes import message_emotion
from undertow.themes.registry import Chart, PeopleCount, metric

__all__ = ["NEWCOMER_DAYS", "hostility_recurrence", "hostility_targets"]
#: A target is a newcomer during their first this many days in the trace.
NEWCOMER_DAYS = 30.0

_SOURCE = (
    "Hostility and derailment (Zhang et al. 2018, 'Conversations gone awry'; Sarker et al. "
    "2025, toxicity in open source); Pemberton, Mavin & Stalker 2007 (T5)"
)

_TARGET_COLUMNS = (
    "grouping",
    "group",
    "hostile_rate",
    "hostile_rate_lo",
    "hostile_rate_hi",
    "n",
    "n_people",
)


def _hostile_replies(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Rows of replies with prose to someone else, and whether each is hostile."""
    arrays = message_arrays(trace)
    emotion = message_emotion(trace)
    replied = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    reply = np.flatnonzero(replied & emotion.has_tone)
    return reply, emotion.hostile[reply]


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_TARGET_COLUMNS,
    source=_SOURCE,
    chart=Chart(
        kind="errorbar",
        x="group",
        y="hostile_rate",
        group="grouping",
        lo="hostile_rate_lo",
        hi="hostile_rate_hi",
        title="Share of replies that are hostile, by the target's standing (95% CI)",
    ),
)
def hostility_targets(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of replies that are hostile, by the standing of the person replied to.

    Groups by the target's standing when they wrote the replied-to message:
    ``tenure`` (``newcomer`` in their first ``NEWCOMER_DAYS`` days, else
    ``veteran``), ``formal`` (``leader``/``other``), ``core`` (``core``/``periphery``).
    CIs resample targets (people).

    Returns
    -------
    pyarrow.Table
        ``grouping, group, hostile_rate, hostile_rate_lo, hostile_rate_hi, n``
        (replies), ``n_people`` (targets).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> hostility_targets(tiny_trace()).column("group").to_pylist()
    ['newcomer', 'leader', 'other', 'periphery']
    """
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    reply, hostile = _hostile_replies(trace)
    parent = arrays.parent[reply]
    target = arrays.author[parent]
    groupings = (
        ("tenure", standing.tenure_days[parent] < NEWCOMER_DAYS, ("veteran", "newcomer")),
        ("formal", standing.is_formal[parent], ("other", "leader")),
        ("core", standing.is_core[parent], ("periphery", "core")),
    )
    rows: list[dict[str, object]] = []
    for grouping, flag, labels in groupings:
        for value in (True, False):
            chosen = flag == value
            people, inverse = np.unique(target[chosen], return_inverse=True)
            if people.size == 0:
                continue
            hits = np.bincount(inverse, weights=hostile[chosen].astype(np.float64))
            count = np.bincount(inverse).astype(np.float64)
            rate, lo, hi = bootstrap_ratio_ci(hits, count, seed=seed)
            rows.append(
                {
                    "grouping": grouping,
                    "group": labels[int(value)],
                    "hostile_rate": rate,
                    "hostile_rate_lo": lo,
                    "hostile_rate_hi": hi,
                    "n": int(count.sum()),
                    "n_people": int(people.size),
                }
            )
    schema = pa.schema(
        [("grouping", pa.string()), ("group", pa.string())]
        + [(c, pa.float64()) for c in _TARGET_COLUMNS[2:5]]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


_RECURRENCE_COLUMNS = (
    "n_hostile",
    "n_hostile_authors",
    "repeat_author_share",
    "repeat_author_reply_share",
    "n_targets",
    "repeat_target_share",
    "n",
)


@metric(
    theme="emotion_work",
    columns=_RECURRENCE_COLUMNS,
    source=_SOURCE,
    people=(
        PeopleCount(
            "n_hostile_authors", covers=("repeat_author_share", "repeat_author_reply_share")
        ),
        PeopleCount("n_targets", covers=("repeat_target_share",)),
    ),
)
def hostility_recurrence(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Whether hostility recurs: repeat hostile authors and repeatedly targeted people.

    Returns
    -------
    pyarrow.Table
        One row: ``n_hostile`` (hostile replies), ``n_hostile_authors``,
        ``repeat_author_share`` (authors with 2+ hostile replies),
        ``repeat_author_reply_share`` (hostile replies written by them), ``n_targets``,
        ``repeat_target_share`` (targets hit 2+ times), ``n`` (replies).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> hostility_recurrence(tiny_trace()).column("n_hostile").to_pylist()
    [0]
    """
    arrays = message_arrays(trace)
    reply, hostile = _hostile_replies(trace)
    authors = arrays.author[reply][hostile]
    targets = arrays.author[arrays.parent[reply]][hostile]
    _, per_author = np.unique(authors, return_counts=True)
    _, per_target = np.unique(targets, return_counts=True)

    def share(values: np.ndarray) -> float:
        return float(values.mean()) if values.size else float("nan")

    row = {
        "n_hostile": int(hostile.sum()),
        "n_hostile_authors": int(per_author.size),
        "repeat_author_share": share(per_author >= 2),
        "repeat_author_reply_share": float(per_author[per_author >= 2].sum() / per_author.sum())
        if per_author.size
        else float("nan"),
        "n_targets": int(per_target.size),
        "repeat_target_share": share(per_target >= 2),
        "n": int(reply.size),
    }
    ints = ("n_hostile", "n_hostile_authors", "n_targets", "n")
    schema = pa.schema(
        [(c, pa.int64() if c in ints else pa.float64()) for c in _RECURRENCE_COLUMNS]
    )
    if arrays.n == 0:
        return schema.empty_table()
    return pa.Table.from_pylist([row], schema=schema)
