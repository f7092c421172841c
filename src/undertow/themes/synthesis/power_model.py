"""S · Does power limit knowledge creation here? A thread-level logistic model (METRICS.md S).

Each thread that drew at least one reply from someone other than its starter is a unit.
Its knowledge outcome — *resolved* (the trace records an outcome for it: accepted answer,
merge, resolution) or, when the trace records no outcomes at all, *acknowledged* (the
starter later thanks or confirms it worked) — is regressed on the power features of the
thread: a dominant actor among the repliers, concentration of the replies on one person,
a formal role holder among the repliers, a newcomer as starter, an uncontained emotional
episode, and a member-created (emergent) space, with thread size and period as controls.
Standard errors are cluster-robust by starter (a person's threads are not independent).
Odds ratios below 1 mean the feature goes with fewer knowledge outcomes.
"""

from __future__ import annotations

import importlib
import math
import warnings
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.trace import Trace
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = [
    "ACKNOWLEDGEMENT",
    "dominant_actors",
    "power_knowledge_model",
    "thread_power_features",
]

#: A starter's later message matching this counts as acknowledging a solution.
ACKNOWLEDGEMENT = (
    r"(?i)\b(thanks|thank you|thx|that worked|works now|it works|solved|fixed it|"
    r"problem solved|got it working)\b"
)
#: Share of people (by messages written) counted as dominant actors; at least one person.
DOMINANT_SHARE = 0.01
MIN_THREADS = 30
MIN_EVENTS = 5
MIN_LEVEL = 5
CONCENTRATION_STEP = 0.1
# Beyond this |log odds ratio| (incl. its CI) the fit signals separation, not an effect.
_MAX_LOG_ODDS = 30.0
_Z = 1.959963984540054

COLUMNS = [
    "term",
    "label",
    "role_in_model",
    "odds_ratio",
    "odds_ratio_lo",
    "odds_ratio_hi",
    "p_value",
    "n_with",
    "n",
    "n_clusters",
    "outcome",
    "outcome_rate",
    "note",
]


@dataclass(frozen=True)
class _Term:
    name: str
    label: str
    binary: bool
    control: bool = False


TERMS = (
    _Term("dominant_present", "dominant actor replies (top 1% by messages)", True),
    _Term("concentration", "replies concentrated (+10 pts top replier share)", False),
    _Term("leader_present", "formal role holder replies", True),
    _Term("newcomer_starter", "starter is a newcomer", True),
    _Term("uncontained_episode", "emotional episode left uncontained", True),
    _Term("emergent_space", "thread in a member-created space", True),
    _Term("log_size", "control: thread size (per doubling)", False, control=True),
    _Term("years", "control: period (per year)", False, control=True),
)


def dominant_actors(trace: Trace) -> list[str]:
    """The people counted as dominant actors: the top 1% by messages written (at least one).

    Ties are broken by pseudonym, as in the model's features.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> dominant_actors(tiny_trace())
    ['lead']
    """
    messages = trace.arrow("messages")
    if messages.num_rows == 0:
        return []
    counts = messages.group_by("author_id").aggregate([("message_id", "count")])
    ordered = counts.sort_by([("message_id_count", "descending"), ("author_id", "ascending")])
    keep = math.ceil(counts.num_rows * DOMINANT_SHARE)
    return [str(person) for person in ordered.column("author_id").to_pylist()[:keep]]


def _empty() -> pa.Table:
    return pa.table(
        {
            "term": pa.array([], pa.string()),
            "label": pa.array([], pa.string()),
            "role_in_model": pa.array([], pa.string()),
            "odds_ratio": pa.array([], pa.float64()),
            "odds_ratio_lo": pa.array([], pa.float64()),
            "odds_ratio_hi": pa.array([], pa.float64()),
            "p_value": pa.array([], pa.float64()),
            "n_with": pa.array([], pa.int64()),
            "n": pa.array([], pa.int64()),
            "n_clusters": pa.array([], pa.int64()),
            "outcome": pa.array([], pa.string()),
            "outcome_rate": pa.array([], pa.float64()),
            "note": pa.array([], pa.string()),
        }
    )


def _fetch(expr: Any) -> pd.DataFrame:
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def _episodes(trace: Trace) -> tuple[pd.Series | None, str | None]:
    """Per thread: an emotional episode with no supportive reply after it (if measurable).

    Covers the messages of threads whose starting message is in the trace. Affect and
    support markers come from the language features; when they are not installed, or
    fail on this trace, the term is left out with the reason instead of sinking the
    whole model.
    """
    try:
        from undertow.features.affect import message_affect

        affect = message_affect(trace).select(["message_id", "compound"]).combine_chunks()
    except Exception as exc:  # noqa: BLE001 - an optional input; the reason is reported
        return None, f"affect scores unavailable ({type(exc).__name__})"
    # Affect and support rows are in trace order, as are the messages: a message's row
    # is its position (message ids are unique).
    messages = trace.arrow("messages").select(["message_id", "thread_id", "created_at"])
    ids = messages.column("message_id").combine_chunks()
    thread_ids = messages.column("thread_id").combine_chunks()
    opened = pc.filter(ids, pc.equal(ids, thread_ids))
    keep = pc.fill_null(pc.is_in(thread_ids, value_set=opened), False)
    found = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    if not found.any():
        return None, "no messages with affect scores"
    compound = np.asarray(affect.column("compound").to_numpy(), dtype=float)[found]
    # An episode is a message in the bottom decile of valence that is also negative.
    cutoff = min(float(np.quantile(compound, 0.1)), -0.05)
    episode = compound <= cutoff
    try:
        # Optional: the support markers of the language features, when installed.
        module = importlib.import_module("undertow.features.support")
        support = module.message_support(trace).select(["message_id", "is_supportive"])
    except Exception as exc:  # noqa: BLE001 - an optional input; the reason is reported
        return None, f"support markers unavailable ({type(exc).__name__})"
    flags = pc.fill_null(support.column("is_supportive").combine_chunks(), False)
    supportive = np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)[found]
    encoded = pc.dictionary_encode(thread_ids.filter(keep))
    thread = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    threads = encoded.dictionary.to_numpy(zero_copy_only=False)
    # Only the order of times matters here.
    stamp = messages.column("created_at").combine_chunks().cast(pa.int64()).to_numpy()[found]
    last_support = np.full(threads.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_support, thread[supportive], stamp[supportive])
    has_support = np.zeros(threads.size, dtype=bool)
    has_support[thread[supportive]] = True
    contained = has_support[thread] & (last_support[thread] > stamp)
    uncontained = np.zeros(threads.size, dtype=bool)
    uncontained[thread[episode & ~contained]] = True
    return pd.Series(uncontained, index=pd.Index(threads, name="thread_id")), None


def thread_power_features(trace: Trace) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per engaged thread: outcome, power features and controls.

    Returns
    -------
    (pandas.DataFrame, dict)
        Columns ``thread_id, starter_id, outcome`` and one column per available
        term of :data:`TERMS`; and, for each unavailable term, the reason.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> frame, missing = thread_power_features(tiny_trace())
    >>> sorted(frame["thread_id"]), int(frame["outcome"].sum())
    (['p1', 'q1', 'q3'], 2)
    """
    missing: dict[str, str] = {}
    m = trace.table("messages")
    starts = m.filter(m.message_id == m.thread_id).select(
        thread_id=m.thread_id, starter_id=m.author_id, started_at=m.created_at, space_id=m.space_id
    )
    joined = m.inner_join(starts, "thread_id")
    replies = joined.filter(joined.author_id != joined.starter_id)

    per_author = m.group_by("author_id").aggregate(n_messages=m.count())
    ranked = per_author.mutate(
        position=ibis.row_number().over(
            order_by=[ibis.desc(per_author.n_messages), per_author.author_id]
        ),
        n_people=per_author.count().over(),
    )
    dominant = ranked.filter(
        ranked.position < (ranked.n_people * DOMINANT_SHARE).ceil().cast("int64")
    ).select(dominant_id=ranked.author_id)
    flagged = replies.left_join(dominant, replies.author_id == dominant.dominant_id)
    per_thread = flagged.group_by("thread_id").aggregate(
        n_replies=flagged.count(),
        dominant_present=flagged.dominant_id.notnull().any(),
    )
    per_pair = replies.group_by(["thread_id", "author_id"]).aggregate(k=replies.count())
    top = per_pair.group_by("thread_id").aggregate(top_replies=per_pair.k.max())
    sizes = joined.group_by("thread_id").aggregate(n_messages=joined.count())
    firsts = m.group_by("author_id").aggregate(first_at=m.created_at.min())
    starters = starts.inner_join(firsts, starts.starter_id == firsts.author_id).select(
        "thread_id",
        "starter_id",
        "started_at",
        "space_id",
        newcomer_starter=starts.started_at <= firsts.first_at,
    )
    # One query for all per-thread columns (every replied thread has a top replier and
    # a size, so the joins keep exactly the starters with replies).
    combined = (
        starters.inner_join(per_thread, "thread_id")
        .inner_join(top, "thread_id")
        .inner_join(sizes, "thread_id")
    )
    frame = _fetch(
        combined.select(
            "thread_id",
            "starter_id",
            "started_at",
            "space_id",
            "newcomer_starter",
            "n_replies",
            "dominant_present",
            "top_replies",
            "n_messages",
        )
    )
    frame["concentration"] = frame["top_replies"] / frame["n_replies"] / CONCENTRATION_STEP
    frame["log_size"] = np.log2(frame["n_messages"].astype(float))
    started = pd.to_datetime(frame["started_at"], utc=True)
    frame["years"] = (started - started.min()).dt.total_seconds() / (365.25 * 86400)

    if trace.has("outcomes"):
        outcomes = trace.table("outcomes")
        resolved = set(_fetch(outcomes.select("thread_id").distinct())["thread_id"])
        frame["outcome"] = frame["thread_id"].isin(resolved)
        frame.attrs["outcome"] = "resolved"
    else:
        acknowledged = joined.filter(
            (joined.author_id == joined.starter_id)
            & (joined.message_id != joined.thread_id)
            & joined.text.notnull()
            & joined.text.re_search(ACKNOWLEDGEMENT)
        )
        done = set(_fetch(acknowledged.select("thread_id").distinct())["thread_id"])
        frame["outcome"] = frame["thread_id"].isin(done)
        frame.attrs["outcome"] = "acknowledged"

    if trace.has("roles"):
        roles = trace.table("roles")
        held = replies.inner_join(
            roles,
            [
                replies.author_id == roles.person_id,
                roles.rank > 0,
                roles.valid_from.isnull() | (roles.valid_from <= replies.created_at),
                roles.valid_to.isnull() | (replies.created_at < roles.valid_to),
            ],
        )
        led = set(_fetch(held.select("thread_id").distinct())["thread_id"])
        frame["leader_present"] = frame["thread_id"].isin(led)
    else:
        missing["leader_present"] = "the trace has no roles"

    if trace.has("spaces", "governance"):
        spaces = trace.arrow("spaces").to_pandas()
        governance = dict(zip(spaces["space_id"], spaces["governance"], strict=True))
        kinds = frame["space_id"].map(governance)
        if {"official", "emergent"} <= set(kinds.dropna()):
            frame["emergent_space"] = kinds == "emergent"
        else:
            missing["emergent_space"] = "the spaces are not split into official and emergent"
    else:
        missing["emergent_space"] = "the trace has no spaces with governance"

    uncontained, reason = _episodes(trace)
    if uncontained is None:
        missing["uncontained_episode"] = reason or "not measurable"
    else:
        frame["uncontained_episode"] = (
            frame["thread_id"].map(uncontained).astype("boolean").fillna(False).astype(bool)
        )
    frame = frame.sort_values("thread_id", kind="stable").reset_index(drop=True)
    return frame, missing


def _fit(frame: pd.DataFrame, terms: list[_Term]) -> Any:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationWarning,
    )

    design = frame[[t.name for t in terms]].astype(float)
    design = sm.add_constant(design, has_constant="add")
    groups = pd.factorize(frame["starter_id"], sort=True)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", HessianInversionWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            model = sm.Logit(frame["outcome"].astype(float), design)
            return model.fit(
                disp=False,
                maxiter=200,
                cov_type="cluster",
                cov_kwds={"groups": groups},
            )
        except (
            ConvergenceWarning,
            HessianInversionWarning,
            PerfectSeparationWarning,
            RuntimeWarning,
            np.linalg.LinAlgError,
        ) as exc:
            raise MetricSkipped(f"the logistic model could not be fitted ({exc})") from exc
        except Exception as exc:
            if type(exc).__name__ == "PerfectSeparationError":
                raise MetricSkipped(f"the logistic model could not be fitted ({exc})") from exc
            raise


@metric(
    theme="synthesis",
    columns=COLUMNS,
    source="METRICS.md S; logistic regression with cluster-robust SEs (statsmodels); "
    "Pemberton, Mavin & Stalker (2007)",
    chart=Chart(
        kind="errorbar",
        x="label",
        y="odds_ratio",
        lo="odds_ratio_lo",
        hi="odds_ratio_hi",
        title="Odds of a knowledge outcome when each power feature is present "
        "(95% CI, clustered by starter; left of 1 = fewer outcomes)",
    ),
)
def power_knowledge_model(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Odds ratios of a thread's knowledge outcome on the power features of the thread.

    Parameters
    ----------
    trace
        The community trace.
    seed
        Unused (the model is deterministic); accepted for the metric contract.

    Returns
    -------
    pyarrow.Table
        One row per term: ``term, label, role_in_model`` (``power`` or ``control``),
        ``odds_ratio`` with its 95% CI ``odds_ratio_lo/hi``, ``p_value``, ``n_with``
        (threads with the feature, for binary terms), ``n`` (threads in the model),
        ``n_clusters`` (starters), ``outcome`` (``resolved`` or ``acknowledged``),
        ``outcome_rate`` and ``note`` (why a term was left out, if it was; its numbers
        are then null).

    Raises
    ------
    MetricSkipped
        Too few engaged threads or outcomes, or a model that cannot be fitted.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> power_knowledge_model(make_trace([])).num_rows
    0
    """
    if trace.n_messages == 0:
        return _empty()
    frame, missing = thread_power_features(trace)
    n_threads = len(frame)
    events = int(frame["outcome"].sum()) if n_threads else 0
    if n_threads < MIN_THREADS:
        raise MetricSkipped(
            f"only {n_threads} threads drew a reply from someone other than the starter "
            f"(the model needs {MIN_THREADS})"
        )
    if min(events, n_threads - events) < MIN_EVENTS:
        raise MetricSkipped(
            f"{events} of {n_threads} engaged threads have a knowledge outcome: too few of one "
            f"kind to model (needs {MIN_EVENTS} of each)"
        )
    usable: list[_Term] = []
    for term in TERMS:
        if term.name in missing:
            continue
        column = frame[term.name].astype(float)
        if term.binary:
            present = int(column.sum())
            if min(present, n_threads - present) < MIN_LEVEL:
                missing[term.name] = f"only {present} of {n_threads} threads have it"
                continue
        elif not column.std() > 1e-9 * max(1.0, abs(column.mean())):
            missing[term.name] = "it does not vary across threads"
            continue
        usable.append(term)
    # A term that is a linear combination of others (and the intercept) cannot be
    # estimated; drop the last such term until the design has full rank.
    while usable:
        design = np.column_stack(
            [np.ones(n_threads), *(frame[t.name].astype(float) for t in usable)]
        )
        if np.linalg.matrix_rank(design) == design.shape[1]:
            break
        dropped = usable.pop()
        missing[dropped.name] = "it is collinear with the other terms"
    result = _fit(frame, usable)
    params, errors, pvalues = result.params, result.bse, result.pvalues
    outcome = str(frame.attrs.get("outcome", "resolved"))
    rows: list[dict[str, Any]] = []
    n_clusters = int(frame["starter_id"].nunique())
    for term in TERMS:
        row: dict[str, Any] = {
            "term": term.name,
            "label": term.label,
            "role_in_model": "control" if term.control else "power",
            "n": n_threads,
            "n_clusters": n_clusters,
            "outcome": outcome,
            "outcome_rate": events / n_threads,
        }
        beta = float(params[term.name]) if term in usable else math.nan
        error = float(errors[term.name]) if term in usable else math.nan
        if term in usable and not (abs(beta) + _Z * error < _MAX_LOG_ODDS):
            missing[term.name] = "not estimable (the outcome is (almost) separated by it)"
        if term in usable and term.name not in missing:
            row.update(
                odds_ratio=math.exp(beta),
                odds_ratio_lo=math.exp(beta - _Z * error),
                odds_ratio_hi=math.exp(beta + _Z * error),
                p_value=float(pvalues[term.name]),
                n_with=int(frame[term.name].astype(bool).sum()) if term.binary else None,
                note=None,
            )
        else:
            row.update(
                odds_ratio=None,
                odds_ratio_lo=None,
                odds_ratio_hi=None,
                p_value=None,
                n_with=None,
                note=f"left out: {missing.get(term.name, 'not measurable')}",
            )
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=_empty().schema)
