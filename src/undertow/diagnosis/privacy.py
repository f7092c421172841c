"""Small cells that stay small: no group statistic for fewer than k people, none recoverable.

Small-cell protection (docs/outputs.md), applied once, to every table at the output boundary:

- a group row resting on fewer than ``k`` people is suppressed (its numbers nulled,
  ``suppressed=True``);
- a declared people-count column (:class:`~undertow.themes.registry.PeopleCount`) shows
  no count of 1 to k-1: the cell, its interval and the statistics resting on the same
  people are nulled, and ``<column>_hidden`` is ``True``;
- in every set of rows that add up to a known total (shares summing to 1, counts summing
  to a published n; :class:`~undertow.themes.registry.RowSum`), a hidden cell never
  stands alone: a complement is hidden with it, so subtraction from the total cannot
  reveal it (*secondary* suppression);
- a formal role or unit held by fewer than ``k`` people is shown under a broader
  category, because a unique role identifies its holder;
- dates of one person's role events are shown to the month, because public records of
  appointments (a MAINTAINERS history) could be matched to exact dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.themes.registry import PeopleCount, RowSum

__all__ = [
    "DEFAULT_K",
    "MIN_SAFE_K",
    "OTHER_ROLE",
    "OTHER_UNIT",
    "ROLE_COLUMNS",
    "ROLE_DATE_COLUMNS",
    "UNIT_COLUMNS",
    "coarsen_people_counts",
    "coarsen_role_dates",
    "coarsen_text_counts",
    "merge_rare_roles",
    "rare_roles",
    "rare_units",
    "rows_where",
    "sum_groups",
    "suppress_small_cells",
]

#: Default minimum group size (``--k``).
DEFAULT_K = 5
#: Below this, ``k`` must be lowered explicitly and the report is stamped.
MIN_SAFE_K = 5
#: The broader category rare roles are merged into.
OTHER_ROLE = "other formal role"
#: The broader category rare formal units (sections, teams) are merged into.
OTHER_UNIT = "other formal unit"
#: Columns whose values are formal role names.
ROLE_COLUMNS = (
    "role",
    "formal_role",
    "starter_role",
    "target_role",
    "speaker_role",
    "replier_role",
    "group",
)
#: Columns whose values may be formal units (only the roles table's units are relabelled).
UNIT_COLUMNS = ("unit", "group")
#: Date columns that hold one person's role events in every table that has them.
ROLE_DATE_COLUMNS = ("appointed_at", "ended_at", "ended_after")


def _is_measure(field: pa.Field) -> bool:
    """Whether a column holds numbers that describe a group (and so must be hidden)."""
    return bool(
        pa.types.is_integer(field.type)
        or pa.types.is_floating(field.type)
        or pa.types.is_decimal(field.type)
        or (
            pa.types.is_boolean(field.type)
            and field.name != "suppressed"
            and not field.name.endswith("_hidden")
        )
    )


def _is_label(field: pa.Field) -> bool:
    return bool(
        pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
        or (pa.types.is_temporal(field.type) and not field.name.endswith(("_lo", "_hi")))
    )


def _partition_keys(table: pa.Table) -> list[str]:
    """Columns that place a row among cells that could add up to a total (undeclared sums).

    The string column with the most distinct values labels the cells (the group); the
    time columns and every other string column (``dimension``, ``grouping``, ``scope``,
    ...) say which set of cells a row belongs to.
    """
    temporal = [
        f.name
        for f in table.schema
        if pa.types.is_temporal(f.type) and not f.name.endswith(("_lo", "_hi"))
    ]
    strings = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    if not strings:
        return temporal
    label = max(
        strings,
        key=lambda name: (pc.count_distinct(table.column(name)).as_py(), -strings.index(name)),
    )
    return temporal + [name for name in strings if name != label]


def rows_where(table: pa.Table, where: tuple[str, tuple[str, ...]] | None) -> np.ndarray:
    """Rows a declaration applies to (all rows without ``where``)."""
    if where is None:
        return np.ones(table.num_rows, dtype=bool)
    column, values = where
    if column not in table.column_names:
        return np.zeros(table.num_rows, dtype=bool)
    chosen = pc.is_in(table.column(column).cast(pa.string()), value_set=pa.array(values))
    return np.asarray(chosen.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _quarter(column: pa.ChunkedArray) -> list[object]:
    """Calendar quarter of each time value: the period quarterly totals are published for."""
    years = pc.year(column).to_pylist()
    quarters = pc.quarter(column).to_pylist()
    return [None if y is None else (y, q) for y, q in zip(years, quarters, strict=True)]


def sum_groups(table: pa.Table, sums: Sequence[RowSum]) -> list[np.ndarray]:
    """Row indices of every set of rows that adds up to a known total.

    Declared sums (``sums``) replace the default: all rows that agree on every time
    and string column but the most varied string column.
    """
    if not sums:
        keys = _partition_keys(table)
        values = [table.column(name).to_pylist() for name in keys]
        found: dict[tuple[object, ...], list[int]] = {}
        for row in range(table.num_rows):
            found.setdefault(tuple(v[row] for v in values), []).append(row)
        return [np.array(rows, dtype=np.int64) for rows in found.values()]
    groups: list[np.ndarray] = []
    labels = [f.name for f in table.schema if _is_label(f)]
    for declared in sums:
        if declared.over not in table.column_names:
            continue
        eligible = rows_where(table, declared.where)
        if declared.labels:
            eligible &= rows_where(table, (declared.over, declared.labels))
        keys = [name for name in labels if name != declared.over]
        values = [table.column(name).to_pylist() for name in keys]
        over = table.column(declared.over)
        if pa.types.is_temporal(over.type):
            # A time column adds up within calendar quarters: quarterly totals (cohort
            # sizes) are published, so each quarter is a total of its own.
            values.append(_quarter(over))
        found = {}
        for row in np.flatnonzero(eligible).tolist():
            found.setdefault(tuple(v[row] for v in values), []).append(row)
        groups.extend(np.array(rows, dtype=np.int64) for rows in found.values())
    return groups


def _complement(hidden: np.ndarray, size: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """``hidden`` with, in each group holding exactly one hidden cell, a second one hidden.

    The visible cell with the smallest ``size`` is the cheapest complement (ties: the
    first row). Repeated until stable, because a complement hidden in one sum may leave
    a single hidden cell in another sum that overlaps it.
    """
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for rows in groups:
            inside = hidden[rows]
            if int(inside.sum()) != 1 or inside.all():
                continue
            visible = rows[~inside]
            order = np.lexsort((visible, np.nan_to_num(size[visible], nan=np.inf)))
            hidden[visible[order[0]]] = True
            changed = True
    return hidden


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    values = table.column(name).cast(pa.float64()).fill_null(np.nan)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def _null_where(table: pa.Table, name: str, mask: np.ndarray) -> pa.Table:
    """Null column ``name`` where ``mask`` holds (and make the column nullable)."""
    if not mask.any():
        return table
    field = table.schema.field(name)
    column = pc.if_else(
        pa.array(mask, type=pa.bool_()), pa.scalar(None, type=field.type), table.column(name)
    )
    index = table.column_names.index(name)
    return table.set_column(index, field.with_nullable(True), column)


def suppress_small_cells(table: pa.Table, k: int, *, sums: Sequence[RowSum] = ()) -> pa.Table:
    """Null the numbers of group rows resting on fewer than ``k`` people.

    Only tables with an ``n_people`` column have group rows. A row with
    ``n_people < k`` is *primarily* suppressed. Then, in each set of rows that add up to
    a known total (``sums``; undeclared: rows sharing every time column and every string
    column but the one labelling the groups), if exactly one row is suppressed, the
    visible row with the fewest people is suppressed too (*secondary* suppression), so
    that the total minus the visible cells cannot reveal the hidden one.
    Suppressed rows keep their labels (string and time columns); every numeric and
    boolean column becomes null and ``suppressed`` is ``True``.

    Parameters
    ----------
    table
        A metric table.
    k
        Minimum number of people behind a published group statistic.
    sums
        The metric's declared sets of rows that add up to a total.

    Returns
    -------
    pyarrow.Table
        The table with a boolean ``suppressed`` column added (when it has
        ``n_people``), or unchanged.

    Examples
    --------
    >>> t = pa.table({"group": ["a", "b", "c"], "n_people": [2, 9, 12], "x": [0.1, 0.2, 0.3]})
    >>> out = suppress_small_cells(t, 5)
    >>> out["suppressed"].to_pylist(), out["x"].to_pylist()
    ([True, True, False], [None, None, 0.3])
    """
    if "n_people" not in table.column_names:
        return table
    n_people = _numbers(table, "n_people")
    primary = ~np.isnan(n_people) & (n_people < k)
    suppressed = _complement(primary, n_people, sum_groups(table, sums))
    mask = pa.array(suppressed, type=pa.bool_())
    columns: list[pa.Array | pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for field in table.schema:
        if field.name == "suppressed":
            continue
        column = table.column(field.name)
        if _is_measure(field):
            column = pc.if_else(mask, pa.scalar(None, type=field.type), column)
            field = field.with_nullable(True)
        columns.append(column)
        fields.append(field)
    columns.append(mask)
    fields.append(pa.field("suppressed", pa.bool_(), nullable=False))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def coarsen_people_counts(
    table: pa.Table,
    k: int,
    people: Sequence[PeopleCount],
    *,
    sums: Sequence[RowSum] = (),
) -> pa.Table:
    """Hide every count of 1 to ``k - 1`` people in the declared people-count columns.

    A hidden cell is nulled together with its interval (``<column>_lo``,
    ``<column>_hi``) and the statistics resting on the same people (``covers``), and
    ``<column>_hidden`` is ``True`` in its row. A count of 0 stays (it describes nobody).
    In each declared sum (``sums`` naming rows the count applies to) where exactly one
    cell of the column is hidden, the smallest visible one is hidden too, so the total
    minus the visible counts cannot reveal it.

    Examples
    --------
    >>> t = pa.table({"week": [1, 2, 3], "value": [0.0, 3.0, 12.0], "n": [4, 9, 30]})
    >>> out = coarsen_people_counts(t, 5, [PeopleCount("value")])
    >>> out["value"].to_pylist(), out["value_hidden"].to_pylist()
    ([0.0, None, 12.0], [False, True, False])
    """
    if table.num_rows == 0 and not people:
        return table
    groups = sum_groups(table, sums) if sums else []
    hidden_by_column: dict[str, np.ndarray] = {}
    for declared in people:
        if declared.column not in table.column_names:
            continue
        values = _numbers(table, declared.column)
        applies = rows_where(table, declared.where)
        small = applies & (values >= 1) & (values < k)
        if groups:
            # Only sums whose rows this count applies to constrain it.
            relevant = [rows for rows in groups if applies[rows].all()]
            sizes = np.where(applies, values, np.nan)
            small = _complement(small, sizes, relevant) & applies
        previous = hidden_by_column.get(declared.column)
        hidden_by_column[declared.column] = small if previous is None else previous | small
        for name in (
            declared.column,
            f"{declared.column}_lo",
            f"{declared.column}_hi",
            *declared.covers,
        ):
            if name in table.column_names:
                table = _null_where(table, name, small)
    for name, hidden in hidden_by_column.items():
        flag = f"{name}_hidden"
        if flag in table.column_names:
            table = table.drop_columns([flag])
        table = table.append_column(
            pa.field(flag, pa.bool_(), nullable=False), pa.array(hidden, type=pa.bool_())
        )
    return table


def coarsen_role_dates(table: pa.Table, columns: Iterable[str] = ()) -> pa.Table:
    """Show the dates of individual role events to the month (the first of the month, UTC).

    Applies to :data:`ROLE_DATE_COLUMNS` and the metric's declared ``columns``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = pa.table({"appointed_at": [datetime(2019, 4, 17, 11, 3, tzinfo=UTC)]})
    >>> coarsen_role_dates(t)["appointed_at"][0].as_py().isoformat()
    '2019-04-01T00:00:00+00:00'
    """
    for name in dict.fromkeys([*ROLE_DATE_COLUMNS, *columns]):
        if name not in table.column_names:
            continue
        field = table.schema.field(name)
        if not pa.types.is_timestamp(field.type):
            continue
        column = table.column(name)
        if field.type.tz is not None:
            # Months are UTC months: floor the UTC wall time, then restore the zone.
            naive = pc.cast(column, pa.timestamp(field.type.unit))
            floored = pc.floor_temporal(naive, unit="month").cast(field.type)
        else:
            floored = pc.floor_temporal(column, unit="month")
        table = table.set_column(table.column_names.index(name), field, floored)
    return table


#: Words after a number that make it a count of people in a finding's text.
_PEOPLE_WORDS = (
    "people|persons?|members?|repliers?|carers?|newcomers?|leaders?|maintainers?|"
    "reviewers?|founders?|authors?|speakers?|moderators?|holders?|participants?|"
    "contributors?|helpers?|askers?|posters?|users?|actors?|individuals?|active"
)
_TEXT_COUNT = re.compile(
    rf"(?<![\w.,#/:-])(?<!next )(?<!top )(?<!first )(?<!last )(\d+)"
    rf"(?=(?: of [\d,]+)? (?:[a-z-]+ )?(?:{_PEOPLE_WORDS})\b)"
)


def coarsen_text_counts(text: str, k: int) -> str:
    """Replace a count of 1 to ``k - 1`` people in a sentence with "fewer than k".

    A number counts people when a people word follows it (``2 people``, ``3 of 624
    repliers``, ``2 active/week``); ranks (``the next 4 most-replied people``) and
    other numbers are left alone.

    Examples
    --------
    >>> coarsen_text_counts("2 of 624 repliers give 78% of all 23 supportive replies", 5)
    'fewer than 5 of 624 repliers give 78% of all 23 supportive replies'
    >>> coarsen_text_counts("the next 4 most-replied people; 12 people", 5)
    'the next 4 most-replied people; 12 people'
    """

    def replace(match: re.Match[str]) -> str:
        value = int(match.group(1))
        return f"fewer than {k}" if 1 <= value < k else match.group(0)

    return _TEXT_COUNT.sub(replace, text)


def _rare(roles: pa.Table, column: str, k: int) -> set[str]:
    if roles.num_rows == 0 or column not in roles.column_names:
        return set()
    distinct = roles.select([column, "person_id"]).group_by([column, "person_id"]).aggregate([])
    counts = distinct.group_by(column).aggregate([("person_id", "count")])
    return {
        str(label)
        for label, count in zip(
            counts.column(column).to_pylist(),
            counts.column("person_id_count").to_pylist(),
            strict=True,
        )
        if label is not None and count < k
    }


def rare_roles(roles: pa.Table, k: int) -> set[str]:
    """Formal roles held by fewer than ``k`` distinct people over the whole trace.

    Examples
    --------
    >>> roles = pa.table({"person_id": ["p1", "p2", "p3"], "role": ["chair", "member", "member"]})
    >>> sorted(rare_roles(roles, 2))
    ['chair']
    """
    return _rare(roles, "role", k)


def rare_units(roles: pa.Table, k: int) -> set[str]:
    """Formal units (sections, teams) whose roles fewer than ``k`` distinct people held.

    Examples
    --------
    >>> roles = pa.table({"person_id": ["p1", "p2", "p3"], "unit": ["EFI", "ARM", "ARM"]})
    >>> sorted(rare_units(roles, 2))
    ['EFI']
    """
    return _rare(roles, "unit", k)


def _relabel(table: pa.Table, columns: Iterable[str], rare: Iterable[str], other: str) -> pa.Table:
    rare_set = pa.array(sorted(set(rare)), type=pa.string())
    if len(rare_set) == 0:
        return table
    for name in columns:
        if name not in table.column_names:
            continue
        column = table.column(name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        column = column.cast(pa.string())
        relabelled = pc.if_else(pc.is_in(column, value_set=rare_set), other, column)
        table = table.set_column(
            table.column_names.index(name), pa.field(name, pa.string()), relabelled
        )
    return table


def merge_rare_roles(
    table: pa.Table, rare: Iterable[str], rare_unit: Iterable[str] = ()
) -> pa.Table:
    """Relabel rare formal roles as :data:`OTHER_ROLE` and rare units as :data:`OTHER_UNIT`.

    Roles in every :data:`ROLE_COLUMNS` column, units in every :data:`UNIT_COLUMNS`
    column; other labels are left as they are.

    Examples
    --------
    >>> t = pa.table({"role": ["chair", "member", None], "unit": ["EFI", "ARM", "ARM"]})
    >>> out = merge_rare_roles(t, {"chair"}, {"EFI"})
    >>> out["role"].to_pylist(), out["unit"].to_pylist()
    (['other formal role', 'member', None], ['other formal unit', 'ARM', 'ARM'])
    """
    table = _relabel(table, ROLE_COLUMNS, rare, OTHER_ROLE)
    return _relabel(table, UNIT_COLUMNS, rare_unit, OTHER_UNIT)
