"""Display rules: whether affect is suppressed where the organisation is present."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ci
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.emotion_work.episodes import message_emotion, trace_rows
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = ["MIN_MESSAGES_PER_SPACE", "display_rules"]

#: Messages a person needs in each kind of space to enter the same-people comparison.
MIN_MESSAGES_PER_SPACE = 3

_COLUMNS = (
    "scope",
    "governance",
    "affect_mean",
    "affect_mean_lo",
    "affect_mean_hi",
    "affect_variance",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="emotion_work",
    columns=_COLUMNS,
    source="Display rules and emotional labour (Hochschild 1983; Ekman & Friesen 1969); "
    "Pemberton, Mavin & Stalker 2007 (T5)",
    requires=("messages", "spaces"),
    chart=Chart(
        kind="errorbar",
        x="governance",
        y="affect_mean",
        group="scope",
        lo="affect_mean_lo",
        hi="affect_mean_hi",
        title="Affect in official vs emergent spaces (95% CI over people)",
    ),
)
def display_rules(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Mean and variance of affect in official vs emergent spaces, overall and for the same people.

    ``scope = all``: every message in spaces of each governance (CI resampling
    people). ``scope = same_people``: people with at least ``MIN_MESSAGES_PER_SPACE``
    messages in both kinds; per person the mean and variance of their affect in each
    kind, averaged over people, and a ``difference`` row (official minus emergent,
    paired per person, bootstrap CI over people). Lower variance in official spaces
    for the same people reads as emotional suppression where power is present.

    Returns
    -------
    pyarrow.Table
        ``scope, governance, affect_mean, affect_mean_lo, affect_mean_hi,
        affect_variance, n`` (messages), ``n_people``.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": f"m{i}", "author_id": "ab"[i % 2], "space_id": "so"[i // 2 % 2],
    ...       "text": ["Great!", "Awful."][i % 2]} for i in range(16)],
    ...     spaces=[{"space_id": "o", "governance": "official"},
    ...             {"space_id": "s", "governance": "emergent"}])
    >>> table = display_rules(trace)
    >>> table.column("governance").to_pylist()
    ['emergent', 'official', 'difference', 'emergent', 'official']
    """
    schema = pa.schema(
        [("scope", pa.string()), ("governance", pa.string())]
        + [(c, pa.float64()) for c in _COLUMNS[2:6]]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    if trace.n_messages == 0:
        return schema.empty_table()
    spaces = trace.arrow("spaces")
    kinds = set(spaces.column("governance").to_pylist())
    if not {"official", "emergent"} <= kinds:
        raise MetricSkipped("needs both official and emergent spaces")
    arrays = message_arrays(trace)
    emotion = message_emotion(trace)
    messages = trace.arrow("messages")
    space_of = pc.index_in(messages.column("space_id"), value_set=spaces.column("space_id"))
    # Each message's space as a row of the spaces table, in thread order (-1: unknown).
    space_row = np.asarray(space_of.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    space_row = space_row[trace_rows(trace)]
    governance_of_space = spaces.column("governance").combine_chunks()
    rows: list[dict[str, object]] = []
    per_person: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for kind in ("emergent", "official"):
        is_kind = pc.fill_null(pc.equal(governance_of_space, kind), False)
        space_is_kind = np.append(is_kind.to_numpy(zero_copy_only=False).astype(bool), False)
        chosen = space_is_kind[space_row]
        people, inverse = np.unique(arrays.author[chosen], return_inverse=True)
        values = emotion.compound[chosen]
        count = np.bincount(inverse, minlength=people.size).astype(np.float64)
        total = np.bincount(inverse, weights=values, minlength=people.size)
        squares = np.bincount(inverse, weights=values**2, minlength=people.size)
        per_person[kind] = (people, count, np.column_stack([total, squares]))
        estimate, lo, hi = bootstrap_ci(
            np.column_stack([total, count]),
            lambda x: float(x[:, 0].sum() / x[:, 1].sum()) if x[:, 1].sum() else float("nan"),
            seed=seed,
        )
        rows.append(
            {
                "scope": "all",
                "governance": kind,
                "affect_mean": estimate,
                "affect_mean_lo": lo,
                "affect_mean_hi": hi,
                "affect_variance": float(values.var()) if values.size else float("nan"),
                "n": int(values.size),
                "n_people": int(people.size),
            }
        )
    rows.extend(_same_people(per_person, seed=seed))
    return pa.Table.from_pylist(rows, schema=schema)


def _same_people(
    per_person: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], *, seed: int
) -> list[dict[str, object]]:
    emergent_people, emergent_count, emergent_sums = per_person["emergent"]
    official_people, official_count, official_sums = per_person["official"]
    both, e_index, o_index = np.intersect1d(emergent_people, official_people, return_indices=True)
    enough = (emergent_count[e_index] >= MIN_MESSAGES_PER_SPACE) & (
        official_count[o_index] >= MIN_MESSAGES_PER_SPACE
    )
    if not enough.any():
        return []
    e_index, o_index = e_index[enough], o_index[enough]

    def moments(sums: np.ndarray, count: np.ndarray, index: np.ndarray) -> np.ndarray:
        mean = sums[index, 0] / count[index]
        variance = sums[index, 1] / count[index] - mean**2
        return np.column_stack([mean, variance])

    emergent = moments(emergent_sums, emergent_count, e_index)
    official = moments(official_sums, official_count, o_index)
    rows: list[dict[str, object]] = []
    n_people = int(e_index.size)
    for kind, values, count in (
        ("difference", official - emergent, emergent_count[e_index] + official_count[o_index]),
        ("emergent", emergent, emergent_count[e_index]),
        ("official", official, official_count[o_index]),
    ):
        estimate, lo, hi = bootstrap_ci(values[:, 0], lambda x: float(np.mean(x)), seed=seed)
        rows.append(
            {
                "scope": "same_people",
                "governance": kind,
                "affect_mean": estimate,
                "affect_mean_lo": lo,
                "affect_mean_hi": hi,
                "affect_variance": float(values[:, 1].mean()),
                "n": int(count.sum()),
                "n_people": n_people,
            }
        )
    return rows
