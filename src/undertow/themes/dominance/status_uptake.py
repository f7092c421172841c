"""Status-conditioned uptake: odds that a contribution is taken up, by contributor status."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import statsmodels.api as sm
from scipy import stats

from undertow.features.standing import message_standing
from undertow.features.threads import MessageArrays, message_arrays, message_words
from undertow.features.uptake import contribution_taken_up
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, MetricSkipped, metric

__all__ = ["status_uptake"]

COLUMNS = ("term", "odds_ratio", "odds_ratio_lo", "odds_ratio_hi", "p_value", "n", "n_people")

#: Fewer contributions (or contributors) than this and the model is not fitted.
MIN_CONTRIBUTIONS = 30
MIN_CONTRIBUTORS = 5

_YEAR_US = 365.25 * 86_400 * 1e6


def _empty() -> pa.Table:
    return pa.table(
        {
            "term": pa.array([], pa.string()),
            **{c: pa.array([], pa.float64()) for c in COLUMNS[1:5]},
            "n": pa.array([], pa.int64()),
            "n_people": pa.array([], pa.int64()),
        }
    )


def _messages_before(arrays: MessageArrays, selected: np.ndarray) -> np.ndarray:
    """Messages before each selected one in its thread, less its own earlier responses."""
    rows: np.ndarray = np.arange(arrays.n, dtype=np.int32 if arrays.n < 2**31 else np.int64)
    early = arrays.parent > rows  # the parent comes later in the thread order
    del rows
    own_responses = np.bincount(arrays.parent[early], minlength=arrays.n)[selected]
    del early
    before: np.ndarray = (arrays.position[selected] - own_responses).astype(np.float64)
    return before


#: Rows per block when summing weighted cross-products of the design.
_BLOCK = 1 << 16


def _cross(design: np.ndarray, weights: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """``design.T @ (weights * design)`` (or ``@ (weights * values)``), block by block."""
    k = design.shape[1]
    out = np.zeros((k, k) if values is None else k)
    for start in range(0, design.shape[0], _BLOCK):
        block = design[start : start + _BLOCK]
        w = weights[start : start + _BLOCK]
        if values is None:
            out += block.T @ (block * w[:, None])
        else:
            out += block.T @ (w * values[start : start + _BLOCK])
    return out


def _logit_cluster_fit(
    taken: np.ndarray, design: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Binomial GLM (logit) by IRLS with cluster-robust covariance, as statsmodels does it.

    The same start (``mu = (y + 1/2) / 2``), working responses and weights, deviance
    stopping rule (absolute change <= 1e-8, at most 100 iterations) and sandwich
    (observed Hessian, scores summed per cluster, small-sample factor
    ``G/(G-1) * (N-1)/(N-K)``) as ``sm.GLM(...).fit(cov_type="cluster")``, but the
    weighted least squares are solved from their k x k normal equations summed in
    blocks, so memory stays at the design plus a few vectors instead of a dozen
    copies of the design.
    """
    family = sm.families.Binomial()
    link = family.link
    mu = family.starting_mu(taken)
    lin_pred = family.predict(mu)
    deviance = [float(family.deviance(taken, mu))]
    params = np.zeros(design.shape[1])
    for _ in range(100):
        weights = family.weights(mu)
        working = lin_pred + link.deriv(mu) * (taken - mu)
        params = np.linalg.pinv(_cross(design, weights)) @ _cross(design, weights, working)
        lin_pred = design @ params
        mu = family.fitted(lin_pred)
        deviance.append(float(family.deviance(taken, mu)))
        if np.allclose(deviance[-2], deviance[-1], atol=1e-8, rtol=0.0):
            break
    # Sandwich: observed information (bread) and per-cluster score sums (meat).
    variance = family.variance(mu)
    score = (taken - mu) / link.deriv(mu) / variance
    expected = 1 / (link.deriv(mu) ** 2 * variance)
    curvature = variance * link.deriv2(mu) + family.variance.deriv(mu) * link.deriv(mu)
    observed = expected * (1 + score * curvature)
    bread = np.linalg.inv(-_cross(design, observed))
    clusters, cluster = np.unique(groups, return_inverse=True)
    sums = np.column_stack(
        [
            np.bincount(cluster, weights=score * design[:, j], minlength=clusters.size)
            for j in range(design.shape[1])
        ]
    )
    n_obs, k = design.shape
    cov = bread @ (sums.T @ sums) @ bread.T
    cov *= clusters.size / (clusters.size - 1.0) * ((n_obs - 1.0) / float(n_obs - k))
    return params, cov


@metric(
    theme="dominance",
    columns=COLUMNS,
    source="Logistic regression with cluster-robust SEs by contributor (cf. Halfaker et al. 2013)",
    chart=Chart(
        kind="errorbar",
        x="term",
        y="odds_ratio",
        lo="odds_ratio_lo",
        hi="odds_ratio_hi",
        title="Odds that a contribution is taken up, by contributor status",
    ),
    observes=("rejections",),
)
def status_uptake(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Odds ratios of a contribution being taken up, by the contributor's status, with controls.

    Logistic regression (GLM, binomial) of ``taken_up`` (:mod:`undertow.features.uptake`)
    on ``formal`` (rank > 0 at the time), ``core`` (in the quarter's core),
    ``log_tenure_days`` (log1p), with controls ``log_words`` (log1p of the message's
    own words), ``log_thread_size`` (log1p of the messages before it in its thread)
    and ``years`` (time since the trace's start),
    cluster-robust standard errors by contributor. Predictors without variation are
    dropped. Skipped with fewer than 30 contributions or 5 contributors, or when
    every contribution has the same outcome.

    Returns
    -------
    pyarrow.Table
        ``term, odds_ratio, odds_ratio_lo, odds_ratio_hi, p_value, n, n_people``
        (``n`` = contributions; ``n_people`` = contributors with the attribute for
        binary terms, all contributors otherwise).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> status_uptake(make_trace([])).num_rows
    0
    """
    arrays = message_arrays(trace)
    if arrays.n == 0:
        return _empty()
    contribution = arrays.is_contribution
    n = int(contribution.sum())
    people = np.unique(arrays.author[contribution])
    if n < MIN_CONTRIBUTIONS or people.size < MIN_CONTRIBUTORS:
        raise MetricSkipped(
            f"only {n} contributions by {people.size} people "
            f"(need {MIN_CONTRIBUTIONS} by {MIN_CONTRIBUTORS})"
        )
    taken = contribution_taken_up(trace)[contribution].astype(np.float64)
    if taken.min() == taken.max():
        raise MetricSkipped("every contribution has the same outcome: nothing to explain")
    standing = message_standing(trace)
    start = arrays.created.min()
    predictors = {
        "formal": standing.is_formal[contribution].astype(np.float64),
        "core": standing.is_core[contribution].astype(np.float64),
        "log_tenure_days": np.log1p(standing.tenure_days[contribution]),
        "log_words": np.log1p(message_words(trace)[contribution].astype(np.float64)),
        # Thread size when the contribution was made, not counting responses to the
        # contribution itself: those would leak the outcome (an uptake reply makes the
        # thread longer; a git trailer can be dated before its commit's author date).
        "log_thread_size": np.log1p(_messages_before(arrays, contribution)),
        "years": (arrays.created[contribution] - start) / _YEAR_US,
    }
    binary = {"formal", "core"}
    kept = {k: v for k, v in predictors.items() if np.ptp(v) > 0}
    if not kept:
        raise MetricSkipped("no predictor varies across contributions")
    names = list(kept)
    design = np.empty((n, len(names) + 1))
    design[:, 0] = 1.0
    for column, name in enumerate(names, start=1):
        design[:, column] = kept[name]
    groups = arrays.author[contribution]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # Separation and slow convergence are reported through wide intervals, not raised.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            params, cov = _logit_cluster_fit(taken, design, groups)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise MetricSkipped(f"the uptake model could not be fitted: {exc}") from exc
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.975)
    intervals = np.column_stack([params - z * se, params + z * se])[1:]
    p_values = (stats.norm.sf(np.abs(params / se)) * 2)[1:]
    params = params[1:]
    rows = []
    for i, term in enumerate(names):
        holders = np.unique(groups[kept[term] > 0]).size if term in binary else int(people.size)
        rows.append(
            {
                "term": term,
                "odds_ratio": float(np.exp(params[i])),
                "odds_ratio_lo": float(np.exp(intervals[i, 0])),
                "odds_ratio_hi": float(np.exp(intervals[i, 1])),
                "p_value": float(p_values[i]),
                "n": n,
                "n_people": int(holders),
            }
        )
    return pa.Table.from_pylist(rows, schema=_empty().schema)
