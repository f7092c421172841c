"""Formalisation shock: whether key weekly metrics break when formal roles arrive.

Interrupted time series (segmented regression; Wagner et al. 2002) around each week in
which the roster appoints someone (``roles.valid_from``): within :data:`WINDOW_WEEKS`
weeks either side of the appointment week ``t0``,

    y_t = b0 + b1·t + b2·t² + b3·post + b4·post·t + e_t,   t measured from t0,

plus the same two break terms for every *other* appointment week inside the window.
The quadratic term is a flexible common trend: a community that grows and then
flattens is curved, and a straight pre-trend extrapolated past the bend reads that
curvature as a level drop at any date. ``b3`` is the level change, ``b4`` the change of
slope; their standard errors are Newey–West (HAC, 4 lags, as statsmodels computes them).

The HAC standard error of a few dozen autocorrelated weeks is too small, and a smooth
trend can still leave a bias, so the level change is not judged against the normal
distribution but against an **empirical null from placebo dates of the same series**
(Abadie, Diamond & Hainmueller 2015 on placebo studies; Efron 2004 on empirical nulls):
the same model is fitted at every week that is at least :data:`PLACEBO_GAP_WEEKS` from
an appointment and has :data:`MIN_SIDE_WEEKS` weeks on both sides, with the real
appointments' breaks in the model, so a real break does not leak into its placebos, and
with breaks at the same offsets from the placebo date as the other appointments inside
the tested appointment's window, so the placebo model has the shape of the appointment's
(a break a few weeks after another is fitted from a short segment and swings far more
than a lone break). The null is a Student t centred at zero fitted to the placebo
z-statistics by maximum likelihood, so its tails are as heavy as the placebos' (scale at
least 1, the model's own, and at least 1.4826 × their median absolute value); its degrees
of freedom are at most the number of effectively independent placebo dates (Bartlett's
formula for the variance of a variance from an autocorrelated series). The p-value of a
level change is two-sided from that scaled t distribution, and its interval is the
level change ± the t quantile × null scale × standard error, so the interval excludes
zero exactly when p < 0.05. A series with fewer than :data:`MIN_PLACEBOS` placebo
dates has no calibrated null: its level change is shown without p-value or interval.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from undertow.model.observation import appointment_mask
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.registry import MetricSkipped, metric
from undertow.themes.timing.weekly import WeeklySeries, week_index, weekly_series

__all__ = [
    "ITS_SERIES",
    "MIN_PLACEBOS",
    "MIN_SIDE_UNITS",
    "MIN_SIDE_WEEKS",
    "PLACEBO_GAP_WEEKS",
    "WINDOW_WEEKS",
    "formalisation_shock",
    "placebo_null",
    "segmented_fit",
    "shock_table",
]

#: Weeks of data used on each side of an appointment.
WINDOW_WEEKS = 26

#: An appointment (and a placebo date) needs at least this many weeks of data on each side.
MIN_SIDE_WEEKS = 8

#: A rate needs at least this many units (threads, messages) on each side.
MIN_SIDE_UNITS = 50

#: Placebo dates closer than this to a real appointment week are not used.
PLACEBO_GAP_WEEKS = 4

#: A series needs at least this many placebo dates for a calibrated p-value.
MIN_PLACEBOS = 20

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

FloatArray = npt.NDArray[np.float64]

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
        pa.field("z_level", pa.float64()),
        pa.field("null_scale", pa.float64()),
        pa.field("null_df", pa.float64()),
        pa.field("n_placebo", pa.int64()),
        pa.field("pre_mean", pa.float64()),
        pa.field("pre_sd", pa.float64()),
        pa.field("standardised_level_change", pa.float64()),
        pa.field("n_appointed", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


def _hac_fit(
    y: FloatArray, design: FloatArray, weights: FloatArray, lags: int = _HAC_LAGS
) -> tuple[FloatArray, FloatArray] | None:
    """Weighted least squares with Newey–West (Bartlett) covariance, as statsmodels' HAC.

    Returns the coefficients and their standard errors, or ``None`` when the design is
    rank-deficient or the covariance is not positive.
    """
    root = np.sqrt(weights)
    xw = design * root[:, None]
    yw = y * root
    n, k = xw.shape
    if n <= k or np.linalg.matrix_rank(xw) < k:
        return None
    bread = np.linalg.inv(xw.T @ xw)
    beta = bread @ (xw.T @ yw)
    moments = xw * (yw - xw @ beta)[:, None]
    meat = moments.T @ moments
    for lag in range(1, min(lags, n - 1) + 1):
        gamma = moments[lag:].T @ moments[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    covariance = bread @ meat @ bread
    variance = np.diag(covariance)
    if not np.all(np.isfinite(variance)) or np.any(variance <= 0):
        return None
    return np.asarray(beta, dtype=float), np.sqrt(variance)


def segmented_fit(
    y: FloatArray,
    weights: FloatArray,
    t0: int,
    *,
    other_breaks: npt.NDArray[np.int64] | None = None,
    window: int = WINDOW_WEEKS,
) -> tuple[FloatArray, FloatArray, int] | None:
    """The segmented regression at week ``t0`` of a weekly series.

    Parameters
    ----------
    y, weights
        Weekly values (NaN = undefined) and their weights.
    t0
        Index of the week the break is tested at.
    other_breaks
        Week indices of other events whose level and slope breaks are modelled too
        (those inside the window and not at ``t0``).
    window
        Weeks used on each side.

    Returns
    -------
    (coefficients, standard errors, weeks) or None
        Coefficients ``[b0, b1, b2, level change, slope change, ...]`` with HAC
        standard errors and the number of weeks fitted; ``None`` when the model
        cannot be fitted.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.full(20, 1.0), np.full(20, 3.0)] + np.tile([0.1, -0.1], 20)
    >>> beta, se, n = segmented_fit(y, np.ones(40), 20)
    >>> round(float(beta[3]), 1), n
    (2.0, 40)
    """
    low, high = max(0, t0 - window), min(y.size, t0 + window)
    weeks = np.arange(low, high, dtype=float)
    t = weeks - t0
    post = (t >= 0).astype(float)
    columns = [np.ones_like(t), t, t * t, post, post * t]
    for other in () if other_breaks is None else other_breaks.tolist():
        if other != t0 and low < other < high:
            after = (weeks >= other).astype(float)
            columns += [after, after * (weeks - other)]
    design = np.column_stack(columns)
    values = y[low:high]
    keep = np.isfinite(values) & (weights[low:high] > 0)
    fitted = _hac_fit(values[keep], design[keep], weights[low:high][keep].astype(float))
    if fitted is None:
        return None
    beta, errors = fitted
    return beta, errors, int(keep.sum())


def placebo_null(z: FloatArray) -> tuple[float, float]:
    """Scale and degrees of freedom of the empirical null from placebo z-statistics.

    The null is a Student t centred at zero fitted to the placebo z-statistics by
    maximum likelihood, so its tails are as heavy as theirs: placebo level changes of a
    bursty series are far from normal, and a scale read from their centre alone puts
    the appointment's p-value an order of magnitude too low. The scale is never below
    1 (the model's own) nor below 1.4826 × the median absolute placebo z. The degrees
    of freedom are the smaller of the fitted shape and the effective number of
    independent placebo dates, ``m / (1 + 2 Σ_k ρ_k²)`` over the autocorrelations
    ``ρ_k`` of the placebo series up to lag :data:`WINDOW_WEEKS` (Bartlett's variance
    of a sample variance: few independent dates leave the scale itself uncertain), at
    least 1.

    Examples
    --------
    >>> import numpy as np
    >>> scale, df = placebo_null(np.random.default_rng(0).normal(0, 2, 400))
    >>> round(scale, 1), df > 20
    (2.0, True)
    >>> scale, df = placebo_null(np.random.default_rng(0).standard_t(3, 400))
    >>> df < 10
    True
    """
    m = z.size
    robust = 1.4826 * float(np.median(np.abs(z)))
    shape, fitted = float(m), robust
    if m >= 3 and float(np.ptp(z)) > 0:
        shape, _, fitted = (float(v) for v in stats.t.fit(z, floc=0.0))
    scale = max(1.0, robust, fitted)
    centred = z - z.mean()
    denominator = float(centred @ centred)
    if denominator <= 0:
        return scale, float(max(1, min(shape, m - 1)))
    lags = np.arange(1, min(WINDOW_WEEKS, m - 1) + 1)
    rho = np.array([float(centred[k:] @ centred[:-k]) / denominator for k in lags.tolist()])
    effective = m / (1.0 + 2.0 * float(np.sum(rho * rho)))
    return scale, float(max(1.0, min(shape, effective)))


def _placebo_z(
    y: FloatArray,
    weights: FloatArray,
    candidates: npt.NDArray[np.int64],
    breaks: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64] | None = None,
) -> FloatArray:
    """z-statistics of the level change at each placebo week (real breaks modelled).

    ``offsets`` (weeks relative to the tested date) are the other appointments inside
    the tested appointment's window: each placebo date gets breaks at the same offsets
    from it, so the placebo model has the appointment model's shape (a break a few
    weeks after another is estimated from a short segment and swings far more than a
    lone break).
    """
    values = []
    for week in candidates.tolist():
        others = breaks if offsets is None else np.union1d(breaks, week + offsets)
        fitted = segmented_fit(y, weights, week, other_breaks=others)
        if fitted is not None:
            values.append(fitted[0][3] / fitted[1][3])
    return np.asarray(values, dtype=float)


@metric(
    theme="timing",
    columns=ITS_SCHEMA.names,
    requires=("roles.valid_from",),
    source="Wagner, Soumerai, Zhang & Ross-Degnan 2002 (segmented regression of ITS); "
    "placebo dates as the null (Abadie, Diamond & Hainmueller 2015; Efron 2004)",
    chart=None,
    observes=("appointments",),
    people=("n_appointed",),
    role_dates=("at",),
)
def formalisation_shock(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Level and slope changes of key weekly metrics at each formal appointment.

    Appointments are roles with ``rank > 0`` (rank 0 is plain membership) and a
    ``valid_from`` date that dates an appointment: exact, or an interval of at most a
    week; a role first seen in a snapshot could have begun at any date of its interval,
    so no shock is dated by it (the metric is skipped when the trace has no such date).
    One row per appointment week × series (:data:`ITS_SERIES`;
    the resolution rate only when the trace has outcomes; ``at`` = the week's first
    appointment): the level change with its 95% interval and p-value against the
    placebo-date null (``null_scale``, ``null_df``, ``n_placebo`` placebo dates;
    ``z_level`` = level change / HAC standard error), the slope change per week with
    its HAC interval, the pre-period mean and SD, and the level change in pre-period
    SDs (``standardised_level_change``). Without :data:`MIN_PLACEBOS` placebo dates
    ``p_level`` and the level interval are null. Appointment weeks need
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
    roles = trace.arrow("roles")
    # Rank 0 marks plain membership, not position power: joining is not formalisation.
    # A snapshot interval or a status (badge) does not date an appointment.
    formal = roles.filter(pc.and_(pc.greater(roles.column("rank"), 0), appointment_mask(roles)))
    starts = formal.column("valid_from").drop_null().cast(pa.int64()).to_numpy(zero_copy_only=False)
    return shock_table(weekly, starts.astype(np.int64))


def shock_table(weekly: WeeklySeries, starts: npt.NDArray[np.int64]) -> pa.Table:
    """The :func:`formalisation_shock` table of weekly series at event times ``starts``.

    ``starts`` are UTC microseconds; events in the same week are one event (dated by
    the earliest). What counts as an event is the caller's choice; this is the test.

    Raises
    ------
    MetricSkipped
        When no event has :data:`MIN_SIDE_WEEKS` weeks of data on both sides.
    """
    series_n = weekly.n
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
    inside = weeks_with[(weeks_with >= 0) & (weeks_with < n_weeks)]
    every_week = np.arange(MIN_SIDE_WEEKS, n_weeks - MIN_SIDE_WEEKS + 1, dtype=np.int64)
    distance = (
        np.abs(every_week[:, None] - inside[None, :]).min(axis=1)
        if inside.size
        else np.full(every_week.size, n_weeks)
    )
    candidates = every_week[distance >= PLACEBO_GAP_WEEKS]
    rows = []
    for name in ITS_SERIES:
        series = weekly.values.get(name)
        if series is None:
            continue
        # Rates rest on few threads in quiet weeks: weight weeks by their denominator.
        weights = series_n[name].astype(float) if name in _RATES else np.ones(n_weeks, dtype=float)
        nulls: dict[tuple[int, ...], tuple[float, float, int]] = {}
        for t0, count, date in zip(
            weeks_with[usable].tolist(),
            appointed[usable].tolist(),
            dates[usable].tolist(),
            strict=True,
        ):
            low, high = max(0, t0 - WINDOW_WEEKS), min(n_weeks, t0 + WINDOW_WEEKS)
            y = series[low:high]
            t = np.arange(low, high) - t0
            keep = np.isfinite(y)
            if keep[t < 0].sum() < MIN_SIDE_WEEKS // 2 or keep[t >= 0].sum() < MIN_SIDE_WEEKS // 2:
                continue
            if name in _RATES:
                denominators = series_n[name][low:high]
                if min(denominators[t < 0].sum(), denominators[t >= 0].sum()) < MIN_SIDE_UNITS:
                    # A rate over a handful of threads swings 0 to 1 week to week.
                    continue
            if np.ptp(y[keep]) == 0:
                continue
            fitted = segmented_fit(series, weights, t0, other_breaks=inside)
            if fitted is None:
                continue
            beta, errors, n_used = fitted
            # The null of this appointment: placebo dates with breaks at the same offsets
            # as the other appointments inside its window (one null per configuration).
            near = inside[(inside != t0) & (np.abs(inside - t0) < WINDOW_WEEKS)] - t0
            shape = tuple(near.tolist())
            if shape not in nulls:
                placebo = _placebo_z(
                    series, weights, candidates, inside, near if near.size else None
                )
                nulls[shape] = (
                    (*placebo_null(placebo), int(placebo.size)) if placebo.size else (1, 1, 0)
                )
            scale, df, n_placebo = nulls[shape]
            level, error = float(beta[3]), float(errors[3])
            z = level / error
            slope_half = float(stats.norm.ppf(0.975)) * float(errors[4])
            calibrated = n_placebo >= MIN_PLACEBOS
            half = float(stats.t.ppf(0.975, df)) * scale * error if calibrated else None
            pre = y[(t < 0) & keep]
            pre_sd = float(pre.std(ddof=1)) if pre.size > 1 else float("nan")
            rows.append(
                {
                    "at": int(date),
                    "series": name,
                    "level_change": level,
                    "level_change_lo": None if half is None else level - half,
                    "level_change_hi": None if half is None else level + half,
                    "slope_change": float(beta[4]),
                    "slope_change_lo": float(beta[4]) - slope_half,
                    "slope_change_hi": float(beta[4]) + slope_half,
                    "p_level": float(2 * stats.t.sf(abs(z) / scale, df)) if calibrated else None,
                    "z_level": z,
                    "null_scale": scale if calibrated else None,
                    "null_df": df if calibrated else None,
                    "n_placebo": n_placebo,
                    "pre_mean": float(pre.mean()),
                    "pre_sd": pre_sd,
                    "standardised_level_change": level / pre_sd if pre_sd > 0 else None,
                    "n_appointed": int(count),
                    "n": n_used,
                }
            )
    if not rows:
        return ITS_SCHEMA.empty_table()
    rows.sort(key=lambda row: (row["at"], ITS_SERIES.index(str(row["series"]))))
    table = pa.Table.from_pylist(rows, schema=ITS_SCHEMA.set(0, pa.field("at", pa.int64())))
    return table.set_column(0, "at", pc.cast(table.column("at"), TIMESTAMP))
