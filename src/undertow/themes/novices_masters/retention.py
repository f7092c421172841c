"""Retention of newcomers by how their first message was received (Kaplan–Meier, Cox)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.trace import Trace
from undertow.themes.novices_masters.reception import newcomer_table
from undertow.themes.registry import Chart, MetricSkipped, PeopleCount, metric

__all__ = ["SURVIVAL_DAYS", "retention_by_reception", "retention_cox"]

#: Days at which the survival curves are reported.
SURVIVAL_DAYS = (0, 7, 30, 90, 180, 365, 730, 1095)

SURVIVAL_SCHEMA = pa.schema(
    [
        pa.field("group", pa.string()),
        pa.field("t_days", pa.float64()),
        pa.field("survival", pa.float64()),
        pa.field("survival_lo", pa.float64()),
        pa.field("survival_hi", pa.float64()),
        pa.field("at_risk", pa.int64()),
        pa.field("n", pa.int64()),
        pa.field("n_people", pa.int64()),
    ]
)

COX_SCHEMA = pa.schema(
    [
        pa.field("covariate", pa.string()),
        pa.field("hazard_ratio", pa.float64()),
        pa.field("hazard_ratio_lo", pa.float64()),
        pa.field("hazard_ratio_hi", pa.float64()),
        pa.field("p_value", pa.float64()),
        pa.field("n", pa.int64()),
        pa.field("n_events", pa.int64()),
    ]
)


def _groups(table: pa.Table) -> dict[str, np.ndarray]:
    replied = table.column("replied").to_numpy(zero_copy_only=False).astype(bool)
    tone = table.column("reply_tone")
    core = table.column("replier_is_core")

    def flags(values: pa.ChunkedArray) -> np.ndarray:
        return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)

    return {
        "replied": replied,
        "ignored": ~replied,
        "reply_warm": flags(pc.equal(tone, "warm")),
        "reply_hostile": flags(pc.equal(tone, "hostile")),
        "replier_core": flags(core),
        "replier_periphery": flags(pc.invert(core)),
    }


def _kaplan_meier(
    durations: np.ndarray, events: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier survival at ``times`` with log(-log) Greenwood 95% CIs (as lifelines)."""
    order = np.argsort(durations, kind="stable")
    durations, events = durations[order], events[order]
    unique, first = np.unique(durations, return_index=True)
    deaths = np.add.reduceat(events.astype(float), first) if durations.size else np.zeros(0)
    at_risk = durations.size - first
    factor = 1.0 - deaths / at_risk
    survival = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        log_survival = np.log(survival)
        spread = 1.959963984540054 * np.sqrt(greenwood) / np.abs(log_survival)
        lower = np.exp(-np.exp(np.log(-log_survival) + spread))
        upper = np.exp(-np.exp(np.log(-log_survival) - spread))
    position = np.searchsorted(unique, times, side="right") - 1
    s = np.where(position >= 0, survival[np.maximum(position, 0)], 1.0)
    lo = np.where(position >= 0, lower[np.maximum(position, 0)], 1.0)
    hi = np.where(position >= 0, upper[np.maximum(position, 0)], 1.0)
    # Where survival is 1 or 0 the log-log interval is undefined; it collapses to the point.
    lo = np.where(np.isfinite(lo), lo, s)
    hi = np.where(np.isfinite(hi), hi, s)
    risk = np.array([int(np.sum(durations >= t)) for t in times], dtype=np.int64)
    return s, lo, hi, risk


@metric(
    theme="novices_masters",
    columns=SURVIVAL_SCHEMA.names,
    source="Joyce & Kraut 2006 (reply lifts return); Kaplan & Meier 1958",
    chart=Chart(
        kind="survival",
        x="t_days",
        y="survival",
        group="group",
        lo="survival_lo",
        hi="survival_hi",
        title="Newcomers still active, by how their first message was received",
    ),
    observes=("conversation", "reply_links"),
    people=(PeopleCount("at_risk", covers=("survival", "survival_lo", "survival_hi")),),
)
def retention_by_reception(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Kaplan–Meier survival of newcomers by reception of their first message.

    Time runs from a person's first message to their last; a person has *left* when
    their last message is more than ``FOLLOW_UP_DAYS`` (180) days before the end of
    the trace, otherwise they are censored at the end. Groups: ``replied``,
    ``ignored``, ``reply_warm``, ``reply_hostile`` (tone of the first reply, when
    affect is available), ``replier_core``, ``replier_periphery``. Pointwise 95% CIs
    are Greenwood's with the log(−log) transform (the lifelines default); ``seed`` is
    unused (no resampling).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> table = retention_by_reception(tiny_trace())
    >>> sorted(set(table["group"].to_pylist()))[:2]
    ['ignored', 'replied']
    """
    table = newcomer_table(trace)
    if table.num_rows == 0:
        return SURVIVAL_SCHEMA.empty_table()
    durations = table.column("duration_days").to_numpy(zero_copy_only=False)
    events = table.column("left").to_numpy(zero_copy_only=False).astype(bool)
    times = np.asarray(SURVIVAL_DAYS, dtype=float)
    parts: list[pa.Table] = []
    for group, mask in _groups(table).items():
        if not mask.any():
            continue
        s, lo, hi, risk = _kaplan_meier(durations[mask], events[mask], times)
        size = int(mask.sum())
        parts.append(
            pa.table(
                {
                    "group": pa.array([group] * times.size),
                    "t_days": times,
                    "survival": s,
                    "survival_lo": lo,
                    "survival_hi": hi,
                    "at_risk": risk,
                    "n": pa.array([size] * times.size, pa.int64()),
                    "n_people": pa.array([size] * times.size, pa.int64()),
                },
                schema=SURVIVAL_SCHEMA,
            )
        )
    return pa.concat_tables(parts) if parts else SURVIVAL_SCHEMA.empty_table()


@metric(
    theme="novices_masters",
    columns=COX_SCHEMA.names,
    source="Cox 1972 proportional hazards; Joyce & Kraut 2006",
    chart=Chart(
        kind="errorbar",
        x="covariate",
        y="hazard_ratio",
        lo="hazard_ratio_lo",
        hi="hazard_ratio_hi",
        title="Hazard of leaving (below 1: stays longer)",
    ),
    observes=("conversation", "reply_links"),
)
def retention_cox(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Cox model of newcomers' hazard of leaving, with reception and controls.

    Covariates: ``replied`` (first message got a reply), ``log_latency_hours``
    (log(1 + hours to the first reply); 0 when ignored, so it acts within replied
    newcomers), ``thread_start`` (the first message opened a thread) and ``join_year``
    (years since the first newcomer joined: the period control). Fitted with lifelines
    ``CoxPHFitter`` (Efron ties, a 0.01 ridge penalty for stability); hazard ratios with
    95% CIs. Needs at least 10 newcomers who left and 10 who stayed; ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> retention_cox(tiny_trace()).num_rows
    Traceback (most recent call last):
    ...
    undertow.themes.registry.MetricSkipped: too few newcomers left (0) or stayed (5) for a Cox model
    """
    table = newcomer_table(trace)
    if table.num_rows == 0:
        return COX_SCHEMA.empty_table()
    events = table.column("left").to_numpy(zero_copy_only=False).astype(bool)
    n_events = int(events.sum())
    if n_events < 10 or events.size - n_events < 10:
        raise MetricSkipped(
            f"too few newcomers left ({n_events}) or stayed ({events.size - n_events}) "
            "for a Cox model"
        )
    replied = table.column("replied").to_numpy(zero_copy_only=False).astype(float)
    latency = np.nan_to_num(table.column("latency_hours").to_numpy(zero_copy_only=False))
    joined = table.column("joined_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    frame = pd.DataFrame(
        {
            "duration": np.maximum(
                table.column("duration_days").to_numpy(zero_copy_only=False), 0.01
            ),
            "event": events.astype(int),
            "replied": replied,
            "log_latency_hours": np.log1p(np.maximum(latency, 0.0)),
            "thread_start": table.column("is_thread_start")
            .to_numpy(zero_copy_only=False)
            .astype(float),
            "join_year": (joined - joined.min()) / (365.25 * 86_400 * 1e6),
        }
    )
    # Constant covariates make the model singular; drop them and say so by their absence.
    frame = frame.loc[
        :, [c for c in frame.columns if c in ("duration", "event") or frame[c].std() > 0]
    ]
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    fitter = CoxPHFitter(penalizer=0.01)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fitter.fit(frame, duration_col="duration", event_col="event")
    except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError) as exc:
        raise MetricSkipped(f"the Cox model did not converge: {exc}") from exc
    summary = fitter.summary
    return pa.table(
        {
            "covariate": pa.array(list(summary.index), pa.string()),
            "hazard_ratio": summary["exp(coef)"].to_numpy(dtype=float),
            "hazard_ratio_lo": summary["exp(coef) lower 95%"].to_numpy(dtype=float),
            "hazard_ratio_hi": summary["exp(coef) upper 95%"].to_numpy(dtype=float),
            "p_value": summary["p"].to_numpy(dtype=float),
            "n": pa.array([len(frame)] * len(summary), pa.int64()),
            "n_events": pa.array([n_events] * len(summary), pa.int64()),
        },
        schema=COX_SCHEMA,
    )
