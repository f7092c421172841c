"""S · Where is power associated with less knowledge creation? A thread-level model.

Each thread that drew at least one reply from someone other than its starter is a unit.
Its knowledge outcome — *resolved* (the trace records an outcome for it: accepted answer,
merge, resolution) or, when the trace records no outcomes at all, *acknowledged* (the
starter later thanks or confirms it worked) — is regressed on the power features of the
thread: a dominant actor among the repliers, concentration of the replies on one person,
a formal role holder among the repliers, a newcomer as starter, an uncontained emotional
episode, and a member-created (emergent) space.

The controls are what a thread is and who started it *before* anyone replied: the kind
of its first message, the period, the starter's tenure and the starter's prior activity.
Nothing measured after the thread started (its size, its number of replies) is a
control: the replies are part of what the power features and the outcome describe, so
holding them fixed would bias the association (post-treatment adjustment; Rosenbaum 1984).

The fit is a maximum-likelihood logit with standard errors cluster-robust by starter (a
person's threads are not independent) when there are at least :data:`MIN_EVENTS_PER_TERM`
events of the rarer outcome per estimated coefficient (Peduzzi et al. 1996); below that,
Firth's penalised logit (Firth 1993; Heinze & Schemper 2002), whose estimates stay finite
and less biased with few events, with the same sandwich by starter around its estimate
(:func:`firth_cluster_covariance`). Odds ratios below 1 mean the feature goes with fewer
knowledge outcomes. They are associations across threads, not effects.
:func:`power_model_sensitivity` refits the model without each control in turn, and
without any, so a reader sees how much each estimate depends on them.
"""

from __future__ import annotations

import importlib
import math
import warnings
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from undertow.model.trace import Trace
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = [
    "ACKNOWLEDGEMENT",
    "CONTROLS",
    "MIN_EVENTS_PER_TERM",
    "dominant_actors",
    "firth_cluster_covariance",
    "firth_logit",
    "power_knowledge_model",
    "power_model_sensitivity",
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
#: Events of the rarer outcome per estimated coefficient below which the Firth
#: penalised logit replaces maximum likelihood (Peduzzi et al. 1996: 10 per variable).
MIN_EVENTS_PER_TERM = 10
#: Thread starters (clusters) below which cluster-robust standard errors are biased
#: downward (Cameron & Miller 2015, section VI): the model is not fitted.
MIN_CLUSTERS = 20
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
    "fit",
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
    _Term("uncontained_episode", "opening emotional episode left uncontained", True),
    _Term("emergent_space", "thread in a member-created space", True),
    _Term("years", "control: period (per year)", False, control=True),
    _Term("starter_tenure", "control: starter's tenure (per doubling of days)", False, True),
    _Term("starter_prior", "control: starter's prior messages (per doubling)", False, control=True),
)

#: Controls, by the name a sensitivity row uses; ``thread_kind`` expands to one
#: indicator per kind of first message (the most common kind is the reference).
CONTROLS = {
    "thread_kind": "thread kind",
    "years": "period",
    "starter_tenure": "starter's tenure",
    "starter_prior": "starter's prior activity",
}


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
            "fit": pa.array([], pa.string()),
            "note": pa.array([], pa.string()),
        }
    )


def _fetch(expr: Any) -> pd.DataFrame:
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def _episodes(trace: Trace) -> tuple[pd.Series | None, str | None]:
    """Per thread: an opening emotional episode with no supportive reply after it.

    Covers threads whose starting message is in the trace. The episode is the thread's
    opening message when its prose is labelled hostile or negative by the label-validated
    tone measures (:func:`undertow.features.tone.message_tone`; a message without prose
    has no tone and is never one). Only the opening counts because it comes before
    everything the outcome rests on: an episode later in a thread ("it still fails") is
    often a consequence of the thread not being resolved, and counting it would read
    that consequence as a cause. Tone and support markers come from the language
    features; when they are not installed, or fail on this trace, the term is left out
    with the reason instead of sinking the whole model.
    """
    try:
        from undertow.features.tone import message_tone

        tone = message_tone(trace).select(["is_hostile", "is_negative"]).combine_chunks()
    except Exception as exc:  # noqa: BLE001 - an optional input; the reason is reported
        return None, f"tone scores unavailable ({type(exc).__name__})"
    # Tone and support rows are in trace order, as are the messages: a message's row
    # is its position (message ids are unique).
    messages = trace.arrow("messages").select(["message_id", "thread_id", "created_at"])
    ids = messages.column("message_id").combine_chunks()
    thread_ids = messages.column("thread_id").combine_chunks()
    opened = pc.filter(ids, pc.equal(ids, thread_ids))
    keep = pc.fill_null(pc.is_in(thread_ids, value_set=opened), False)
    found = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    if not found.any():
        return None, "no messages in threads whose start is in the trace"

    def flag(name: str) -> npt.NDArray[np.bool_]:
        values = pc.fill_null(tone.column(name), False).to_numpy(zero_copy_only=False)
        result: npt.NDArray[np.bool_] = np.asarray(values, dtype=bool)[found]
        return result

    opening = np.asarray(pc.equal(ids, thread_ids).to_numpy(zero_copy_only=False), dtype=bool)[
        found
    ]
    episode = (flag("is_hostile") | flag("is_negative")) & opening
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
    # Each message's number of earlier messages by the same author (ties by id).
    history = m.mutate(
        prior=ibis.row_number().over(group_by=m.author_id, order_by=[m.created_at, m.message_id])
    )
    starts = history.filter(history.message_id == history.thread_id).select(
        thread_id=history.thread_id,
        starter_id=history.author_id,
        started_at=history.created_at,
        space_id=history.space_id,
        thread_kind=history.kind.fill_null("unknown"),
        starter_prior_messages=history.prior,
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
        "thread_kind",
        "starter_prior_messages",
        newcomer_starter=starts.started_at <= firsts.first_at,
        starter_first_at=firsts.first_at,
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
            "thread_kind",
            "starter_prior_messages",
            "starter_first_at",
            "newcomer_starter",
            "n_replies",
            "dominant_present",
            "top_replies",
            "n_messages",
        )
    )
    frame["concentration"] = frame["top_replies"] / frame["n_replies"] / CONCENTRATION_STEP
    started = pd.to_datetime(frame["started_at"], utc=True)
    frame["years"] = (started - started.min()).dt.total_seconds() / (365.25 * 86400)
    tenure_days = (started - pd.to_datetime(frame["starter_first_at"], utc=True)).dt.total_seconds()
    frame["starter_tenure"] = np.log2(1.0 + np.maximum(tenure_days.to_numpy(float), 0) / 86400)
    frame["starter_prior"] = np.log2(1.0 + frame["starter_prior_messages"].astype(float))
    frame = frame.drop(columns=["starter_first_at"])

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


def firth_logit(
    y: npt.NDArray[np.float64], design: npt.NDArray[np.float64], *, max_iter: int = 100
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Firth's penalised maximum-likelihood logistic regression.

    Maximises the log-likelihood plus half the log-determinant of the Fisher
    information (Firth 1993), by Newton steps on the modified score
    ``X'(y - p + h (1/2 - p))`` with step halving (Heinze & Schemper 2002).

    Returns
    -------
    (coefficients, covariance)
        The covariance is the inverse Fisher information at the estimate.

    Examples
    --------
    For one binary covariate the estimate is the log odds ratio of the 2 × 2 table
    with half a count added to each cell:

    >>> import numpy as np
    >>> x = np.r_[np.ones(10), np.zeros(10)]
    >>> y = np.r_[np.ones(10), np.ones(4), np.zeros(6)]
    >>> beta, _ = firth_logit(y, np.column_stack([np.ones(20), x]))
    >>> round(float(beta[1]), 4), round(float(np.log(10.5 * 6.5 / (0.5 * 4.5))), 4)
    (3.4122, 3.4122)
    """

    def penalised(beta: npt.NDArray[np.float64]) -> tuple[float, Any, Any]:
        eta = design @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        information = design.T @ (design * w[:, None])
        sign, log_det = np.linalg.slogdet(information)
        loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        value = loglik + 0.5 * log_det if sign > 0 else -math.inf
        return value, p, information

    beta = np.zeros(design.shape[1])
    value, p, information = penalised(beta)
    for _ in range(max_iter):
        inverse = np.linalg.inv(information)
        w = p * (1.0 - p)
        leverage = w * np.einsum("ij,jk,ik->i", design, inverse, design)
        step = inverse @ (design.T @ (y - p + leverage * (0.5 - p)))
        for _ in range(30):
            candidate = beta + step
            new_value, new_p, new_information = penalised(candidate)
            if new_value >= value - 1e-12:
                break
            step = step / 2
        beta, value, p, information = candidate, new_value, new_p, new_information
        if float(np.max(np.abs(step))) < 1e-9:
            break
    return beta, np.linalg.inv(information)


def firth_cluster_covariance(
    y: npt.NDArray[np.float64],
    design: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Cluster-robust (sandwich) covariance of Firth's estimate, clusters ``groups``.

    The bread is the inverse Fisher information at ``beta``; the meat sums, per cluster,
    the outer product of the cluster's share of Firth's modified score
    ``x_i (y_i - p_i + h_i (1/2 - p_i))`` (the estimating equation the estimate
    solves), with the small-sample factor ``G/(G-1) · (N-1)/(N-K)`` statsmodels uses
    for its cluster-robust logit (Cameron & Miller 2015, CR1).

    Examples
    --------
    Observations that are their own clusters give the heteroskedasticity-robust
    covariance, which with a correct model is close to the model-based one:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)
    >>> y = (rng.random(4000) < 1 / (1 + np.exp(-0.5 * x))).astype(float)
    >>> design = np.column_stack([np.ones(4000), x])
    >>> beta, model = firth_logit(y, design)
    >>> robust = firth_cluster_covariance(y, design, beta, np.arange(4000))
    >>> bool(np.allclose(np.sqrt(np.diag(robust)), np.sqrt(np.diag(model)), rtol=0.05))
    True
    """
    eta = design @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    w = p * (1.0 - p)
    bread = np.linalg.inv(design.T @ (design * w[:, None]))
    leverage = w * np.einsum("ij,jk,ik->i", design, bread, design)
    contributions = design * (y - p + leverage * (0.5 - p))[:, None]
    _, cluster = np.unique(groups, return_inverse=True)
    n_clusters = int(cluster.max()) + 1
    per_cluster = np.zeros((n_clusters, design.shape[1]))
    np.add.at(per_cluster, cluster, contributions)
    n, k = design.shape
    factor = (n_clusters / max(n_clusters - 1, 1)) * ((n - 1) / max(n - k, 1))
    meat = per_cluster.T @ per_cluster
    covariance: npt.NDArray[np.float64] = factor * bread @ meat @ bread
    return covariance


@dataclass(frozen=True)
class _Fit:
    params: dict[str, float]
    errors: dict[str, float]
    p_values: dict[str, float]
    method: str


def _design(
    frame: pd.DataFrame, terms: list[_Term], kinds: list[str]
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Intercept, the terms, and one indicator per non-reference thread kind."""
    columns = [np.ones(len(frame))] + [frame[t.name].astype(float).to_numpy() for t in terms]
    names = ["const"] + [t.name for t in terms]
    for kind in kinds:
        columns.append((frame["thread_kind"] == kind).astype(float).to_numpy())
        names.append(f"kind={kind}")
    return np.column_stack(columns), names


def _fit(frame: pd.DataFrame, terms: list[_Term], kinds: list[str]) -> _Fit:
    """ML logit with cluster-robust SEs, or Firth's logit when events per term are few."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationWarning,
    )

    design, names = _design(frame, terms, kinds)
    y = np.asarray(frame["outcome"].to_numpy(), dtype=np.float64)
    events = min(float(y.sum()), float(len(y) - y.sum()))
    groups = pd.factorize(frame["starter_id"], sort=True)[0]
    n_clusters = int(groups.max()) + 1 if groups.size else 0
    if n_clusters < MIN_CLUSTERS:
        raise MetricSkipped(
            f"only {n_clusters} people started the threads: too few clusters for "
            f"cluster-robust intervals (the model needs {MIN_CLUSTERS})"
        )
    if events / (design.shape[1] - 1) < MIN_EVENTS_PER_TERM:
        with np.errstate(over="ignore"):
            beta, _ = firth_logit(y, design)
            # A person's threads are not independent: the same sandwich by starter as
            # the maximum-likelihood fit, around Firth's estimate.
            covariance = firth_cluster_covariance(y, design, beta, groups)
        errors = np.sqrt(np.diag(covariance))
        z = beta / errors
        p_values = 2 * stats.norm.sf(np.abs(z))
        return _Fit(
            dict(zip(names, beta.tolist(), strict=True)),
            dict(zip(names, errors.tolist(), strict=True)),
            dict(zip(names, p_values.tolist(), strict=True)),
            f"Firth penalised logit, cluster-robust SEs by starter ({events:.0f} events "
            f"for {design.shape[1] - 1} terms)",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", HessianInversionWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            result = sm.Logit(y, design).fit(
                disp=False, maxiter=200, cov_type="cluster", cov_kwds={"groups": groups}
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
    return _Fit(
        dict(zip(names, np.asarray(result.params).tolist(), strict=True)),
        dict(zip(names, np.asarray(result.bse).tolist(), strict=True)),
        dict(zip(names, np.asarray(result.pvalues).tolist(), strict=True)),
        "logit, cluster-robust SEs by starter",
    )


@dataclass(frozen=True)
class _Prepared:
    frame: pd.DataFrame
    usable: list[_Term]
    kinds: list[str]
    missing: dict[str, str]


def _prepared(trace: Trace) -> _Prepared:
    """Features, the usable terms and thread kinds (memoised on the trace)."""

    def compute() -> _Prepared:
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
                f"{events} of {n_threads} engaged threads have a knowledge outcome: too few "
                f"of one kind to model (needs {MIN_EVENTS} of each)"
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
        counts = frame["thread_kind"].value_counts()
        # Kinds of first message with enough threads to estimate; the most common is the
        # reference and rare kinds are pooled with it.
        common = sorted(counts.index, key=lambda kind: (-int(counts[kind]), str(kind)))
        kinds = [k for k in common[1:] if min(int(counts[k]), n_threads - int(counts[k])) >= 5]
        if not kinds:
            missing["thread_kind"] = "every engaged thread starts with the same kind of message"
        # A term that is a linear combination of others (and the intercept) cannot be
        # estimated; drop the last such term until the design has full rank.
        while usable:
            design, _ = _design(frame, usable, kinds)
            if np.linalg.matrix_rank(design) == design.shape[1]:
                break
            dropped = usable.pop()
            missing[dropped.name] = "it is collinear with the other terms"
        return _Prepared(frame, usable, kinds, missing)

    result: _Prepared = trace.cached("power_model_prepared", compute)
    return result


@metric(
    theme="synthesis",
    columns=COLUMNS,
    source="logistic regression with cluster-robust SEs (statsmodels), "
    "Firth's penalised logit below 10 events per term (Firth 1993; Peduzzi et al. 1996) "
    "with the same sandwich by starter; "
    "Pemberton, Mavin & Stalker (2007)",
    chart=Chart(
        kind="errorbar",
        x="label",
        y="odds_ratio",
        lo="odds_ratio_lo",
        hi="odds_ratio_hi",
        title="Odds of a knowledge outcome in threads with each power feature, holding "
        "thread kind, period and the starter's tenure and prior activity fixed "
        "(95% CI; left of 1 = fewer outcomes; an association, not an effect)",
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
        ``outcome_rate``, ``fit`` (the estimator: cluster-robust logit, or Firth's
        penalised logit when events are few) and ``note`` (why a term was left out,
        if it was; its numbers are then null). Thread kind enters as indicators whose
        coefficients are not listed (row ``thread_kind`` says how many kinds).

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
    prepared = _prepared(trace)
    frame, usable, kinds = prepared.frame, prepared.usable, prepared.kinds
    missing = dict(prepared.missing)
    fit = _fit(frame, usable, kinds)
    n_threads = len(frame)
    events = int(frame["outcome"].sum())
    outcome = str(frame.attrs.get("outcome", "resolved"))
    rows: list[dict[str, Any]] = []
    n_clusters = int(frame["starter_id"].nunique())
    base = {
        "n": n_threads,
        "n_clusters": n_clusters,
        "outcome": outcome,
        "outcome_rate": events / n_threads,
        "fit": fit.method,
    }
    for term in TERMS:
        row: dict[str, Any] = {
            "term": term.name,
            "label": term.label,
            "role_in_model": "control" if term.control else "power",
            **base,
        }
        beta = fit.params.get(term.name, math.nan)
        error = fit.errors.get(term.name, math.nan)
        if term in usable and not (abs(beta) + _Z * error < _MAX_LOG_ODDS):
            missing[term.name] = "not estimable (the outcome is (almost) separated by it)"
        if term in usable and term.name not in missing:
            row.update(
                odds_ratio=math.exp(beta),
                odds_ratio_lo=math.exp(beta - _Z * error),
                odds_ratio_hi=math.exp(beta + _Z * error),
                p_value=fit.p_values[term.name],
                n_with=int(frame[term.name].astype(bool).sum()) if term.binary else None,
                note=None,
            )
        else:
            row.update(_BLANK, note=f"left out: {missing.get(term.name, 'not measurable')}")
        rows.append(row)
    kind_note = (
        f"control: {len(kinds) + 1} kinds of first message as indicators "
        f"(reference: the most common)"
        if kinds
        else f"left out: {missing.get('thread_kind', 'not measurable')}"
    )
    rows.append(
        {
            "term": "thread_kind",
            "label": "control: thread kind (kind of first message)",
            "role_in_model": "control",
            **base,
            **_BLANK,
            "note": kind_note,
        }
    )
    return pa.Table.from_pylist(rows, schema=_empty().schema)


_BLANK: dict[str, Any] = {
    "odds_ratio": None,
    "odds_ratio_lo": None,
    "odds_ratio_hi": None,
    "p_value": None,
    "n_with": None,
}

SENSITIVITY_COLUMNS = [
    "term",
    "label",
    "specification",
    "odds_ratio",
    "odds_ratio_lo",
    "odds_ratio_hi",
    "p_value",
    "n",
    "fit",
]


@metric(
    theme="synthesis",
    columns=SENSITIVITY_COLUMNS,
    source="sensitivity of each association to its controls "
    "(the model refitted without each control in turn, and without any)",
    chart=None,
)
def power_model_sensitivity(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Each power feature's odds ratio with all controls, without each one, and without any.

    Returns
    -------
    pyarrow.Table
        One row per power term × specification (``all controls``, ``without
        <control>`` for each control of :data:`CONTROLS` in the model, ``no
        controls``): ``odds_ratio`` with its 95% CI, ``p_value``, ``n`` (threads) and
        ``fit`` (the estimator). An estimate that moves much between rows depends on
        what the controls hold fixed. ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> power_model_sensitivity(make_trace([])).num_rows
    0
    """
    empty = pa.table(
        {
            name: pa.array(
                [],
                pa.string()
                if name in ("term", "label", "specification", "fit")
                else (pa.int64() if name == "n" else pa.float64()),
            )
            for name in SENSITIVITY_COLUMNS
        }
    )
    if trace.n_messages == 0:
        return empty
    prepared = _prepared(trace)
    frame, usable, kinds = prepared.frame, prepared.usable, prepared.kinds
    power = [t for t in usable if not t.control]
    controls = [t for t in usable if t.control]
    present = [name for name in CONTROLS if name == "thread_kind" and kinds] + [
        t.name for t in controls
    ]
    specifications: list[tuple[str, list[_Term], list[str]]] = [("all controls", usable, kinds)]
    for name in present:
        if name == "thread_kind":
            specifications.append((f"without {CONTROLS[name]}", usable, []))
        else:
            kept = [t for t in usable if t.name != name]
            specifications.append((f"without {CONTROLS[name]}", kept, kinds))
    specifications.append(("no controls", power, []))
    rows: list[dict[str, Any]] = []
    for specification, terms, kind_levels in specifications:
        try:
            fit = _fit(frame, terms, kind_levels)
        except MetricSkipped:
            continue
        for term in power:
            beta, error = fit.params[term.name], fit.errors[term.name]
            if not abs(beta) + _Z * error < _MAX_LOG_ODDS:
                continue
            rows.append(
                {
                    "term": term.name,
                    "label": term.label,
                    "specification": specification,
                    "odds_ratio": math.exp(beta),
                    "odds_ratio_lo": math.exp(beta - _Z * error),
                    "odds_ratio_hi": math.exp(beta + _Z * error),
                    "p_value": fit.p_values[term.name],
                    "n": len(frame),
                    "fit": fit.method,
                }
            )
    if not rows:
        return empty
    return pa.Table.from_pylist(rows, schema=empty.schema)
