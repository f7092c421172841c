"""Newcombe's interval for a difference of proportions (Wilson intervals of each)."""

from __future__ import annotations

import numpy as np

from undertow.features.bootstrap import wilson_interval

__all__ = ["newcombe_interval", "wilson_interval"]


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
