"""Role ends: what changes when a formal leader resigns, is removed or hands over."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.coverage import coverage_bounds
from undertow.features.leaders import reply_pairs
from undertow.features.threads import message_arrays
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.leadership.hub import N_PLACEBO, WINDOW_DAYS, _Windows
from undertow.themes.novices_masters.reception import newcomer_table
from undertow.themes.registry import PeopleCount, metric

__all__ = ["ROLE_END_COLUMNS", "role_ends"]

_DAY_US = 86_400 * 1_000_000

ROLE_END_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("ended_at", TIMESTAMP),
        pa.field("ended_after", TIMESTAMP),
        pa.field("transition", pa.string()),
        pa.field("successor_id", pa.string()),
        pa.field("messages_before", pa.int64()),
        pa.field("messages_after", pa.int64()),
        pa.field("centralisation_before", pa.float64()),
        pa.field("centralisation_after", pa.float64()),
        pa.field("change", pa.float64()),
        pa.field("placebo_p_value", pa.float64()),
        pa.field("newcomers_replied_before", pa.float64()),
        pa.field("newcomers_replied_after", pa.float64()),
        pa.field("n_newcomers_before", pa.int64()),
        pa.field("n_newcomers_after", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)
ROLE_END_COLUMNS = tuple(ROLE_END_SCHEMA.names)


def _ends(trace: Trace) -> pa.Table:
    """Per person and end date: the last end of their rank > 0 roles ending then."""
    roles = trace.arrow("roles")
    formal = roles.filter(
        pc.and_(pc.greater(roles.column("rank"), 0), pc.is_valid(roles.column("valid_to")))
    )
    earliest = pc.coalesce(formal.column("valid_to_earliest"), formal.column("valid_to"))
    table = pa.table(
        {
            "person_id": formal.column("person_id"),
            "ended_at": formal.column("valid_to"),
            "ended_after": earliest,
        }
    )
    return (
        table.group_by(["person_id", "ended_at"], use_threads=False)
        .aggregate([("ended_after", "min")])
        .rename_columns(["person_id", "ended_at", "ended_after"])
        .sort_by([("ended_at", "ascending"), ("person_id", "ascending")])
    )


def _int64(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.int64]:
    values: npt.NDArray[np.int64] = np.asarray(
        column.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    return values


def _held_after(roles: pa.Table, person: str, at: int) -> bool:
    """Whether ``person`` still holds (or takes up) a rank > 0 role at ``at``."""
    mine = roles.filter(
        pc.and_(pc.equal(roles.column("person_id"), person), pc.greater(roles.column("rank"), 0))
    )
    start = pc.fill_null(mine.column("valid_from").cast(pa.int64()), np.iinfo(np.int64).min)
    stop = pc.fill_null(mine.column("valid_to").cast(pa.int64()), np.iinfo(np.int64).max)
    holds = pc.and_(pc.less_equal(start, at), pc.greater(stop, at))
    return bool(pc.any(holds).as_py())


def _successor(roles: pa.Table, person: str, after: int, at: int) -> str | None:
    """Who starts a rank > 0 role in a unit the person left, within the window around the end."""
    left = roles.filter(
        pc.and_(pc.equal(roles.column("person_id"), person), pc.is_valid(roles.column("valid_to")))
    )
    units = left.filter(pc.equal(left.column("valid_to").cast(pa.int64()), at)).column("unit")
    if len(units) == 0 or units.null_count == len(units):
        return None
    width = WINDOW_DAYS * _DAY_US
    start = roles.column("valid_from").cast(pa.int64())
    candidates = roles.filter(
        pc.and_(
            pc.and_(
                pc.is_in(roles.column("unit"), value_set=units.drop_null().unique()),
                pc.not_equal(roles.column("person_id"), person),
            ),
            pc.and_(
                pc.greater_equal(pc.fill_null(start, 0), after - width),
                pc.less_equal(pc.fill_null(start, 0), at + width),
            ),
        )
    )
    candidates = candidates.filter(pc.greater(candidates.column("rank"), 0))
    if candidates.num_rows == 0:
        return None
    first = candidates.sort_by([("valid_from", "ascending"), ("person_id", "ascending")])
    return str(first.column("person_id")[0].as_py())


@metric(
    theme="leadership",
    columns=ROLE_END_COLUMNS,
    source="Before/after comparison of role ends against placebo dates (as for appointments)",
    requires=("messages", "roles.valid_to"),
    people=(
        PeopleCount("n_newcomers_before", covers=("newcomers_replied_before",)),
        PeopleCount("n_newcomers_after", covers=("newcomers_replied_after",)),
    ),
)
def role_ends(trace: Trace, *, seed: int = 0) -> pa.Table:
    """What changes when a formal role ends: the holder's activity, centralisation, newcomers.

    One row per person and end date of a rank > 0 role (roster ``valid_to``, or a
    ``MAINTAINERS`` line that disappears). An interval-censored end lies between
    ``ended_after`` (the last snapshot that had the role) and ``ended_at`` (the first
    without it); the *before* window is the :data:`~undertow.themes.leadership.hub.WINDOW_DAYS`
    days before ``ended_after`` and the *after* window the same length from ``ended_at``,
    so a change is only claimed if it holds whatever the date inside the interval.
    ``transition`` is ``exit`` (no formal role afterwards) or ``change`` (the person still
    holds one); ``successor_id``: the first other person to start a formal role in a unit
    the person left, within the window around the end. Per end: the person's messages
    before/after, Freeman degree centralisation of the reply network before/after and its
    ``placebo_p_value`` (the share of placebo dates, spread over the coverage window with
    the same gap, whose change is at least as large in absolute value), and the share of
    newcomers joining in each window whose first message got a reply. Ends without a full
    window inside the coverage window on both sides are left out. ``n`` = reply ties in
    the two windows. ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> role_ends(tiny_trace()).num_rows  # no role ends in the tiny trace
    0
    """
    ends = _ends(trace)
    arrays = message_arrays(trace)
    source, target, time = reply_pairs(arrays)
    if ends.num_rows == 0 or arrays.n == 0 or source.size == 0:
        return ROLE_END_SCHEMA.empty_table()
    width = WINDOW_DAYS * _DAY_US
    low, high = coverage_bounds(trace)
    first = int(arrays.created.min()) if low is None else low
    last = int(arrays.created.max()) if high is None else high
    at = _int64(ends.column("ended_at"))
    after = _int64(ends.column("ended_after"))
    feasible = (after - width >= first) & (at + width <= last)
    if not feasible.any():
        return ROLE_END_SCHEMA.empty_table()
    ends, at, after = ends.filter(pa.array(feasible)), at[feasible], after[feasible]
    windows = _Windows(source, target, time, width)
    c_before = windows.centralisation(after - width)
    c_after = windows.centralisation(at)
    change = c_after - c_before
    p_values = np.full(at.size, np.nan)
    for i in range(at.size):
        gap = int(at[i] - after[i])
        dates = np.linspace(first + width, last - width - gap, N_PLACEBO).astype(np.int64)
        far = np.abs(dates - after[i]) >= width // 2
        placebo = windows.centralisation(dates + gap) - windows.centralisation(dates - width)
        usable = far & np.isfinite(placebo)
        if usable.any() and np.isfinite(change[i]):
            extreme = int((np.abs(placebo[usable]) >= abs(change[i])).sum())
            p_values[i] = (extreme + 1) / (int(usable.sum()) + 1)
    person_code = np.asarray(
        pc.index_in(ends.column("person_id"), value_set=arrays.people)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    order = np.argsort(arrays.author, kind="stable")
    author_sorted, created_sorted = arrays.author[order], arrays.created[order]
    messages_before = np.zeros(at.size, dtype=np.int64)
    messages_after = np.zeros(at.size, dtype=np.int64)
    for i, code in enumerate(person_code.tolist()):
        if code < 0:
            continue
        lo, hi = np.searchsorted(author_sorted, [code, code + 1])
        times = created_sorted[lo:hi]
        messages_before[i] = int(((times >= after[i] - width) & (times < after[i])).sum())
        messages_after[i] = int(((times >= at[i]) & (times < at[i] + width)).sum())
    newcomers = newcomer_table(trace)
    joined = _int64(newcomers.column("joined_at"))
    replied = np.asarray(
        newcomers.column("replied").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool
    )
    in_before = (joined[None, :] >= (after - width)[:, None]) & (joined[None, :] < after[:, None])
    in_after = (joined[None, :] >= at[:, None]) & (joined[None, :] < (at + width)[:, None])
    n_before, n_after = in_before.sum(axis=1), in_after.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        replied_before = np.where(
            n_before > 0, (in_before & replied).sum(axis=1) / n_before, np.nan
        )
        replied_after = np.where(n_after > 0, (in_after & replied).sum(axis=1) / n_after, np.nan)
    roles = trace.arrow("roles")
    people = ends.column("person_id").to_pylist()
    transition = [
        "change" if _held_after(roles, p, int(t)) else "exit"
        for p, t in zip(people, at.tolist(), strict=True)
    ]
    successors = [
        _successor(roles, p, int(a), int(t))
        for p, a, t in zip(people, after.tolist(), at.tolist(), strict=True)
    ]
    lo_ties, _ = windows.bounds(after - width)
    _, hi_ties = windows.bounds(at)
    return pa.table(
        {
            "person_id": pa.array(people, pa.string()),
            "ended_at": ends.column("ended_at").combine_chunks().cast(TIMESTAMP),
            "ended_after": ends.column("ended_after").combine_chunks().cast(TIMESTAMP),
            "transition": pa.array(transition, pa.string()),
            "successor_id": pa.array(successors, pa.string()),
            "messages_before": pa.array(messages_before),
            "messages_after": pa.array(messages_after),
            "centralisation_before": pa.array(c_before, pa.float64()),
            "centralisation_after": pa.array(c_after, pa.float64()),
            "change": pa.array(change, pa.float64()),
            "placebo_p_value": pa.array(p_values, pa.float64(), mask=~np.isfinite(p_values)),
            "newcomers_replied_before": pa.array(
                replied_before, pa.float64(), mask=~np.isfinite(replied_before)
            ),
            "newcomers_replied_after": pa.array(
                replied_after, pa.float64(), mask=~np.isfinite(replied_after)
            ),
            "n_newcomers_before": pa.array(n_before.astype(np.int64)),
            "n_newcomers_after": pa.array(n_after.astype(np.int64)),
            "n": pa.array(np.maximum(hi_ties - lo_ties, 0).astype(np.int64)),
        },
        schema=ROLE_END_SCHEMA,
    )
