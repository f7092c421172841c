"""Cluster bootstrap confidence intervals: resample threads or people, never messages.

Two entry points:

- :func:`bootstrap_ratio_ci` for the common case of a ratio of sums (a share, a rate,
  a mean), computed from per-cluster totals with multinomial resampling weights: fast
  enough for hundreds of thousands of clusters.
- :func:`bootstrap_ci` for any statistic of the clusters' values (a median, a Gini,
  an odds ratio), calling ``statistic`` once per replicate.

Both are seeded and deterministic: the same inputs and ``seed`` give the same interval.
Intervals are percentile intervals (Efron & Tibshirani 1993, ch. 13). Where the bootstrap
degenerates for a share of counts (0/n, n/n, or a single cluster: every replicate is the
same), :func:`bootstrap_ratio_ci` returns the exact Clopper–Pearson interval instead;
:func:`wilson_interval` and :func:`clopper_pearson_interval` are the closed forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "DEFAULT_N_BOOT",
    "bootstrap_ci",
    "bootstrap_draws",
    "bootstrap_ratio_ci",
    "bootstrap_ratios_ci",
    "bootstrap_weights",
    "clopper_pearson_interval",
    "percentile_interval",
    "weighted_sums",
    "wilson_interval",
]

#: Default number of bootstrap replicates.
DEFAULT_N_BOOT = 500

FloatArray = npt.NDArray[np.float64]

# Replicates per chunk: bounds the weight matrix to ~chunk × n_clusters floats.
_CELLS_PER_CHUNK = 4_000_000


def bootstrap_weights(
    n_clusters: int, *, n_boot: int = DEFAULT_N_BOOT, seed: int = 0
) -> Iterator[FloatArray]:
    """Yield multinomial resampling weights in chunks of shape ``(chunk, n_clusters)``.

    Row ``b`` says how many times each cluster is drawn in replicate ``b``; each row
    sums to ``n_clusters``. Chunks keep memory bounded for very many clusters.

    Examples
    --------
    >>> chunks = list(bootstrap_weights(4, n_boot=3, seed=1))
    >>> sum(c.shape[0] for c in chunks), chunks[0].sum(axis=1).tolist()
    (3, [4.0, 4.0, 4.0])
    """
    for draws in bootstrap_draws(n_clusters, n_boot=n_boot, seed=seed):
        # Counting uniform draws is an exact multinomial sample and ~5x faster than
        # Generator.multinomial for many clusters; one bincount per replicate is ~5x
        # faster than one over offset codes of the whole chunk.
        weights = np.empty(draws.shape, dtype=np.float64)
        for row in range(draws.shape[0]):
            weights[row] = np.bincount(draws[row], minlength=n_clusters)
        yield weights


def bootstrap_draws(
    n_clusters: int, *, n_boot: int = DEFAULT_N_BOOT, seed: int = 0
) -> Iterator[npt.NDArray[np.int64]]:
    """Yield the clusters drawn in each replicate, in chunks of shape ``(chunk, n_clusters)``.

    :func:`bootstrap_weights` counts these draws (same seed, same replicates).

    Examples
    --------
    >>> [c.tolist() for c in bootstrap_draws(3, n_boot=2, seed=1)]
    [[[1, 1, 2], [2, 0, 0]]]
    """
    rng = np.random.default_rng(seed)
    if n_clusters <= 0:
        return
    chunk = max(1, min(n_boot, _CELLS_PER_CHUNK // n_clusters))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        yield rng.integers(0, n_clusters, size=(size, n_clusters))
        done += size


def _exact_sums(values: FloatArray) -> bool:
    """Whether any resampled sum of ``values`` is an exact float (integers, < 2**53)."""
    if values.size == 0:
        return True
    largest = float(np.abs(values).max())
    return bool(np.all(values == np.round(values))) and largest * values.size < 2.0**53


def weighted_sums(weights: FloatArray, values: FloatArray) -> FloatArray:
    """``weights @ values`` for a chunk of bootstrap weights and one value per cluster.

    A plain loop, not BLAS: a threaded BLAS spins its idle threads between these short
    products, which costs more CPU than the product itself on a busy machine. The sums
    are exact (so equal to ``weights @ values``) whenever the values are integers.

    Examples
    --------
    >>> weighted_sums(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([3.0, 5.0])).tolist()
    [6.0, 8.0]
    """
    sums: FloatArray = np.einsum("ij,j->i", weights, values)
    return sums


def percentile_interval(replicates: npt.ArrayLike, *, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaN replicates ignored).

    Examples
    --------
    >>> percentile_interval([1.0, 2.0, 3.0, 4.0, 5.0], level=0.5)
    (2.0, 4.0)
    """
    values = np.asarray(replicates, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return (float(low), float(high))


def wilson_interval(successes: float, total: float) -> tuple[float, float]:
    """Wilson's 95% score interval for a proportion (Wilson 1927).

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(44, 100)]
    [0.347, 0.538]
    >>> wilson_interval(0, 20)[0]
    0.0
    """
    if total <= 0:
        return (float("nan"), float("nan"))
    z = 1.959963984540054
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def clopper_pearson_interval(
    successes: float, total: float, *, level: float = 0.95
) -> tuple[float, float]:
    """The exact (Clopper & Pearson 1934) interval for a proportion of counts.

    Never narrower than its nominal coverage; at 0/n the upper bound is
    ``1 - (alpha/2) ** (1/n)`` (about 3.7/n), at n/n the lower bound mirrors it.

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson_interval(0, 50)]
    [0.0, 0.0711]
    >>> [round(v, 4) for v in clopper_pearson_interval(50, 50)]
    [0.9289, 1.0]
    """
    if total <= 0:
        return (float("nan"), float("nan"))
    alpha = 1.0 - level
    k = float(successes)
    low = 0.0 if k <= 0 else float(stats.beta.ppf(alpha / 2, k, total - k + 1))
    high = 1.0 if k >= total else float(stats.beta.ppf(1 - alpha / 2, k + 1, total - k))
    return (low, high)


def _count_share(num: FloatArray, den: FloatArray) -> bool:
    """Whether the clusters' values are counts of successes out of counts of trials."""
    return bool(
        np.all(num == np.round(num))
        and np.all(den == np.round(den))
        and np.all(num >= 0)
        and np.all(num <= den)
    )


def bootstrap_ratio_ci(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Estimate and percentile CI of ``sum(numerator) / sum(denominator)`` over clusters.

    Parameters
    ----------
    numerator, denominator
        One value per cluster (thread or person): e.g. resolved threads and threads
        (0/1 and 1), or replies received and 1 for a mean per person.
    n_boot
        Bootstrap replicates.
    seed
        Seed of the resampling.
    level
        Confidence level.

    Returns
    -------
    tuple of float
        ``(estimate, low, high)``; NaN when there are no clusters or the denominator is 0.
        For a share of counts at 0 or 1, or resting on one cluster, the interval is
        Clopper–Pearson's (a percentile interval would have no width).

    Examples
    --------
    >>> est, lo, hi = bootstrap_ratio_ci([1, 0, 1, 1], [1, 1, 1, 1], seed=0)
    >>> est, 0.0 <= lo <= est <= hi <= 1.0
    (0.75, True)
    >>> [round(v, 3) for v in bootstrap_ratio_ci([0, 0, 0], [2, 3, 5])]
    [0.0, 0.0, 0.308]
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    total = den.sum()
    if num.size == 0 or total == 0:
        return (float("nan"), float("nan"), float("nan"))
    estimate = float(num.sum() / total)
    successes = float(num.sum())
    if (successes in (0.0, float(total)) or num.size == 1) and _count_share(num, den):
        low, high = clopper_pearson_interval(successes, float(total), level=level)
        return (estimate, low, high)
    replicates: list[FloatArray] = []
    # Weights are counts summing to the number of clusters: with unit denominators
    # (shares, means per cluster) every replicate's denominator is exactly that number.
    unit = bool(np.all(den == 1.0))
    if _exact_sums(num) and _exact_sums(den):
        # Integer values: summing the drawn clusters' values is exact, so it equals the
        # weighted sums, without counting the draws first.
        for draws in bootstrap_draws(num.size, n_boot=n_boot, seed=seed):
            top = np.take(num, draws).sum(axis=1)
            bottom = (
                np.full(draws.shape[0], float(num.size))
                if unit
                else np.take(den, draws).sum(axis=1)
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                replicates.append(
                    np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
                )
        low, high = percentile_interval(np.concatenate(replicates), level=level)
        return (estimate, low, high)
    for weights in bootstrap_weights(num.size, n_boot=n_boot, seed=seed):
        top = weighted_sums(weights, num)
        bottom = np.full(weights.shape[0], float(num.size)) if unit else weighted_sums(weights, den)
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates.append(np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan))
    low, high = percentile_interval(np.concatenate(replicates), level=level)
    return (estimate, low, high)


def bootstrap_ratios_ci(
    numerators: npt.ArrayLike,
    denominators: npt.ArrayLike,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> FloatArray:
    """:func:`bootstrap_ratio_ci` for several ratios over the same clusters at once.

    Every ratio is computed on the same resampled clusters (one set of weights), which
    is both faster and keeps the ratios' replicates paired.

    Parameters
    ----------
    numerators, denominators
        Arrays of shape ``(k, n_clusters)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 3)``: estimate, low, high per ratio (NaN where undefined).

    Examples
    --------
    >>> out = bootstrap_ratios_ci([[1, 0, 1, 1], [0, 0, 1, 1]], [[1, 1, 1, 1], [1, 1, 1, 1]])
    >>> out[:, 0].tolist()
    [0.75, 0.5]
    """
    num = np.atleast_2d(np.asarray(numerators, dtype=np.float64))
    den = np.atleast_2d(np.asarray(denominators, dtype=np.float64))
    out = np.full((num.shape[0], 3), np.nan)
    if num.shape[1] == 0:
        return out
    totals = den.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 0] = np.where(totals > 0, num.sum(axis=1) / np.where(totals > 0, totals, 1), np.nan)
    replicates: list[FloatArray] = []
    for weights in bootstrap_weights(num.shape[1], n_boot=n_boot, seed=seed):
        top = weights @ num.T
        bottom = weights @ den.T
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates.append(np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan))
    stacked = np.concatenate(replicates)
    for k in range(num.shape[0]):
        out[k, 1], out[k, 2] = percentile_interval(stacked[:, k], level=level)
    return out


def bootstrap_ci(
    values_by_cluster: Sequence[Any] | npt.NDArray[Any],
    statistic: Callable[[Any], float],
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Estimate and percentile CI of ``statistic`` by resampling clusters with replacement.

    Parameters
    ----------
    values_by_cluster
        One item per cluster: a NumPy array (rows are clusters; 1-D or 2-D) or a
        sequence of per-cluster arrays (concatenated after resampling).
    statistic
        Function of the resampled values (same shape convention) returning a float.
    n_boot, seed, level
        Replicates, seed and confidence level.

    Returns
    -------
    tuple of float
        ``(estimate, low, high)``; NaN when there are no clusters.

    Examples
    --------
    >>> import numpy as np
    >>> est, lo, hi = bootstrap_ci(np.array([1.0, 2.0, 3.0, 10.0]), np.median, seed=0)
    >>> est, lo <= est <= hi
    (2.5, True)
    >>> est, lo, hi = bootstrap_ci([np.array([1.0, 2.0]), np.array([3.0])], np.mean, seed=0)
    >>> est
    2.0
    """
    n_clusters = len(values_by_cluster)
    if n_clusters == 0:
        return (float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    if (
        isinstance(values_by_cluster, np.ndarray)
        and values_by_cluster.ndim == 1
        and (statistic is np.median)
    ):
        # The median of every replicate at once, chunk by chunk (the same draws; each
        # row's median is computed as for one row).
        array = values_by_cluster
        estimate = float(np.median(array))
        replicates = np.concatenate(
            [
                np.median(np.take(array, draws), axis=1).astype(np.float64)
                for draws in bootstrap_draws(n_clusters, n_boot=n_boot, seed=seed)
            ]
        )
    elif isinstance(values_by_cluster, np.ndarray):
        array = values_by_cluster
        estimate = float(statistic(array))
        # Drawn in bounded chunks: the same draws as one call.
        replicates = np.fromiter(
            (
                statistic(array[row])
                for draws in bootstrap_draws(n_clusters, n_boot=n_boot, seed=seed)
                for row in draws
            ),
            dtype=np.float64,
            count=n_boot,
        )
    else:
        parts = [np.asarray(part) for part in values_by_cluster]
        estimate = float(statistic(np.concatenate(parts)))
        draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
        replicates = np.fromiter(
            (statistic(np.concatenate([parts[i] for i in row])) for row in draws),
            dtype=np.float64,
            count=n_boot,
        )
    low, high = percentile_interval(replicates, level=level)
    return (estimate, low, high)
