"""Small helpers that keep finding statements readable: counts, p-values, missing numbers.

Finding rules read tables after small-cell suppression, so any number may be null (or
NaN when an estimate was undefined); these helpers let a rule check and print numbers
without ever writing "None", "nan" or "1 people".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["count", "finite", "numbers", "p_text"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` followed by the noun, in the singular for exactly one.

    Examples
    --------
    >>> count(1, "person", "people"), count(3, "person", "people"), count(0, "episode")
    ('1 person', '3 people', '0 episodes')
    """
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {plural if plural is not None else noun + 's'}"


def finite(value: Any) -> float | None:
    """The value as a float, or None when it is null, NaN, infinite or not a number.

    Examples
    --------
    >>> finite(0.5), finite(None), finite(float("nan")), finite(3)
    (0.5, None, None, 3.0)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def numbers(row: Mapping[str, Any], *names: str) -> tuple[float, ...] | None:
    """The named values of a table row as floats, or None if any is missing or not finite.

    Examples
    --------
    >>> numbers({"a": 1, "b": 0.5}, "a", "b")
    (1.0, 0.5)
    >>> numbers({"a": 1, "b": None}, "a", "b") is None
    True
    """
    values = [finite(row.get(name)) for name in names]
    if any(value is None for value in values):
        return None
    return tuple(value for value in values if value is not None)


def p_text(p: float) -> str:
    """A p-value as a reader expects it: ``p = 0.012``, or ``p < 0.001`` when tiny.

    Examples
    --------
    >>> p_text(0.0123), p_text(0.0004)
    ('p = 0.012', 'p < 0.001')
    """
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"
