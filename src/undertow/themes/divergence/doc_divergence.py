"""How far the community's words drift from the organisation's official line (Jensen-Shannon)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from undertow.features.bootstrap import DEFAULT_N_BOOT, percentile_interval
from undertow.features.standing import message_standing
from undertow.features.threads import distinct, message_arrays
from undertow.model.trace import Trace
from undertow.themes.divergence.terms import jensen_shannon, message_terms
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = ["doc_divergence", "leader_divergence", "message_period", "reference_counts"]

_SOURCE = (
    "Canonical vs non-canonical practice (Brown & Duguid 1991); Jensen-Shannon divergence "
    "of term distributions (Lin 1991); Pemberton, Mavin & Stalker 2007 (T7)"
)
_US_PER_DAY = 86_400 * 1_000_000
#: Bootstrap weights drawn at a time (replicates x people).
_CELLS_PER_CHUNK = 4_000_000
#: Terms kept for the bootstrap (the most frequent; the rest pooled into one bucket).
BOOTSTRAP_TERMS = 5000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def message_period(trace: Trace) -> tuple[IntArray, pa.Array]:
    """Calendar month of each message (trace order): code and the month starts (UTC)."""
    created = trace.arrow("messages").column("created_at")
    months = pc.floor_temporal(created, unit="month")
    unique = pc.unique(months)
    unique = unique.take(pc.array_sort_indices(unique))
    code = pc.index_in(months, value_set=unique).to_numpy(zero_copy_only=False).astype(np.int64)
    return code, unique


def _document_versions(trace: Trace) -> tuple[IntArray, npt.NDArray[np.int64], IntArray]:
    """Document rows, their start (µs, -inf when unknown) and a key per title."""
    documents = trace.arrow("documents")
    n = documents.num_rows
    start = documents.column("valid_from").cast(pa.int64()).fill_null(np.iinfo(np.int64).min)
    titles = pc.coalesce(documents.column("title"), documents.column("document_id"))
    _, key = np.unique(np.asarray(titles.to_pylist(), dtype=object), return_inverse=True)
    return np.arange(n), start.to_numpy(zero_copy_only=False).astype(np.int64), key


def reference_counts(trace: Trace, at_us: int) -> FloatArray:
    """Term counts of the documents in force at ``at_us`` (latest version of each title)."""
    terms = message_terms(trace)
    vocabulary_size = len(terms.vocabulary)
    if not trace.has("documents"):
        return np.zeros(vocabulary_size)
    rows, start, key = _document_versions(trace)
    valid = start <= at_us
    chosen = np.zeros(rows.size, dtype=bool)
    for title in np.unique(key[valid]):
        candidates = np.flatnonzero(valid & (key == title))
        chosen[candidates[np.argmax(start[candidates])]] = True
    in_force = chosen[terms.document_row] if terms.document_row.size else np.zeros(0, dtype=bool)
    return np.bincount(terms.document_term[in_force], minlength=vocabulary_size).astype(np.float64)


def _official_space_mask(trace: Trace) -> npt.NDArray[np.bool_] | None:
    if not trace.has("spaces"):
        return None
    spaces = trace.arrow("spaces")
    if not {"official", "emergent"} <= set(spaces.column("governance").to_pylist()):
        return None
    messages = trace.arrow("messages")
    row = pc.index_in(messages.column("space_id"), value_set=spaces.column("space_id"))
    # Per space, then per message through its space's row (no space: not official).
    space_official = np.append(
        np.asarray(
            pc.fill_null(pc.equal(spaces.column("governance"), "official"), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        ),
        False,
    )
    rows = np.asarray(row.fill_null(spaces.num_rows).to_numpy(zero_copy_only=False), dtype=np.int64)
    official: npt.NDArray[np.bool_] = space_official[rows]
    return official


_PERIOD_COLUMNS = ("period", "reference", "jsd", "n", "n_people")


@metric(
    theme="divergence",
    columns=_PERIOD_COLUMNS,
    source=_SOURCE,
    chart=Chart(
        kind="line",
        x="period",
        y="jsd",
        group="reference",
        title="Divergence of the community's words from the official line, per month",
    ),
)
def doc_divergence(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Jensen-Shannon divergence between official documents and the community's messages, per month.

    Each month's message terms are compared with the documents in force at the end of
    the month (the latest version of each document). Without documents, the messages
    of emergent spaces are compared with those of official spaces
    (``reference = official_spaces``). 0 = the same vocabulary, 1 = disjoint.

    Returns
    -------
    pyarrow.Table
        ``period`` (month start), ``reference`` (``documents`` or
        ``official_spaces``), ``jsd``, ``n`` (messages), ``n_people``; months with no
        terms on either side are left out.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": "m", "author_id": "a", "text": "workaround kludge hack"}],
    ...     documents=[{"document_id": "d", "text": "release process review"}])
    >>> doc_divergence(trace).column("jsd").to_pylist()
    [1.0]
    """
    schema = pa.schema(
        [
            ("period", pa.timestamp("us", tz="UTC")),
            ("reference", pa.string()),
            ("jsd", pa.float64()),
            ("n", pa.int64()),
            ("n_people", pa.int64()),
        ]
    )
    if trace.n_messages == 0:
        return schema.empty_table()
    terms = message_terms(trace)
    period, months = message_period(trace)
    n_months = len(months)
    author = _author_codes(trace)
    vocabulary_size = len(terms.vocabulary)
    official = None if trace.has("documents") else _official_space_mask(trace)
    if not trace.has("documents") and official is None:
        raise MetricSkipped("no official documents and no official/emergent spaces")
    month_start = months.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)
    term_period = period[terms.message_row]
    # Messages compared (all, or those of emergent spaces) and term occurrences grouped
    # by month once, instead of one pass over everything per month.
    compared = np.ones(period.size, dtype=bool) if official is None else ~official
    n_compared = np.bincount(period[compared], minlength=n_months)
    people_compared = _distinct_per_group(period[compared], author[compared], n_months)
    if official is None:
        community = _by_group(terms.message_term, term_period, n_months)
    else:
        from_official = official[terms.message_row]
        community = _by_group(
            terms.message_term[~from_official], term_period[~from_official], n_months
        )
        in_official = _by_group(
            terms.message_term[from_official], term_period[from_official], n_months
        )
    rows: list[dict[str, object]] = []
    references: dict[int, FloatArray] = {}
    changes = _document_changes(trace) if official is None else np.zeros(0, dtype=np.int64)
    for index, start in enumerate(month_start):
        counts = np.bincount(community(index), minlength=vocabulary_size)
        if official is None:
            end = _next_month(start)
            # The documents in force change only at version dates: reuse their counts.
            version = int(np.searchsorted(changes, end - 1, side="right"))
            if version not in references:
                references[version] = reference_counts(trace, end - 1)
            reference = references[version]
            label = "documents"
        else:
            reference = np.bincount(in_official(index), minlength=vocabulary_size).astype(
                np.float64
            )
            label = "official_spaces"
        value = jensen_shannon(counts, reference)
        if np.isnan(value):
            continue
        rows.append(
            {
                "period": months[index].as_py(),
                "reference": label,
                "jsd": value,
                "n": int(n_compared[index]),
                "n_people": int(people_compared[index]),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)


def _author_codes(trace: Trace) -> IntArray:
    """An integer code per message (trace order) for its author."""
    encoded = pc.dictionary_encode(trace.arrow("messages").column("author_id"))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _distinct_per_group(group: IntArray, member: IntArray, n_groups: int) -> IntArray:
    """Number of distinct ``member`` values per group code."""
    width = int(member.max()) + 1 if member.size else 1
    pairs = distinct(group * width + member)
    counts: IntArray = np.bincount(pairs // width, minlength=n_groups)
    return counts


def _by_group(values: IntArray, group: IntArray, n_groups: int) -> Callable[[int], IntArray]:
    """``lambda g: values[group == g]`` (in the same order) after one stable sort."""
    order = np.argsort(group, kind="stable")
    ordered = values[order]
    bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
    return lambda g: ordered[bounds[g] : bounds[g + 1]]


def _document_changes(trace: Trace) -> IntArray:
    """Sorted distinct start times (µs) of document versions."""
    if not trace.has("documents"):
        return np.zeros(0, dtype=np.int64)
    _, start, _ = _document_versions(trace)
    changes: IntArray = np.unique(start)
    return changes


def _next_month(start_us: int) -> int:
    """Start of the month after the month starting at ``start_us`` (µs since the epoch)."""
    day = np.datetime64(int(start_us), "us").astype("datetime64[M]") + 1
    return int(day.astype("datetime64[us]").astype(np.int64))


_GROUP_COLUMNS = ("group", "jsd", "jsd_lo", "jsd_hi", "n", "n_people")


@metric(
    seeded=True,
    theme="divergence",
    columns=_GROUP_COLUMNS,
    source=_SOURCE,
    requires=("messages", "roles"),
    chart=Chart(kind="errorbar", x="group", y="jsd", lo="jsd_lo", hi="jsd_hi"),
)
def leader_divergence(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Whether formal leaders speak closer to the official line than the others.

    Jensen-Shannon divergence between the documents (the latest version of each) and
    the terms of messages written by formal leaders (role at the time) and by the
    others, after the first document took effect; a ``difference`` row (leaders minus
    others). CIs resample people. Without documents, official-space messages are the
    reference and emergent-space messages are compared.

    Returns
    -------
    pyarrow.Table
        ``group`` (``leader``, ``other``, ``difference``), ``jsd``, ``jsd_lo``,
        ``jsd_hi``, ``n`` (messages), ``n_people``.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": "m1", "author_id": "boss", "text": "release process review"},
    ...      {"message_id": "m2", "author_id": "dev", "text": "workaround kludge hack"}],
    ...     roles=[{"person_id": "boss", "role": "manager"}],
    ...     documents=[{"document_id": "d", "text": "release process review"}])
    >>> [(r["group"], round(r["jsd"], 2)) for r in leader_divergence(trace).to_pylist()]
    [('leader', 0.0), ('other', 1.0), ('difference', -1.0)]
    """
    schema = pa.schema(
        [("group", pa.string())]
        + [(c, pa.float64()) for c in ("jsd", "jsd_lo", "jsd_hi")]
        + [("n", pa.int64()), ("n_people", pa.int64())]
    )
    terms = message_terms(trace)
    if trace.n_messages == 0 or len(terms.vocabulary) == 0:
        return schema.empty_table()
    arrays = message_arrays(trace)
    standing = message_standing(trace)
    messages = trace.arrow("messages")
    order_np = arrays.arrays_row
    is_leader = standing.is_formal[order_np]
    author = arrays.author[order_np]
    created = messages.column("created_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    if trace.has("documents"):
        reference = reference_counts(trace, np.iinfo(np.int64).max)
        _, start, _ = _document_versions(trace)
        eligible = created >= start.min()
    else:
        official = _official_space_mask(trace)
        if official is None:
            raise MetricSkipped("no official documents and no official/emergent spaces")
        reference = np.bincount(
            terms.message_term[official[terms.message_row]], minlength=len(terms.vocabulary)
        ).astype(np.float64)
        eligible = ~official
    keep_terms = _top_terms(terms.message_term, reference, len(terms.vocabulary))
    reference_kept = _pool(reference, keep_terms)
    rows: list[dict[str, float | int | str]] = []
    replicates: dict[str, FloatArray] = {}
    for label, flag in (("leader", True), ("other", False)):
        chosen = eligible & (is_leader == flag)
        occurrence = chosen[terms.message_row]
        people, person = np.unique(author[terms.message_row][occurrence], return_inverse=True)
        if people.size == 0:
            continue
        term = keep_terms[terms.message_term[occurrence]]
        matrix = sparse.csr_matrix(
            (np.ones(term.size), (person, term)), shape=(people.size, reference_kept.size)
        )
        total = np.asarray(matrix.sum(axis=0)).ravel()
        estimate = jensen_shannon(total, reference_kept)
        rng = np.random.default_rng(seed)
        uniform = np.full(people.size, 1 / people.size)
        # Replicates in chunks (the same draws as all at once): the weights of very many
        # people stay bounded in memory.
        chunk = max(1, min(DEFAULT_N_BOOT, _CELLS_PER_CHUNK // people.size))
        parts = []
        for done in range(0, DEFAULT_N_BOOT, chunk):
            weights = rng.multinomial(people.size, uniform, min(chunk, DEFAULT_N_BOOT - done))
            resampled = np.asarray((matrix.T @ weights.T.astype(np.float64)).T)
            parts.append(_jsd_rows(resampled, reference_kept))
        reps = np.concatenate(parts)
        replicates[label] = reps
        lo, hi = _bias_corrected_interval(reps, estimate)
        rows.append(
            {
                "group": label,
                "jsd": estimate,
                "jsd_lo": lo,
                "jsd_hi": hi,
                "n": int(chosen.sum()),
                "n_people": int(people.size),
            }
        )
    if len(replicates) == 2:
        leader, other = rows[0], rows[1]
        lo, hi = _bias_corrected_interval(
            replicates["leader"] - replicates["other"],
            float(leader["jsd"]) - float(other["jsd"]),
        )
        rows.append(
            {
                "group": "difference",
                "jsd": float(leader["jsd"]) - float(other["jsd"]),
                "jsd_lo": lo,
                "jsd_hi": hi,
                "n": int(leader["n"]) + int(other["n"]),
                "n_people": int(leader["n_people"]) + int(other["n_people"]),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)


def _bias_corrected_interval(replicates: FloatArray, estimate: float) -> tuple[float, float]:
    """Percentile interval of the replicates shifted by the bootstrap bias estimate.

    The plug-in divergence of resampled people is biased upward (sparser counts diverge
    more), so raw percentiles can lie wholly above the estimate; subtracting the bias
    ``mean(replicates) - estimate`` (Efron & Tibshirani 1993, §10.6) centres them on it.

    Examples
    --------
    >>> lo, hi = _bias_corrected_interval(np.array([0.3, 0.32, 0.34, 0.36]), 0.2)
    >>> bool(lo <= 0.2 <= hi)
    True
    """
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0 or not np.isfinite(estimate):
        return (float("nan"), float("nan"))
    low, high = percentile_interval(finite - (finite.mean() - estimate))
    return (min(low, estimate), max(high, estimate))


def _top_terms(message_term: IntArray, reference: FloatArray, size: int) -> IntArray:
    """Map each term to a column: the most frequent terms keep one each, the rest share one."""
    frequency = np.bincount(message_term, minlength=size).astype(np.float64) + reference
    order = np.argsort(-frequency, kind="stable")
    mapping = np.full(size, min(BOOTSTRAP_TERMS, size), dtype=np.int64)
    kept = order[:BOOTSTRAP_TERMS]
    mapping[kept] = np.arange(kept.size)
    return mapping


def _pool(counts: FloatArray, mapping: IntArray) -> FloatArray:
    width = int(mapping.max()) + 1 if mapping.size else 0
    return np.bincount(mapping, weights=counts, minlength=width).astype(np.float64)


def _jsd_rows(rows: FloatArray, reference: FloatArray) -> FloatArray:
    """Jensen-Shannon divergence of each row of counts with one reference vector (base 2)."""
    p = rows / np.maximum(rows.sum(axis=1, keepdims=True), 1e-300)
    q = reference / max(reference.sum(), 1e-300)
    m = (p + q) / 2

    def entropy(x: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(x > 0, np.log2(np.where(x > 0, x, 1.0)), 0.0)
        result: FloatArray = -(x * logs).sum(axis=-1)
        return result

    values: FloatArray = entropy(m) - (entropy(p) + entropy(q)) / 2
    return np.clip(values, 0.0, 1.0)
