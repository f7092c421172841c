"""The window in which the source observed the community, as engine-free microsecond bounds."""

from __future__ import annotations

from undertow.model.trace import Trace

__all__ = ["coverage_bounds"]


def _microseconds(trace: Trace, key: str) -> int | None:
    moment = trace.observation.moment(key)
    return None if moment is None else int(moment.timestamp() * 1_000_000)


def coverage_bounds(trace: Trace) -> tuple[int | None, int | None]:
    """First and last message of sustained activity, in UTC microseconds (``None`` if empty).

    Activity after the upper bound (an archive's spam tail, a dump's last partial days)
    was not observed as the community's: survival, retention and the weekly series are
    censored there instead of reading the silence as decline
    (``undertow.model.observation.coverage_window``).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> low, high = coverage_bounds(tiny_trace())
    >>> low < high
    True
    """
    return _microseconds(trace, "sustained_from"), _microseconds(trace, "right_censored_at")
