"""Who the formal leaders are, when they were appointed, and degree centralisation helpers."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.threads import MessageArrays
from undertow.model.observation import appointment_mask
from undertow.model.trace import Trace

__all__ = [
    "appointments",
    "degree_centralisation",
    "ever_leaders",
    "person_units",
    "reply_pairs",
]


def ever_leaders(trace: Trace, arrays: MessageArrays) -> npt.NDArray[np.bool_]:
    """Per author code: held a formal role with rank > 0 at some time in the roster.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> from undertow.features.threads import message_arrays
    >>> trace = tiny_trace()
    >>> arrays = message_arrays(trace)
    >>> [arrays.people[int(i)].as_py() for i in ever_leaders(trace, arrays).nonzero()[0]]
    ['lead']
    """
    flags = np.zeros(arrays.n_people, dtype=bool)
    if not trace.has("roles") or arrays.n_people == 0:
        return flags
    roles = trace.arrow("roles")
    holders = roles.filter(pc.greater(roles.column("rank"), 0)).column("person_id")
    flags |= pc.is_in(arrays.people, value_set=holders.unique()).to_numpy(zero_copy_only=False)
    return flags


#: People sharing the roster's earliest ``valid_from`` that mark it as the roster's start.
ROSTER_START_PEOPLE = 3


def appointments(trace: Trace) -> pa.Table:
    """First dated appointment to a role of rank > 0, per person.

    Returns
    -------
    pyarrow.Table
        ``person_id, appointed_at, rank``, sorted by ``appointed_at``; people whose
        roles all predate the trace (null ``valid_from``) are left out, and so are
        roles dated at the roster's first date when at least three people share it
        (a first ``MAINTAINERS`` snapshot lists incumbents, not appointments).
        Only dates that date an appointment count
        (:func:`~undertow.model.observation.appointment_mask`): exact dates and narrow
        intervals, never a snapshot interval or a status such as a badge.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> appointments(tiny_trace()).column("person_id").to_pylist()
    ['lead']
    """
    schema = pa.schema(
        [
            pa.field("person_id", pa.string()),
            pa.field("appointed_at", pa.timestamp("us", tz="UTC")),
            pa.field("rank", pa.int32()),
        ]
    )
    if not trace.has("roles"):
        return schema.empty_table()
    roles = trace.arrow("roles")
    roles = roles.filter(
        pc.and_(
            pc.and_(pc.greater(roles.column("rank"), 0), pc.is_valid(roles.column("valid_from"))),
            appointment_mask(roles),
        )
    )
    if roles.num_rows == 0:
        return schema.empty_table()
    first = roles.group_by("person_id", use_threads=False).aggregate(
        [("valid_from", "min"), ("rank", "max")]
    )
    # Roles first seen in the roster's first snapshot were held before it: when several
    # people share that earliest date it marks the roster's start, not appointments.
    starts = first.column("valid_from_min")
    earliest = pc.min(starts)
    at_start = pc.equal(starts, earliest)
    if pc.sum(at_start.cast(pa.int64())).as_py() >= ROSTER_START_PEOPLE:
        first = first.filter(pc.invert(at_start))
    table = pa.table(
        {
            "person_id": first.column("person_id"),
            "appointed_at": first.column("valid_from_min").cast(schema.field(1).type),
            "rank": first.column("rank_max").cast(pa.int32()),
        },
        schema=schema,
    )
    return table.sort_by([("appointed_at", "ascending"), ("person_id", "ascending")])


def reply_pairs(arrays: MessageArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replies to someone else: (replier code, replied-to code, time in µs).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> from undertow.features.threads import message_arrays
    >>> source, target, time = reply_pairs(message_arrays(tiny_trace()))
    >>> source.size
    5
    """
    mask = (arrays.parent >= 0) & (arrays.parent_author != arrays.author)
    return arrays.author[mask], arrays.parent_author[mask], arrays.created[mask]


def degree_centralisation(
    source: npt.NDArray[np.int64], target: npt.NDArray[np.int64], *, exclude: npt.ArrayLike = ()
) -> tuple[float, int]:
    """Freeman degree centralisation of the undirected simple graph of the given ties.

    ``sum_i (d_max - d_i) / ((n - 1)(n - 2))`` over the n people with at least one tie
    (1 for a star, 0 for a regular graph); ``exclude`` removes people (and their ties)
    first. Returns ``(centralisation, n)``; NaN when n < 3.

    Examples
    --------
    >>> import numpy as np
    >>> degree_centralisation(np.array([0, 0, 0]), np.array([1, 2, 3]))
    (1.0, 4)
    >>> degree_centralisation(np.array([0, 0, 0]), np.array([1, 2, 3]), exclude=[0])
    (nan, 0)
    """
    drop = np.asarray(exclude, dtype=np.int64)
    keep = ~(np.isin(source, drop) | np.isin(target, drop)) & (source != target)
    low = np.minimum(source[keep], target[keep])
    high = np.maximum(source[keep], target[keep])
    if low.size == 0:
        return (float("nan"), 0)
    width = int(high.max()) + 1
    pairs = np.unique(low * width + high)
    nodes, degree = np.unique(np.concatenate([pairs // width, pairs % width]), return_counts=True)
    n = int(nodes.size)
    if n < 3:
        return (float("nan"), n)
    return (float((degree.max() - degree).sum() / ((n - 1) * (n - 2))), n)


def person_units(trace: Trace, arrays: MessageArrays) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """Per author code: the code of their formal unit (-1 = none), and the unit names.

    A person's unit is the unit of their highest-ranked role with a unit (ties: the
    latest ``valid_from``, then the unit name), whatever its dates: units describe
    the organisation a person belongs to, not only while they lead.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> from undertow.features.threads import message_arrays
    >>> trace = tiny_trace()
    >>> arrays = message_arrays(trace)
    >>> codes, names = person_units(trace, arrays)
    >>> names.to_pylist(), int((codes >= 0).sum())
    (['core'], 1)
    """
    codes = np.full(arrays.n_people, -1, dtype=np.int64)
    if not trace.has("roles", "unit") or arrays.n_people == 0:
        return codes, pa.array([], pa.string())
    roles = trace.arrow("roles")
    roles = roles.filter(pc.is_valid(roles.column("unit")))
    epoch = pa.scalar(0, pa.int64())
    start = pc.fill_null(roles.column("valid_from").cast(pa.int64()), epoch)
    ranked = pa.table(
        {
            "person_id": roles.column("person_id"),
            "unit": roles.column("unit"),
            "rank": roles.column("rank"),
            "start": start,
        }
    ).sort_by(
        [
            ("person_id", "ascending"),
            ("rank", "descending"),
            ("start", "descending"),
            ("unit", "ascending"),
        ]
    )
    person = ranked.column("person_id").to_numpy(zero_copy_only=False)
    first = np.r_[True, person[1:] != person[:-1]] if person.size else np.zeros(0, bool)
    chosen = ranked.filter(pa.array(first))
    names = pc.unique(chosen.column("unit")).sort()
    unit_code = pc.index_in(chosen.column("unit"), value_set=names).to_numpy(zero_copy_only=False)
    who = pc.index_in(chosen.column("person_id"), value_set=arrays.people)
    who_np = np.asarray(who.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    present = who_np >= 0
    codes[who_np[present]] = np.asarray(unit_code, dtype=np.int64)[present]
    return codes, names
