"""Bootstrap weights and ratio intervals: fast paths equal the plain definitions."""

from __future__ import annotations

import numpy as np
import pytest

from undertow.features.bootstrap import (
    bootstrap_ci,
    bootstrap_draws,
    bootstrap_ratio_ci,
    bootstrap_weights,
    percentile_interval,
    weighted_sums,
)


def _reference_weights(n_clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """Counts of 64-bit uniform draws, drawn in one call (the definition)."""
    draws = np.random.default_rng(seed).integers(0, n_clusters, size=(n_boot, n_clusters))
    return np.stack([np.bincount(row, minlength=n_clusters) for row in draws]).astype(float)


@pytest.mark.parametrize("n_clusters", [1, 2, 3, 17, 1000, 9000])
@pytest.mark.parametrize("seed", [0, 7])
def test_weights_equal_the_definition_whatever_the_chunking(n_clusters: int, seed: int) -> None:
    n_boot = 1100 if n_clusters == 9000 else 50  # 9000 clusters: several chunks
    chunks = list(bootstrap_weights(n_clusters, n_boot=n_boot, seed=seed))
    weights = np.concatenate(chunks)
    assert weights.dtype == np.float64
    assert np.array_equal(weights, _reference_weights(n_clusters, n_boot, seed))
    assert np.all(weights.sum(axis=1) == n_clusters)


def test_no_clusters_no_weights() -> None:
    assert list(bootstrap_weights(0)) == []


def test_weighted_sums_equal_the_matrix_product_for_integer_values() -> None:
    weights = np.concatenate(list(bootstrap_weights(500, n_boot=40, seed=3)))
    values = np.random.default_rng(1).integers(0, 50, size=500).astype(float)
    assert np.array_equal(weighted_sums(weights, values), weights @ values)


@pytest.mark.parametrize("unit", [True, False])
def test_ratio_ci_equals_the_plain_computation(unit: bool) -> None:
    rng = np.random.default_rng(2)
    num = rng.integers(0, 5, size=3000).astype(float)
    den = np.ones(3000) if unit else num + rng.integers(0, 3, size=3000)
    weights = _reference_weights(3000, 500, 4)
    top, bottom = weights @ num, weights @ den
    expected = percentile_interval(
        np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
    )
    estimate, low, high = bootstrap_ratio_ci(num, den, seed=4)
    assert estimate == num.sum() / den.sum()
    assert (low, high) == expected


def test_draws_are_what_the_weights_count() -> None:
    draws = np.concatenate(list(bootstrap_draws(9000, n_boot=1100, seed=5)))
    weights = np.concatenate(list(bootstrap_weights(9000, n_boot=1100, seed=5)))
    counts = np.stack([np.bincount(row, minlength=9000) for row in draws])
    assert np.array_equal(counts, weights)


@pytest.mark.parametrize("fractional", [False, True])
def test_ratio_ci_same_by_draws_or_weights(fractional: bool) -> None:
    rng = np.random.default_rng(8)
    num = rng.integers(0, 9, size=2000).astype(float) + (0.25 if fractional else 0.0)
    den = rng.integers(1, 4, size=2000).astype(float)
    reps = []
    for weights in bootstrap_weights(2000, n_boot=500, seed=3):
        reps.append(weighted_sums(weights, num) / weighted_sums(weights, den))
    assert bootstrap_ratio_ci(num, den, seed=3)[1:] == percentile_interval(np.concatenate(reps))


@pytest.mark.parametrize("size", [1, 2, 7, 10, 9001])
def test_median_ci_equals_one_replicate_at_a_time(size: int) -> None:
    values = np.random.default_rng(size).exponential(size=size)
    draws = np.random.default_rng(6).integers(0, size, size=(500, size))
    expected = percentile_interval([float(np.median(values[row])) for row in draws])
    estimate, low, high = bootstrap_ci(values, np.median, seed=6)
    assert estimate == float(np.median(values))
    assert (low, high) == expected
    generic = bootstrap_ci(values, lambda x: float(np.median(x)), seed=6)
    assert generic == (estimate, low, high)
