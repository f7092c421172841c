"""From newcomer to formal role: how long it took, and whether the core came first."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.core import core_membership
from undertow.features.newcomers import first_messages
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.novices_masters.core_periphery import trajectories
from undertow.themes.registry import metric

__all__ = ["path_to_formal_role"]

_DAY_US = 86_400 * 1_000_000

PATH_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("role", pa.string()),
        pa.field("first_message_at", TIMESTAMP),
        pa.field("appointed_at", TIMESTAMP),
        pa.field("days_to_role", pa.float64()),
        pa.field("core_before_role", pa.bool_()),
        pa.field("days_to_core", pa.float64()),
        pa.field("trajectory", pa.string()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    theme="novices_masters",
    columns=PATH_SCHEMA.names,
    requires=("roles.valid_from",),
    source="Lave & Wenger 1991; Jensen & Scacchi 2007 (role migration in open source)",
    chart=None,
    role_dates=("first_message_at",),
)
def path_to_formal_role(trace: Trace, *, seed: int = 0) -> pa.Table:
    """People appointed to a formal role during the trace: time from first message to role.

    One row per person whose first role of ``rank > 0`` starts (``valid_from``) after
    the roster's earliest start date — people already holding a role when the roster
    begins are left-censored and left out — and after their first message. Columns:
    the role, ``days_to_role``; ``core_before_role`` (in the quarterly core in some
    quarter before the appointment's quarter); ``days_to_core`` and the person's
    ``trajectory`` (:func:`~undertow.themes.novices_masters.core_periphery.trajectories`).
    ``n`` = the person's active quarters. ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> path_to_formal_role(tiny_trace()).num_rows
    0
    """
    roles = trace.arrow("roles")
    formal = roles.filter(
        pc.and_(pc.greater(roles.column("rank"), 0), pc.is_valid(roles.column("valid_from")))
    )
    firsts = first_messages(trace)
    if formal.num_rows == 0 or firsts.num_rows == 0:
        return PATH_SCHEMA.empty_table()
    roster_start = pc.min(formal.column("valid_from")).cast(pa.int64()).as_py()
    earliest = (
        formal.group_by("person_id")
        .aggregate([("valid_from", "min")])
        .rename_columns(["person_id", "appointed_at"])
    )
    appointed = earliest.column("appointed_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    index = pc.index_in(earliest.column("person_id"), value_set=firsts.column("person_id"))
    known = index.is_valid().to_numpy(zero_copy_only=False)
    first_at = (
        firsts.column("created_at")
        .cast(pa.int64())
        .take(index.fill_null(0))
        .to_numpy(zero_copy_only=False)
    )
    keep = known & (appointed > roster_start) & (appointed > first_at)
    if not keep.any():
        return PATH_SCHEMA.empty_table()
    people = earliest.column("person_id").filter(pa.array(keep))
    appointed, first_at = appointed[keep], first_at[keep]
    # The role that started on the appointment date (highest rank, then name).
    started = formal.join(
        pa.table({"person_id": people, "appointed_at": pa.array(appointed).cast(TIMESTAMP)}),
        keys="person_id",
    )
    started = started.filter(
        pc.equal(started.column("valid_from").cast(TIMESTAMP), started.column("appointed_at"))
    ).sort_by([("person_id", "ascending"), ("rank", "descending"), ("role", "ascending")])
    first_row = pc.index_in(people, value_set=started.column("person_id"))
    role = started.column("role").take(first_row)
    core = core_membership(trace, window="quarter").filter(pc.field("is_core"))
    appointed_quarter = pc.floor_temporal(pa.array(appointed).cast(TIMESTAMP), unit="quarter")
    core_person = pc.index_in(core.column("person_id"), value_set=people)
    valid = core_person.is_valid().to_numpy(zero_copy_only=False)
    core_index = core_person.fill_null(0).to_numpy(zero_copy_only=False)[valid]
    core_period = core.column("period").cast(pa.int64()).to_numpy(zero_copy_only=False)[valid]
    quarter_us = appointed_quarter.cast(pa.int64()).to_numpy(zero_copy_only=False)
    before = core_period < quarter_us[core_index]
    core_before = np.bincount(core_index[before], minlength=len(people)) > 0
    paths = trajectories(trace)
    path_row = pc.index_in(people, value_set=paths.column("person_id"))
    days = (appointed - first_at) / _DAY_US
    return pa.table(
        {
            "person_id": people,
            "role": role,
            "first_message_at": pa.array(first_at).cast(TIMESTAMP),
            "appointed_at": pa.array(appointed).cast(TIMESTAMP),
            "days_to_role": pa.array(days, pa.float64()),
            "core_before_role": pa.array(core_before, pa.bool_()),
            "days_to_core": paths.column("days_to_core").take(path_row),
            "trajectory": paths.column("trajectory").take(path_row),
            "n": paths.column("n").take(path_row).fill_null(0),
        },
        schema=PATH_SCHEMA,
    )
