"""Workaround vocabulary: the community's own terms, absent from the official documents."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.standing import message_standing
from undertow.features.threads import distinct, message_arrays
from undertow.model.trace import Trace
from undertow.themes.divergence.doc_divergence import _official_space_mask, reference_counts
from undertow.themes.divergence.terms import message_terms
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = ["MIN_ADOPTERS", "TOP_TERMS", "workaround_vocabulary"]

#: A term is reported only when at least this many people used it (never a private word).
MIN_ADOPTERS = 5
#: Terms reported, by keyness.
TOP_TERMS = 30
# Terms that look like identifiers of people: pseudonyms, addresses, handles.
_IDENTIFIER = r"^(?:p_[0-9a-f]+|.*@.*|.*[0-9].*|[a-z]\.?)$"
# A term written with an initial capital this often is taken for a name and never shown.
_NAME_CAPITALISED = 0.6

_COLUMNS = (
    "term",
    "keyness",
    "n_uses",
    "n_people",
    "leader_share",
    "core_share",
    "first_used_at",
    "n",
)


def _log_likelihood(a: np.ndarray, b: np.ndarray, total_a: float, total_b: float) -> np.ndarray:
    """Dunning's log-likelihood G2 of each term's frequency in corpus A vs corpus B."""
    expected_a = total_a * (a + b) / (total_a + total_b)
    expected_b = total_b * (a + b) / (total_a + total_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        term_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    result: np.ndarray = 2 * (term_a + term_b)
    return result


@metric(
    theme="divergence",
    columns=_COLUMNS,
    source="Keyness by log-likelihood (Dunning 1993; Rayson & Garside 2000); workarounds as "
    "non-canonical practice (Brown & Duguid 1991)",
    chart=Chart(kind="bar", x="term", y="keyness"),
)
def workaround_vocabulary(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Terms frequent in the community but absent from the official documents, and who uses them.

    Keyness is Dunning's log-likelihood of the term's frequency in messages against
    the documents (all versions); only terms that never occur in the documents, used
    by at least ``MIN_ADOPTERS`` people, that do not look like person identifiers
    (pseudonyms, addresses, digits) and are not mostly capitalised (names) are
    reported. Without documents the reference is the official spaces' messages and
    the community is the emergent spaces. ``leader_share``/``core_share``: share of
    the term's adopters who held a formal role / were in the core when they first used it.

    Returns
    -------
    pyarrow.Table
        ``term, keyness, n_uses, n_people, leader_share, core_share, first_used_at, n``
        (messages using the term); the top ``TOP_TERMS`` by keyness.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace(
    ...     [{"message_id": f"m{i}", "author_id": f"u{i}", "text": "use the kludge again"}
    ...      for i in range(6)],
    ...     documents=[{"document_id": "d", "text": "use the release process again"}])
    >>> workaround_vocabulary(trace).column("term").to_pylist()
    ['kludge']
    """
    schema = pa.schema(
        [
            ("term", pa.string()),
            ("keyness", pa.float64()),
            ("n_uses", pa.int64()),
            ("n_people", pa.int64()),
            ("leader_share", pa.float64()),
            ("core_share", pa.float64()),
            ("first_used_at", pa.timestamp("us", tz="UTC")),
            ("n", pa.int64()),
        ]
    )
    terms = message_terms(trace)
    size = len(terms.vocabulary)
    if trace.n_messages == 0 or size == 0:
        return schema.empty_table()
    community = np.ones(terms.message_row.size, dtype=bool)
    if trace.has("documents"):
        reference = reference_counts(trace, np.iinfo(np.int64).max)
        everything = np.bincount(terms.document_term, minlength=size).astype(np.float64)
    else:
        official = _official_space_mask(trace)
        if official is None:
            raise MetricSkipped("no official documents and no official/emergent spaces")
        from_official = official[terms.message_row]
        community = ~from_official
        everything = np.bincount(terms.message_term[from_official], minlength=size).astype(
            np.float64
        )
        reference = everything
    term = terms.message_term[community]
    row = terms.message_row[community]
    counts = np.bincount(term, minlength=size).astype(np.float64)
    keyness = _log_likelihood(counts, reference, counts.sum(), max(reference.sum(), 1.0))
    messages = trace.arrow("messages")
    authors = pc.index_in(
        messages.column("author_id"), value_set=pc.unique(messages.column("author_id"))
    ).to_numpy(zero_copy_only=False)
    # Distinct (term, person) pairs give each term's adopters.
    pairs = distinct(term * (int(authors.max()) + 1) + authors[row])
    adopters = np.bincount(pairs // (int(authors.max()) + 1), minlength=size)
    identifier = pc.match_substring_regex(terms.vocabulary, _IDENTIFIER).to_numpy(
        zero_copy_only=False
    )
    eligible = (
        (everything == 0)
        & (adopters >= MIN_ADOPTERS)
        & ~identifier
        & (terms.capitalised < _NAME_CAPITALISED)
        & (counts > 0)
    )
    candidates = np.flatnonzero(eligible)
    chosen = candidates[np.lexsort((candidates, -keyness[candidates]))][:TOP_TERMS]
    if chosen.size == 0:
        return schema.empty_table()
    standing = message_standing(trace)
    arrays = message_arrays(trace)
    order_np = arrays.arrays_row
    is_leader = standing.is_formal[order_np]
    is_core = standing.is_core[order_np]
    created = messages.column("created_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    out: list[dict[str, object]] = []
    for code in chosen:
        # One pass per reported term (at most TOP_TERMS), over that term's occurrences.
        uses = row[term == code]
        by_time = uses[np.argsort(created[uses], kind="stable")]
        _, first_index = np.unique(authors[by_time], return_index=True)
        firsts = by_time[first_index]
        out.append(
            {
                "term": terms.vocabulary[int(code)].as_py(),
                "keyness": float(keyness[code]),
                "n_uses": int(counts[code]),
                "n_people": int(firsts.size),
                "leader_share": float(is_leader[firsts].mean()),
                "core_share": float(is_core[firsts].mean()),
                "first_used_at": int(created[uses].min()),
                "n": int(np.unique(uses).size),
            }
        )
    table = pa.Table.from_pylist(out, schema=schema.set(6, pa.field("first_used_at", pa.int64())))
    return table.set_column(
        6, "first_used_at", table.column("first_used_at").cast(pa.timestamp("us", tz="UTC"))
    )
