"""Formalisation shock: whether key weekly metrics break when formal roles arrive.

Interrupted time series (segmented regression; Wagner et al. 2002) around each week in
which the roster appoints someone (``roles.valid_from``): within
:data:`WINDOW_WEEKS` weeks either side, ``y_t = b0 + b1·t + b2·post + b3·post·(t − t0)
+ e_t``. ``b2`` is the immediate level change, ``b3`` the change of slope; their
standard errors are Newey–West (HAC, 4 lags) because weekly series are autocorrelated.
Weekly rates are weighted by their denominators (thread starts, messages) and tested
only with at least :data:`MIN_SIDE_UNITS` of them on each side.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import statsmodels.api as sm

from undertow.model.observation import appointment_mask
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.registry import MetricSkipped, metric
from undertow.themes.timing.weekly import week_index, weekly_series

__all__ = [
    "ITS_SERIES",
    "MIN_SIDE_UNITS",
    "MIN_SIDE_WEEKS",
    "WINDOW_WEEKS",
    "formalisation_shock",
]

#: Weeks of data used on each side of an appointment.
WINDOW_WEEKS = 26

#: An appointment needs at least this many weeks of data before and after it.
MIN_SIDE_WEEKS = 8

#: A rate needs at least this many units (threads, messages) on each side.
MIN_SIDE_UNITS = 50

#: Weekly series tested around each appointment.
ITS_SERIES = (
    "messages",
    "active_members",
    "newcomers",
    "reply_rate",
    "resolution_rate",
    "top_voice_share",
)

_HAC_LAGS = 4

_RATES = ("reply_rate", "resolution_rate", "top_voice_share")

ITS_SCHEMA = pa.schema(
    [
        pa.field("at", TIMESTAMP),
        pa.field("series", pa.string()),
        pa.field("level_change", pa.float64()),
        pa.field("level_change_lo", pa.float64()),
        pa.field("level_change_hi", pa.float64()),
        pa.field("slope_change", pa.float64()),
        pa.field("slope_change_lo", pa.float64()),
        pa.field("slope_change_hi", pa.float64()),
        pa.field("p_level", pa.float64()),
        pa.field("pre_mean", pa.float64()),
        pa.field("pre_sd", pa.float64()),
        pa.field("standardised_level_change", pa.float64()),
        pa.field("n_appointed", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    theme="timing",
    columns=ITS_SCHEMA.names,
    requires=("roles.valid_from",),
    source="Wagner, Soumerai, Zhang & Ross-Degnan 2002 (segmented regression of ITS)",
    chart=None,
    observes=("appointments",),
)
def formalisation_shock(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Level and slope changes of key weekly metrics at each formal appointment.

    Appointments are roles with ``rank > 0`` (rank 0 is plain membership) and a
    ``valid_from`` date that dates an appointment: exact, or an interval of at most a
    week; a role first seen in a snapshot could have begun at any date of its interval,
    so no shock is dated by it (the metric is skipped when the trace has no such date).
    One row per appointment week × series (:data:`ITS_SERIES`;
    the resolution rate only when the trace has outcomes; ``at`` = the week's first
    appointment): the level change with its 95% CI and p-value,
    the slope change per week with its CI, the pre-period mean and SD, and the level
    change in pre-period SDs (``standardised_level_change``). Appointment weeks need
    :data:`MIN_SIDE_WEEKS` weeks of data on each side; ``n`` = weeks in the model,
    ``n_appointed`` = roles starting that week. ``seed`` is unused.

    Raises
    ------
    MetricSkipped
        When no appointment has enough weeks of data around it.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> formalisation_shock(tiny_trace())
    Traceback (most recent call last):
    ...
    undertow.themes.registry.MetricSkipped: no appointment has 8 weeks of activity on both sides
    """
    weekly = weekly_series(trace)
    series_n = weekly.n
    roles = trace.arrow("roles")
    # Rank 0 marks plain membership, not position power: joining is not formalisation.
    # A snapshot interval or a status (badge) does not date an appointment.
    formal = roles.filter(pc.and_(pc.greater(roles.column("rank"), 0), appointment_mask(roles)))
    starts = formal.column("valid_from").drop_null().cast(pa.int64()).to_numpy(zero_copy_only=False)
    if weekly.weeks.size == 0 or starts.size == 0:
        return ITS_SCHEMA.empty_table()
    first_week = int(week_index(weekly.weeks[:1])[0])
    index = week_index(starts.astype(np.int64)) - first_week
    weeks_with, appointed = np.unique(index, return_counts=True)
    order = np.argsort(index, kind="stable")
    # The finding is dated by the appointment itself, not by the start of its week.
    dates = np.minimum.reduceat(
        starts.astype(np.int64)[order], np.searchsorted(index[order], weeks_with)
    )
    n_weeks = weekly.weeks.size
    usable = (weeks_with >= MIN_SIDE_WEEKS) & (weeks_with <= n_weeks - MIN_SIDE_WEEKS)
    if not usable.any():
        raise MetricSkipped(f"no appointment has {MIN_SIDE_WEEKS} weeks of activity on both sides")
    rows = []
    for t0, count, date in zip(
        weeks_with[usable].tolist(),
        appointed[usable].tolist(),
        dates[usable].tolist(),
        strict=True,
    ):
        low, high = max(0, t0 - WINDOW_WEEKS), min(n_weeks, t0 + WINDOW_WEEKS)
        t = np.arange(low, high, dtype=float) - t0
        post = (t >= 0).astype(float)
        design = np.column_stack([np.ones_like(t), t, post, post * t])
        for name in ITS_SERIES:
            series = weekly.values.get(name)
            if series is None:
                continue
            y = series[low:high]
            keep = np.isfinite(y)
            if keep[t < 0].sum() < MIN_SIDE_WEEKS // 2 or keep[t >= 0].sum() < MIN_SIDE_WEEKS // 2:
                continue
            if name in _RATES:
                denominators = series_n[name][low:high]
                if min(denominators[t < 0].sum(), denominators[t >= 0].sum()) < MIN_SIDE_UNITS:
                    # A rate over a handful of threads swings 0 to 1 week to week.
                    continue
            pre = y[(t < 0) & keep]
            if np.ptp(y[keep]) == 0:
                continue
            # Rates rest on few threads in quiet weeks: weight weeks by their denominator.
            weights = (
                series_n[name][low:high][keep].astype(float)
                if name in _RATES
                else np.ones(int(keep.sum()))
            )
            with warnings.catch_warnings(), np.errstate(invalid="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                fit = sm.WLS(y[keep], design[keep], weights=weights).fit(
                    cov_type="HAC", cov_kwds={"maxlags": _HAC_LAGS}
                )
                ci = np.asarray(fit.conf_int(alpha=0.05))
                params = np.asarray(fit.params)
                p_values = np.asarray(fit.pvalues)
            if not (np.all(np.isfinite(ci[2:])) and np.isfinite(p_values[2])):
                # A HAC covariance that is not positive definite gives no usable interval.
                continue
            pre_sd = float(pre.std(ddof=1)) if pre.size > 1 else float("nan")
            level = float(params[2])
            rows.append(
                {
                    "at": int(date),
                    "series": name,
                    "level_change": level,
                    "level_change_lo": float(ci[2, 0]),
                    "level_change_hi": float(ci[2, 1]),
                    "slope_change": float(params[3]),
                    "slope_change_lo": float(ci[3, 0]),
                    "slope_change_hi": float(ci[3, 1]),
                    "p_level": float(p_values[2]),
                    "pre_mean": float(pre.mean()),
                    "pre_sd": pre_sd,
                    "standardised_level_change": level / pre_sd if pre_sd > 0 else None,
                    "n_appointed": int(count),
                    "n": int(keep.sum()),
                }
            )
    if not rows:
        return ITS_SCHEMA.empty_table()
    table = pa.Table.from_pylist(rows, schema=ITS_SCHEMA.set(0, pa.field("at", pa.int64())))
    return table.set_column(0, "at", pc.cast(table.column("at"), TIMESTAMP))
