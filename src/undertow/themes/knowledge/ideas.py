"""Idea uptake: new terms a person introduces and whether others adopt them."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.inequality import gini
from undertow.model.trace import Trace
from undertow.themes.registry import metric

__all__ = ["STOP_WORDS", "idea_uptake", "idea_uptake_summary", "term_introductions"]

_STOP_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don
    down during each even few for from further get got had hadn has hasn have haven having he
    her here hers herself him himself his how however i if in into is isn it its itself just
    let like ll me might more most must mustn my myself no nor not now of off on once one only
    or other ought our ours ourselves out over own re same shall shan she should shouldn so
    some such than that the their theirs them themselves then there these they this those
    through thus to too under until up us ve very was wasn we were weren what when where which
    while who whom why will with won would wouldn yes yet you your yours yourself yourselves
    thanks thank please hi hello regards best cheers sorry ok okay well still think know see
    want need use used using way make made much many really something anything maybe sure
"""

#: English function and filler words removed before forming terms.
STOP_WORDS = tuple(_STOP_TEXT.split())
_STOP_PATTERN = "|".join(sorted(w for w in STOP_WORDS if len(w) >= 3))

#: Terms first seen in this leading share of the trace's time span predate the archive
#: and are not credited to whoever happened to write first.
BURN_IN = 0.1

#: An introduced term is adopted when at least this many other people use it later.
MIN_ADOPTERS = 2

# Tokenising by regex replacement and a plain split is ~2x faster in DuckDB than a regex
# split; stop words go in one RE2 alternation (a DFA) instead of a per-token list lookup;
# terms are grouped by a 64-bit hash.
_SQL = """
WITH toks AS (
    SELECT author_id, epoch_us(created_at) AS t,
           list_filter(string_split(regexp_replace(regexp_replace(lower(coalesce(text, '')),
                       '[^a-z]+', ' ', 'g'), '\\b(?:' || $stop || ')\\b', ' ', 'g'), ' '),
                       x -> length(x) >= 3) AS w
    FROM msgs
),
terms AS (
    SELECT author_id, t, unnest(w) AS term FROM toks
    UNION ALL
    SELECT author_id, t, unnest(list_transform(range(1, len(w)), i -> w[i] || ' ' || w[i + 1]))
    FROM toks WHERE len(w) >= 2
),
firsts AS (
    SELECT hash(term) AS term, author_id, min(t) AS t FROM terms GROUP BY 1, 2
),
intro AS (
    SELECT term, arg_min(author_id, (t, author_id)) AS introducer, min(t) AS t0
    FROM firsts GROUP BY term
)
SELECT i.introducer AS person_id, i.t0,
       count(*) FILTER (WHERE f.author_id <> i.introducer AND f.t > i.t0) AS adopters
FROM intro i JOIN firsts f USING (term)
GROUP BY i.term, i.introducer, i.t0
"""


def term_introductions(trace: Trace) -> pa.Table:
    """One row per term: who introduced it, when (µs), and how many others adopted it later.

    Terms are words of three or more letters and adjacent word pairs after stop-word
    removal, tokenised in DuckDB (vectorised). Memoised; the terms themselves are not
    returned, so no output can carry a name that slipped through masking.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([
    ...     {"message_id": "1", "author_id": "a", "text": "flux capacitor"},
    ...     {"message_id": "2", "author_id": "b", "text": "the flux"},
    ...     {"message_id": "3", "author_id": "c", "text": "flux!"},
    ... ])
    >>> sorted(term_introductions(trace)["adopters"].to_pylist())
    [0, 0, 2]
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages").select(["author_id", "created_at", "text"])
        connection = duckdb.connect()
        try:
            # The report draws its own progress; DuckDB's bar would interleave with it.
            connection.execute("SET enable_progress_bar = false")
            connection.register("msgs", messages)
            table: pa.Table = connection.execute(_SQL, {"stop": _STOP_PATTERN}).to_arrow_table()
        finally:
            connection.close()
        return table

    return trace.cached("term_introductions", compute)


def _introductions_after_burn_in(trace: Trace) -> pa.Table:
    table = term_introductions(trace)
    if table.num_rows == 0:
        return table
    created = trace.arrow("messages").column("created_at").cast(pa.int64())
    times = np.asarray(created.to_numpy(), dtype=np.int64)
    cutoff = times.min() + BURN_IN * (times.max() - times.min())
    t0 = table.column("t0").to_numpy()
    return table.filter(pa.array(t0 >= cutoff))


def _per_person(trace: Trace) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    table = _introductions_after_burn_in(trace)
    if table.num_rows == 0:
        return pa.array([], pa.string()), np.zeros(0), np.zeros(0)
    people, inverse = np.unique(
        np.asarray(table.column("person_id").to_numpy(zero_copy_only=False), dtype=object),
        return_inverse=True,
    )
    adopted = table.column("adopters").to_numpy() >= MIN_ADOPTERS
    introduced = np.bincount(inverse).astype(np.float64)
    n_adopted = np.bincount(inverse, weights=adopted.astype(np.float64))
    return pa.array(people.tolist(), pa.string()), introduced, n_adopted


@metric(
    theme="knowledge",
    columns=("person_id", "n_introduced", "n_adopted", "adoption_rate", "n"),
    source="Idea uptake as diffusion of new terms (cf. Demszky et al. 2021, conversational uptake)",
)
def idea_uptake(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Per person: new terms introduced, how many others adopted, and the adoption rate.

    A term (word or adjacent word pair after stop-word removal) is introduced by the
    first person to use it, unless that falls in the first 10 % of the trace's time
    span; it is adopted when at least two other people use it later. Only counts are
    returned, never the terms.

    Returns
    -------
    pyarrow.Table
        ``person_id, n_introduced, n_adopted, adoption_rate, n`` (``n`` = terms introduced),
        sorted by ideas adopted.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> idea_uptake(make_trace([])).num_rows
    0
    """
    people, introduced, adopted = _per_person(trace)
    order = np.lexsort((np.arange(introduced.size), -introduced, -adopted))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(introduced > 0, adopted / np.maximum(introduced, 1), np.nan)
    return pa.table(
        {
            "person_id": people.take(pa.array(order, pa.int64())),
            "n_introduced": pa.array(introduced[order].astype(np.int64), pa.int64()),
            "n_adopted": pa.array(adopted[order].astype(np.int64), pa.int64()),
            "adoption_rate": pa.array(rate[order], pa.float64()),
            "n": pa.array(introduced[order].astype(np.int64), pa.int64()),
        }
    )


@metric(
    theme="knowledge",
    columns=(
        "n_terms",
        "n_adopted",
        "adoption_rate",
        "adoption_rate_lo",
        "adoption_rate_hi",
        "adopted_ideas_gini",
        "n",
        "n_people",
    ),
    source="Idea uptake as diffusion of new terms (cf. Demszky et al. 2021, conversational uptake)",
)
def idea_uptake_summary(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Community-level idea uptake: terms introduced, share adopted, and who gets adopted.

    ``adoption_rate`` has a CI resampling introducers; ``adopted_ideas_gini`` is the Gini
    of adopted ideas across introducers (high = a few people's ideas spread).

    Returns
    -------
    pyarrow.Table
        One row: ``n_terms, n_adopted, adoption_rate, adoption_rate_lo,
        adoption_rate_hi, adopted_ideas_gini, n`` (= ``n_terms``), ``n_people`` (introducers).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> idea_uptake_summary(make_trace([])).num_rows
    0
    """
    _, introduced, adopted = _per_person(trace)
    schema = pa.schema(
        [pa.field("n_terms", pa.int64()), pa.field("n_adopted", pa.int64())]
        + [
            pa.field(c, pa.float64())
            for c in ("adoption_rate", "adoption_rate_lo", "adoption_rate_hi", "adopted_ideas_gini")
        ]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    if introduced.size == 0:
        return schema.empty_table()
    rate, lo, hi = bootstrap_ratio_ci(adopted, introduced, seed=seed)
    row = {
        "n_terms": int(introduced.sum()),
        "n_adopted": int(adopted.sum()),
        "adoption_rate": rate,
        "adoption_rate_lo": lo,
        "adoption_rate_hi": hi,
        "adopted_ideas_gini": gini(adopted),
        "n": int(introduced.sum()),
        "n_people": int(introduced.size),
    }
    return pa.Table.from_pylist([row], schema=schema)
