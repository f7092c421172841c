"""Joining cohorts and growth mode: whether early arrival buys lasting power."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import (
    bootstrap_ratio_ci,
    bootstrap_ratios_ci,
    bootstrap_weights,
    percentile_interval,
    weighted_sums,
)
from undertow.features.coverage import coverage_bounds
from undertow.features.threads import message_arrays
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.novices_masters.core_periphery import trajectories
from undertow.themes.novices_masters.reception import newcomer_table
from undertow.themes.registry import Chart, PeopleCount, metric

__all__ = ["EARLY_WEEKS", "LATE_DAYS", "cohorts", "early_growth_mode", "founders_advantage"]

#: The late window for "share of voice later": the last this-many days of the trace.
LATE_DAYS = 365

#: Early growth is measured over the community's first this-many weeks.
EARLY_WEEKS = 12

_DAY_US = 86_400 * 1_000_000


def _people_frame(trace: Trace) -> dict[str, npt.NDArray[np.float64]] | None:
    """Per newcomer (``newcomer_table`` order): cohort, survival, core reach, late voice."""
    table = newcomer_table(trace)
    if table.num_rows == 0:
        return None
    arrays = message_arrays(trace)
    observed_to = coverage_bounds(trace)[1]
    end = int(arrays.created.max()) if observed_to is None else observed_to
    joined = table.column("joined_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    # Tenure to the last message: duration for leavers, else the last message itself.
    index = pc.index_in(arrays.people, value_set=table.column("person_id"))
    person_of_author = index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    person = person_of_author[arrays.author]
    valid = person >= 0
    last = np.full(table.num_rows, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, person[valid], arrays.created[valid])
    tenure_days = (last - joined) / _DAY_US
    followed = joined + 365 * _DAY_US <= end
    late = valid & (arrays.created > end - LATE_DAYS * _DAY_US)
    late_messages = np.bincount(person[late], minlength=table.num_rows).astype(float)
    paths = trajectories(trace)
    reach_index = pc.index_in(table.column("person_id"), value_set=paths.column("person_id"))
    reached = (
        pc.greater(paths.column("n_core_windows").take(reach_index).fill_null(0), 0)
        .to_numpy(zero_copy_only=False)
        .astype(float)
    )
    cohort = table.column("cohort").cast(pa.int64()).to_numpy(zero_copy_only=False)
    return {
        "cohort": cohort.astype(np.float64),
        "survived_1y": np.where(followed, (tenure_days >= 365).astype(float), np.nan),
        "reached_core": reached,
        "late_messages": late_messages,
    }


COHORT_SCHEMA = pa.schema(
    [
        pa.field("cohort", TIMESTAMP),
        pa.field("survived_1y", pa.float64()),
        pa.field("survived_1y_lo", pa.float64()),
        pa.field("survived_1y_hi", pa.float64()),
        pa.field("reached_core", pa.float64()),
        pa.field("reached_core_lo", pa.float64()),
        pa.field("reached_core_hi", pa.float64()),
        pa.field("late_voice_share", pa.float64()),
        pa.field("late_voice_share_lo", pa.float64()),
        pa.field("late_voice_share_hi", pa.float64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    seeded=True,
    theme="timing",
    columns=COHORT_SCHEMA.names,
    source="Wenger 1998; cohort analysis of online communities (Ducheneaut 2005)",
    chart=Chart(
        kind="line",
        x="cohort",
        y="reached_core",
        lo="reached_core_lo",
        hi="reached_core_hi",
        title="Share of each joining cohort that reached the core",
    ),
    sums=("cohort",),
)
def cohorts(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Per cohort (quarter of first message): survival, reach of the core, voice later.

    ``survived_1y``: share still writing a year after their first message (only people
    who joined at least a year before the end); ``reached_core``: share ever in the
    quarterly core; ``late_voice_share``: the cohort's share of all messages in the last
    :data:`LATE_DAYS` days. 95% CIs bootstrap people (500 replicates, seeded; the voice
    share resamples everyone, since its denominator is everyone's). ``n`` = ``n_people``
    = the cohort's size.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> row = cohorts(tiny_trace()).to_pylist()[0]
    >>> row["n_people"], row["late_voice_share"]
    (5, 1.0)
    """
    frame = _people_frame(trace)
    if frame is None:
        return COHORT_SCHEMA.empty_table()
    cohort = frame["cohort"]
    late = frame["late_messages"]
    values = np.unique(cohort)
    # The voice shares resample everyone with the same seed, so every cohort's replicate
    # uses the same weights: one pass for all cohorts (message counts are integers, so the
    # weighted sums are exact and the intervals equal the per-cohort ones).
    members = cohort[None, :] == values[:, None]
    voice = bootstrap_ratios_ci(
        late[None, :] * members, np.broadcast_to(late, members.shape), seed=seed
    )
    rows = []
    for index, value in enumerate(values.tolist()):
        mask = members[index]
        survived = frame["survived_1y"][mask]
        followed = np.isfinite(survived)
        s = bootstrap_ratio_ci(survived[followed], np.ones(int(followed.sum())), seed=seed)
        r = bootstrap_ratio_ci(frame["reached_core"][mask], np.ones(int(mask.sum())), seed=seed)
        v = voice[index]
        rows.append(
            {
                "cohort": int(value),
                "survived_1y": s[0],
                "survived_1y_lo": s[1],
                "survived_1y_hi": s[2],
                "reached_core": r[0],
                "reached_core_lo": r[1],
                "reached_core_hi": r[2],
                "late_voice_share": v[0],
                "late_voice_share_lo": v[1],
                "late_voice_share_hi": v[2],
                "n_people": int(mask.sum()),
                "n": int(mask.sum()),
            }
        )
    table = pa.Table.from_pylist(rows, schema=COHORT_SCHEMA.set(0, pa.field("cohort", pa.int64())))
    return table.set_column(0, "cohort", table.column("cohort").cast(TIMESTAMP))


FOUNDERS_SCHEMA = pa.schema(
    [
        pa.field("measure", pa.string()),
        pa.field("founders", pa.float64()),
        pa.field("later", pa.float64()),
        pa.field("difference", pa.float64()),
        pa.field("difference_lo", pa.float64()),
        pa.field("difference_hi", pa.float64()),
        pa.field("n_founders", pa.int64()),
        pa.field("n_later", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


def _mean_difference(
    first: npt.NDArray[np.float64], second: npt.NDArray[np.float64], seed: int
) -> tuple[float, float, float]:
    """Difference of means with a bootstrap CI resampling people within each group."""
    if first.size == 0 or second.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    estimate = float(first.mean() - second.mean())
    # Shares and message counts: integer values, so the weighted sums are exact.
    a = np.concatenate(
        [weighted_sums(w, first) / first.size for w in bootstrap_weights(first.size, seed=seed)]
    )
    b = np.concatenate(
        [
            weighted_sums(w, second) / second.size
            for w in bootstrap_weights(second.size, seed=seed + 1)
        ]
    )
    low, high = percentile_interval(a - b)
    return (estimate, low, high)


@metric(
    seeded=True,
    theme="timing",
    columns=FOUNDERS_SCHEMA.names,
    source="Founder effects in online communities (Kraut & Resnick 2012, ch. 5)",
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="difference",
        lo="difference_lo",
        hi="difference_hi",
        title="Founders minus later joiners",
    ),
    people=(
        PeopleCount(
            "n_founders",
            covers=("founders", "difference", "difference_lo", "difference_hi", "n", "n_later"),
        ),
        PeopleCount(
            "n_later",
            covers=("later", "difference", "difference_lo", "difference_hi", "n", "n_founders"),
        ),
    ),
)
def founders_advantage(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Founders (first-quarter cohort) minus later joiners on core reach, survival, voice.

    Measures: ``reached_core`` and ``survived_1y`` (shares) and
    ``late_messages_per_person`` (messages in the last :data:`LATE_DAYS` days per
    person). ``difference`` = founders − later with a 95% bootstrap CI resampling
    people within each group (500 replicates, seeded); ``n`` = people compared.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> founders_advantage(tiny_trace()).num_rows
    0
    """
    frame = _people_frame(trace)
    if frame is None:
        return FOUNDERS_SCHEMA.empty_table()
    founders = frame["cohort"] == frame["cohort"].min()
    if founders.all():
        return FOUNDERS_SCHEMA.empty_table()
    rows = []
    for measure, values in (
        ("reached_core", frame["reached_core"]),
        ("survived_1y", frame["survived_1y"]),
        ("late_messages_per_person", frame["late_messages"]),
    ):
        keep = np.isfinite(values)
        first, second = values[founders & keep], values[~founders & keep]
        estimate, low, high = _mean_difference(first, second, seed)
        rows.append(
            {
                "measure": measure,
                "founders": float(first.mean()) if first.size else None,
                "later": float(second.mean()) if second.size else None,
                "difference": estimate,
                "difference_lo": low,
                "difference_hi": high,
                "n_founders": int(first.size),
                "n_later": int(second.size),
                "n": int(first.size + second.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=FOUNDERS_SCHEMA)


EARLY_SCHEMA = pa.schema(
    [
        pa.field("period", pa.string()),
        pa.field("share_via_tie", pa.float64()),
        pa.field("share_via_tie_lo", pa.float64()),
        pa.field("share_via_tie_hi", pa.float64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    seeded=True,
    theme="timing",
    columns=EARLY_SCHEMA.names,
    source="Kairam, Wang & Leskovec 2012 (the life and death of online groups)",
    chart=Chart(
        kind="errorbar",
        x="period",
        y="share_via_tie",
        lo="share_via_tie_lo",
        hi="share_via_tie_hi",
        title="Joiners whose first message was directed at an existing member",
    ),
)
def early_growth_mode(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of joiners directed at existing members, early on and later (growth mode).

    Kairam et al. (2012) separate growth by diffusion (joiners with a prior tie to
    members) from non-network growth. The trace shows no ties before a person's first
    message, so the proxy is whether that first message was *directed at an existing
    member*: a reply to their message (``parent_id``) or an explicit address
    (``addressee_id``) of someone who had written before. Rows: joiners in the first
    :data:`EARLY_WEEKS` weeks after the first message (founders of the very first week
    excluded: there was nobody to be tied to) and later joiners; 95% CIs bootstrap
    people (seeded). ``n`` = ``n_people`` = joiners in the period.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> early_growth_mode(tiny_trace()).num_rows  # everyone joined in the first week
    0
    """
    table = newcomer_table(trace)
    if table.num_rows == 0:
        return EARLY_SCHEMA.empty_table()
    arrays = message_arrays(trace)
    messages = trace.arrow("messages")
    row = pc.index_in(table.column("message_id"), value_set=arrays.message_id)
    row_np = row.to_numpy(zero_copy_only=False).astype(np.int64)
    via_reply = arrays.parent_author[row_np] >= 0
    address_row = pc.index_in(table.column("message_id"), value_set=messages.column("message_id"))
    addressee = messages.column("addressee_id").combine_chunks().take(address_row)
    joined = table.column("joined_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    addressee_index = pc.index_in(addressee, value_set=table.column("person_id"))
    has_addressee = addressee_index.is_valid().to_numpy(zero_copy_only=False)
    addressee_joined = joined[addressee_index.fill_null(0).to_numpy(zero_copy_only=False)]
    via_address = has_addressee & (addressee_joined < joined)
    via_tie = (via_reply | via_address).astype(float)
    start = int(arrays.created.min())
    week = 7 * _DAY_US
    early = (joined >= start + week) & (joined < start + EARLY_WEEKS * week)
    later = joined >= start + EARLY_WEEKS * week
    rows = []
    for name, mask in ((f"first_{EARLY_WEEKS}_weeks", early), ("later", later)):
        if not mask.any():
            continue
        estimate, low, high = bootstrap_ratio_ci(via_tie[mask], np.ones(int(mask.sum())), seed=seed)
        rows.append(
            {
                "period": name,
                "share_via_tie": estimate,
                "share_via_tie_lo": low,
                "share_via_tie_hi": high,
                "n_people": int(mask.sum()),
                "n": int(mask.sum()),
            }
        )
    return pa.Table.from_pylist(rows, schema=EARLY_SCHEMA)
