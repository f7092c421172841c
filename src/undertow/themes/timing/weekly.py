"""Weekly series of the community's life: who is active, who arrives, how much they reply.

Weeks start on Monday (UTC). Weeks without any message are kept with zero activity,
so a series has one value per calendar week of the trace's coverage window: from the
week of the first to the week of the last message of sustained activity
(``undertow.features.coverage``). Strays before it and a tail after it (an abandoned
archive's spam) are left out of the series, so they are not read as collapse or revival.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from undertow.features.coverage import coverage_bounds
from undertow.features.threads import distinct, message_arrays
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, PeopleCount, RowSum, metric

__all__ = ["SERIES", "WeeklySeries", "week_index", "weekly_activity", "weekly_series"]

WEEK_US = 7 * 86_400 * 1_000_000
# 1970-01-05 was a Monday: weeks are aligned to it.
_MONDAY_US = 4 * 86_400 * 1_000_000

#: The weekly series and what they count.
SERIES = {
    "messages": "messages written",
    "active_members": "distinct people who wrote",
    "newcomers": "people whose first message fell in the week",
    "reply_density": "distinct person-to-person reply ties per active member",
    "reply_rate": "share of the week's thread starts answered by someone else",
    "top_voice_share": "share of the week's messages written by its most active person",
    "knowledge_outcomes": "outcomes (accepted answers, merges, resolutions) dated in the week",
    "resolution_rate": "share of the week's thread starts that reached an outcome",
}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WeeklySeries:
    """Weekly values (one per calendar week) with their denominators.

    Attributes
    ----------
    weeks
        Week starts in microseconds since the epoch (UTC).
    values
        Series name → value per week (NaN where undefined, e.g. a rate without starts).
    n
        Series name → units the value rests on per week.
    """

    weeks: npt.NDArray[np.int64]
    values: dict[str, FloatArray]
    n: dict[str, npt.NDArray[np.int64]]


def week_index(microseconds: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Monday-aligned week number of UTC microsecond timestamps."""
    result: npt.NDArray[np.int64] = (microseconds - _MONDAY_US) // WEEK_US
    return result


def weekly_series(trace: Trace) -> WeeklySeries:
    """Compute every weekly series once (memoised on the trace).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> series = weekly_series(tiny_trace())
    >>> series.weeks.size, series.values["active_members"].tolist()
    (1, [5.0])
    """

    def compute() -> WeeklySeries:
        arrays = message_arrays(trace)
        if arrays.n == 0:
            empty: dict[str, FloatArray] = {name: np.zeros(0) for name in SERIES}
            counts = {name: np.zeros(0, dtype=np.int64) for name in SERIES}
            return WeeklySeries(np.zeros(0, dtype=np.int64), empty, counts)
        week = week_index(arrays.created)
        first_week = int(week.min())
        index = week - first_week
        n_weeks = int(index.max()) + 1
        n_people = max(arrays.n_people, 1)
        messages = np.bincount(index, minlength=n_weeks)
        pairs = distinct(index * n_people + arrays.author)
        active = np.bincount(pairs // n_people, minlength=n_weeks)
        first_seen = np.full(n_people, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_seen, arrays.author, index)
        newcomers = np.bincount(first_seen[first_seen < n_weeks], minlength=n_weeks)
        is_reply = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
        tie_codes = distinct(
            (index[is_reply] * n_people + arrays.author[is_reply]) * n_people
            + arrays.parent_author[is_reply]
        )
        ties = np.bincount(tie_codes // (n_people * n_people), minlength=n_weeks)
        # Top voice: the largest per-person count within each week.
        person_week, person_count = np.unique(index * n_people + arrays.author, return_counts=True)
        top = np.zeros(n_weeks, dtype=np.int64)
        np.maximum.at(top, person_week // n_people, person_count)
        starter = arrays.author[arrays.thread_start]
        answered = (
            np.bincount(
                arrays.thread[arrays.author != starter[arrays.thread]],
                minlength=arrays.n_threads,
            )
            > 0
        )
        start_week = index[arrays.thread_start]
        starts = np.bincount(start_week, minlength=n_weeks)
        answered_starts = np.bincount(start_week, weights=answered, minlength=n_weeks)
        with np.errstate(divide="ignore", invalid="ignore"):
            values: dict[str, FloatArray] = {
                "messages": messages.astype(float),
                "active_members": active.astype(float),
                "newcomers": newcomers.astype(float),
                "reply_density": np.where(active > 0, ties / np.maximum(active, 1), 0.0),
                "reply_rate": np.where(starts > 0, answered_starts / np.maximum(starts, 1), np.nan),
                "top_voice_share": np.where(messages > 0, top / np.maximum(messages, 1), np.nan),
            }
        n: dict[str, npt.NDArray[np.int64]] = {
            "messages": messages,
            "active_members": messages,
            "newcomers": active,
            "reply_density": active,
            "reply_rate": starts,
            "top_voice_share": messages,
        }
        if trace.has("outcomes"):
            outcomes = trace.arrow("outcomes")
            dated = outcomes.filter(pc.is_valid(outcomes.column("created_at")))
            at = dated.column("created_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
            outcome_index = week_index(at.astype(np.int64)) - first_week
            inside = (outcome_index >= 0) & (outcome_index < n_weeks)
            values["knowledge_outcomes"] = np.bincount(
                outcome_index[inside], minlength=n_weeks
            ).astype(float)
            n["knowledge_outcomes"] = messages
            resolved_thread = (
                pc.is_in(arrays.thread_ids, value_set=outcomes.column("thread_id"))
                .to_numpy(zero_copy_only=False)
                .astype(float)
            )
            resolved = np.bincount(start_week, weights=resolved_thread, minlength=n_weeks)
            with np.errstate(divide="ignore", invalid="ignore"):
                values["resolution_rate"] = np.where(
                    starts > 0, resolved / np.maximum(starts, 1), np.nan
                )
            n["resolution_rate"] = starts
        weeks = (np.arange(n_weeks, dtype=np.int64) + first_week) * WEEK_US + _MONDAY_US
        low_us, high_us = coverage_bounds(trace)
        low = 0 if low_us is None else max(0, int(week_index(np.array([low_us]))[0]) - first_week)
        high = (
            n_weeks
            if high_us is None
            else min(n_weeks, int(week_index(np.array([high_us]))[0]) - first_week + 1)
        )
        if low > 0 or high < n_weeks:
            weeks = weeks[low:high]
            values = {name: series[low:high] for name, series in values.items()}
            n = {name: counts[low:high] for name, counts in n.items()}
        return WeeklySeries(weeks, values, n)

    result: WeeklySeries = trace.cached("weekly_series", compute)
    return result


def _poisson_interval(counts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact (Garwood) 95% interval of a Poisson count."""
    low = np.where(counts > 0, stats.chi2.ppf(0.025, 2 * counts) / 2, 0.0)
    high = stats.chi2.ppf(0.975, 2 * (counts + 1)) / 2
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _wilson(share: FloatArray, n: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    z = 1.959963984540054
    size = np.maximum(n, 1).astype(float)
    centre = (share + z * z / (2 * size)) / (1 + z * z / size)
    half = z * np.sqrt(share * (1 - share) / size + z * z / (4 * size * size)) / (1 + z * z / size)
    return centre - half, centre + half


WEEKLY_SCHEMA = pa.schema(
    [
        pa.field("week", TIMESTAMP),
        pa.field("series", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("value_lo", pa.float64()),
        pa.field("value_hi", pa.float64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    theme="timing",
    columns=WEEKLY_SCHEMA.names,
    source="Wenger, McDermott & Snyder 2002 (stages of development); CHAOSS activity metrics",
    chart=Chart(
        kind="timeline",
        x="week",
        y="value",
        group="series",
        lo="value_lo",
        hi="value_hi",
        marks=("change_points:at", "formalisation_shock:at"),
        title="The community week by week",
    ),
    people=(
        PeopleCount("value", where=("series", ("active_members", "newcomers"))),
        # ``n`` of these series is the week's active members.
        PeopleCount(
            "n",
            where=("series", ("newcomers", "reply_density")),
            covers=("value", "value_lo", "value_hi"),
        ),
    ),
    sums=(RowSum("week", where=("series", ("newcomers",))),),
)
def weekly_activity(trace: Trace, *, seed: int = 0) -> pa.Table:
    """One row per week and series: activity, arrivals, replies and knowledge outcomes.

    Series (:data:`SERIES`): ``messages``, ``active_members``, ``newcomers``,
    ``reply_density``, ``reply_rate``, ``top_voice_share`` and, when the trace has
    outcomes, ``knowledge_outcomes`` and ``resolution_rate``. Counts carry exact
    Poisson 95% intervals, shares Wilson intervals (``n`` = their denominators);
    ``reply_density`` and ``top_voice_share`` have none. ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> table = weekly_activity(tiny_trace())
    >>> sorted(set(table["series"].to_pylist()))[:3]
    ['active_members', 'knowledge_outcomes', 'messages']
    """
    series = weekly_series(trace)
    if series.weeks.size == 0:
        return WEEKLY_SCHEMA.empty_table()
    parts = []
    for name, values in series.values.items():
        n = series.n[name]
        if name in ("messages", "active_members", "newcomers", "knowledge_outcomes"):
            low, high = _poisson_interval(values)
        elif name in ("reply_rate", "resolution_rate"):
            low, high = _wilson(values, n)
        else:
            low = high = np.full(values.size, np.nan)
        parts.append(
            pa.table(
                {
                    "week": pa.array(series.weeks).cast(TIMESTAMP),
                    "series": pa.array([name] * values.size, pa.string()),
                    "value": pa.array(values, pa.float64(), mask=np.isnan(values)),
                    "value_lo": pa.array(low, pa.float64(), mask=np.isnan(low)),
                    "value_hi": pa.array(high, pa.float64(), mask=np.isnan(high)),
                    "n": pa.array(n, pa.int64()),
                },
                schema=WEEKLY_SCHEMA,
            )
        )
    return pa.concat_tables(parts)
