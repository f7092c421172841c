"""Canonical adherence (reviewed before merge) and norm entrenchment (who may change the rules)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.standing import message_standing
from undertow.features.text import message_own_words
from undertow.features.threads import message_arrays
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["NEWCOMER_DAYS", "PROCESS_TERMS", "canonical_adherence", "norm_entrenchment"]

#: An author is a newcomer during their first this many days.
NEWCOMER_DAYS = 180.0
#: Words that mark a proposal as a change of process or norms (RE2, lower case).
PROCESS_TERMS = (
    r"\b(?:process|policy|policies|guideline|guidelines|workflow|convention|conventions|"
    r"procedure|procedures|code of conduct|coding style|contributing|maintainers|governance|"
    r"release checklist|rules?)\b"
)

_SOURCE = "Canonical practice and its workarounds (Brown & Duguid 1991); Pemberton et al. 2007 (T7)"


@metric(
    seeded=True,
    theme="divergence",
    columns=("year", "adherence_rate", "adherence_rate_lo", "adherence_rate_hi", "n", "n_people"),
    source=_SOURCE + "; review before merge as the documented process",
    chart=Chart(
        kind="line",
        x="year",
        y="adherence_rate",
        lo="adherence_rate_lo",
        hi="adherence_rate_hi",
        title="Share of commits reviewed or acknowledged (95% CI over authors)",
    ),
)
def canonical_adherence(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of commits that went through the documented review: a review or ack attached.

    A commit (kind ``commit``) adheres when a message of kind ``review`` or ``ack``
    replies to it (ingest turns Reviewed-by/Acked-by trailers and PR reviews into such
    replies). Per year, with a CI resampling commit authors. Empty when the trace has
    no commits (not observable).

    Returns
    -------
    pyarrow.Table
        ``year`` (start of the year, UTC), ``adherence_rate`` (``_lo``/``_hi``), ``n``
        (commits), ``n_people`` (commit authors).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([
    ...     {"message_id": "c1", "author_id": "a", "kind": "commit"},
    ...     {"message_id": "r1", "author_id": "b", "parent_id": "c1", "kind": "review"},
    ...     {"message_id": "c2", "author_id": "a", "kind": "commit"}])
    >>> canonical_adherence(trace).column("adherence_rate").to_pylist()
    [0.5]
    """
    schema = pa.schema(
        [
            ("year", pa.timestamp("us", tz="UTC")),
            ("adherence_rate", pa.float64()),
            ("adherence_rate_lo", pa.float64()),
            ("adherence_rate_hi", pa.float64()),
            ("n", pa.int64()),
            ("n_people", pa.int64()),
        ]
    )
    arrays = message_arrays(trace)

    # Kinds compared in Arrow: a Python object per message would cost ~100 bytes each.
    def is_kind(*kinds: str) -> npt.NDArray[np.bool_]:
        hit = pc.is_in(arrays.kind, value_set=pa.array(kinds))
        return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)

    commit = is_kind("commit")
    if not commit.any():
        return schema.empty_table()
    reviewed = np.zeros(arrays.n, dtype=bool)
    approving = is_kind("review", "ack") & (arrays.parent >= 0)
    reviewed[arrays.parent[approving]] = True
    created = pa.array(arrays.created, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    year = pc.floor_temporal(created, unit="year").cast(pa.int64()).to_numpy(zero_copy_only=False)
    rows: list[dict[str, object]] = []
    for start in np.unique(year[commit]):
        chosen = commit & (year == start)
        people, inverse = np.unique(arrays.author[chosen], return_inverse=True)
        hits = np.bincount(inverse, weights=reviewed[chosen].astype(np.float64))
        count = np.bincount(inverse).astype(np.float64)
        rate, lo, hi = bootstrap_ratio_ci(hits, count, seed=seed)
        rows.append(
            {
                "year": int(start),
                "adherence_rate": rate,
                "adherence_rate_lo": lo,
                "adherence_rate_hi": hi,
                "n": int(count.sum()),
                "n_people": int(people.size),
            }
        )
    table = pa.Table.from_pylist(rows, schema=schema.set(0, pa.field("year", pa.int64())))
    return table.set_column(0, "year", table.column("year").cast(pa.timestamp("us", tz="UTC")))


_NORM_COLUMNS = (
    "group",
    "acceptance_rate",
    "acceptance_rate_lo",
    "acceptance_rate_hi",
    "n",
    "n_people",
)


@metric(
    seeded=True,
    theme="divergence",
    columns=_NORM_COLUMNS,
    source=_SOURCE + "; legitimate peripheral participation (Lave & Wenger 1991)",
    requires=("messages", "outcomes"),
    chart=Chart(
        kind="errorbar",
        x="group",
        y="acceptance_rate",
        lo="acceptance_rate_lo",
        hi="acceptance_rate_hi",
        title="Acceptance of process/norm changes by the proposer's tenure (95% CI)",
    ),
    observes=("rejections",),
)
def norm_entrenchment(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Acceptance rate of proposed process/norm changes, newcomers vs veterans.

    A proposal is a contribution (patch, commit, answer) or a thread-starting post whose
    own words mention process or norms (:data:`PROCESS_TERMS`); it is accepted when an
    outcome names it (merged, applied, accepted) or, for a thread start, when its
    thread has an outcome. Newcomers are in their first ``NEWCOMER_DAYS`` days. CIs
    resample proposers. Entrenched norms: veterans' changes accepted, newcomers' not.

    Returns
    -------
    pyarrow.Table
        ``group`` (``newcomer``/``veteran``), ``acceptance_rate`` (``_lo``/``_hi``),
        ``n`` (proposals), ``n_people``.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": "p1", "author_id": "a", "kind": "patch",
    ...       "text": "Update the release process."}],
    ...     outcomes=[{"thread_id": "p1", "message_id": "p1", "kind": "merged"}])
    >>> norm_entrenchment(trace).select(["group", "acceptance_rate"]).to_pylist()
    [{'group': 'newcomer', 'acceptance_rate': 1.0}]
    """
    schema = pa.schema(
        [("group", pa.string())]
        + [(c, pa.float64()) for c in _NORM_COLUMNS[1:4]]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return schema.empty_table()
    standing = message_standing(trace)
    words = pc.utf8_lower(pc.fill_null(message_own_words(trace), ""))
    mentions_trace = pc.match_substring_regex(words, PROCESS_TERMS)
    mentions = (
        mentions_trace.take(pa.array(arrays.trace_row)).to_numpy(zero_copy_only=False).astype(bool)
    )
    starts = arrays.position == 0
    proposal = mentions & (arrays.is_contribution | starts)
    outcomes = trace.arrow("outcomes")
    accepted_ids = pc.drop_null(outcomes.column("message_id"))
    accepted = pc.is_in(arrays.message_id, value_set=accepted_ids).to_numpy(zero_copy_only=False)
    resolved_threads = pc.is_in(
        arrays.thread_ids, value_set=pc.unique(outcomes.column("thread_id"))
    ).to_numpy(zero_copy_only=False)
    accepted = accepted | (starts & resolved_threads[arrays.thread])
    newcomer = standing.tenure_days < NEWCOMER_DAYS
    rows: list[dict[str, object]] = []
    for label, flag in (("newcomer", True), ("veteran", False)):
        chosen = proposal & (newcomer == flag)
        if not chosen.any():
            continue
        people, inverse = np.unique(arrays.author[chosen], return_inverse=True)
        hits = np.bincount(inverse, weights=accepted[chosen].astype(np.float64))
        count = np.bincount(inverse).astype(np.float64)
        rate, lo, hi = bootstrap_ratio_ci(hits, count, seed=seed)
        rows.append(
            {
                "group": label,
                "acceptance_rate": rate,
                "acceptance_rate_lo": lo,
                "acceptance_rate_hi": hi,
                "n": int(count.sum()),
                "n_people": int(people.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
