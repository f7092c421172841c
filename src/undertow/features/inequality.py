"""Inequality of participation: Gini, Lorenz curve, smallest sets (onion core, bus factor).

The Gini coefficient uses the standard mean-absolute-difference formula over all
ordered pairs including self-pairs,
``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))``,
so ``[1, 1, 1, 1]`` gives 0 and ``[0, 0, 0, 1]`` gives 0.75 (the maximum for n = 4
is ``(n - 1) / n``). Bootstrap intervals resample people: the values are sorted once
and each replicate is a vector of multinomial weights, so no replicate re-sorts.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from undertow.features.bootstrap import DEFAULT_N_BOOT, bootstrap_weights, percentile_interval

__all__ = ["gini", "gini_ci", "lorenz", "smallest_share_set", "smallest_share_set_ci"]

FloatArray = npt.NDArray[np.float64]


def _weighted_gini(sorted_x: FloatArray, weights: FloatArray) -> FloatArray:
    # For ascending x and weights w (rows = replicates), sum_ij w_i w_j |x_i - x_j|
    # = 2 sum_i w_i x_i (W_before_i - W_after_i); W_before/after exclude i itself.
    cum = np.cumsum(weights, axis=-1)
    total = cum[..., -1:]
    before = cum - weights
    after = total - cum
    pair_sum = 2.0 * np.sum(weights * sorted_x * (before - after), axis=-1)
    mass = np.sum(weights * sorted_x, axis=-1)
    n = total[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(mass > 0, pair_sum / (2.0 * n * mass), np.nan)
    return result


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values (NaN when empty or all zero).

    Examples
    --------
    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 1])
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        return float("nan")
    return float(_weighted_gini(x, np.ones_like(x)))


def gini_ci(
    values: npt.ArrayLike, *, n_boot: int = DEFAULT_N_BOOT, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Gini with a percentile bootstrap CI resampling people.

    Examples
    --------
    >>> est, lo, hi = gini_ci([0, 1, 2, 3, 10, 40], seed=0)
    >>> round(est, 3), lo <= est <= hi
    (0.679, True)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    estimate = gini(x)
    replicates = [
        _weighted_gini(x, weights)
        for weights in bootstrap_weights(x.size, n_boot=n_boot, seed=seed)
    ]
    low, high = percentile_interval(np.concatenate(replicates), level=level)
    return (estimate, low, high)


def lorenz(values: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve points: cumulative share of people (ascending) vs of the total.

    Starts at ``(0, 0)`` and ends at ``(1, 1)``.

    Examples
    --------
    >>> x, y = lorenz([0, 0, 0, 1])
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0, 1.0])
    """
    v = np.sort(np.asarray(values, dtype=np.float64))
    total = v.sum()
    if v.size == 0 or total <= 0:
        return (np.zeros(0), np.zeros(0))
    x = np.concatenate([[0.0], np.arange(1, v.size + 1) / v.size])
    y = np.concatenate([[0.0], np.cumsum(v) / total])
    return (x, y)


def _smallest_set(sorted_desc: FloatArray, weights: FloatArray, share: float) -> FloatArray:
    # Count whole people (with resampling multiplicity) needed to reach `share` of the total.
    mass = np.cumsum(weights * sorted_desc, axis=-1)
    target = share * mass[..., -1:]
    index = np.argmax(mass >= target - 1e-9 * np.maximum(target, 1.0), axis=-1)
    people = np.cumsum(weights, axis=-1)
    rows = np.arange(index.size)
    mass_flat = mass.reshape(-1, mass.shape[-1])
    people_flat = people.reshape(-1, people.shape[-1])
    before_mass = np.where(index > 0, mass_flat[rows, np.maximum(index - 1, 0)], 0.0)
    before_people = np.where(index > 0, people_flat[rows, np.maximum(index - 1, 0)], 0.0)
    value = sorted_desc[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = np.ceil((target.reshape(-1) - before_mass) / value - 1e-9)
    result: FloatArray = before_people + np.maximum(extra, 1.0)
    return result


def smallest_share_set(values: npt.ArrayLike, share: float = 0.8) -> int:
    """Size of the smallest set of people producing ``share`` of the total.

    With ``share=0.8`` this is GrimoireLab's onion core; with ``share=0.5`` the
    CHAOSS bus (truck) factor. 0 when the total is 0.

    Examples
    --------
    >>> smallest_share_set([50, 30, 10, 5, 5], 0.8), smallest_share_set([50, 30, 10, 5, 5], 0.5)
    (2, 1)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if x.size == 0 or x.sum() <= 0:
        return 0
    return int(_smallest_set(x, np.ones((1, x.size)), share)[0])


def smallest_share_set_ci(
    values: npt.ArrayLike,
    share: float = 0.8,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """:func:`smallest_share_set` with a percentile bootstrap CI resampling people.

    Examples
    --------
    >>> est, lo, hi = smallest_share_set_ci([50, 30, 10, 5, 5, 1, 1], 0.8, seed=0)
    >>> est, lo <= est <= hi
    (3.0, True)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if x.size == 0 or x.sum() <= 0:
        return (float("nan"), float("nan"), float("nan"))
    estimate = float(smallest_share_set(x, share))
    replicates = []
    for weights in bootstrap_weights(x.size, n_boot=n_boot, seed=seed):
        # A replicate that drew only people with no messages has no set.
        usable = (weights @ x) > 0
        replicates.append(_smallest_set(x, weights[usable], share))
    low, high = percentile_interval(np.concatenate(replicates), level=level)
    return (estimate, low, high)
