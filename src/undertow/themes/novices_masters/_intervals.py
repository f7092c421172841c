"""Closed-form intervals for proportions and their differences (Wilson, Newcombe)."""

from __future__ import annotations

import numpy as np

__all__ = ["newcombe_interval", "wilson_interval"]


def wilson_interval(successes: float, total: float) -> tuple[float, float]:
    """Wilson's 95% score interval for a proportion.

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(44, 100)]
    [0.347, 0.538]
    """
    if total <= 0:
        return (float("nan"), float("nan"))
    z = 1.959963984540054
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (float(centre - half), float(centre + half))


def newcombe_interval(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float, float]:
    """Difference p1 − p2 with Newcombe's (1998) hybrid Wilson 95% interval.

    Examples
    --------
    >>> [round(v, 3) for v in newcombe_interval(56, 100, 44, 100)]
    [0.12, -0.018, 0.252]
    """
    if n1 <= 0 or n2 <= 0:
        return (float("nan"), float("nan"), float("nan"))
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (float(diff), float(low), float(high))
